"""The paper's tables from our cross-validated metrics, the published values beside ours.

Every table reports mean ± std over repeats x folds and the per-drug mean
baseline scored on the same test pairs, so a reader sees what the model adds.
Written as Markdown, CSV and LaTeX.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from modrp.io import atomic_path
from modrp.preprocess import OMICS

# Paper, Table 1: single omics, (MSE, R^2) as "mean ± std".
PAPER_TABLE1 = {
    ("exp", "dense"): ("7.69 ± 4.05", "-1.94 ± 1.76"),
    ("exp", "graph"): ("2.37 ± 0.16", "0.24 ± 0.02"),
    ("mut", "dense"): ("11.41 ± 1.86", "-3.42 ± 0.93"),
    ("mut", "graph"): ("3.25 ± 0.13", "-0.02 ± 0.01"),
    ("cnv", "dense"): ("13.32 ± 2.23", "-4.23 ± 0.93"),
    ("cnv", "graph"): ("3.32 ± 0.14", "-0.04 ± 0.03"),
    ("rppa", "dense"): ("3.11 ± 0.19", "-0.02 ± 0.05"),
    ("metabolites", "dense"): ("2.97 ± 0.13", "0.07 ± 0.01"),
}

# Paper, Table 2: all five omics, (MSE, R^2).
PAPER_TABLE2 = {
    "concatenation": ("2.42 ± 0.22", "0.65 ± 0.02"),
    "fusion": ("0.28 ± 0.01", "0.90 ± 0.01"),
}
TABLE2_LABELS = {"concatenation": "Multi-omics without attention layer",
                 "fusion": "Multi-omics with attention layer"}

# Paper, Table 3: the 26 fusions, (MSE, R^2).
PAPER_TABLE3 = {
    "mut-rppa": ("0.26 ± 0.01", "0.91 ± 0.01"),
    "exp-mut-rppa": ("0.27 ± 0.01", "0.90 ± 0.01"),
    "exp-mut": ("0.27 ± 0.01", "0.90 ± 0.01"),
    "mut-cnv-rppa": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "exp-mut-cnv-rppa": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "mut-rppa-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "mut-cnv": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "exp-mut-rppa-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "exp-mut-cnv": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "exp-mut-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "exp-mut-cnv-rppa-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "mut-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "mut-cnv-rppa-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "exp-mut-cnv-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "mut-cnv-metabolites": ("0.28 ± 0.01", "0.90 ± 0.01"),
    "exp-rppa": ("0.66 ± 0.04", "0.78 ± 0.02"),
    "exp-cnv-rppa": ("0.67 ± 0.04", "0.78 ± 0.02"),
    "cnv-rppa": ("0.67 ± 0.04", "0.78 ± 0.02"),
    "exp-rppa-metabolites": ("0.67 ± 0.04", "0.78 ± 0.02"),
    "exp-cnv-rppa-metabolites": ("0.67 ± 0.04", "0.78 ± 0.02"),
    "rppa-metabolites": ("0.67 ± 0.04", "0.78 ± 0.02"),
    "cnv-rppa-metabolites": ("0.67 ± 0.04", "0.78 ± 0.02"),
    "exp-cnv": ("1.08 ± 0.05", "0.65 ± 0.02"),
    "exp-cnv-metabolites": ("1.08 ± 0.05", "0.65 ± 0.02"),
    "exp-metabolites": ("1.08 ± 0.05", "0.65 ± 0.02"),
    "cnv-metabolites": ("1.84 ± 0.05", "0.44 ± 0.03"),
}


# Paper, Table 4: per-drug MSE of the fused model, best first.
PAPER_TABLE4_MSE = {
    "LGK974": 1.1, "EPZ004777": 1.2, "EPZ5676": 1.4, "GSK1904529A": 1.4, "MK-1775": 1.5,
    "Palbociclib": 2.1, "Afatinib": 2.2, "PD0325901": 2.3, "Linsitinib": 2.4,
    "Oxaliplatin": 2.5, "Sapatinib": 2.6, "PLX-4720": 2.6, "Alpelisib": 2.6,
    "SCH772984": 2.7, "MK-2206": 2.8, "Nutlin-3a (-)": 2.8, "5-Fluorouracil": 3.2,
    "Taselisib": 3.7, "Irinotecan": 3.8, "Luminespib": 4.0, "Trametinib": 4.1,
    "Camptothecin": 4.8,
}

# Paper, Table 5: top-1 and top-3 accuracy (%) of the most effective drug.
PAPER_TABLE5 = {
    "exp": (50, 89), "mut": (39, 84), "cnv": (39, 84), "metabolites": (49, 86),
    "rppa": (50, 91), "concatenation": (51, 87), "fusion": (91, 98),
}


# Paper, Table 8: the datasets as the paper describes them.
PAPER_TABLE8 = {
    "exp": "1210 cell lines, 19,145 genes",
    "mut": "1656 cell lines, 18,789 genes, 1,239,235 mutations",
    "rppa": "899 cell lines, 215 proteins",
    "metabolites": "928 cell lines, 227 metabolites",
    "cnv": "987 cell lines, 25,638 genes",
    "response": "810 cell lines, 175 drugs",
    "interactome": "62,345 binary protein pair interactions",
}
TABLE8_NAMES = {"exp": "mRNA expression", "mut": "gene mutations", "cnv": "CNV",
                "rppa": "RPPA", "metabolites": "metabolomics", "response": "IC50 responses",
                "interactome": "interactome"}


def mean_std(values: pd.Series, digits: int = 2) -> str:
    """``"0.27 ± 0.01"`` over repeats x folds (population std, as for a set of folds);
    ``"n/a"`` where no value is defined (top-3 accuracy when no line has more than three
    measured drugs), ``"0.27 ± 0.01 (2 of 3)"`` where only some are, and no
    minus sign on a number that rounds to zero."""
    defined = int(values.notna().sum())
    if not defined:
        return "n/a"
    text = f"{decimals(values.mean(), digits)} ± {decimals(values.std(ddof=0), digits)}"
    return text if defined == len(values) else f"{text} ({defined} of {len(values)})"


def decimals(value: float, digits: int = 2) -> str:
    """``value`` to ``digits`` decimals, without a minus sign when it rounds to zero
    (no "-0.00"); for the tables and the figures' annotations."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _scored(summary: pd.DataFrame, kind: str):
    return summary[summary["kind"] == kind].groupby("model", sort=False)


