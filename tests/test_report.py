"""The paper's tables from a metrics summary."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from modrp.report import (
    PAPER_TABLE1,
    PAPER_TABLE3,
    baselines_table,
    leakage_audit_table,
    mean_std,
    table1,
    table2,
    table3,
    table4,
    table5,
    table6,
    table7,
    table8,
    write_table,
)

OMICS = ["exp", "mut", "cnv", "rppa", "metabolites"]


def summary():
    rng = np.random.default_rng(0)
    rows = []
    singles = [f"{o}-{k}" for o, k in PAPER_TABLE1]
    fusions = ["-".join(c) for n in range(2, 6) for c in itertools.combinations(OMICS, n)]
    groups = (("single", singles), ("fusion", fusions),
              ("concatenation", ["exp-mut-cnv-rppa-metabolites"]))
    for kind, models in groups:
        for model, fold in itertools.product(models, range(3)):
            quality = 0.1 * len(model)  # longer names score better, to check the ranking
            if kind == "concatenation":  # worse than the fusion of the same omics
                quality -= 0.5
            rows.append({"kind": kind, "model": model, "repeat": 0, "fold": fold,
                         "mse": 3 - quality + rng.normal(0, 0.01),
                         "r2_per_drug_mean": quality + rng.normal(0, 0.01),
                         "baseline_mse": 3.1, "baseline_r2_per_drug_mean": -0.02,
                         "r2_pooled": 0.6, "top1": 0.4, "top3": 0.9, "baseline_top1": 0.35,
                         "baseline_top3": 0.9})
    return pd.DataFrame(rows)


def test_mean_std():
    assert mean_std(pd.Series([1.0, 3.0])) == "2.00 ± 1.00"
    assert mean_std(pd.Series([-0.004, -0.001])) == "0.00 ± 0.00"  # not "-0.00"
    assert mean_std(pd.Series([-0.5, -0.3])) == "-0.40 ± 0.10"
    assert mean_std(pd.Series([np.nan, np.nan])) == "n/a"
    # a value undefined in some folds: the others, and how many they are
    assert mean_std(pd.Series([np.nan, 2.0, 4.0])) == "3.00 ± 1.00 (2 of 3)"


def expected_cell(values) -> str:
    """``"mean ± std"`` to two decimals, population std over repeats x folds (numpy)."""
    values = np.asarray(values, dtype=float)
    return f"{np.mean(values):.2f} ± {np.std(values):.2f}"


def assert_own_scores(row, rows_of_model: pd.DataFrame) -> None:
    """The row's MSE and R2 cells summarise that model's own folds."""
    assert len(rows_of_model) == 3
    assert row["MSE"] == expected_cell(rows_of_model["mse"])
    assert row["R2 per drug"] == expected_cell(rows_of_model["r2_per_drug_mean"])


def test_table1_has_each_single_model_with_paper_values():
    table = table1(summary())
    assert len(table) == 8
    assert table["omics"].tolist()[:2] == ["exp", "exp"]
    row = table[(table["omics"] == "mut") & (table["embedding"] == "graph")].iloc[0]
    assert row["paper R2"] == "-0.02 ± 0.01"
    assert row["per-drug mean R2"] == "-0.02 ± 0.00"
    scores = summary()
    for _, row in table.iterrows():
        model = f"{row['omics']}-{row['embedding']}"
        assert_own_scores(row, scores[(scores["kind"] == "single") & (scores["model"] == model)])


def test_table3_has_one_row_per_combination_ranked():
    table = table3(summary())
    assert len(table) == 26 == len(PAPER_TABLE3)
    assert table["omics combination"].iloc[0] == "exp-mut-cnv-rppa-metabolites"
    assert set(table["omics combination"]) == set(PAPER_TABLE3)
    scores = summary()
    for _, row in table.iterrows():
        assert_own_scores(row, scores[(scores["kind"] == "fusion")
                                      & (scores["model"] == row["omics combination"])])
    assert (table["paper R2"] != "").all()
    # omics configured in another order name the combinations in that order: the
    # paper's numbers are still found
    reordered = summary()
    fused = reordered["kind"] == "fusion"
    reordered.loc[fused, "model"] = reordered.loc[fused, "model"].map(
        lambda m: "-".join(reversed(m.split("-"))))
    found = table3(reordered).set_index("omics combination")["paper R2"]
    assert "rppa-mut" in found.index
    assert {frozenset(m.split("-")): r for m, r in found.items()} == {
        frozenset(m.split("-")): value[1] for m, value in PAPER_TABLE3.items()}


def test_table2_without_and_with_attention():
    table = table2(summary())
    assert table["model"].tolist() == ["Multi-omics without attention layer",
                                       "Multi-omics with attention layer"]
    assert table["paper R2"].tolist() == ["0.65 ± 0.02", "0.90 ± 0.01"]
    assert (table["omics"] == "exp-mut-cnv-rppa-metabolites").all()
    scores = summary()
    full = scores["model"] == "exp-mut-cnv-rppa-metabolites"
    assert_own_scores(table.iloc[0], scores[full & (scores["kind"] == "concatenation")])
    assert_own_scores(table.iloc[1], scores[full & (scores["kind"] == "fusion")])
    # the fixture scores the two differently, so each row shows its own model
    assert table.loc[0, "MSE"] != table.loc[1, "MSE"]
    assert table.loc[0, "R2 per drug"] != table.loc[1, "R2 per drug"]


def test_table4_orders_drugs_by_mse_with_annotations():
    per_drug = pd.DataFrame({
        "kind": "fusion", "model": "exp-mut", "fold": [0, 1, 0, 1],
        "drug": ["LGK974", "LGK974", "Camptothecin", "Camptothecin"],
        "mse": [2.0, 4.0, 1.0, 1.0], "r2": [0.1, 0.2, 0.333, 0.333], "baseline_mse": 3.0,
    })
    drugs = pd.DataFrame({"drug": ["LGK974", "Camptothecin"], "target": ["PORCN", "TOP1"],
                          "pathway": ["WNT signalling", "DNA replication"]})
    table = table4(per_drug, drugs, "exp-mut")
    assert table["drug"].tolist() == ["Camptothecin", "LGK974"]
    assert table["MSE"].tolist() == [1.0, 3.0] and table["MSE std"].tolist() == [0.0, 1.0]
    assert table["putative target"].tolist() == ["TOP1", "PORCN"]
    # the drug's R2, mean over folds, to two decimals as in the other tables
    assert table["R2"].tolist() == [0.33, 0.15]
    # the paper's per-drug MSE is its five-omics fusion's: none beside two omics fused
    assert table["paper MSE"].tolist() == ["", ""]
    five = "exp-mut-cnv-rppa-metabolites"
    table = table4(per_drug.assign(model=five), drugs, five)
    assert table["paper MSE"].tolist() == [4.8, 1.1]


def test_table5_rows_and_percentages():
    embedding = {"exp": "graph", "mut": "graph", "cnv": "graph", "rppa": "dense",
                 "metabolites": "dense"}
    table = table5(summary(), embedding)
    assert table["model"].tolist()[:2] == ["exp", "mut"]
    assert table["model"].tolist()[-1] == "Multi-omics with attention layer"
    assert table["top-1 (%)"].iloc[0] == "40 ± 0"
    assert table["paper top-3 (%)"].iloc[-1] == 98


def test_paper_values_stand_only_beside_a_fusion_of_the_paper_s_five_omics():
    three = "exp-mut-metabolites"
    rows = []
    for kind, model in (("single", "exp-graph"), ("single", "mut-dense"),
                        ("single", "metabolites-dense"), ("fusion", three),
                        ("concatenation", three), ("baseline", f"mkl:{three}"),
                        ("baseline", "mkl:exp"), ("baseline", "deepdr:exp-mut")):
        for fold in range(3):
            rows.append({"kind": kind, "model": model, "repeat": 0, "fold": fold, "mse": 2.0,
                         "r2_per_drug_mean": 0.2, "r2_pooled": 0.7, "top1": 0.4, "top3": 0.9,
                         "baseline_mse": 3.0, "baseline_r2_per_drug_mean": 0.0,
                         "baseline_top1": 0.3, "baseline_top3": 0.9})
    small = pd.DataFrame(rows)
    embedding = {"exp": "graph", "mut": "dense", "metabolites": "dense"}
    fused = table5(small, embedding).set_index("model")
    assert (fused.loc["Multi-omics with attention layer", ["paper top-1 (%)",
                                                           "paper top-3 (%)"]] == "").all()
    assert fused.loc["exp", "paper top-1 (%)"] != ""  # single omics keep theirs
    by_dataset = table6(small, embedding).set_index("dataset")
    assert (by_dataset.loc["multi-omics", ["paper ours R2", "paper BEMKL R2"]] == "").all()
    assert by_dataset.loc["exp", "paper ours R2"] != ""
    versus = table7(small)
    assert versus.loc[0, "paper R2"] == "" and versus.loc[1, "paper R2"] != ""
    assert table2(small)["paper R2"].tolist() == ["", ""]
    # the five omics fused keep the paper's values
    assert table5(summary(), dict.fromkeys(OMICS, "dense"))["paper top-3 (%)"].iloc[-1] == 98


def scored(kind: str, model: str, quality: float, baseline_mse: float = 3.0) -> list[dict]:
    """Three folds of one model's metrics, per-drug R2 ``quality`` + 0.01 x fold."""
    return [{"kind": kind, "model": model, "repeat": 0, "fold": fold, "mse": 2.0 - quality,
             "r2_per_drug_mean": quality + 0.01 * fold, "r2_per_drug_median": quality,
             "r2_pooled": 0.7, "pearson_per_drug_mean": 0.6, "top1": 0.4, "top3": 0.9,
             **{f"baseline_{key}": value for key, value in (
                 ("mse", baseline_mse), ("r2_per_drug_mean", -0.02),
                 ("r2_per_drug_median", -0.01), ("r2_pooled", 0.5),
                 ("pearson_per_drug_mean", 0.0), ("top1", 0.3), ("top3", 0.9))}}
            for fold in range(3)]


