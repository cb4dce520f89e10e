"""Parsers on small files in the real layouts, and their refusals of bad input."""

from __future__ import annotations

import logging

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


def test_metabolomics_ids_map_ccle_names_to_depmap_ids(mini_sources, tmp_path):
    ids = ccle.read_metabolomics_ids(mini_sources["metabolomics"])
    assert ids.to_dict() == {"NCIH508_LARGE_INTESTINE": "ACH-000001",
                             "CAL51_BREAST": "ACH-000002", "HS578T_BREAST": "ACH-000004"}
    bad = tmp_path / "m.csv"
    bad.write_text("CCLE_ID,DepMap_ID,alanine\nA_LUNG,ACH-000001,5.0\nA_LUNG,ACH-000009,5.1\n")
    with pytest.raises(InputError, match="the CCLE name 'A_LUNG' has several DepMap ids"):
        ccle.read_metabolomics_ids(bad)
    bad.write_text("CCLE_ID,DepMap_ID,alanine\nA_LUNG,A_LUNG,5.0\n")
    with pytest.raises(InputError, match="'DepMap_ID' must hold DepMap ids"):
        ccle.read_metabolomics_ids(bad)


def test_dose_response(mini_sources):
    table = gdsc.read_dose_response(mini_sources["dose_response"])
    assert len(table) == 11
    assert set(table["cosmic_id"]) == {"905940", "910927", "909751", "905957"}
    assert table["drug_id"].dtype == np.int64
    assert table["ln_ic50"].notna().all()


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_dose_response_of_another_screen_than_gdsc2_is_warned_about(mini_sources, tmp_path,
                                                                      caplog, suffix):
    """GDSC1's file has GDSC2's layout and passes every other check."""
    rows = gdsc._excel_sheet(mini_sources["dose_response"], 0, "dose response")
    sheet = pd.DataFrame(rows[1:], columns=rows[0])
    with caplog.at_level("WARNING", logger="modrp.sources.gdsc"):
        gdsc.read_dose_response(mini_sources["dose_response"])
    assert caplog.text == ""
    sheet["DATASET"] = "GDSC1"
    path = tmp_path / f"dose{suffix}"
    if suffix == ".xlsx":
        write_xlsx(path, {"s": [list(sheet.columns), *sheet.to_numpy().tolist()]})
    else:
        sheet.to_csv(path, index=False)
    with caplog.at_level("WARNING", logger="modrp.sources.gdsc"):
        assert len(gdsc.read_dose_response(path)) == len(sheet)
    assert f"{path}: 11 of 11 rows are of another screen than GDSC2 (DATASET 'GDSC1': 11)" \
        in caplog.text
    # release 8.0 (config/config.yaml's) published both screens on 17 July 2019;
    # 15Oct19 is release 8.1's date
    assert "release 8.0: GDSC1_fitted_dose_response_17Jul19.xlsx" in caplog.text


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


def test_interactome_rows_closed_by_a_tab_keep_their_columns(tmp_path):
    # one field more in each data row than in the header: the columns must not shift
    path = tmp_path / "trailing.txt"
    path.write_text("Uniprot_A\tUniprot_B\tGene_A\tGene_B\tpmid:method:quality:type\ttaxid\n"
                    "P04637\tQ00987\tTP53\tMDM2\t123:0018:HT:binary\t9606\t\n"
                    "P01116\tP00533\tKRAS\tEGFR\t124:0018:LC:binary\t9606\t\n")
    assert hint.read_interactome(path).values.tolist() == [["EGFR", "KRAS"], ["MDM2", "TP53"]]


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


