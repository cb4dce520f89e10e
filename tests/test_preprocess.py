"""The paper's filters at their boundaries, id mapping, and the assembled study tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import write_csv

from modrp.config import validate_config
from modrp.errors import InputError
from modrp.preprocess import (
    _drugs_left_out,
    _reindex_by_cosmic,
    drop_mostly_zero_features,
    load_custom_files,
    load_source_files,
    match_ccle_lines,
    matched_lines,
    matching_summary,
    mutation_matrix,
    select_drugs,
    write_study_data,
)
from modrp.sources.gdsc import CNV_AMPLIFICATION, CNV_HOMOZYGOUS_DELETION


def map_ccle_lines(sample_info: pd.DataFrame, gdsc_names: pd.DataFrame) -> pd.DataFrame:
    """The matched lines, as load_source_files uses them."""
    return matched_lines(match_ccle_lines(sample_info, gdsc_names))


def source_config(**overrides):
    config = {"dataset": "t", "data": {"source": "demo"}}
    config.update(overrides)
    return validate_config(config)


def test_zero_filter_boundary():
    # 20 lines: column a is zero in 19 (95%: kept), b in 20 (100%: dropped), c in 18.
    frame = pd.DataFrame({"a": [0.0] * 19 + [1.0], "b": [0.0] * 20, "c": [0.0] * 18 + [2.0, 3.0]})
    assert drop_mostly_zero_features(frame, 0.95).columns.tolist() == ["a", "c"]
    assert drop_mostly_zero_features(frame, 0.90).columns.tolist() == ["c"]


def test_zero_filter_just_above_threshold_drops():
    # 21 lines, 20 zeros = 95.24% > 95%.
    frame = pd.DataFrame({"a": [0.0] * 20 + [1.0]})
    assert drop_mostly_zero_features(frame, 0.95).shape[1] == 0


def test_mutation_matrix_ignores_excluded_classes():
    variants = pd.DataFrame({
        "line": ["x", "x", "y", "z"],
        "gene": ["TP53", "KRAS", "KRAS", "EGFR"],
        "variant_classification": ["Missense_Mutation", "Silent", "Nonsense_Mutation", "Intron"],
        "is_deleterious": [True, False, False, True],
    })
    matrix = mutation_matrix(variants, ["Silent", "Intron"])
    assert matrix.index.tolist() == ["x", "y", "z"]  # z is profiled, with no counted mutation
    assert matrix.columns.tolist() == ["KRAS", "TP53"]
    assert matrix.loc["x"].tolist() == [0.0, 1.0]
    assert matrix.loc["y"].tolist() == [1.0, 0.0]
    assert matrix.loc["z"].tolist() == [0.0, 0.0]
    deleterious = mutation_matrix(variants, ["Silent", "Intron"], deleterious_only=True)
    assert deleterious.columns.tolist() == ["TP53"]


def _responses(coverages: dict[tuple[int, str], int], n_lines: int = 20) -> pd.DataFrame:
    rows = []
    for (drug_id, drug), n in coverages.items():
        rows += [{"cell_line": f"L{i}", "drug_id": drug_id, "drug": drug, "ln_ic50": 1.0}
                 for i in range(n)]
    rows += [{"cell_line": f"L{i}", "drug_id": 999, "drug": "filler", "ln_ic50": 0.0}
             for i in range(n_lines) if i < 1]
    frame = pd.DataFrame(rows)
    # make sure all n_lines lines exist in the table
    extra = [{"cell_line": f"L{i}", "drug_id": 998, "drug": "everywhere", "ln_ic50": 0.0}
             for i in range(n_lines)]
    return pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)


def test_drug_selection_boundary_and_duplicate_ids():
    table = _responses({(1, "A"): 19, (2, "B"): 20, (3, "C"): 18, (4, "Ox"): 20, (5, "Ox"): 5})
    chosen = select_drugs(table, min_coverage=0.95, max_drugs=22)
    # 19/20 = 95% is not more than 95%: A is dropped; Ox keeps its well-covered id.
    assert sorted(chosen["drug"]) == ["B", "Ox", "everywhere"]
    assert chosen.set_index("drug").loc["Ox", "drug_id"] == 4
    # Both ids of Ox pass 50%; the name keeps its best-covered id (18/20), not the other
    # (12/20), whatever their order in the table.
    table = _responses({(4, "Ox"): 12, (5, "Ox"): 18, (6, "C"): 16})
    chosen = select_drugs(table, min_coverage=0.5, max_drugs=22).set_index("drug")
    assert chosen.index.tolist() == ["C", "everywhere", "Ox"]
    assert chosen.loc["Ox", "drug_id"] == 5 and chosen.loc["Ox", "coverage"] == 18 / 20
    # The cap keeps the best-covered drugs: 20, 19 and 17 of 20 lines, not 15 or 12.
    table = _responses({(10, "P"): 19, (11, "Q"): 17, (12, "R"): 15, (13, "S"): 12})
    assert select_drugs(table, 0.5, max_drugs=3)["drug"].tolist() == ["everywhere", "P", "Q"]


def test_drugs_left_out_are_named_with_their_coverage(caplog):
    table = _responses({(1, "A"): 19, (2, "B"): 20, (3, "C"): 18, (4, "Ox"): 20, (5, "Ox"): 5})
    # B (id 2), Ox (ids 4, 5) and "everywhere" (id 998) cover every line: the cap of 2
    # keeps the lower ids, B and Ox
    chosen = select_drugs(table, min_coverage=0.95, max_drugs=2)
    assert chosen["drug"].tolist() == ["B", "Ox"]
    with caplog.at_level("INFO", logger="modrp.preprocess"):
        left_out = _drugs_left_out(table, chosen, 0.95)
    # each name once, at its best id's coverage; Ox's poorly covered id 5 is not listed
    assert left_out == {"below_min_coverage": {"A": 0.95, "C": 0.9, "filler": 0.05},
                        "beyond_max_drugs": {"everywhere": 1.0}}
    assert "drugs left out, measured on at most 95% of the lines (drugs.min_coverage): 3, " \
        "best covered A (95.00%), C (90.00%), filler (5.00%)" in caplog.text
    assert "drugs left out, beyond drugs.max_drugs: 1, best covered everywhere (100.00%)" \
        in caplog.text


def test_map_by_cosmic_then_name_and_ambiguous_names_left_out():
    info = pd.DataFrame({
        "depmap_id": ["ACH-1", "ACH-2", "ACH-3"],
        "ccle_name": ["NCIH508_LARGE_INTESTINE", "HS578T_BREAST", "KMH2_HAEMATOPOIETIC"],
        "stripped_name": ["NCIH508", "HS578T", "KMH2"],
        "cosmic_id": ["905940", None, None],
    })
    gdsc = pd.DataFrame({"cosmic_id": ["905940", "905957", "1", "2"],
                         "name": ["NCI-H508", "Hs-578-T", "KM-H2", "KMH-2"]})
    mapped = map_ccle_lines(info, gdsc).set_index("depmap_id")
    assert mapped.loc["ACH-1", "cosmic_id"] == "905940"
    assert mapped.loc["ACH-1", "matched_by"] == "cosmic_id"
    assert mapped.loc["ACH-2", "cosmic_id"] == "905957"
    assert mapped.loc["ACH-2", "matched_by"] == "name"
    assert "ACH-3" not in mapped.index  # KM-H2 and KMH-2 both normalise to KMH2


def _info(*lines):
    return pd.DataFrame(lines, columns=["depmap_id", "ccle_name", "stripped_name", "cosmic_id"])


def test_exact_cosmic_match_wins_over_an_earlier_name_match(caplog):
    # ACH-1 (no COSMIC id) matches GDSC Hs-578-T by name; ACH-2 lists that line's COSMIC id.
    info = _info(("ACH-1", "HS578T_BREAST", "HS578T", None),
                 ("ACH-2", "HS578TX_BREAST", "HS578TX", "905957"))
    gdsc = pd.DataFrame({"cosmic_id": ["905957"], "name": ["Hs-578-T"]})
    with caplog.at_level("WARNING"):
        mapped = map_ccle_lines(info, gdsc)
    assert mapped[["depmap_id", "cosmic_id", "matched_by"]].values.tolist() == [
        ["ACH-2", "905957", "cosmic_id"]]
    assert "1 CCLE line(s) left unmatched: they match by name a GDSC line that another CCLE " \
        "line matches by COSMIC id: HS578T_BREAST" in caplog.text
    counts = matching_summary(match_ccle_lines(info, gdsc))
    assert counts["unmatched"]["gdsc_line_matched_by_cosmic_id"] == 1


def test_a_name_shared_by_two_ccle_lines_matches_neither(caplog):
    info = _info(("ACH-1", "PC37_SKIN", "PC37", None), ("ACH-2", "PC37_LUNG", "PC37", None),
                 ("ACH-3", "CAL51_BREAST", "CAL51", None))
    gdsc = pd.DataFrame({"cosmic_id": ["7", "910927"], "name": ["PC-37", "CAL-51"]})
    with caplog.at_level("WARNING"):
        mapped = map_ccle_lines(info, gdsc)
    assert mapped["depmap_id"].tolist() == ["ACH-3"]
    assert "2 CCLE line(s) left unmatched: they share their normalised name with another CCLE " \
        "line: PC37_SKIN, PC37_LUNG" in caplog.text
    counts = matching_summary(match_ccle_lines(info, gdsc))
    assert counts["unmatched"]["name_shared_by_several_ccle_lines"] == 2
    assert counts["matched_by_name"] == 1
    # a model of a newer release without a CCLE name is named by its DepMap id
    caplog.clear()
    with caplog.at_level("WARNING"):
        map_ccle_lines(_info(("ACH-1", "PC37_SKIN", "PC37", None),
                             ("ACH-2", None, "PC37", None)), gdsc)
    assert "share their normalised name with another CCLE line: PC37_SKIN, ACH-2" in caplog.text


def test_a_cosmic_id_gdsc_lacks_falls_back_to_the_name(caplog):
    info = _info(("ACH-1", "NCIH508_LARGE_INTESTINE", "NCIH508", "999999"),
                 ("ACH-2", "ONLYCCLE_LUNG", "ONLYCCLE", "888888"))
    gdsc = pd.DataFrame({"cosmic_id": ["905940"], "name": ["NCI-H508"]})
    with caplog.at_level("INFO"):
        mapped = map_ccle_lines(info, gdsc)
    assert mapped.values.tolist() == [["ACH-1", "NCIH508_LARGE_INTESTINE", "905940", "name"]]
    assert "2 have a COSMIC id that GDSC lacks (1 of them matched by name)" in caplog.text
    counts = matching_summary(match_ccle_lines(info, gdsc))
    assert counts["cosmic_id_not_in_gdsc"] == 2
    assert counts["cosmic_id_not_in_gdsc_matched_by_name"] == 1
    assert counts["unmatched"]["not_in_gdsc"] == 1


def test_load_source_files(mini_sources):
    data = load_source_files(mini_sources, source_config())
    assert sorted(data.omics) == ["cnv", "exp", "metabolites", "mut", "rppa"]
    # Hs-578-T has no COSMIC id in sample_info: matched by name to 905957.
    assert "905957" in data.omics["exp"].index
    assert data.omics["exp"].index.tolist() == sorted(data.omics["exp"].index)
    # KRAS is silent in its only NCI-H508 variant, mutated in SW48; EGFR only intronic.
    mut = data.omics["mut"]
    assert "EGFR" not in mut.columns
    assert mut.loc["905940", "KRAS"] == 0.0 and mut.loc["909751", "KRAS"] == 1.0
    assert data.response.columns.tolist() == ["Afatinib", "Trametinib"]  # Cisplatin 75%
    assert data.drugs.set_index("drug").loc["Trametinib", "target"] == "MEK1, MEK2"
    lines = data.cell_lines.set_index("cell_line")
    assert bool(lines.loc["905957", "has_metabolites"]) is True
    assert bool(lines.loc["909751", "has_metabolites"]) is False
    assert lines.loc["905957", "matched_by"] == "name"
    assert lines.loc["910927", "tissue"] == "breast"
    rppa_genes = data.feature_genes[data.feature_genes["omic"] == "rppa"]
    assert sorted(rppa_genes[rppa_genes["feature"] == "Akt_pS473"]["gene"]) == [
        "AKT1", "AKT2", "AKT3"]
    assert data.interactome is not None and len(data.interactome) == 3
    # CNV unknown (-1) cells become neutral; the all-zero KRAS expression column is dropped
    assert not data.omics["cnv"].isna().any().any()
    assert "KRAS" not in data.omics["exp"].columns
    assert data.summary["features"]["exp"]["dropped_by_zero_rule"] == 1
    matching = data.summary["cell_line_matching"]
    assert (matching["sample_info_lines"], matching["matched_by_cosmic_id"],
            matching["matched_by_name"], matching["cosmic_id_not_in_gdsc"]) == (4, 3, 1, 0)
    assert sum(matching["unmatched"].values()) == 0
    assert data.summary["drug_selection"]["repeated_measurements_averaged"] == 0


def test_repeated_measurements_are_averaged_with_a_warning(mini_sources, caplog):
    table = pd.read_excel(mini_sources["dose_response"], engine="calamine")
    first = table.iloc[0]
    assert (first["COSMIC_ID"], first["DRUG_NAME"], first["LN_IC50"]) == (905940, "Afatinib", -1)
    table = pd.concat([table, table.iloc[[0]].assign(LN_IC50=-2.0)], ignore_index=True)
    path = mini_sources["dose_response"].with_suffix(".csv")
    table.to_csv(path, index=False)
    with caplog.at_level("WARNING"):
        data = load_source_files({**mini_sources, "dose_response": path}, source_config())
    assert data.response.loc["905940", "Afatinib"] == pytest.approx(-1.5)
    assert "1 (cell line, drug id) pair(s) of the selected drugs are measured more than once" \
        in caplog.text
    assert data.summary["drug_selection"]["repeated_measurements_averaged"] == 1


def test_write_study_data(mini_sources, tmp_path):
    data = load_source_files(mini_sources, source_config())
    write_study_data(data, tmp_path / "data")
    exp = pd.read_parquet(tmp_path / "data" / "omics" / "exp.parquet")
    assert exp.dtypes.unique().tolist() == [np.float32]
    assert exp.index.name == "cell_line"
    response = pd.read_parquet(tmp_path / "data" / "response.parquet")
    assert response.index.tolist() == sorted(response.index)
    assert not list((tmp_path / "data").rglob("*.tmp"))


def test_no_overlap_between_omics_and_responses(tmp_path):
    write_csv(tmp_path / "exp.csv", ["id", "TP53"], [["a", 1.0], ["b", 2.0]])
    write_csv(tmp_path / "resp.csv", ["cell_line", "drug", "ln_ic50"], [["x", "D", 1.0]])
    config = validate_config({
        "dataset": "t", "omics": ["exp"], "embedding": {"exp": "dense"},
        "data": {"source": "custom", "custom": {"omics": {"exp": str(tmp_path / "exp.csv")},
                                                "response": str(tmp_path / "resp.csv")}}})
    with pytest.raises(InputError, match="no cell line has both omics and drug responses"):
        load_custom_files(config["data"]["custom"], config)


def test_custom_source_subset_of_omics(tmp_path):
    rng = np.random.default_rng(0)
    ids = [f"c{i}" for i in range(30)]
    mut = pd.DataFrame(rng.integers(0, 2, (30, 4)).astype(float), index=ids,
                       columns=["TP53", "KRAS", "EGFR", "RARE"])
    mut["RARE"] = 0.0
    mut.index.name = "id"
    mut.to_csv(tmp_path / "mut.csv")
    long = pd.DataFrame([{"cell_line": c, "drug": d, "ln_ic50": rng.normal()}
                         for c in ids for d in ("D1", "D2")])
    long.to_parquet(tmp_path / "resp.parquet")
    pd.DataFrame({"gene_a": ["TP53"], "gene_b": ["KRAS"]}).to_csv(tmp_path / "edges.tsv",
                                                                  sep="\t", index=False)
    config = validate_config({
        "dataset": "t", "omics": ["mut"],
        "data": {"source": "custom", "custom": {
            "omics": {"mut": str(tmp_path / "mut.csv")},
            "response": str(tmp_path / "resp.parquet"),
            "interactome": str(tmp_path / "edges.tsv")}}})
    data = load_custom_files(config["data"]["custom"], config)
    assert list(data.omics) == ["mut"]
    assert data.omics["mut"].columns.tolist() == ["TP53", "KRAS", "EGFR"]  # RARE dropped
    assert data.response.shape == (30, 2)
    assert data.drugs["target"].tolist() == ["unknown", "unknown"]
    assert data.interactome.values.tolist() == [["KRAS", "TP53"]]


# ---- the filters, the drug choice and the id mapping in cases the tests above leave open


def test_zero_filter_counts_exact_zeros_only():
    # Negative values (RPPA, CNV deletion/LOH states) are measurements, not zeros.
    frame = pd.DataFrame({"cnv": [-2.0, -1.0, 0.0, 0.0], "rppa": [-0.3, 0.0, 0.0, 0.0],
                          "zero": [0.0, 0.0, 0.0, 0.0]})
    assert drop_mostly_zero_features(frame, 0.5).columns.tolist() == ["cnv"]
    assert drop_mostly_zero_features(frame, 0.75).columns.tolist() == ["cnv", "rppa"]


def test_drug_coverage_counts_distinct_lines_of_all_lines_in_the_table():
    # No drug covers every line: A covers L0-L18, B L1-L19, so each covers 19 of 20.
    rows = [{"cell_line": f"L{i}", "drug_id": 1, "drug": "A", "ln_ic50": 0.0} for i in range(19)]
    rows += [{"cell_line": f"L{i}", "drug_id": 2, "drug": "B", "ln_ic50": 0.0}
             for i in range(1, 20)]
    # C is measured twice on each of 10 lines: 10 lines, not 20 measurements.
    rows += [{"cell_line": f"L{i}", "drug_id": 3, "drug": "C", "ln_ic50": 0.0}
             for i in range(10) for _ in range(2)]
    table = pd.DataFrame(rows)
    chosen = select_drugs(table, min_coverage=0.4, max_drugs=22)
    assert chosen["drug"].tolist() == ["A", "B", "C"]
    assert chosen["n_lines"].tolist() == [19, 19, 10]
    assert chosen["coverage"].tolist() == pytest.approx([0.95, 0.95, 0.5])
    assert select_drugs(table, min_coverage=0.6, max_drugs=22)["drug"].tolist() == ["A", "B"]
    assert select_drugs(table, min_coverage=0.95, max_drugs=22).empty


def test_drug_cap_breaks_ties_by_lower_id_and_counts_names_once():
    table = _responses({(7, "T1"): 19, (3, "T2"): 19})
    assert select_drugs(table, 0.5, max_drugs=2)["drug"].tolist() == ["everywhere", "T2"]
    # Ox is listed under two ids on every line: it takes one place under the cap.
    table = _responses({(1, "Ox"): 20, (2, "Ox"): 20, (3, "P"): 19})
    chosen = select_drugs(table, 0.5, max_drugs=2)
    assert chosen["drug"].tolist() == ["everywhere", "Ox"]
    assert chosen["drug_id"].tolist() == [998, 1]


def test_a_cosmic_id_listed_twice_in_sample_info_goes_to_the_first_line():
    info = _info(("ACH-1", "NCIH508_LARGE_INTESTINE", "NCIH508", "905940"),
                 ("ACH-2", "NCIH508B_LARGE_INTESTINE", "NCIH508B", "905940"))
    gdsc = pd.DataFrame({"cosmic_id": ["905940"], "name": ["NCI-H508"]})
    matches = match_ccle_lines(info, gdsc)
    assert matches["cosmic_id"].tolist() == ["905940", None]
    assert matches["outcome"].tolist() == ["cosmic_id", "cosmic_id_shared"]
    assert map_ccle_lines(info, gdsc)["depmap_id"].tolist() == ["ACH-1"]


def test_two_ccle_names_matching_one_gdsc_line_match_nothing():
    # GDSC knows line 5 under two names; each CCLE line carries one of them.
    info = _info(("ACH-1", "KMH2_HAEMATOPOIETIC", "KMH2", None),
                 ("ACH-2", "L428_HAEMATOPOIETIC", "L428", None),
                 ("ACH-3", "CAL51_BREAST", "CAL51", None))
    gdsc = pd.DataFrame({"cosmic_id": ["5", "5", "910927"],
                         "name": ["KM-H2", "L-428", "CAL-51"]})
    matches = match_ccle_lines(info, gdsc)
    assert matches["cosmic_id"].tolist() == [None, None, "910927"]
    assert matches["outcome"].tolist() == ["gdsc_line_matched_by_several_names"] * 2 + ["name"]


def test_name_match_uses_the_stripped_name_else_the_ccle_name():
    info = _info(("ACH-1", None, "NCIH508", None),           # no CCLE name: the stripped one
                 ("ACH-2", "HS578T_BREAST", None, None),      # no stripped name: CCLE prefix
                 ("ACH-3", "CAL51OLD_BREAST", "CAL51", None))  # the stripped name wins
    gdsc = pd.DataFrame({"cosmic_id": ["905940", "905957", "910927"],
                         "name": ["NCI-H508", "Hs-578-T", "CAL-51"]})
    mapped = map_ccle_lines(info, gdsc)
    assert mapped[["depmap_id", "cosmic_id", "matched_by"]].values.tolist() == [
        ["ACH-1", "905940", "name"], ["ACH-2", "905957", "name"], ["ACH-3", "910927", "name"]]


def _rewrite_csv(path, edit):
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(table).to_csv(path, index=False)
    return path


def test_source_config_reaches_the_mutation_and_copy_number_matrices(mini_sources):
    def edit(table):
        # CAL-51's TP53 variant not deleterious; a SW48 BRAF variant without DepMap id.
        table.loc[table["Tumor_Sample_Barcode"] == "CAL51_BREAST", "isDeleterious"] = "False"
        braf = table.iloc[[0]].assign(Hugo_Symbol="BRAF", DepMap_ID="",
                                      Tumor_Sample_Barcode="SW48_LARGE_INTESTINE")
        return pd.concat([table, braf], ignore_index=True)

    _rewrite_csv(mini_sources["mutations"], edit)
    data = load_source_files(mini_sources, source_config())
    mut, cnv = data.omics["mut"], data.omics["cnv"]
    assert mut.loc["910927", "TP53"] == 1.0  # counted: deleterious_only is off by default
    assert mut.loc["909751", "BRAF"] == 1.0  # matched through its CCLE name
    assert mut["BRAF"].sum() == 1.0
    # Gene_level_CN: NCI-H508 KRAS "12,6,H,-" amplified at the default 8; Hs-578-T TP53
    # "-1,-1,-,-" unknown, set to neutral.
    assert cnv.loc["905940", "KRAS"] == CNV_AMPLIFICATION
    assert cnv.loc["905957", "TP53"] == 0.0
    assert cnv.loc["909751", "TP53"] == CNV_HOMOZYGOUS_DELETION
    data = load_source_files(mini_sources, source_config(preprocess={
        "mutation_deleterious_only": True, "cnv_amplification_min_cn": 13}))
    assert data.omics["mut"].loc["910927", "TP53"] == 0.0
    assert data.omics["cnv"].loc["905940", "KRAS"] == 0.0


def test_a_variant_belongs_to_its_depmap_id_and_falls_back_to_its_ccle_name(mini_sources):
    def edit(table):
        row = table.iloc[[0]].assign(Variant_Classification="Missense_Mutation")
        return pd.concat([
            table,
            # CAL-51's DepMap id beside SW48's CCLE name: the DepMap id decides.
            row.assign(Hugo_Symbol="AKT1", DepMap_ID="ACH-000002",
                       Tumor_Sample_Barcode="SW48_LARGE_INTESTINE"),
            # A DepMap id sample_info does not know: the CCLE name places it (NCI-H508).
            row.assign(Hugo_Symbol="MRE11", DepMap_ID="ACH-999999",
                       Tumor_Sample_Barcode="NCIH508_LARGE_INTESTINE"),
        ], ignore_index=True)

    _rewrite_csv(mini_sources["mutations"], edit)
    mut = load_source_files(mini_sources, source_config()).omics["mut"]
    assert mut["AKT1"].to_dict() == {line: float(line == "910927") for line in mut.index}
    assert mut["MRE11"].to_dict() == {line: float(line == "905940") for line in mut.index}


def test_response_keeps_only_the_selected_drug_id_and_annotations_come_from_compounds(
        mini_sources, caplog):
    table = pd.read_excel(mini_sources["dose_response"], engine="calamine")
    # Afatinib also under id 9, on one line only (25%): not selected, not averaged in.
    extra = table.iloc[[0]].assign(DRUG_ID=9, LN_IC50=5.0)
    path = mini_sources["dose_response"].with_suffix(".csv")
    pd.concat([table, extra], ignore_index=True).to_csv(path, index=False)
    with caplog.at_level("WARNING"):
        data = load_source_files({**mini_sources, "dose_response": path}, source_config())
    assert data.response.loc["905940", "Afatinib"] == pytest.approx(-1.0)
    assert data.response.loc["909751", "Trametinib"] == pytest.approx(0.5 * 2 - 2)
    assert "pair(s) of the selected drugs" not in caplog.text
    drugs = data.drugs.set_index("drug")
    assert drugs.loc["Afatinib", "drug_id"] == 1
    # screened_compounds' pathway, not the dose-response sheet's PATHWAY_NAME
    assert drugs.loc["Trametinib", "pathway"] == "ERK MAPK signaling"
    assert drugs.loc["Afatinib", "target"] == "ERBB2, EGFR"


def test_metabolomics_lines_join_by_their_depmap_id_else_by_name(mini_sources):
    def edit(table):
        # CAL-51 under another CCLE name than sample_info's, its DepMap id as there;
        # Hs-578-T without a DepMap id: matched by its name
        table["CCLE_ID"] = table["CCLE_ID"].replace({"CAL51_BREAST": "CAL51_MAMMARY"})
        table.loc[table["CCLE_ID"] == "HS578T_BREAST", "DepMap_ID"] = ""
        return table

    _rewrite_csv(mini_sources["metabolomics"], edit)
    metabolites = load_source_files(mini_sources, source_config()).omics["metabolites"]
    # NCI-H508, CAL-51 (averaged over its two rows) and Hs-578-T, by COSMIC id
    assert metabolites.index.tolist() == ["905940", "905957", "910927"]
    assert metabolites.loc["910927", "hexoses (HILIC neg)"] == pytest.approx(5.6)


def test_drug_annotations_join_on_drug_id_whatever_the_names(mini_sources, caplog):
    def edit(table):
        # Trametinib spelled otherwise in the drug table; its name on another id's row
        table.loc[table["DRUG_ID"] == "2", "DRUG_NAME"] = "Trametinib (GSK1120212)"
        extra = pd.DataFrame([{"DRUG_ID": "1372", "SCREENING_SITE": "MGH",
                               "DRUG_NAME": "Trametinib", "SYNONYMS": "",
                               "TARGET": "wrong target", "TARGET_PATHWAY": "wrong pathway"}])
        return pd.concat([table, extra], ignore_index=True)

    _rewrite_csv(mini_sources["compounds"], edit)
    with caplog.at_level("INFO", logger="modrp.preprocess"):
        drugs = load_source_files(mini_sources, source_config()).drugs.set_index("drug")
    assert drugs.loc["Trametinib", ["target", "pathway"]].tolist() == [
        "MEK1, MEK2", "ERK MAPK signaling"]
    assert "named otherwise in the drug table, joined by id: Trametinib (Trametinib " \
           "(GSK1120212))" in caplog.text
    # a drug whose id the table lacks is still found by its name
    _rewrite_csv(mini_sources["compounds"], lambda table: table.assign(
        DRUG_ID=table["DRUG_ID"].replace({"1": "1001"})))
    drugs = load_source_files(mini_sources, source_config()).drugs.set_index("drug")
    assert drugs.loc["Afatinib", "target"] == "ERBB2, EGFR"


def test_rppa_antibodies_must_cover_the_matrix_and_only_its_antibodies_get_genes(mini_sources):
    def extra(table):
        row = table.iloc[[0]].assign(Antibody_Name="Extra_Ab", Target_Genes="XYZ1")
        return pd.concat([table, row], ignore_index=True)

    _rewrite_csv(mini_sources["rppa_antibodies"], extra)
    data = load_source_files(mini_sources, source_config())
    # RPPA rows are CCLE names: NCI-H508, CAL-51 and SW48, by COSMIC id
    assert data.omics["rppa"].index.tolist() == ["905940", "909751", "910927"]
    assert data.omics["rppa"].loc["910927", "Akt_pS473"] == pytest.approx(-0.3)
    rppa = data.feature_genes[data.feature_genes["omic"] == "rppa"]
    assert sorted(rppa["feature"].unique()) == ["Akt_pS473", "MRE11_Caution", "p53"]
    assert "XYZ1" not in set(data.feature_genes["gene"])
    _rewrite_csv(mini_sources["rppa_antibodies"],
                 lambda table: table[table["Antibody_Name"] != "p53"])
    with pytest.raises(InputError, match=r"no row for the antibodies \['p53'\]"):
        load_source_files(mini_sources, source_config())


def test_zero_rules_apply_per_omic_to_the_study_lines(tmp_path):
    # Study lines c0-c3 (c4 has responses only, x9 omics only).
    write_csv(tmp_path / "exp.csv", ["id", "tp53", "EGFR"],
              [["c0", 0, 0], ["c1", 0, 0], ["c2", 0, 0], ["c3", 2.5, 0], ["x9", 1.0, 4.0]])
    write_csv(tmp_path / "mut.csv", ["id", "KRAS", "BRAF"],
              [["c0", 1, 1], ["c1", 0, 1], ["c2", 0, 0], ["c3", 0, 0], ["x9", 1, 1]])
    rows = [[f"c{i}", d, float(i)] for i in range(5) for d in ("D1", "D2")]
    write_csv(tmp_path / "resp.csv", ["cell_line", "drug", "ln_ic50"], rows)
    config = validate_config({
        "dataset": "t", "omics": ["exp", "mut"],
        "embedding": {"exp": "dense", "mut": "dense"},
        "preprocess": {"max_zero_fraction": 0.8, "max_unaffected_fraction": 0.6},
        "data": {"source": "custom", "custom": {
            "omics": {"exp": str(tmp_path / "exp.csv"), "mut": str(tmp_path / "mut.csv")},
            "response": str(tmp_path / "resp.csv")}}})
    data = load_custom_files(config["data"]["custom"], config)
    # exp: tp53 zero in 3 of 4 study lines (0.75 <= 0.8) kept; EGFR zero in all 4 dropped
    # (x9 is no study line).  mut: KRAS unaffected in 3 of 4 (0.75 > 0.6) dropped.
    assert data.omics["exp"].columns.tolist() == ["tp53"]
    assert data.omics["mut"].columns.tolist() == ["BRAF"]
    assert data.omics["exp"].index.tolist() == ["c0", "c1", "c2", "c3"]
    assert data.feature_genes.values.tolist() == [["exp", "tp53", "TP53"],
                                                  ["mut", "BRAF", "BRAF"]]
    assert data.response.index.tolist() == ["c0", "c1", "c2", "c3"]
    assert data.response.dtypes.unique().tolist() == [np.float32]
    assert data.response.loc["c3", "D2"] == 3.0
    drugs = data.drugs.set_index("drug")
    assert drugs["n_lines_screened"].tolist() == [5, 5]
    assert drugs["n_lines_study"].tolist() == [4, 4]


def test_an_empty_name_matches_no_gdsc_line():
    # a GDSC row without a name and a CCLE line without any name must not pair up
    info = _info(("ACH-1", None, None, None), ("ACH-2", "CAL51_BREAST", "CAL51", None))
    gdsc_names = pd.DataFrame({"cosmic_id": ["77", "910927"], "name": ["", "CAL-51"]})
    matches = match_ccle_lines(info, gdsc_names)
    assert matches["cosmic_id"].tolist() == [None, "910927"]
    assert matches["outcome"].tolist() == ["not_in_gdsc", "name"]


def test_rows_reaching_one_cosmic_id_keep_the_first():
    # two rows of a matrix mapped to one line: the first is kept, unless asked to average
    matrix = pd.DataFrame({"m": [1.0, 2.0, 3.0]}, index=["A_OLD", "A_NEW", "B"])
    out = _reindex_by_cosmic(matrix, pd.Series({"A_OLD": "1", "A_NEW": "1", "B": "2"}), "x")
    assert out["m"].to_dict() == {"1": 1.0, "2": 3.0}
    out = _reindex_by_cosmic(matrix, pd.Series({"A_OLD": "1", "A_NEW": "1", "B": "2"}), "x",
                             average=True)
    assert out["m"].to_dict() == {"1": 1.5, "2": 3.0}


def test_an_antibody_without_target_genes_maps_to_no_gene(mini_sources):
    # an empty Target_Genes cell must not become the gene "NAN"
    def edit(table):
        table.loc[table["Antibody_Name"] == "p53", "Target_Genes"] = ""
        return table

    _rewrite_csv(mini_sources["rppa_antibodies"], edit)
    genes = load_source_files(mini_sources, source_config()).feature_genes
    rppa = genes[genes["omic"] == "rppa"]
    assert "p53" not in set(rppa["feature"])
    assert not genes["gene"].isin(["NAN", "NONE", ""]).any()


def _custom_study(tmp_path, omics: dict[str, list[list]], response_rows: list[list],
                  preprocess: dict | None = None, drugs: dict | None = None):
    paths = {}
    for omic, rows in omics.items():
        paths[omic] = str(write_csv(tmp_path / f"{omic}.csv", rows[0], rows[1:]))
    write_csv(tmp_path / "resp.csv", ["cell_line", "drug", "ln_ic50"], response_rows)
    config = validate_config({
        "dataset": "t", "omics": list(omics),
        "embedding": dict.fromkeys(omics, "dense"),
        "preprocess": preprocess or {}, "drugs": drugs or {},
        "data": {"source": "custom", "custom": {"omics": paths,
                                                "response": str(tmp_path / "resp.csv")}}})
    return load_custom_files(config["data"]["custom"], config)


def test_each_omic_takes_its_own_zero_rule(tmp_path):
    # zero in 3 of 4 lines (0.75): kept under max_zero_fraction 0.8 (exp, rppa,
    # metabolites), dropped under max_unaffected_fraction 0.6 (mut, cnv)
    column = [["id", "TP53", "EGFR"]] + [[f"c{i}", float(i == 3), 1.0] for i in range(4)]
    omics = dict.fromkeys(["exp", "mut", "cnv", "rppa", "metabolites"], column)
    rows = [[f"c{i}", d, float(i)] for i in range(4) for d in ("D1", "D2")]
    data = _custom_study(tmp_path, omics, rows,
                         {"max_zero_fraction": 0.8, "max_unaffected_fraction": 0.6})
    kept = {omic: m.columns.tolist() for omic, m in data.omics.items()}
    assert kept == {"exp": ["TP53", "EGFR"], "mut": ["EGFR"], "cnv": ["EGFR"],
                    "rppa": ["TP53", "EGFR"], "metabolites": ["TP53", "EGFR"]}


def test_study_counts_per_drug_and_lines_with_every_omic(tmp_path):
    # n_lines_study counts each drug's measured study lines;
    # with_all_configured_omics needs every omic, not any
    exp = [["id", "TP53"]] + [[f"c{i}", 1.0 + i] for i in range(4)]
    mut = [["id", "KRAS"], ["c0", 1.0], ["c1", 1.0]]
    rows = [[f"c{i}", "D1", float(i)] for i in range(4)]
    rows += [[f"c{i}", "D2", float(i)] for i in (0, 2, 3)]
    data = _custom_study(tmp_path, {"exp": exp, "mut": mut}, rows, drugs={"min_coverage": 0.5})
    drugs = data.drugs.set_index("drug")
    assert drugs["n_lines_study"].to_dict() == {"D1": 4, "D2": 3}
    assert data.summary["lines"]["study"] == 4
    assert data.summary["lines"]["with_all_configured_omics"] == 2


def test_a_drug_id_named_otherwise_in_some_rows_keeps_them_in_its_column(mini_sources,
                                                                          caplog):
    table = pd.read_excel(mini_sources["dose_response"], engine="calamine")
    sw48 = (table["CELL_LINE_NAME"] == "SW48") & (table["DRUG_ID"] == 1)
    table.loc[sw48, "DRUG_NAME"] = "BIBW2992"  # Afatinib's id, another name
    path = mini_sources["dose_response"].with_suffix(".csv")
    table.to_csv(path, index=False)
    with caplog.at_level("WARNING", logger="modrp.preprocess"):
        data = load_source_files({**mini_sources, "dose_response": path}, source_config())
    assert data.response.columns.tolist() == ["Afatinib", "Trametinib"]
    assert data.response.loc["909751", "Afatinib"] == pytest.approx(0.5 * 2 - 1)
    assert "also named otherwise in some rows, counted under their chosen name: BIBW2992 " \
           "(id 1)" in caplog.text


def test_a_line_without_a_name_matches_no_nameless_gdsc_lines():
    # two GDSC names that normalise to nothing are not "several GDSC lines" for a CCLE
    # line without a name: it simply has no COSMIC id GDSC knows
    info = _info(("ACH-000001", None, None, None))
    gdsc_names = pd.DataFrame({"cosmic_id": ["77", "78"], "name": ["", "-"]})
    assert match_ccle_lines(info, gdsc_names)["outcome"].tolist() == ["not_in_gdsc"]


def test_metabolomics_rows_of_one_line_under_two_names_are_averaged(mini_sources, caplog):
    def edit(table):
        second = table.index[table["CCLE_ID"] == "CAL51_BREAST"][1]
        table.loc[second, "CCLE_ID"] = "CAL51_MAMMARY"  # the same DepMap id, ACH-000002
        return table

    _rewrite_csv(mini_sources["metabolomics"], edit)
    with caplog.at_level("WARNING", logger="modrp.preprocess"):
        metabolites = load_source_files(mini_sources, source_config()).omics["metabolites"]
    assert metabolites.loc["910927", "hexoses (HILIC neg)"] == pytest.approx(5.6)
    assert "metabolomics: 1 line(s) reached by several rows (CAL51_BREAST, CAL51_MAMMARY), " \
           "averaged" in caplog.text