def _scores(group: pd.DataFrame) -> dict[str, str]:
    return {
        "MSE": mean_std(group["mse"]), "R2 per drug": mean_std(group["r2_per_drug_mean"]),
        "per-drug mean MSE": mean_std(group["baseline_mse"]),
        "per-drug mean R2": mean_std(group["baseline_r2_per_drug_mean"]),
        "pooled R2": mean_std(group["r2_pooled"]),
    }


def table1(summary: pd.DataFrame) -> pd.DataFrame:
    """Single omics, graph vs dense embedding (paper Table 1)."""
    rows = []
    for model, group in _scored(summary, "single"):
        omic, embedding = model.rsplit("-", 1)
        paper = PAPER_TABLE1.get((omic, embedding), ("", ""))
        rows.append({
            "omics": omic, "embedding": embedding,
            **_scores(group), "paper MSE": paper[0], "paper R2": paper[1],
        })
    order = {o: i for i, o in enumerate(OMICS)}
    table = pd.DataFrame(rows).assign(_order=lambda t: t["omics"].map(order))
    return table.sort_values(["_order", "embedding"]).drop(columns="_order").reset_index(drop=True)


def table2(summary: pd.DataFrame) -> pd.DataFrame:
    """The combination of all configured omics without and with attention (paper Table 2)."""
    concatenated = summary[summary["kind"] == "concatenation"]
    if concatenated.empty:
        raise ValueError("Table 2 needs the concatenation model's metrics")
    combination = concatenated["model"].iloc[0]
    rows = []
    for kind in ("concatenation", "fusion"):
        group = summary[(summary["kind"] == kind) & (summary["model"] == combination)]
        paper = PAPER_TABLE2[kind] if _is_paper_fusion(combination) else ("", "")
        rows.append({"model": TABLE2_LABELS[kind], "omics": combination, **_scores(group),
                     "paper MSE": paper[0], "paper R2": paper[1]})
    return pd.DataFrame(rows)


