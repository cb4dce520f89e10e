"""Tiny source files in the exact layouts of the real ones, built per test."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import xlsxwriter

MUTATION_HEADER = [
    "Hugo_Symbol", "Entrez_Gene_Id", "NCBI_Build", "Chromosome", "Start_position",
    "End_position", "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele",
    "Tumor_Seq_Allele1", "dbSNP_RS", "dbSNP_Val_Status", "Genome_Change",
    "Annotation_Transcript", "Tumor_Sample_Barcode", "cDNA_Change", "Codon_Change",
    "Protein_Change", "isDeleterious", "isTCGAhotspot", "TCGAhsCnt", "isCOSMIChotspot",
    "COSMIChsCnt", "ExAC_AF", "CGA_WES_AC", "SangerWES_AC", "SangerRecalibWES_AC",
    "RNAseq_AC", "HC_AC", "RD_AC", "WGS_AC", "Variant_annotation", "DepMap_ID",
]
SAMPLE_INFO_HEADER = [
    "DepMap_ID", "stripped_cell_line_name", "CCLE Name", "alias", "COSMIC_ID", "lineage",
    "lineage_subtype", "lineage_sub_subtype", "sex", "source", "Achilles_n_replicates",
    "cell_line_NNMD", "culture_type", "culture_medium", "cas9_activity", "RRID",
    "sample_collection_site", "primary_or_metastasis", "disease", "disease_subtype", "age",
    "Sanger_model_ID", "additional_info",
]
DOSE_HEADER = [
    "DATASET", "NLME_RESULT_ID", "NLME_CURVE_ID", "COSMIC_ID", "CELL_LINE_NAME",
    "SANGER_MODEL_ID", "TCGA_DESC", "DRUG_ID", "DRUG_NAME", "PUTATIVE_TARGET",
    "PATHWAY_NAME", "COMPANY_ID", "WEBRELEASE", "MIN_CONC", "MAX_CONC", "LN_IC50", "AUC",
    "RMSE", "Z_SCORE",
]
DETAILS_HEADER = [
    "Sample Name", "COSMIC identifier", "Whole Exome Sequencing (WES)",
    "Copy Number Alterations (CNA)", "Gene Expression", "Methylation", "Drug\nResponse",
    "GDSC\nTissue descriptor 1", "GDSC\nTissue\ndescriptor 2",
    "Cancer Type\n(matching TCGA label)", "Microsatellite \ninstability Status (MSI)",
    "Screen Medium", "Growth Properties",
]

# Four lines.  L4 has no COSMIC id in sample_info and must be matched by name.
LINES = [
    # depmap, ccle name, stripped, cosmic, gdsc name, tissue
    ("ACH-000001", "NCIH508_LARGE_INTESTINE", "NCIH508", "905940", "NCI-H508", "large_intestine"),
    ("ACH-000002", "CAL51_BREAST", "CAL51", "910927", "CAL-51", "breast"),
    ("ACH-000003", "SW48_LARGE_INTESTINE", "SW48", "909751", "SW48", "large_intestine"),
    ("ACH-000004", "HS578T_BREAST", "HS578T", None, "Hs-578-T", "breast"),
]
GDSC_COSMIC = {"NCI-H508": 905940, "CAL-51": 910927, "SW48": 909751, "Hs-578-T": 905957}


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    workbook.close()
    return path


def write_mini_sources(root: Path) -> dict[str, Path]:
    """Write one small file per source; returns {config key: path}."""
    root.mkdir(parents=True, exist_ok=True)
    files = {}
    genes = [("TP53", 7157), ("KRAS", 3845), ("EGFR", 1956), ("MRE11", 4361), ("AKT1", 207)]
    expr_rows = [
        ["ACH-000001", 5.1, 0.0, 2.2, 1.0, 3.0],
        ["ACH-000002", 4.2, 0.0, 1.5, 0.0, 2.0],
        ["ACH-000003", 3.3, 0.0, 0.0, 2.0, 1.0],
        ["ACH-000004", 2.4, 0.0, 3.1, 1.5, 0.5],
    ]
    files["expression"] = write_csv(root / "CCLE_expression.csv",
                                    [""] + [f"{s} ({e})" for s, e in genes], expr_rows)

    def mutation(gene, line, klass):
        depmap, ccle = LINES[line][0], LINES[line][1]
        row = {h: "" for h in MUTATION_HEADER}
        row.update(Hugo_Symbol=gene, Entrez_Gene_Id="1", NCBI_Build="37",
                   Variant_Classification=klass, Variant_Type="SNP",
                   Tumor_Sample_Barcode=ccle, isDeleterious="True", DepMap_ID=depmap)
        return [row[h] for h in MUTATION_HEADER]

    files["mutations"] = write_csv(root / "CCLE_mutations.csv", MUTATION_HEADER, [
        mutation("TP53", 0, "Missense_Mutation"), mutation("TP53", 1, "Nonsense_Mutation"),
        mutation("KRAS", 0, "Silent"), mutation("KRAS", 2, "Missense_Mutation"),
        mutation("EGFR", 3, "Intron"),
    ])
    info_rows = []
    for depmap, ccle, stripped, cosmic, _gdsc, tissue in LINES:
        row = {h: "" for h in SAMPLE_INFO_HEADER}
        row.update({"DepMap_ID": depmap, "stripped_cell_line_name": stripped, "CCLE Name": ccle,
                    "COSMIC_ID": f"{cosmic}.0" if cosmic else "", "lineage": tissue})
        info_rows.append([row[h] for h in SAMPLE_INFO_HEADER])
    files["sample_info"] = write_csv(root / "sample_info.csv", SAMPLE_INFO_HEADER, info_rows)
    files["rppa"] = write_csv(root / "CCLE_RPPA_20181003.csv",
                              ["", "Akt_pS473", "MRE11_Caution", "p53"], [
                                  ["NCIH508_LARGE_INTESTINE", 0.5, -1.2, 0.1],
                                  ["CAL51_BREAST", -0.3, 0.8, 0.0],
                                  ["SW48_LARGE_INTESTINE", 1.1, 0.2, -0.4],
                              ])
    files["rppa_antibodies"] = write_csv(
        root / "CCLE_RPPA_Ab_info_20181226.csv",
        ["Antibody_Name", "Target_Genes", "Validation_Status", "Company", "Catalog_Number"],
        [["Akt_pS473", "AKT1 AKT2 AKT3", "Validated", "CST", "9271"],
         ["MRE11_Caution", "MRE11A", "Caution", "", ""],
         ["p53", "TP53", "Validated", "CST", "ab64949 "]],
    )
    files["metabolomics"] = write_csv(
        root / "CCLE_metabolomics_20190502.csv",
        ["CCLE_ID", "DepMap_ID", "DHAP/glyceraldehyde 3P", "hexoses (HILIC neg)", "C34:1 PC"],
        [["NCIH508_LARGE_INTESTINE", "ACH-000001", 5.0, 6.0, 7.0],
         ["CAL51_BREAST", "ACH-000002", 4.0, 5.5, 6.5],
         ["CAL51_BREAST", "ACH-000002", 4.2, 5.7, 6.3],
         ["HS578T_BREAST", "ACH-000004", 3.9, 5.1, 6.1]],
    )
    dose = [DOSE_HEADER]
    for i, (name, cosmic) in enumerate(GDSC_COSMIC.items()):
        for drug_id, drug in ((1, "Afatinib"), (2, "Trametinib"), (3, "Cisplatin")):
            if drug == "Cisplatin" and i == 3:
                continue  # 3 of 4 lines: 75% coverage
            dose.append(["GDSC2", 1, 1, cosmic, name, f"SIDM{i:05d}", "BRCA", drug_id, drug,
                         "EGFR", "EGFR signaling", 1046, "Y", 0.01, 10.0,
                         round(0.5 * i - drug_id, 3), 0.9, 0.05, 0.1])
    files["dose_response"] = write_xlsx(root / "GDSC2_fitted_dose_response_17Jul19.xlsx",
                                        {"Sheet 1": dose})
    files["compounds"] = write_csv(
        root / "screened_compounds_rel_8.0.csv",
        ["DRUG_ID", "SCREENING_SITE", "DRUG_NAME", "SYNONYMS", "TARGET", "TARGET_PATHWAY"],
        [[1, "SANGER", "Afatinib", "BIBW2992", "ERBB2, EGFR", "EGFR signaling"],
         [2, "SANGER", "Trametinib", "", "MEK1, MEK2", "ERK MAPK signaling"],
         [3, "SANGER", "Cisplatin", "", "DNA crosslinker", "DNA replication"]],
    )
    details = [DETAILS_HEADER]
    for (*_, gdsc_name, tissue) in LINES:
        details.append([gdsc_name, GDSC_COSMIC[gdsc_name], "Y", "Y", "Y", "Y", "Y", tissue,
                        tissue + "_sub", "COREAD", "MSS/MSI-L", "R", "Adherent"])
    details.append(["TOTAL:", None, 4, 4, 4, 4, 4, None, None, None, None, None, None])
    files["cell_line_details"] = write_xlsx(root / "Cell_Lines_Details.xlsx", {
        "Cell line details": details,
        "COSMIC tissue classification": [["Line", "COSMIC_ID", "Site", "Histology"]],
        "Decode": [["Abbreviation", "Meaning"]],
    })
    names = list(GDSC_COSMIC)
    cn = [["gene", "chr", "start", "stop", *names],
          [None, None, None, None, *GDSC_COSMIC.values()],
          ["TP53", 17, 7565097, 7590856, "2,1,L,-", "3,2,H,-", "0,0,0,D", "-1,-1,-,-"],
          ["KRAS", 12, 25358180, 25403854, "12,6,H,-", "2,2,H,-", "2,1,L,-", "3,3,H,-"]]
    files["copy_number"] = write_xlsx(root / "Gene_level_CN.xlsx", {"Gene_level_CN": cn})
    hint_rows = [["P04637", "Q00987", "TP53", "MDM2", "123:0018:HT:binary", "9606"],
                 ["P01116", "P00533", "KRAS", "EGFR", "124:0018:LC:binary", "9606"],
                 ["P00533", "P01116", "EGFR", "KRAS", "124:0018:LC:binary", "9606"],
                 ["P31749", "P04637", "AKT1", "TP53", "125:0018:LC:binary", "9606"],
                 ["P04637", "P04637", "TP53", "TP53", "126:0018:LC:binary", "9606"]]
    with open(root / "HomoSapiens_binary_hq.txt", "w") as handle:
        handle.write("Uniprot_A\tUniprot_B\tGene_A\tGene_B\tpmid:method:quality:type\ttaxid\n")
        for row in hint_rows:
            handle.write("\t".join(row) + "\n")
    files["interactome"] = root / "HomoSapiens_binary_hq.txt"
    return files


@pytest.fixture(scope="session", autouse=True)
def kernel_cache(tmp_path_factory) -> Path:
    """The compiled graph kernels are built into the session's temporary folder, not the
    user's cache; workflow runs started by tests inherit the setting."""
    folder = tmp_path_factory.mktemp("kernel-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODRP_KERNEL_CACHE", str(folder))
        yield folder


@pytest.fixture
def mini_sources(tmp_path) -> dict[str, Path]:
    return write_mini_sources(tmp_path / "raw")


@pytest.fixture
def html_page(tmp_path) -> Path:
    path = tmp_path / "page.csv"
    path.write_text("<!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n")
    return path