def test_custom_response_rejects_inf_and_a_repeated_pair(tmp_path):
    path = write_csv(tmp_path / "r.csv", ["cell_line", "drug", "ln_ic50"],
                     [["a", "d", 1.0], ["b", "d", "inf"]])
    with pytest.raises(InputError, match=r"ln_ic50 must be a finite number in every row; row 2 "
                                         r"\(line 3 of the file\) holds 'inf'$"):
        custom.read_response(path)
    path = write_csv(tmp_path / "r1.csv", ["cell_line", "drug", "ln_ic50"],
                     [["a", "d", 1.0], ["b", "d", ""]])
    with pytest.raises(InputError, match=r"row 2 \(line 3 of the file\) holds nothing$"):
        custom.read_response(path)
    path = write_csv(tmp_path / "r2.csv", ["cell_line", "drug", "ln_ic50"],
                     [["a", "d", 1.0], ["b", "d", 2.0], ["a", "d", 1.5]])
    with pytest.raises(InputError, match=r"the pair \('a', 'd'\) appears more than once"):
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


# ---- facts about the real files known from memory or inferred, each checked with a
# message naming the fact


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


def test_gdsc_names_stored_as_numbers_read_as_written_and_empty_tissue_is_unknown(tmp_path):
    # GDSC's lines 5637 and 697 are named by numbers, which a sheet may store as numbers
    def row(name, cosmic, tissue):
        return [name, cosmic, "Y", "Y", "Y", "Y", "Y", tissue, tissue, "BLCA", "", "R", "A"]

    rows = [DETAILS_HEADER, row(5637, 687452, "urogenital_system"), row(" A-1 ", 905940, ""),
            ["TOTAL:", None] + [None] * 11]
    path = write_xlsx(tmp_path / "Cell_Lines_Details.xlsx",
                      {gdsc.CELL_LINE_DETAILS_SHEET: rows})
    details = gdsc.read_cell_line_details(path)
    assert details["sample_name"].tolist() == ["5637", "A-1"]
    assert details["tissue"].tolist() == ["urogenital_system", None]
    dose = dose_rows([0.5, 1.0])
    dose[1][4], dose[2][4] = 5637, 697.0
    response = gdsc.read_dose_response(write_xlsx(tmp_path / "d.xlsx", {"Sheet 1": dose}))
    assert response["cell_line_name"].tolist() == ["5637", "697"]
    assert normalise_cell_line_name(response["cell_line_name"][0]) == \
        normalise_cell_line_name("5637")


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


# ---- column choices, value scales and refusals the tests above leave open


def test_expression_symbol_in_two_columns_is_averaged(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["", "TP53 (7157)", "CDKN2A (1029)", "TP53 (9999)"],
                     [["ACH-000001", 1.0, 4.0, 3.0], ["ACH-000002", 0.5, 2.0, 0.0]])
    matrix = depmap.read_expression(path)
    assert matrix.columns.tolist() == ["TP53", "CDKN2A"]
    assert matrix["TP53"].tolist() == pytest.approx([2.0, 0.25])  # (1+3)/2, (0.5+0)/2
    assert matrix["CDKN2A"].tolist() == pytest.approx([4.0, 2.0])


@pytest.mark.parametrize("value, ok", [(0.0, True), (20.0, True), (-0.5, False), (20.5, False)])
def test_expression_scale_bounds_are_0_and_20(tmp_path, value, ok):
    path = write_csv(tmp_path / "e.csv", ["", "TP53 (7157)"], [["ACH-000001", 1.0],
                                                               ["ACH-000002", value]])
    if ok:
        assert depmap.read_expression(path).loc["ACH-000002", "TP53"] == value
    else:
        with pytest.raises(InputError, match=r"between 0 and 20"):
            depmap.read_expression(path)


def _mutation_rows(*variants):
    from conftest import MUTATION_HEADER

    rows = []
    for gene, klass, barcode, depmap_id, deleterious in variants:
        row = {h: "" for h in MUTATION_HEADER}
        row.update(Hugo_Symbol=gene, Variant_Classification=klass, Tumor_Sample_Barcode=barcode,
                   DepMap_ID=depmap_id, isDeleterious=deleterious)
        rows.append([row[h] for h in MUTATION_HEADER])
    return MUTATION_HEADER, rows