def test_baselines_table_puts_the_fusion_of_all_omics_beside_the_comparators():
    full = "exp-mut-cnv"
    rows = [*scored("fusion", full, 0.5, baseline_mse=3.5), *scored("fusion", "exp-mut", 0.45),
            *scored("concatenation", full, 0.4), *scored("single", "exp-graph", 0.3),
            *scored("baseline", f"elastic_net:{full}", 0.35), *scored("baseline", "mkl:exp", 0.1),
            *scored("baseline", "deepdr:exp-mut", 0.2)]
    table = baselines_table(pd.DataFrame(rows)).set_index("model")
    assert table.index.tolist() == [
        f"attention fusion ({full})", f"concatenation, no attention ({full})",
        "DeepDR-style autoencoder network (exp-mut; on the test lines with exp, mut)",
        f"elastic net per drug ({full})",
        "per-drug mean (training lines; on the fusion's pairs)"]  # mkl:exp is Table 6's
    assert table.iloc[0]["R2 per drug"] == "0.51 ± 0.01"
    assert table.iloc[-1]["MSE"] == "3.50 ± 0.00"  # the fusion's own baseline


def test_baselines_table_with_one_omic_puts_its_single_models_beside_the_comparators():
    rows = [*scored("single", "rppa-dense", 0.3, baseline_mse=3.25),
            *scored("single", "rppa-graph", 0.2), *scored("baseline", "elastic_net:rppa", 0.25),
            *scored("baseline", "tissue_drug_mean:rppa", 0.05)]
    table = baselines_table(pd.DataFrame(rows)).set_index("model")
    assert table.index.tolist() == [
        "dense embedding (rppa)", "graph embedding (rppa)", "elastic net per drug (rppa)",
        "tissue x drug mean (tissue, no omics)",
        "per-drug mean (training lines; on rppa-dense's pairs)"]
    assert table.loc["graph embedding (rppa)", "R2 per drug"] == "0.21 ± 0.01"
    assert table.iloc[-1]["MSE"] == "3.25 ± 0.00"
    with pytest.raises(ValueError, match=r"one omic \(found \['exp', 'rppa'\]\)"):
        baselines_table(pd.DataFrame([*rows, *scored("single", "exp-dense", 0.3)]))


