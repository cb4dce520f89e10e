"""The paper's filters at their boundaries, id mapping, and the assembled study tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import write_csv

from modrp.config import validate_config
from modrp.errors import InputError
from modrp.preprocess import (
    drop_mostly_zero_features,
    load_custom_files,
    load_source_files,
    map_ccle_lines,
    match_ccle_lines,
    matching_summary,
    mutation_matrix,
    select_drugs,
    write_study_data,
)


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