def test_mutations_flags_ids_and_empty_rows(tmp_path):
    header, rows = _mutation_rows(
        ("TP53", "Missense_Mutation", "A549_LUNG", "ACH-000001", "True"),
        ("KRAS", "Silent", "A549_LUNG", "ACH-000001", "FALSE"),
        ("EGFR", "Intron", "", "ACH-000002", ""),       # empty flag: not deleterious
        ("", "Missense_Mutation", "A549_LUNG", "ACH-000001", "True"),  # no gene: left out
        ("BRAF", "Nonsense_Mutation", "", "", "True"),  # no line: left out
        ("PTEN", "Splice_Site", "CAL51_BREAST", "", "true"),
    )
    table = depmap.read_mutations(write_csv(tmp_path / "m.csv", header, rows))
    assert table.values.tolist() == [
        ["ACH-000001", "A549_LUNG", "TP53", "Missense_Mutation", True],
        ["ACH-000001", "A549_LUNG", "KRAS", "Silent", False],
        ["ACH-000002", "", "EGFR", "Intron", False],
        ["", "CAL51_BREAST", "PTEN", "Splice_Site", True],
    ]


@pytest.mark.parametrize("barcode, depmap_id, flag, message", [
    ("A549_LUNG", "ACH-000001", "yes", r"'isDeleterious' must hold True or False.*'yes'"),
    ("A549", "", "True", r"'Tumor_Sample_Barcode' must hold CCLE names.*'A549'"),
    ("A549_lung", "", "True", r"'Tumor_Sample_Barcode' must hold CCLE names"),
    ("A549_LUNG", "A549_LUNG", "True", r"'DepMap_ID' must hold DepMap ids.*'A549_LUNG'"),
])
def test_mutations_refuse_bad_ids_and_flags(tmp_path, barcode, depmap_id, flag, message):
    header, rows = _mutation_rows(("TP53", "Missense_Mutation", barcode, depmap_id, flag))
    with pytest.raises(InputError, match=message):
        depmap.read_mutations(write_csv(tmp_path / "m.csv", header, rows))


def test_mutations_set_aside_a_barcode_that_is_only_a_fallback(tmp_path, caplog):
    # With a DepMap id on the row, a barcode that is no CCLE name does not stop the parse:
    # the row keeps its id and only the barcode is dropped, with a warning.
    header, rows = _mutation_rows(
        ("TP53", "Missense_Mutation", "A549", "ACH-000001", "True"),
        ("KRAS", "Missense_Mutation", "CAL51_BREAST", "ACH-000002", "True"),
    )
    with caplog.at_level(logging.WARNING):
        table = depmap.read_mutations(write_csv(tmp_path / "m.csv", header, rows))
    assert table[["depmap_id", "ccle_name", "gene"]].values.tolist() == [
        ["ACH-000001", "", "TP53"], ["ACH-000002", "CAL51_BREAST", "KRAS"]]
    assert "1 row(s) have a Tumor_Sample_Barcode that is not a CCLE name" in caplog.text
    assert "'A549'" in caplog.text


def test_sample_info_columns_and_empty_cells(tmp_path):
    row = {h: "" for h in SAMPLE_INFO_HEADER}
    row.update({"DepMap_ID": "ACH-000001", "stripped_cell_line_name": "NCIH508",
                "CCLE Name": "NCIH508_LARGE_INTESTINE", "COSMIC_ID": "905940.0",
                "lineage": "colorectal", "lineage_subtype": "colorectal_adenocarcinoma",
                "Sanger_model_ID": "SIDM00001"})
    empty = {h: "" for h in SAMPLE_INFO_HEADER}
    empty.update({"DepMap_ID": "ACH-000002"})
    path = write_csv(tmp_path / "sample_info.csv", SAMPLE_INFO_HEADER,
                     [[row[h] for h in SAMPLE_INFO_HEADER], [empty[h] for h in SAMPLE_INFO_HEADER]])
    info = depmap.read_sample_info(path)
    assert info.iloc[0].tolist() == ["ACH-000001", "NCIH508_LARGE_INTESTINE", "NCIH508",
                                     "905940", "colorectal", "SIDM00001"]
    assert info.iloc[1].tolist() == ["ACH-000002", None, None, None, None, None]