def test_table8_sizes_as_found():
    data_summary = {
        "raw": {"exp": [300, 1500], "mut": [297, 1464]},
        "features": {"exp": {"lines": 280, "kept": 1470}, "mut": {"lines": 280, "kept": 515}},
        "mutation_table": {"variants": 52000, "lines": 320, "genes": 1490},
        "drug_selection": {"lines_in_table": 332, "drug_ids_in_table": 29, "kept": ["a"] * 22},
        "lines": {"study": 330, "with_all_configured_omics": 148},
        "interactome_pairs": 5000,
    }
    graphs = {"mut": {"features_in_graph": 432, "edges": 740}}
    table = table8(data_summary, graphs).set_index("dataset")
    assert table.loc["gene mutations", "as parsed"].startswith("320 cell lines, 1490 genes, "
                                                               "52,000 variants")
    assert table.loc["gene mutations", "in the graph"] == "432 features, 740 edges"
    assert table.loc["mRNA expression", "study (aligned, filtered)"] == \
        "280 cell lines, 1470 features"
    assert table.loc["IC50 responses", "study (aligned, filtered)"] == "330 cell lines, 22 drugs"
    assert table.loc["interactome", "as parsed"] == "5,000 unique gene pairs"
    assert table.loc["IC50 responses", "as parsed"] == "332 cell lines, 29 drug ids"
    by_name = {**data_summary,
               "drug_selection": {**data_summary["drug_selection"], "drugs_keyed_by": "name"}}
    assert table8(by_name, graphs).set_index("dataset").loc["IC50 responses", "as parsed"] == \
        "332 cell lines, 29 drugs"  # a custom response table names its drugs
    # the paper's 522 lines are those with its five omics, not with exp and mut
    assert table.loc["all configured omics", "paper"] == ""
    five = {**data_summary, "raw": dict.fromkeys(OMICS, [300, 100]),
            "features": dict.fromkeys(OMICS, {"lines": 280, "kept": 90})}
    assert table8(five, graphs).set_index("dataset").loc["all configured omics", "paper"] == \
        "522 cell lines"


