"""Parsers on small files in the real layouts, and their refusals of bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import DETAILS_HEADER, SAMPLE_INFO_HEADER, write_csv, write_xlsx

from modrp.errors import InputError
from modrp.sources import ccle, custom, depmap, gdsc, hint
from modrp.sources._common import normalise_cell_line_name


def test_expression_columns_become_symbols(mini_sources):
    matrix = depmap.read_expression(mini_sources["expression"])
    assert list(matrix.columns) == ["TP53", "KRAS", "EGFR", "MRE11", "AKT1"]
    assert matrix.index.tolist() == ["ACH-000001", "ACH-000002", "ACH-000003", "ACH-000004"]
    assert matrix.dtypes.unique().tolist() == [np.float32]
    assert matrix.loc["ACH-000004", "EGFR"] == pytest.approx(3.1)


def test_expression_refuses_nan(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["", "TP53 (7157)"], [["ACH-000001", 1.0],
                                                               ["ACH-000002", ""]])
    with pytest.raises(InputError, match=r"missing or non-finite.*ACH-000002.*TP53"):
        depmap.read_expression(path)


def test_expression_refuses_columns_without_entrez(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["", "TP53"], [["ACH-000001", 1.0]])
    with pytest.raises(InputError, match=r"SYMBOL \(ENTREZ\)"):
        depmap.read_expression(path)


def test_html_page_instead_of_csv_is_refused(html_page):
    with pytest.raises(InputError, match="HTML page"):
        depmap.read_expression(html_page)


def test_mutations_long_table(mini_sources):
    table = depmap.read_mutations(mini_sources["mutations"])
    assert list(table.columns) == ["depmap_id", "ccle_name", "gene", "variant_classification",
                                   "is_deleterious"]
    assert len(table) == 5
    assert table["is_deleterious"].all()


def test_mutations_missing_column_is_named(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["Hugo_Symbol", "DepMap_ID"], [["TP53", "ACH-000001"]])
    with pytest.raises(InputError, match="'Variant_Classification'"):
        depmap.read_mutations(path)


def test_sample_info_cosmic_ids_are_integer_strings(mini_sources):
    info = depmap.read_sample_info(mini_sources["sample_info"])
    assert info["cosmic_id"].tolist() == ["905940", "910927", "909751", None]
    assert info.loc[0, "stripped_name"] == "NCIH508"


def test_rppa_and_antibody_genes(mini_sources):
    matrix = ccle.read_rppa(mini_sources["rppa"])
    assert matrix.index.name == "ccle_name"
    assert list(matrix.columns) == ["Akt_pS473", "MRE11_Caution", "p53"]
    antibodies = ccle.read_rppa_antibodies(mini_sources["rppa_antibodies"]).set_index("antibody")
    assert antibodies.loc["Akt_pS473", "genes"] == ["AKT1", "AKT2", "AKT3"]
    assert antibodies.loc["MRE11_Caution", "genes"] == ["MRE11"]  # outdated symbol fixed
    assert antibodies.loc["MRE11_Caution", "validation_status"] == "Caution"


def test_metabolomics_duplicates_are_averaged(mini_sources):
    matrix = ccle.read_metabolomics(mini_sources["metabolomics"])
    assert "DHAP/glyceraldehyde 3P" in matrix.columns
    assert matrix.index.tolist() == ["NCIH508_LARGE_INTESTINE", "CAL51_BREAST", "HS578T_BREAST"]
    assert matrix.loc["CAL51_BREAST", "hexoses (HILIC neg)"] == pytest.approx(5.6)


def test_dose_response(mini_sources):
    table = gdsc.read_dose_response(mini_sources["dose_response"])
    assert len(table) == 11
    assert set(table["cosmic_id"]) == {"905940", "910927", "909751", "905957"}
    assert table["drug_id"].dtype == np.int64
    assert table["ln_ic50"].notna().all()


def test_dose_response_missing_column(tmp_path):
    path = write_xlsx(tmp_path / "d.xlsx", {"s": [["COSMIC_ID", "DRUG_NAME"], [1, "x"]]})
    with pytest.raises(InputError, match="'CELL_LINE_NAME'"):
        gdsc.read_dose_response(path)


def test_cell_line_details_newline_headers_and_total_row(mini_sources):
    details = gdsc.read_cell_line_details(mini_sources["cell_line_details"])
    assert len(details) == 4  # TOTAL row dropped
    assert details.set_index("sample_name").loc["NCI-H508", "tissue"] == "large_intestine"
    assert details.set_index("sample_name").loc["CAL-51", "cancer_type"] == "COREAD"


def test_xlsx_without_expected_sheet(tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", {"Sheet1": [["a"], [1]]})
    with pytest.raises(InputError, match="no sheet named 'Cell line details'.*Sheet1"):
        gdsc.read_cell_line_details(path)


def test_gene_level_cn_states(mini_sources):
    states = gdsc.read_gene_level_cn(mini_sources["copy_number"], amplification_min_cn=8)
    assert states.index.tolist() == ["905940", "910927", "909751", "905957"]
    assert states.loc["905940", "TP53"] == gdsc.CNV_LOH
    assert states.loc["910927", "TP53"] == gdsc.CNV_NEUTRAL
    assert states.loc["909751", "TP53"] == gdsc.CNV_HOMOZYGOUS_DELETION
    assert np.isnan(states.loc["905957", "TP53"])
    assert states.loc["905940", "KRAS"] == gdsc.CNV_AMPLIFICATION
    raised = gdsc.read_gene_level_cn(mini_sources["copy_number"], amplification_min_cn=13)
    assert raised.loc["905940", "KRAS"] == gdsc.CNV_NEUTRAL


def test_gene_level_cn_requires_cosmic_row(tmp_path):
    rows = [["gene", "chr", "start", "stop", "A"], ["TP53", 17, 1, 2, "2,2,H,-"],
            ["KRAS", 12, 1, 2, "2,2,H,-"]]
    path = write_xlsx(tmp_path / "cn.xlsx", {"Gene_level_CN": rows})
    with pytest.raises(InputError, match="first data row to hold COSMIC ids"):
        gdsc.read_gene_level_cn(path)


def test_gene_level_cn_bad_cell(tmp_path):
    rows = [["gene", "chr", "start", "stop", "A"], [None, None, None, None, 1],
            ["TP53", 17, 1, 2, "two,2,H,-"]]
    path = write_xlsx(tmp_path / "cn.xlsx", {"Gene_level_CN": rows})
    with pytest.raises(InputError, match="integer copy numbers.*found .two,2,H,-"):
        gdsc.read_gene_level_cn(path)


def test_compounds(mini_sources):
    compounds = gdsc.read_screened_compounds(mini_sources["compounds"])
    assert compounds.set_index("drug_name").loc["Afatinib", "target"] == "ERBB2, EGFR"


def test_interactome_pairs_are_unique_and_unordered(mini_sources):
    pairs = hint.read_interactome(mini_sources["interactome"])
    assert pairs.values.tolist() == [["AKT1", "TP53"], ["EGFR", "KRAS"], ["MDM2", "TP53"]]


def test_interactome_old_layout(tmp_path):
    path = tmp_path / "old.txt"
    path.write_text("Uniprot_A\tUniprot_B\tGene_A\tGene_B\tORF_A\tORF_B\tAlias_A\tAlias_B\t"
                    "pmid:method:quality\nP1\tP2\tAAA\tBBB\t-\t-\t-\t-\t1:2:LC\n")
    assert hint.read_interactome(path).values.tolist() == [["AAA", "BBB"]]


def test_interactome_without_gene_columns(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a\tb\nx\ty\n")
    with pytest.raises(InputError, match="'Gene_A'"):
        hint.read_interactome(path)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_custom_matrix_by_suffix(tmp_path, suffix):
    frame = pd.DataFrame({"id": ["a", "b"], "G1": [1.0, 2.0], "G2": [0.0, 3.0]})
    path = tmp_path / f"m{suffix}"
    if suffix == ".parquet":
        frame.set_index("id").to_parquet(path)  # the id stored as the Parquet index
    else:
        frame.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=False)
    matrix = custom.read_omic_matrix(path, "exp")
    assert matrix.index.tolist() == ["a", "b"]
    assert matrix.loc["b", "G2"] == 3.0


def test_custom_matrix_duplicated_ids(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["id", "G1"], [["a", 1], ["a", 2]])
    with pytest.raises(InputError, match=r"duplicated cell-line ids.*'a'"):
        custom.read_omic_matrix(path, "mut")


def test_custom_matrix_inf(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["id", "G1"], [["a", "inf"], ["b", 2]])
    with pytest.raises(InputError, match="non-finite"):
        custom.read_omic_matrix(path, "mut")


def test_custom_response_rejects_text(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["cell_line", "drug", "ln_ic50"], [["a", "d", "high"]])
    with pytest.raises(InputError, match="ln_ic50 must be a finite number.*'high'"):
        custom.read_response(path)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "m.xls"
    path.write_text("id,G1\na,1\n")
    with pytest.raises(InputError, match="unknown suffix"):
        custom.read_omic_matrix(path, "exp")


@pytest.mark.parametrize("name, expected", [
    ("NCI-H508", "NCIH508"), ("Hs-578-T", "HS578T"), ("KM-H2", "KMH2"), ("T.T", "TT"),
    ("ca ski;", "CASKI"),
])
def test_name_normalisation(name, expected):
    assert normalise_cell_line_name(name) == expected


# ---- the facts data-sources.md marks [M] or [I]: checked, with a message naming the fact


def test_expression_ids_must_be_depmap_ids(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["", "TP53 (7157)"], [["NCIH508_LARGE_INTESTINE", 1.0]])
    with pytest.raises(InputError, match=r"DepMap ids like 'ACH-000001'.*NCIH508"):
        depmap.read_expression(path)


def test_expression_in_linear_tpm_is_refused(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["", "TP53 (7157)"], [["ACH-000001", 25000.0]])
    with pytest.raises(InputError, match=r"log2\(TPM\+1\).*linear TPM"):
        depmap.read_expression(path)


def test_header_below_the_first_line_is_named(tmp_path):
    path = tmp_path / "m.csv"
    header = ",".join(depmap.MUTATION_COLUMNS)
    path.write_text(f"# CCLE mutations, exported\n{header}\n")
    with pytest.raises(InputError, match="the header must be the first line, but it is line 2"):
        depmap.read_mutations(path)


def test_tab_separated_file_under_a_csv_name_is_named(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("Hugo_Symbol\tDepMap_ID\tVariant_Classification\n"
                    "TP53\tACH-000001\tMissense_Mutation\n")
    with pytest.raises(InputError, match="comma-separated file, but its header line is "
                                         "tab-separated"):
        depmap.read_mutations(path)


def dose_rows(ln_ic50: list[float], drug_id="1") -> list[list]:
    from conftest import DOSE_HEADER

    return [DOSE_HEADER] + [
        ["GDSC2", 1, 1, 905940 + i, f"LINE{i}", f"SIDM{i:05d}", "BRCA", drug_id, "Afatinib",
         "EGFR", "EGFR signaling", 1046, "Y", 0.01, 10.0, value, 0.9, 0.05, 0.1]
        for i, value in enumerate(ln_ic50)]


def test_ln_ic50_must_be_natural_log_of_micromolar(tmp_path):
    ok = write_xlsx(tmp_path / "ok.xlsx", {"Sheet 1": dose_rows([-3.0, 0.5, 4.0, 9.0])})
    assert len(gdsc.read_dose_response(ok)) == 4  # extrapolated values stay allowed
    linear = write_xlsx(tmp_path / "lin.xlsx",
                        {"Sheet 1": dose_rows([1500.0, 2500.0, 40.0, 9000.0])})
    with pytest.raises(InputError, match="natural log of the IC50 in uM.*linear IC50"):
        gdsc.read_dose_response(linear)


def test_drug_ids_must_be_integers(tmp_path):
    path = write_xlsx(tmp_path / "d.xlsx", {"Sheet 1": dose_rows([0.5], drug_id="1046a")})
    with pytest.raises(InputError, match="'DRUG_ID' must hold integers.*1046a"):
        gdsc.read_dose_response(path)


def test_dose_response_header_in_row_two_is_named(tmp_path):
    rows = [["GDSC2 fitted dose response, release 8.0"]] + dose_rows([0.5])
    path = write_xlsx(tmp_path / "d.xlsx", {"Sheet 1": rows})
    with pytest.raises(InputError, match="the header must be the first row, but it is row 2"):
        gdsc.read_dose_response(path)


def test_cell_line_without_cosmic_id_is_left_out_with_a_warning(tmp_path, caplog):
    header = ["Sample Name", "COSMIC identifier", "Whole Exome Sequencing (WES)",
              "Copy Number Alterations (CNA)", "Gene Expression", "Methylation",
              "Drug Response", "GDSC Tissue descriptor 1", "GDSC Tissue descriptor 2",
              "Cancer Type (matching TCGA label)", "Microsatellite instability Status (MSI)",
              "Screen Medium", "Growth Properties"]
    rows = [header, ["A-1", 905940] + ["Y"] * 5 + ["breast", "breast", "BRCA", "", "R", "A"],
            ["NOID", None] + ["Y"] * 5 + ["lung", "lung_NSCLC", "LUAD", "", "R", "A"],
            ["TOTAL:", None] + [None] * 11]
    path = write_xlsx(tmp_path / "c.xlsx", {gdsc.CELL_LINE_DETAILS_SHEET: rows})
    with caplog.at_level("WARNING"):
        table = gdsc.read_cell_line_details(path)
    assert table["cosmic_id"].tolist() == ["905940"]
    assert "1 line(s) without a COSMIC identifier left out" in caplog.text
    assert "NOID" in caplog.text and "TOTAL" not in caplog.text


# ---- repeated ids and misleading symbols


def test_expression_refuses_duplicated_depmap_ids(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["", "TP53 (7157)"],
                     [["ACH-000001", 1.0], ["ACH-000002", 2.0], ["ACH-000001", 3.0]])
    with pytest.raises(InputError, match=r"e\.csv has duplicated cell-line ids.*'ACH-000001'"):
        depmap.read_expression(path)


def _sample_info_rows(lines: list[tuple[str, str, str]]) -> list[list]:
    rows = []
    for depmap_id, ccle_name, cosmic in lines:
        row = {h: "" for h in SAMPLE_INFO_HEADER}
        row.update({"DepMap_ID": depmap_id, "CCLE Name": ccle_name, "COSMIC_ID": cosmic,
                    "stripped_cell_line_name": ccle_name.split("_")[0]})
        rows.append([row[h] for h in SAMPLE_INFO_HEADER])
    return rows


@pytest.mark.parametrize("column, lines, repeated", [
    ("CCLE Name", [("ACH-000001", "PC37_SKIN", "1"), ("ACH-000002", "PC37_SKIN", "2")],
     "PC37_SKIN"),
    ("DepMap_ID", [("ACH-000001", "PC37_SKIN", "1"), ("ACH-000001", "PC37_LUNG", "2")],
     "ACH-000001"),
])
def test_sample_info_refuses_repeated_names_and_ids(tmp_path, column, lines, repeated):
    path = write_csv(tmp_path / "sample_info.csv", SAMPLE_INFO_HEADER, _sample_info_rows(lines))
    with pytest.raises(InputError, match=rf"sample_info\.csv: column '{column}' must name each "
                                         rf"cell line once.*'{repeated}'"):
        depmap.read_sample_info(path)


def test_sample_info_allows_a_stripped_name_in_two_tissues(tmp_path):
    lines = [("ACH-000001", "PC37_SKIN", "1"), ("ACH-000002", "PC37_LUNG", ""),
             ("ACH-000003", "", ""), ("ACH-000004", "", "")]
    path = write_csv(tmp_path / "sample_info.csv", SAMPLE_INFO_HEADER, _sample_info_rows(lines))
    info = depmap.read_sample_info(path)
    assert info["stripped_name"].tolist()[:2] == ["PC37", "PC37"]


def test_cell_line_details_refuse_a_repeated_cosmic_id(tmp_path):
    def row(name, cosmic):
        return [name, cosmic, "Y", "Y", "Y", "Y", "Y", "skin", "melanoma", "SKCM", "", "R", "A"]

    rows = [DETAILS_HEADER, row("A-1", 905940), row("B-2", 905941), row("A1", 905940.0),
            ["TOTAL:", None] + [None] * 11]
    path = write_xlsx(tmp_path / "Cell_Lines_Details.xlsx",
                      {gdsc.CELL_LINE_DETAILS_SHEET: rows})
    with pytest.raises(InputError, match=r"Cell_Lines_Details\.xlsx: column 'COSMIC identifier' "
                                         r"must name each cell line once.*'905940'"):
        gdsc.read_cell_line_details(path)


def test_rppa_ttf1_antibody_maps_to_nkx2_1(tmp_path):
    path = write_csv(tmp_path / "ab.csv", ccle.RPPA_ANTIBODY_COLUMNS,
                     [["TTF1", "TTF1", "Validated"], ["C12orf5", "C12orf5", "Caution"]])
    antibodies = ccle.read_rppa_antibodies(path).set_index("antibody")
    assert antibodies.loc["TTF1", "genes"] == ["NKX2-1"]  # thyroid transcription factor 1
    assert antibodies.loc["C12orf5", "genes"] == ["TIGAR"]