@pytest.mark.parametrize("depmap_id, cosmic, message", [
    ("ACH-000001", "905940.5", r"'COSMIC_ID' must hold numeric COSMIC ids.*905940\.5"),
    ("ACH-000001", "COSMIC905940", r"'COSMIC_ID' must hold numeric COSMIC ids"),
    ("ACH-1", "905940", r"'DepMap_ID' must hold DepMap ids.*'ACH-1'"),
    ("", "905940", r"'DepMap_ID' must hold DepMap ids.*\[''\]"),
])
def test_sample_info_refuses_bad_ids(tmp_path, depmap_id, cosmic, message):
    path = write_csv(tmp_path / "sample_info.csv", SAMPLE_INFO_HEADER,
                     _sample_info_rows([(depmap_id, "PC37_SKIN", cosmic)]))
    with pytest.raises(InputError, match=message):
        depmap.read_sample_info(path)


def test_rppa_refuses_a_named_first_column_and_a_repeated_line(tmp_path):
    named = write_csv(tmp_path / "r.csv", ["CCLE_ID", "p53"], [["A549_LUNG", 0.1]])
    with pytest.raises(InputError, match="expected the first column to be unnamed.*'CCLE_ID'"):
        ccle.read_rppa(named)
    twice = write_csv(tmp_path / "r2.csv", ["", "p53"], [["A549_LUNG", 0.1], ["A549_LUNG", 0.2]])
    with pytest.raises(InputError, match=r"lists a cell line twice.*'A549_LUNG'"):
        ccle.read_rppa(twice)


@pytest.mark.parametrize("max_cn, min_cn, zygosity, amp, expected", [
    (8, 2, "H", 8, gdsc.CNV_AMPLIFICATION),     # max CN == threshold: amplified
    (7, 2, "H", 8, gdsc.CNV_NEUTRAL),
    (9, 2, "H", 9.5, gdsc.CNV_NEUTRAL),
    (9, 0, "H", 8, gdsc.CNV_HOMOZYGOUS_DELETION),  # deletion wins over amplification
    (9, 1, "L", 8, gdsc.CNV_AMPLIFICATION),        # amplification wins over LOH
    (2, 0, "L", 8, gdsc.CNV_HOMOZYGOUS_DELETION),  # deletion wins over LOH
    (1, 1, "L", 8, gdsc.CNV_LOH),
    (2, 1, "H", 8, gdsc.CNV_NEUTRAL),
    (-1, 0, "-", 8, np.nan),                       # max CN unknown: unknown
])
def test_cnv_alteration_state_boundaries_and_precedence(max_cn, min_cn, zygosity, amp,
                                                       expected):
    state = gdsc.cnv_alteration_state([max_cn], [min_cn], [zygosity], amp)
    assert state.dtype == np.float32
    if np.isnan(expected):
        assert np.isnan(state[0])
    else:
        assert state[0] == expected


@pytest.mark.parametrize("cell", ["2,2,X,-", "2,2,H,Y", "2,-2,H,-", "2,2,H"])
def test_gene_level_cn_refuses_malformed_cells(tmp_path, cell):
    rows = [["gene", "chr", "start", "stop", "A"], [None, None, None, None, 1],
            ["TP53", 17, 1, 2, cell]]
    path = write_xlsx(tmp_path / "cn.xlsx", {"Gene_level_CN": rows})
    with pytest.raises(InputError, match="cells must read 'maxCN,minCN,zygosity,disruption'"):
        gdsc.read_gene_level_cn(path)