def test_write_table_formats(tmp_path):
    paths = write_table(table1(summary()), tmp_path / "table1", "Table 1. test")
    assert [p.suffix for p in paths] == [".md", ".csv", ".tex"]
    assert paths[0].read_text().startswith("Table 1. test\n\n| omics")
    assert "$\\pm$" in paths[2].read_text() and "±" not in paths[2].read_text()
    assert len(pd.read_csv(paths[1])) == 8


def test_write_table_shows_each_float_column_to_one_number_of_decimals(tmp_path):
    """Table 4's R2 read 0.7 beside 0.64 in Markdown, and 0.700000 in LaTeX."""
    table = pd.DataFrame({"drug": ["a", "b", "c"], "R2": [0.64, 0.7, np.nan],
                          "n": [3, 12, 5], "goal": [0.5, 0.516, 1.0]})
    md, csv, tex = write_table(table, tmp_path / "t", "T")
    rows = [line.split("|")[1:-1] for line in md.read_text().splitlines()[4:]]
    assert [[c.strip() for c in row] for row in rows] == [
        ["a", "0.64", "3", "0.500"], ["b", "0.70", "12", "0.516"], ["c", "nan", "5", "1.000"]]
    latex = tex.read_text()
    assert "a & 0.64 & 3 & 0.500" in latex and "b & 0.70 & 12 & 0.516" in latex
    assert "c & NaN & 5 & 1.000" in latex and "00000" not in latex
    assert pd.read_csv(csv)["R2"].tolist()[:2] == [0.64, 0.7]