def table4(per_drug: pd.DataFrame, drugs: pd.DataFrame, combination: str) -> pd.DataFrame:
    """Per-drug test MSE of the attention fusion of ``combination``, best first (Table 4);
    the paper's MSE beside it only when ``combination`` is the paper's five omics, as in
    the other tables."""
    scored = per_drug[(per_drug["kind"] == "fusion") & (per_drug["model"] == combination)]
    if scored.empty:
        raise ValueError(f"Table 4: no per-drug metrics for the fusion {combination!r}")
    grouped = scored.groupby("drug")
    annotations = drugs.set_index("drug")
    table = pd.DataFrame({
        "MSE": grouped["mse"].mean(),
        "MSE std": grouped["mse"].std(ddof=0),
        "R2": grouped["r2"].mean(),
        "per-drug mean MSE": grouped["baseline_mse"].mean(),
    }).sort_values("MSE")
    table["drug"] = table.index
    table["putative target"] = table["drug"].map(annotations["target"])
    table["pathway"] = table["drug"].map(annotations["pathway"])
    table["paper MSE"] = (table["drug"].map(PAPER_TABLE4_MSE)
                          if _is_paper_fusion(combination) else "")
    columns = ["drug", "putative target", "pathway", "MSE", "MSE std", "R2",
               "per-drug mean MSE", "paper MSE"]
    return table[columns].round(2).reset_index(drop=True)


def table5(summary: pd.DataFrame, embedding: dict[str, str]) -> pd.DataFrame:
    """Top-1 / top-3 accuracy (%) of the most effective drug per cell line (Table 5).

    Single omics use the embedding the fusion uses; the fused rows use all omics.
    """
    full = summary.loc[summary["kind"] == "concatenation", "model"]
    rows = []
    candidates = [("single", f"{omic}-{kind}", omic) for omic, kind in embedding.items()]
    if not full.empty:
        candidates += [("concatenation", full.iloc[0], "concatenation"),
                       ("fusion", full.iloc[0], "fusion")]
    for kind, model, label in candidates:
        group = summary[(summary["kind"] == kind) & (summary["model"] == model)]
        if group.empty:
            continue
        paper = PAPER_TABLE5.get(label, ("", "")) \
            if kind == "single" or _is_paper_fusion(model) else ("", "")
        rows.append({
            "model": label if kind == "single" else TABLE2_LABELS[kind], "name in results": model,
            "top-1 (%)": mean_std(100 * group["top1"], 0),
            "top-3 (%)": mean_std(100 * group["top3"], 0),
            "per-drug mean top-1 (%)": mean_std(100 * group["baseline_top1"], 0),
            "per-drug mean top-3 (%)": mean_std(100 * group["baseline_top3"], 0),
            "paper top-1 (%)": paper[0], "paper top-3 (%)": paper[1],
        })
    return pd.DataFrame(rows)


def table8(data_summary: dict, graph_stats: dict[str, dict]) -> pd.DataFrame:
    """Dataset sizes as found in our data, before and after the filters (paper Table 8)."""
    rows = []
    for omic, (lines, features) in data_summary.get("raw", {}).items():
        kept = data_summary["features"][omic]
        raw = f"{lines} cell lines, {features} features"
        if omic == "mut" and "mutation_table" in data_summary:
            table = data_summary["mutation_table"]
            raw = (f"{table['lines']} cell lines, {table['genes']} genes, "
                   f"{table['variants']:,} variants ({lines} lines mapped to GDSC, "
                   f"{features} genes with a counted mutation)")
        graph = graph_stats.get(omic)
        rows.append({
            "dataset": TABLE8_NAMES[omic], "as parsed": raw,
            "study (aligned, filtered)": f"{kept['lines']} cell lines, {kept['kept']} features",
            "in the graph": (f"{graph['features_in_graph']} features, {graph['edges']} edges"
                             if graph else ""),
            "paper": PAPER_TABLE8[omic],
        })
    drugs = data_summary["drug_selection"]
    # GDSC counts drug ids (a name may have two); a custom table, drugs by name
    unit = "drugs" if drugs.get("drugs_keyed_by") == "name" else "drug ids"
    rows.append({
        "dataset": TABLE8_NAMES["response"],
        "as parsed": f"{drugs['lines_in_table']} cell lines, {drugs['drug_ids_in_table']} {unit}",
        "study (aligned, filtered)": f"{data_summary['lines']['study']} cell lines, "
                                     f"{len(drugs['kept'])} drugs",
        "in the graph": "", "paper": PAPER_TABLE8["response"],
    })
    if "interactome_pairs" in data_summary:
        rows.append({"dataset": TABLE8_NAMES["interactome"],
                     "as parsed": f"{data_summary['interactome_pairs']:,} unique gene pairs",
                     "study (aligned, filtered)": "", "in the graph": "",
                     "paper": PAPER_TABLE8["interactome"]})
    # the paper's 522 lines have all five of its omics: no match for fewer omics
    paper_omics = set(data_summary.get("raw", {})) == set(OMICS)
    rows.append({"dataset": "all configured omics",
                 "as parsed": "",
                 "study (aligned, filtered)":
                     f"{data_summary['lines']['with_all_configured_omics']} cell lines",
                 "in the graph": "", "paper": "522 cell lines" if paper_omics else ""})
    return pd.DataFrame(rows)