def test_gene_level_cn_keeps_the_first_of_a_repeated_gene(tmp_path):
    rows = [["gene", "chr", "start", "stop", "A", "B"], [None, None, None, None, 11, 12],
            ["TP53", 17, 1, 2, "2,1,L,-", "2,2,H,-"], ["TP53", 17, 1, 2, "2,0,0,D", "9,2,H,-"],
            ["KRAS", 12, 1, 2, "2,2,H,-", "2,1,L,-"]]
    path = write_xlsx(tmp_path / "cn.xlsx", {"Gene_level_CN": rows})
    states = gdsc.read_gene_level_cn(path)
    assert states.columns.tolist() == ["TP53", "KRAS"]
    assert states.loc["11"].tolist() == [gdsc.CNV_LOH, gdsc.CNV_NEUTRAL]
    assert states.loc["12"].tolist() == [gdsc.CNV_NEUTRAL, gdsc.CNV_LOH]


def test_dose_response_columns_come_from_their_sources(mini_sources):
    table = gdsc.read_dose_response(mini_sources["dose_response"])
    # first data row of conftest's sheet: NCI-H508, Afatinib, ln IC50 0.5 * 0 - 1
    assert table.iloc[0].to_dict() == {
        "cosmic_id": "905940", "cell_line_name": "NCI-H508", "sanger_model_id": "SIDM00000",
        "tcga_desc": "BRCA", "drug_id": 1, "drug_name": "Afatinib", "putative_target": "EGFR",
        "pathway_name": "EGFR signaling", "ln_ic50": -1.0}
    last = table.iloc[-1]  # Hs-578-T (i = 3), Trametinib (id 2): 1.5 - 2
    assert (last["cell_line_name"], last["drug_name"], last["drug_id"], last["ln_ic50"]) == (
        "Hs-578-T", "Trametinib", 2, pytest.approx(-0.5))


def test_ln_ic50_unit_check_boundaries(tmp_path):
    # MIN_CONC 0.01, MAX_CONC 10 uM: plausible ln IC50 within [ln 0.01 - 7, ln 10 + 7].
    high, low = np.log(10.0) + 7, np.log(0.01) - 7
    nine_of_ten = [0.0] * 9 + [high + 1.0]  # 90% inside: accepted
    ok = write_xlsx(tmp_path / "ok.xlsx", {"Sheet 1": dose_rows(nine_of_ten)})
    assert len(gdsc.read_dose_response(ok)) == 10
    edges = [high - 0.01, low + 0.01] + [0.0] * 8
    ok = write_xlsx(tmp_path / "edges.xlsx", {"Sheet 1": dose_rows(edges)})
    assert len(gdsc.read_dose_response(ok)) == 10
    for name, values in (("high", [0.0] * 8 + [high + 1.0] * 2),   # 80% inside
                         ("low", [0.0] * 8 + [low - 1.0] * 2)):
        path = write_xlsx(tmp_path / f"{name}.xlsx", {"Sheet 1": dose_rows(values)})
        with pytest.raises(InputError, match="natural log of the IC50 in uM.*20% of rows"):
            gdsc.read_dose_response(path)


def test_dose_response_refuses_missing_ln_ic50_and_fractional_ids(tmp_path):
    rows = dose_rows([0.5, 1.0])
    rows[2][15] = "NA"
    with pytest.raises(InputError, match=r"LN_IC50 must be a finite number.*data row 2"):
        gdsc.read_dose_response(write_xlsx(tmp_path / "na.xlsx", {"Sheet 1": rows}))
    with pytest.raises(InputError, match=r"'DRUG_ID' must hold integers.*1046\.5"):
        gdsc.read_dose_response(write_xlsx(tmp_path / "id.xlsx",
                                           {"Sheet 1": dose_rows([0.5], drug_id="1046.5")}))
    rows = dose_rows([0.5])
    rows[1][3] = 905940.5
    with pytest.raises(InputError, match=r"'COSMIC_ID' must hold integer COSMIC ids.*905940\.5"):
        gdsc.read_dose_response(write_xlsx(tmp_path / "cosmic.xlsx", {"Sheet 1": rows}))