FIVE = "exp-mut-cnv-rppa-metabolites"
# every metric its own value, so a cell that reads the wrong column shows it
DISTINCT = {"mse": 1.0, "r2_per_drug_mean": 0.30, "r2_per_drug_median": 0.25,
            "r2_pooled": 0.60, "pearson_per_drug_mean": 0.55, "top1": 0.40, "top3": 0.80,
            "baseline_mse": 2.0, "baseline_r2_per_drug_mean": -0.05,
            "baseline_r2_per_drug_median": -0.03, "baseline_r2_pooled": 0.10,
            "baseline_pearson_per_drug_mean": np.nan, "baseline_top1": 0.20,
            "baseline_top3": 0.50}


def distinct_rows(kind, model, shift=0.0, **over):
    return [{"kind": kind, "model": model, "repeat": 0, "fold": f,
             **{k: (v + shift if k in ("mse", "r2_per_drug_mean") else v)
                for k, v in DISTINCT.items()}, **over} for f in range(3)]


def distinct_summary():
    out = []
    for omic, emb in (("exp", "graph"), ("exp", "dense"), ("rppa", "dense")):
        out += distinct_rows("single", f"{omic}-{emb}")
    out += distinct_rows("fusion", FIVE, 0.5) + distinct_rows("concatenation", FIVE, 0.2)
    out += distinct_rows("baseline", f"mkl:{FIVE}", 0.1, r2_per_drug_mean=0.15)
    out += distinct_rows("baseline", "mkl:exp", 0.1, r2_per_drug_mean=0.12)
    out += distinct_rows("baseline", "mkl:rppa", 0.1, r2_per_drug_mean=0.13)
    out += distinct_rows("baseline", "deepdr:exp-mut", 0.1)
    return pd.DataFrame(out)


def test_every_score_cell_reads_its_own_column():
    t1 = table1(distinct_summary()).set_index(["omics", "embedding"])
    row = t1.loc[("exp", "graph")]
    assert row["MSE"] == "1.00 ± 0.00" and row["R2 per drug"] == "0.30 ± 0.00"
    assert row["per-drug mean MSE"] == "2.00 ± 0.00"
    assert row["per-drug mean R2"] == "-0.05 ± 0.00"
    assert row["pooled R2"] == "0.60 ± 0.00"
    t5 = table5(distinct_summary(), {"exp": "graph"}).set_index("model")
    assert t5.loc["exp", ["top-1 (%)", "top-3 (%)", "per-drug mean top-1 (%)",
                          "per-drug mean top-3 (%)"]].tolist() == ["40 ± 0", "80 ± 0",
                                                                   "20 ± 0", "50 ± 0"]


def test_baselines_table_baseline_row_shows_the_baselines_own_scores():
    table = baselines_table(distinct_summary()).set_index("model")
    fused = table.loc[f"attention fusion ({FIVE})"]
    assert fused["median R2 per drug"] == "0.25 ± 0.00"
    assert fused["R2 per drug"] == "0.80 ± 0.00"
    mean_row = table.iloc[-1]
    assert mean_row[["MSE", "R2 per drug", "median R2 per drug", "pooled R2",
                     "Pearson per drug", "top-1 (%)", "top-3 (%)"]].tolist() == [
        "2.00 ± 0.00", "-0.05 ± 0.00", "-0.03 ± 0.00", "0.10 ± 0.00", "n/a", "20 ± 0",
        "50 ± 0"]