def table3(summary: pd.DataFrame) -> pd.DataFrame:
    """Every fused combination, ranked by per-drug R^2 (paper Table 3)."""
    rows = []
    for model, group in _scored(summary, "fusion"):
        paper = _paper_table3(model)
        rows.append({
            "omics combination": model, "_rank": group["r2_per_drug_mean"].mean(),
            **_scores(group), "paper MSE": paper[0], "paper R2": paper[1],
        })
    table = pd.DataFrame(rows).sort_values("_rank", ascending=False).drop(columns="_rank")
    return table.reset_index(drop=True)


def _paper_table3(combination: str) -> tuple[str, str]:
    """The paper's (MSE, R2) of a fused combination, whatever order its omics are named
    in (the configured order of ``omics`` names the combinations); blanks if none."""
    omics = frozenset(combination.split("-"))
    return next((value for name, value in PAPER_TABLE3.items()
                 if frozenset(name.split("-")) == omics), ("", ""))


# Paper, Table 6: ours vs BEMKL, (MSE, R^2) per dataset.
PAPER_TABLE6 = {
    "exp": ((2.37, 0.24), (2.37, 0.31)), "mut": ((3.25, -0.02), (3.31, 0.02)),
    "cnv": ((3.32, -0.04), (4.51, -0.22)), "rppa": ((3.11, -0.02), (2.52, 0.33)),
    "metabolites": ((2.97, 0.07), (3.25, 0.10)), "multi-omics": ((0.46, 0.84), (2.32, 0.34)),
}
# Paper, Table 7: ours vs DeepDR, (MSE, R^2).
PAPER_TABLE7 = {"ours": ("0.28 ± 0.01", "0.90 ± 0.01"), "deepdr": ("3.02 ± 0.17", "0.10 ± 0.02")}

COMPARATOR_LABELS = {
    "tissue_drug_mean": "tissue x drug mean", "elastic_net": "elastic net per drug",
    "random_forest": "random forest (multi-output)", "mkl": "multiple-kernel (BEMKL-style)",
    "deepdr": "DeepDR-style autoencoder network",
}


def comparator_label(method: str, omics: str) -> str:
    """A comparator's label: its method and the omics it reads ("-" joins them), none
    for the tissue x drug mean, which reads each line's tissue only."""
    reads = "tissue, no omics" if method == "tissue_drug_mean" else omics
    return f"{_method_label(method)} ({reads})"


def _method_label(method: str) -> str:
    return COMPARATOR_LABELS.get(method, method.replace("_", " "))


def _group(summary: pd.DataFrame, kind: str, model: str) -> pd.DataFrame:
    return summary[(summary["kind"] == kind) & (summary["model"] == model)]


def _is_paper_fusion(combination: str) -> bool:
    """Whether a fused model combines the paper's five omics, the only fusion the paper
    published numbers for."""
    return set(combination.split("-")) == set(OMICS)


def _all_omics(summary: pd.DataFrame) -> str:
    """The fused combination with the most omics (the combination of all configured omics)."""
    fused = summary.loc[summary["kind"] == "fusion", "model"].unique()
    if len(fused) == 0:
        raise ValueError("no fused model in the metrics")
    return max(fused, key=lambda m: len(m.split("-")))