def test_compounds_and_details_keep_each_column(mini_sources):
    compounds = gdsc.read_screened_compounds(mini_sources["compounds"]).set_index("drug_name")
    assert compounds.loc["Trametinib"].tolist() == [2, "MEK1, MEK2", "ERK MAPK signaling"]
    details = gdsc.read_cell_line_details(mini_sources["cell_line_details"])
    assert details.set_index("sample_name").loc["CAL-51"].tolist() == [
        "910927", "breast", "breast_sub", "COREAD"]


def test_interactome_symbols_are_upper_cased(tmp_path):
    path = tmp_path / "h.txt"
    path.write_text("Uniprot_A\tUniprot_B\tGene_A\tGene_B\n"
                    "P1\tP2\tTp53\tMDM2\nP2\tP1\tmdm2\tTP53 \nP3\tP3\tkras\tKRAS\n"
                    "P4\tP1\tEGFR\tmdm2\n")
    assert hint.read_interactome(path).values.tolist() == [["EGFR", "MDM2"], ["MDM2", "TP53"]]


def test_an_id_with_extra_characters_is_refused(tmp_path):
    # ids must match their pattern in full, not as a prefix
    path = write_csv(tmp_path / "e.csv", ["", "TP53 (7157)"], [["ACH-0000011", 1.0]])
    with pytest.raises(InputError, match="DepMap ids.*ACH-0000011"):
        depmap.read_expression(path)


def test_somatic_variant_classes_map_whatever_their_case(tmp_path):
    # VariantInfo 'silent' is MAF Silent (excluded by default), not an unknown class
    path = write_csv(tmp_path / "OmicsSomaticMutations.csv",
                     ["HugoSymbol", "VariantInfo", "ModelID", "LikelyLoF"],
                     [["TP53", "silent", "ACH-000001", "False"],
                      ["KRAS", "Missense", "ACH-000002", "True"]])
    table = depmap.read_mutations(path)
    assert table["variant_classification"].tolist() == ["Silent", "Missense_Mutation"]


def test_a_repeated_dose_response_column_reads_its_first(tmp_path):
    # as pandas reads a CSV, the first of two columns with one name counts
    rows = dose_rows([0.5, 1.0])
    rows = [rows[0] + ["LN_IC50"]] + [row + [9.9] for row in rows[1:]]
    table = gdsc.read_dose_response(write_xlsx(tmp_path / "d.xlsx", {"Sheet 1": rows}))
    assert table["ln_ic50"].tolist() == [0.5, 1.0]


def test_an_empty_putative_target_is_missing(tmp_path):
    # so that the study's drug table says 'unknown', not ''
    rows = dose_rows([0.5, 1.0])
    target = rows[0].index("PUTATIVE_TARGET")
    rows[1][target] = None
    table = gdsc.read_dose_response(write_xlsx(tmp_path / "d.xlsx", {"Sheet 1": rows}))
    assert table["putative_target"].tolist() == [None, "EGFR"]


def test_compound_names_lose_surrounding_spaces(tmp_path):
    # names join the response's (stripped) drug names where the id is unknown
    path = write_csv(tmp_path / "c.csv", ["DRUG_ID", "DRUG_NAME", "TARGET", "TARGET_PATHWAY"],
                     [[1, " Afatinib ", "EGFR", "EGFR signaling"]])
    assert gdsc.read_screened_compounds(path)["drug_name"].tolist() == ["Afatinib"]