def test_table6_mkl_cells_are_the_comparators_and_paper_values_are_the_papers():
    table = table6(distinct_summary(), {"exp": "graph", "rppa": "dense"}).set_index("dataset")
    assert table.loc["exp", "ours R2"] == "0.30 ± 0.00"
    assert table.loc["exp", "MKL R2"] == "0.12 ± 0.00"
    assert table.loc["multi-omics", "MKL R2"] == "0.15 ± 0.00"
    # paper Table 6 as printed: RPPA ours 3.11 / -0.02, BEMKL 2.52 / 0.33
    assert table.loc["rppa", ["paper ours MSE", "paper ours R2", "paper BEMKL MSE",
                              "paper BEMKL R2"]].tolist() == [3.11, -0.02, 2.52, 0.33]
    assert table.loc["multi-omics", ["paper ours R2", "paper BEMKL R2"]].tolist() == [0.84, 0.34]


def test_table7_paper_rows_and_deepdr_label():
    table = table7(distinct_summary())
    assert table["paper MSE"].tolist() == ["0.28 ± 0.01", "3.02 ± 0.17"]
    assert table["paper R2"].tolist() == ["0.90 ± 0.01", "0.10 ± 0.02"]
    assert table.loc[1, "model"].startswith("DeepDR-style (exp-mut;")


def test_table1_dense_rows_get_the_papers_dense_values_and_a_fixed_order():
    summary = distinct_summary().iloc[::-1]  # groups met in another order
    table = table1(summary)
    assert list(zip(table["omics"], table["embedding"], strict=True)) == [
        ("exp", "dense"), ("exp", "graph"), ("rppa", "dense")]
    assert table["paper MSE"].tolist() == ["7.69 ± 4.05", "2.37 ± 0.16", "3.11 ± 0.19"]


def test_table3_ranks_by_r2_not_by_mse():
    summary = pd.DataFrame(distinct_rows("fusion", "exp-mut", 0.0, mse=0.5)
                           + distinct_rows("fusion", "mut-rppa", 0.2, mse=3.0))
    # mut-rppa: better R2 (0.50 vs 0.30) but worse MSE
    assert table3(summary)["omics combination"].tolist() == ["mut-rppa", "exp-mut"]


def test_table4_reads_the_fusion_only():
    per_drug = pd.DataFrame({
        "kind": ["fusion", "fusion", "concatenation", "concatenation"], "model": "exp-mut",
        "fold": [0, 1, 0, 1], "drug": "LGK974", "mse": [1.0, 1.0, 9.0, 9.0],
        "r2": 0.1, "baseline_mse": [3.0, 3.0, 3.0, 3.0]})
    drugs = pd.DataFrame({"drug": ["LGK974"], "target": ["PORCN"], "pathway": ["WNT"]})
    table = table4(per_drug, drugs, "exp-mut")
    assert table["MSE"].tolist() == [1.0]
    assert table["per-drug mean MSE"].tolist() == [3.0]


def test_leakage_audit_shows_each_protocols_own_r2_and_the_papers_r2():
    summary = distinct_summary()
    audit = summary.assign(r2_per_drug_mean=summary["r2_per_drug_mean"] + 0.4)
    table = leakage_audit_table(summary, audit, {"exp": "graph"}).set_index("model")
    assert table.loc[FIVE, "strict R2 per drug"] == "0.80 ± 0.00"
    assert table.loc[FIVE, "paper-protocol R2 per drug (audit)"] == "1.20 ± 0.00"
    assert table.loc[FIVE, "paper's published R2"] == "0.90 ± 0.01"
    assert table.loc["exp-graph", "paper's published R2"] == "0.24 ± 0.02"


def test_captions_and_figure_titles_say_when_the_folds_keep_tissues_apart():
    """A tissue-blind run's tables and figures read as the default split's without it."""
    from modrp.steps import caption_label, figure_where

    assert caption_label() == "" and figure_where("demo") == "demo, strict CV"
    assert caption_label(split="tissue").startswith("Tissue-blind cross-validation "
                                                    "(cv.split: tissue)")
    assert figure_where("demo", split="tissue") == "demo, strict CV, tissue-blind folds"
    both = caption_label("paper", "tissue")
    assert both.startswith("AUDIT, NOT A RESULT") and "Tissue-blind" in both
    assert figure_where("demo", "paper", "tissue") == \
        "demo, AUDIT: paper protocol, tissue-blind folds"