def table6(summary: pd.DataFrame, embedding: dict[str, str]) -> pd.DataFrame:
    """Each omic alone and all omics: our model vs the multiple-kernel comparator (Table 6)."""
    rows = []
    full = _all_omics(summary)
    pairs = [(omic, ("single", f"{omic}-{kind}"), ("baseline", f"mkl:{omic}"))
             for omic, kind in embedding.items()]
    pairs.append(("multi-omics", ("fusion", full), ("baseline", f"mkl:{full}")))
    for label, ours_key, mkl_key in pairs:
        ours, mkl = _group(summary, *ours_key), _group(summary, *mkl_key)
        if ours.empty or mkl.empty:
            continue
        paper_ours, paper_mkl = PAPER_TABLE6.get(label, (("", ""), ("", ""))) \
            if label != "multi-omics" or _is_paper_fusion(full) else (("", ""), ("", ""))
        rows.append({
            "dataset": label, "ours": ours_key[1],
            "ours MSE": mean_std(ours["mse"]), "ours R2": mean_std(ours["r2_per_drug_mean"]),
            "MKL MSE": mean_std(mkl["mse"]), "MKL R2": mean_std(mkl["r2_per_drug_mean"]),
            "per-drug mean MSE": mean_std(ours["baseline_mse"]),
            "per-drug mean R2": mean_std(ours["baseline_r2_per_drug_mean"]),
            "paper ours MSE": paper_ours[0], "paper ours R2": paper_ours[1],
            "paper BEMKL MSE": paper_mkl[0], "paper BEMKL R2": paper_mkl[1],
        })
    if not rows:
        raise ValueError("Table 6 needs the multiple-kernel comparator's metrics (baselines: mkl)")
    return pd.DataFrame(rows)


def table7(summary: pd.DataFrame) -> pd.DataFrame:
    """The attention fusion of all omics vs the DeepDR-style comparator (Table 7)."""
    full = _all_omics(summary)
    deepdr = summary[(summary["kind"] == "baseline")
                     & summary["model"].str.startswith("deepdr:")]
    if deepdr.empty:
        raise ValueError("Table 7 needs the DeepDR-style comparator's metrics (baselines: deepdr)")
    ours = _group(summary, "fusion", full)
    rows = [
        {"model": f"attention fusion ({full})", **_scores(ours),
         **({"paper MSE": PAPER_TABLE7["ours"][0], "paper R2": PAPER_TABLE7["ours"][1]}
            if _is_paper_fusion(full) else {"paper MSE": "", "paper R2": ""})},
        {"model": _own_lines_label("DeepDR-style", deepdr["model"].iloc[0].split(":")[1]),
         **_scores(deepdr),
         "paper MSE": PAPER_TABLE7["deepdr"][0], "paper R2": PAPER_TABLE7["deepdr"][1]},
    ]
    return pd.DataFrame(rows)


def _own_lines_label(label: str, omics: str) -> str:
    """A comparator that reads fewer omics is scored on every test line having those,
    more lines than the all-omics models: its label says so."""
    return f"{label} ({omics}; on the test lines with {omics.replace('-', ', ')})"


def _row(label: str, group: pd.DataFrame, baseline: bool = False) -> dict[str, str]:
    prefix = "baseline_" if baseline else ""
    return {
        "model": label,
        "MSE": mean_std(group[f"{prefix}mse"]),
        "R2 per drug": mean_std(group[f"{prefix}r2_per_drug_mean"]),
        "median R2 per drug": mean_std(group[f"{prefix}r2_per_drug_median"]),
        "pooled R2": mean_std(group[f"{prefix}r2_pooled"]),
        "Pearson per drug": mean_std(group[f"{prefix}pearson_per_drug_mean"]),
        "top-1 (%)": mean_std(100 * group[f"{prefix}top1"], 0),
        "top-3 (%)": mean_std(100 * group[f"{prefix}top3"], 0),
    }