def test_antibody_target_genes_split_on_any_whitespace(tmp_path):
    # a double space or a trailing one gives no empty gene
    path = write_csv(tmp_path / "ab.csv", ["Antibody_Name", "Target_Genes", "Validation_Status"],
                     [["Akt", "AKT1  AKT2 ", "Validated"], ["Mre11", "MRE11A\tX1", "Caution"]])
    genes = ccle.read_rppa_antibodies(path).set_index("antibody")["genes"]
    assert genes.to_dict() == {"Akt": ["AKT1", "AKT2"], "Mre11": ["MRE11", "X1"]}


def test_metabolomics_names_without_depmap_id_are_left_out(tmp_path):
    # no '' id; a name listed with and without an id is not a clash
    path = tmp_path / "m.csv"
    path.write_text("CCLE_ID,DepMap_ID,alanine\nA_LUNG,ACH-000001,5.0\nA_LUNG,,5.2\n"
                    "B_SKIN,,4.0\n")
    assert ccle.read_metabolomics_ids(path).to_dict() == {"A_LUNG": "ACH-000001"}


def test_drug_annotations_keep_the_first_row_of_a_drug(tmp_path):
    # as the GDSC drug table (first row per id)
    path = write_csv(tmp_path / "d.csv", ["drug", "target", "pathway"],
                     [["D1", "EGFR", "EGFR signaling"], ["D1", "other", "other"]])
    assert custom.read_drug_annotations(path).values.tolist() == [
        ["D1", "EGFR", "EGFR signaling"]]


@pytest.mark.parametrize("key, reader", [
    ("sample_info", depmap.read_sample_info),
    ("rppa_antibodies", ccle.read_rppa_antibodies),
    ("compounds", gdsc.read_screened_compounds),
    ("interactome", hint.read_interactome),
])
def test_text_readers_take_the_same_table_as_parquet(mini_sources, tmp_path, key, reader):
    """The readers that take every cell as text read a Parquet copy of their file (typed
    columns, missing values as nulls) as they read the file: read_csv's text options do
    not apply to Parquet, and were a traceback."""
    path = mini_sources[key]
    typed = pd.read_csv(path, sep="\t" if path.suffix == ".txt" else ",")
    assert typed.isna().any().any() or key == "interactome"  # nulls to turn back into ""
    copy = tmp_path / f"{key}.parquet"
    typed.to_parquet(copy)
    expected, got = reader(path), reader(copy)
    if key == "sample_info":  # COSMIC_ID 905940.0 stays a float in Parquet: the same id
        assert got["cosmic_id"].tolist() == expected["cosmic_id"].tolist()
    pd.testing.assert_frame_equal(got, expected)


def test_gdsc_dose_response_as_csv_and_parquet(mini_sources, tmp_path):
    rows = gdsc._excel_sheet(mini_sources["dose_response"], 0, "dose response")
    sheet = pd.DataFrame(rows[1:], columns=rows[0])
    expected = gdsc.read_dose_response(mini_sources["dose_response"])
    sheet.to_csv(tmp_path / "dose.csv", index=False)
    sheet.to_parquet(tmp_path / "dose.parquet")
    for name in ("dose.csv", "dose.parquet"):
        pd.testing.assert_frame_equal(gdsc.read_dose_response(tmp_path / name), expected)


@pytest.mark.parametrize("key, reader", [
    ("sample_info", depmap.read_sample_info),
    ("compounds", gdsc.read_screened_compounds),
])
def test_text_readers_take_an_empty_typed_parquet_as_its_csv(mini_sources, tmp_path, key,
                                                            reader):
    """A Parquet file with typed columns and no rows: its columns are text as well (an
    empty float or int column kept its type, and .str was an AttributeError)."""
    empty = pd.read_csv(mini_sources[key]).iloc[:0]
    assert not empty.dtypes.map(pd.api.types.is_object_dtype).all()  # a typed column
    empty.to_csv(tmp_path / "empty.csv", index=False)
    empty.to_parquet(tmp_path / "empty.parquet")
    pd.testing.assert_frame_equal(reader(tmp_path / "empty.parquet"),
                                  reader(tmp_path / "empty.csv"))