def baselines_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Our models and every comparator on the lines with all omics, the per-drug mean last.

    Ours are the attention fusion of all omics and its concatenation; with one omic
    configured (no fusion), the single-omics models of that omic, whose test lines are
    then the comparators' too.
    """
    if (summary["kind"] == "fusion").any():
        full = _all_omics(summary)
        ours = [(f"attention fusion ({full})", _group(summary, "fusion", full)),
                (f"concatenation, no attention ({full})",
                 _group(summary, "concatenation", full))]
        mean_label = "per-drug mean (training lines; on the fusion's pairs)"
    else:
        singles = sorted(summary.loc[summary["kind"] == "single", "model"].unique())
        omics = {model.rsplit("-", 1)[0] for model in singles}
        if len(omics) != 1:
            raise ValueError("the baselines table needs a fused model, or the single-omics "
                             f"models of one omic (found {sorted(omics) or 'none'})")
        full = omics.pop()
        ours = [(f"{model.rsplit('-', 1)[1]} embedding ({full})",
                 _group(summary, "single", model)) for model in singles]
        mean_label = f"per-drug mean (training lines; on {singles[0]}'s pairs)"
    rows = [_row(label, group) for label, group in ours if not group.empty]
    comparators = summary[summary["kind"] == "baseline"]
    for model, group in comparators.groupby("model", sort=True):
        method, omics = model.split(":")
        if omics != full and method != "deepdr":
            continue  # single-omic MKL runs belong to Table 6
        rows.append(_row(comparator_label(method, omics) if omics == full else
                         _own_lines_label(_method_label(method), omics),
                         group))
    rows.append(_row(mean_label, ours[0][1], baseline=True))
    return pd.DataFrame(rows)


def leakage_audit_table(summary: pd.DataFrame, audit: pd.DataFrame,
                        embedding: dict[str, str]) -> pd.DataFrame:
    """AUDIT: the same models under the strict protocol and under the paper's likely one
    (subnetworks pretrained on every line, test folds included), with the per-drug mean."""
    full = _all_omics(summary)
    keys = [("single", f"{omic}-{kind}") for omic, kind in embedding.items()]
    keys.append(("fusion", full))
    rows = []
    for kind, model in keys:
        strict, leaky = _group(summary, kind, model), _group(audit, kind, model)
        if strict.empty or leaky.empty:
            continue
        if kind == "single":
            omic, emb = model.rsplit("-", 1)
            paper = PAPER_TABLE1.get((omic, emb), ("", ""))[1]
        else:
            paper = PAPER_TABLE2["fusion"][1] if _is_paper_fusion(model) else ""
        rows.append({
            "model": model,
            "strict R2 per drug": mean_std(strict["r2_per_drug_mean"]),
            "paper-protocol R2 per drug (audit)": mean_std(leaky["r2_per_drug_mean"]),
            "strict pooled R2": mean_std(strict["r2_pooled"]),
            "paper-protocol pooled R2 (audit)": mean_std(leaky["r2_pooled"]),
            "strict MSE": mean_std(strict["mse"]),
            "paper-protocol MSE (audit)": mean_std(leaky["mse"]),
            "per-drug mean R2 per drug": mean_std(strict["baseline_r2_per_drug_mean"]),
            "per-drug mean pooled R2": mean_std(strict["baseline_r2_pooled"]),
            "paper's published R2": paper,
        })
    if not rows:
        raise ValueError("the leakage audit has no model scored under both protocols")
    return pd.DataFrame(rows)


def _column_decimals(column: pd.Series, most: int = 6) -> int:
    """The fewest decimals that write every value of a float column as it is held (the
    tables round before they are written), so that 0.7 and 0.64 read 0.70 and 0.64."""
    values = column.dropna().to_numpy(dtype=float)
    return next((d for d in range(most) if np.allclose(values, np.round(values, d),
                                                         rtol=0, atol=1e-9)), most)


def write_table(table: pd.DataFrame, stem: Path, caption: str) -> list[Path]:
    """Write ``stem``.md, .csv and .tex; returns the paths.  In Markdown and LaTeX each
    float column shows one number of decimals (the CSV keeps the values as they are)."""
    stem = Path(stem)
    paths = [stem.with_suffix(s) for s in (".md", ".csv", ".tex")]
    decimals = {c: _column_decimals(table[c]) for c in table.columns
                if pd.api.types.is_float_dtype(table[c])}
    floatfmt = [f".{decimals[c]}f" if c in decimals else "g" for c in table.columns]
    with atomic_path(paths[0]) as tmp:
        tmp.write_text(f"{caption}\n\n{table.to_markdown(index=False, floatfmt=floatfmt)}\n")
    with atomic_path(paths[1]) as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(paths[2]) as tmp:
        formatters = {c: (lambda v, d=d: "NaN" if pd.isna(v) else f"{v:.{d}f}")
                      for c, d in decimals.items()}
        latex = table.to_latex(index=False, caption=caption, escape=True,
                               formatters=formatters)
        tmp.write_text(latex.replace("±", r"$\pm$").replace("−", "$-$"))
    return paths
