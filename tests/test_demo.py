"""The demo dataset writer: real file layouts, planted quirks, planted signal, determinism."""

from __future__ import annotations

import json
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from modrp.cli import main
from modrp.config import validate_config
from modrp.demo import (
    FILE_NAMES,
    SCALES,
    TISSUES,
    DemoScale,
    _make_cell_lines,
    _make_new_lines,
    demo_scale,
    write_demo_dataset,
    write_new_cell_lines,
)
from modrp.preprocess import load_source_files, mutation_matrix
from modrp.sources import ccle, depmap, gdsc

PAPER_DRUGS = [
    "5-Fluorouracil", "Afatinib", "Alpelisib", "Camptothecin", "EPZ004777", "EPZ5676",
    "GSK1904529A", "Irinotecan", "LGK974", "Linsitinib", "Luminespib", "MK-1775", "MK-2206",
    "Nutlin-3a (-)", "Palbociclib", "PD0325901", "PLX-4720", "Sapatinib", "SCH772984",
    "Taselisib", "Trametinib", "Oxaliplatin",
]
NON_CODING = {"Silent", "Intron", "3'UTR", "5'UTR", "5'Flank", "IGR"}
SMALL = {"n_lines": 60, "n_genes": 260, "n_edges": 700}


def normalise(name: str) -> str:
    return re.sub(r"[\s\-_/.;]", "", name).upper()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The default-size dataset, written once for the module."""
    paths = write_demo_dataset(tmp_path_factory.mktemp("demo"), seed=0)
    truth = json.loads(paths["truth"].read_text())
    return paths, truth


@pytest.fixture(scope="module")
def dose_response(demo):
    return pd.read_excel(demo[0]["dose_response"], engine="calamine")


@pytest.fixture(scope="module")
def sample_info(demo):
    return pd.read_csv(demo[0]["sample_info"])


@pytest.fixture(scope="module")
def expression(demo):
    return pd.read_csv(demo[0]["expression"], index_col=0)


@pytest.fixture(scope="module")
def mutations(demo):
    return pd.read_csv(demo[0]["mutations"])


def test_every_file_is_written_under_its_source_name(demo):
    paths, _ = demo
    assert set(paths) == set(FILE_NAMES)
    for key, path in paths.items():
        assert path.name == FILE_NAMES[key]
        assert path.stat().st_size > 0


def test_expression_layout(demo, expression):
    header = demo[0]["expression"].read_text().split("\n", 1)[0]
    assert header.startswith(",")  # unnamed id column
    assert expression.index.str.fullmatch(r"ACH-\d{6}").all()
    assert pd.Series(expression.columns).str.fullmatch(r"[A-Z0-9-]+ \(\d+\)").all()
    assert "TP53 (7157)" in expression.columns
    assert (expression.to_numpy() >= 0).all()
    mostly_zero = expression.columns[(expression == 0).mean() > 0.95]
    symbols = {c.split(" (")[0] for c in mostly_zero}
    assert symbols == set(demo[1]["planted_quirks"]["mostly_zero_expression_genes"])


def test_mutations_layout_and_planted_silent_gene(demo, mutations, sample_info):
    assert list(mutations.columns) == [
        "Hugo_Symbol", "Entrez_Gene_Id", "NCBI_Build", "Chromosome", "Start_position",
        "End_position", "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele",
        "Tumor_Seq_Allele1", "dbSNP_RS", "dbSNP_Val_Status", "Genome_Change",
        "Annotation_Transcript", "Tumor_Sample_Barcode", "cDNA_Change", "Codon_Change",
        "Protein_Change", "isDeleterious", "isTCGAhotspot", "TCGAhsCnt", "isCOSMIChotspot",
        "COSMIChsCnt", "ExAC_AF", "CGA_WES_AC", "SangerWES_AC", "SangerRecalibWES_AC",
        "RNAseq_AC", "HC_AC", "RD_AC", "WGS_AC", "Variant_annotation", "DepMap_ID",
    ]
    assert {"Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins",
            "Splice_Site", "In_Frame_Del", "Silent", "3'UTR", "Intron"} <= set(
        mutations["Variant_Classification"])
    assert set(mutations["Variant_Type"]) == {"SNP", "DEL", "INS", "DNP"}
    assert (mutations["NCBI_Build"] == 37).all()
    assert mutations["isDeleterious"].dtype == bool
    snp = mutations[mutations["Variant_Type"] == "SNP"]
    assert (snp["Reference_Allele"] != snp["Tumor_Seq_Allele1"]).all()
    assert "p.V600E" in set(mutations["Protein_Change"])
    # Tumor_Sample_Barcode is the CCLE Name of the row's DepMap id.
    ccle_name = sample_info.set_index("DepMap_ID")["CCLE Name"]
    assert (mutations["DepMap_ID"].map(ccle_name) == mutations["Tumor_Sample_Barcode"]).all()

    silent_gene = demo[1]["planted_quirks"]["silent_only_gene"]
    rows = mutations[mutations["Hugo_Symbol"] == silent_gene]
    assert set(rows["Variant_Classification"]) <= NON_CODING
    assert rows["DepMap_ID"].nunique() > 0.2 * mutations["DepMap_ID"].nunique()


def test_sample_info_layout(demo, sample_info, expression, mutations):
    assert list(sample_info.columns) == [
        "DepMap_ID", "stripped_cell_line_name", "CCLE Name", "alias", "COSMIC_ID", "lineage",
        "lineage_subtype", "lineage_sub_subtype", "sex", "source", "Achilles_n_replicates",
        "cell_line_NNMD", "culture_type", "culture_medium", "cas9_activity", "RRID",
        "sample_collection_site", "primary_or_metastasis", "disease", "disease_subtype", "age",
        "Sanger_model_ID", "additional_info",
    ]
    assert sample_info["COSMIC_ID"].dtype == float
    assert 0.02 < sample_info["COSMIC_ID"].isna().mean() < 0.12
    assert (sample_info["CCLE Name"].str.split("_").str[0]
            == sample_info["stripped_cell_line_name"]).all()
    with_data = set(expression.index) | set(mutations["DepMap_ID"])
    assert len(set(sample_info["DepMap_ID"]) - with_data) >= 3
    # a line without COSMIC_ID has no Sanger_model_ID either (it matches by name only)
    assert sample_info["Sanger_model_ID"].str.fullmatch(r"SIDM\d{5}").any()
    assert sample_info.loc[sample_info["COSMIC_ID"].isna(), "Sanger_model_ID"].isna().all()


def test_rppa_and_antibody_table(demo, expression):
    paths, _ = demo
    rppa = pd.read_csv(paths["rppa"])
    assert rppa.columns[0] == "Unnamed: 0"
    assert rppa["Unnamed: 0"].str.contains("_").all()  # CCLE names
    assert (rppa.iloc[:, 1:] < 0).any().any()
    info = pd.read_csv(paths["rppa_antibodies"])
    assert list(info.columns) == ["Antibody_Name", "Target_Genes", "Validation_Status",
                                  "Company", "Catalog_Number"]
    assert set(rppa.columns[1:]) == set(info["Antibody_Name"])
    assert info["Target_Genes"].str.contains(" ").any()
    caution = info["Validation_Status"] == "Caution"
    assert caution.any()
    assert info.loc[caution, "Antibody_Name"].str.endswith("_Caution").all()
    assert info[["Company", "Catalog_Number"]].isna().all(axis=1).any()
    assert (info["Target_Genes"] == "MRE11A").any()
    symbols = {c.split(" (")[0] for c in expression.columns}
    assert "MRE11" in symbols and "MRE11A" not in symbols
    mostly_zero = rppa.columns[1:][(rppa.iloc[:, 1:] == 0).mean() > 0.95]
    assert list(mostly_zero) == [demo[1]["planted_quirks"]["mostly_zero_antibody"]]


def test_metabolomics_layout(demo):
    metabolomics = pd.read_csv(demo[0]["metabolomics"])
    assert list(metabolomics.columns[:2]) == ["CCLE_ID", "DepMap_ID"]
    assert {"DHAP/glyceraldehyde 3P", "hexoses (HILIC neg)", "C34:1 PC"} <= set(
        metabolomics.columns)
    assert metabolomics["CCLE_ID"].duplicated().sum() == 1
    values = metabolomics.iloc[:, 2:]
    # the second measurement is a slightly perturbed copy of the first; zeros stay zero
    twice = values[metabolomics["CCLE_ID"].duplicated(keep=False)].to_numpy()
    assert np.abs(twice[0] - twice[1]).max() < 0.2
    assert ((twice[0] == 0) == (twice[1] == 0)).all()
    positive = values.to_numpy()[values.to_numpy() > 0]
    assert positive.min() >= 3.5 and positive.max() <= 7.7
    mostly_zero = values.columns[(values == 0).mean() > 0.95]
    assert list(mostly_zero) == [demo[1]["planted_quirks"]["mostly_zero_metabolite"]]


def test_dose_response_layout(dose_response):
    assert list(dose_response.columns) == [
        "DATASET", "NLME_RESULT_ID", "NLME_CURVE_ID", "COSMIC_ID", "CELL_LINE_NAME",
        "SANGER_MODEL_ID", "TCGA_DESC", "DRUG_ID", "DRUG_NAME", "PUTATIVE_TARGET",
        "PATHWAY_NAME", "COMPANY_ID", "WEBRELEASE", "MIN_CONC", "MAX_CONC", "LN_IC50", "AUC",
        "RMSE", "Z_SCORE",
    ]
    assert (dose_response["DATASET"] == "GDSC2").all()
    assert pd.api.types.is_integer_dtype(dose_response["COSMIC_ID"])
    assert pd.api.types.is_integer_dtype(dose_response["DRUG_ID"])
    assert dose_response["SANGER_MODEL_ID"].str.fullmatch(r"SIDM\d{5}").all()
    assert (dose_response["RMSE"] < 0.3).all()
    assert (dose_response["MIN_CONC"] < dose_response["MAX_CONC"]).all()
    assert "UNCLASSIFIED" in set(dose_response["TCGA_DESC"])
    assert dose_response["NLME_CURVE_ID"].is_unique


def test_paper_drugs_pass_the_coverage_cut_and_distractors_do_not(dose_response):
    n_lines = dose_response["CELL_LINE_NAME"].nunique()
    coverage = dose_response.groupby(["DRUG_NAME", "DRUG_ID"])["CELL_LINE_NAME"].nunique()
    coverage = coverage / n_lines
    best = coverage.groupby(level="DRUG_NAME").max()
    for drug in PAPER_DRUGS:
        assert 0.95 < best[drug] < 1.0, drug
    distractors = best.drop(PAPER_DRUGS)
    assert len(distractors) >= 5
    assert (distractors < 0.95).all()
    assert 0.94 < best["Cisplatin"] < 0.95
    oxaliplatin = coverage["Oxaliplatin"]
    assert len(oxaliplatin) == 2 and oxaliplatin.min() < 0.95 < oxaliplatin.max()
    # the two DRUG_IDs share the planted signal (own noise): they correlate across lines
    both_ids = dose_response[dose_response["DRUG_NAME"] == "Oxaliplatin"].pivot_table(
        index="COSMIC_ID", columns="DRUG_ID", values="LN_IC50").dropna()
    assert len(both_ids) > 100 and both_ids.corr().iloc[0, 1] > 0.3


def test_truth_coverage_and_line_map_match_the_files(demo, dose_response, sample_info):
    truth = demo[1]
    n_lines = dose_response["COSMIC_ID"].nunique()
    assert n_lines == truth["counts"]["gdsc_lines"]
    coverage = dose_response.groupby(["DRUG_NAME", "DRUG_ID"])["COSMIC_ID"].nunique() / n_lines
    assert truth["coverage"] == pytest.approx(
        {f"{name} ({drug_id})": share for (name, drug_id), share in coverage.items()},
        abs=1e-6)

    # line_map: COSMIC id -> DepMap id of the same line, by sample_info's COSMIC_ID or, for
    # the name-only matches, by the normalised GDSC name
    line_map = truth["line_map"]
    assert len(line_map) == truth["counts"]["matched_lines"]
    by_cosmic = sample_info.dropna(subset=["COSMIC_ID"]).set_index(
        sample_info["COSMIC_ID"].dropna().astype(int).astype(str))["DepMap_ID"]
    gdsc_name = dose_response.drop_duplicates("COSMIC_ID").set_index(
        dose_response["COSMIC_ID"].drop_duplicates().astype(str))["CELL_LINE_NAME"]
    stripped = sample_info.set_index("DepMap_ID")["stripped_cell_line_name"]
    name_only = set(truth["name_only_matches"])
    assert name_only and name_only <= set(line_map.values())
    for cosmic, depmap_id in line_map.items():
        if depmap_id in name_only:
            assert cosmic not in by_cosmic.index
            assert normalise(gdsc_name[cosmic]) == stripped[depmap_id], cosmic
        else:
            assert by_cosmic[cosmic] == depmap_id, cosmic


def test_compounds_cover_every_screened_drug(demo, dose_response):
    compounds = pd.read_csv(demo[0]["compounds"])
    assert list(compounds.columns) == ["DRUG_ID", "SCREENING_SITE", "DRUG_NAME", "SYNONYMS",
                                       "TARGET", "TARGET_PATHWAY"]
    assert compounds["DRUG_ID"].is_unique
    screened = set(dose_response["DRUG_ID"])
    assert screened < set(compounds["DRUG_ID"])
    targets = compounds.set_index("DRUG_NAME")["TARGET"]
    assert targets["Palbociclib"] == "CDK4, CDK6"


def test_cell_line_details_workbook(demo, dose_response):
    sheets = pd.read_excel(demo[0]["cell_line_details"], sheet_name=None, engine="calamine")
    assert list(sheets) == ["Cell line details", "COSMIC tissue classification", "Decode"]
    details = sheets["Cell line details"]
    assert list(details.columns) == [
        "Sample Name", "COSMIC identifier", "Whole Exome Sequencing (WES)",
        "Copy Number Alterations (CNA)", "Gene Expression", "Methylation", "Drug\nResponse",
        "GDSC\nTissue descriptor 1", "GDSC\nTissue\ndescriptor 2",
        "Cancer Type\n(matching TCGA label)", "Microsatellite \ninstability Status (MSI)",
        "Screen Medium", "Growth Properties",
    ]
    assert details.iloc[-1]["Sample Name"].startswith("TOTAL")
    assert pd.isna(details.iloc[-1]["COSMIC identifier"])
    body = details.iloc[:-1]
    assert body["COSMIC identifier"].notna().all()
    assert set(body["Drug\nResponse"]) <= {"Y", "N"}
    assert set(body["COSMIC identifier"].astype(int)) == set(dose_response["COSMIC_ID"])
    assert list(sheets["COSMIC tissue classification"].columns) == [
        "Line", "COSMIC_ID", "Site", "Histology"]


def test_copy_number_workbook(demo, dose_response):
    sheet = pd.read_excel(demo[0]["copy_number"], sheet_name="Gene_level_CN",
                          engine="calamine")
    assert list(sheet.columns[:4]) == ["gene", "chr", "start", "stop"]
    ids = sheet.iloc[0]
    assert ids[["gene", "chr", "start", "stop"]].isna().all()
    cosmic = dose_response.drop_duplicates("CELL_LINE_NAME").set_index("CELL_LINE_NAME")
    for name in sheet.columns[4:]:
        assert int(ids[name]) == cosmic.loc[name, "COSMIC_ID"]
    cells = pd.Series(sheet.iloc[1:, 4:].to_numpy().ravel())
    assert cells.str.fullmatch(r"-?\d+,-?\d+,[HL0-],[-D]").all()
    for example in ("0,0,0,D", "-1,-1,-,-"):
        assert (cells == example).any()
    assert cells.str.contains(",L,").any()
    max_cn = cells.str.split(",").str[0].astype(int)
    assert (max_cn >= 8).any()


def test_interactome_table(demo, expression):
    hint = pd.read_csv(demo[0]["interactome"], sep="\t")
    assert list(hint.columns) == ["Uniprot_A", "Uniprot_B", "Gene_A", "Gene_B",
                                  "pmid:method:quality:type", "taxid"]
    assert (hint["taxid"] == 9606).all()
    # Uniprot_A names Gene_A's protein and Uniprot_B Gene_B's: one gene per accession
    accessions = pd.concat([
        hint[["Uniprot_A", "Gene_A"]].set_axis(["uniprot", "gene"], axis=1),
        hint[["Uniprot_B", "Gene_B"]].set_axis(["uniprot", "gene"], axis=1)])
    assert accessions.groupby("uniprot")["gene"].nunique().eq(1).all()
    assert accessions.groupby("gene")["uniprot"].nunique().eq(1).all()
    self_rows = hint["Gene_A"] == hint["Gene_B"]
    assert self_rows.sum() >= 2
    symbols = {c.split(" (")[0] for c in expression.columns}
    foreign = ~hint["Gene_A"].isin(symbols) | ~hint["Gene_B"].isin(symbols)
    assert foreign.sum() >= 2
    kept = hint[~self_rows & ~foreign]
    pairs = {frozenset(p) for p in zip(kept["Gene_A"], kept["Gene_B"], strict=True)}
    assert len(pairs) == 5000
    assert len(kept) > len(pairs)  # some pairs repeated in the other orientation
    degree = pd.concat([kept["Gene_A"], kept["Gene_B"]]).value_counts()
    assert degree.max() > 10 * degree.median()  # scale-free-ish hubs


def test_planted_signal(demo):
    truth = demo[1]
    assert set(truth["oracle_r2"]) == set(PAPER_DRUGS)
    r2 = np.array(list(truth["oracle_r2"].values()))
    assert ((r2 >= 0.55) & (r2 <= 0.95)).mean() >= 0.8
    assert truth["strongest_omic"] == "exp"
    assert truth["omic_order"] == ["exp", "mut", "rppa", "cnv", "metabolites"]
    shares = truth["explained_variance_share"]
    strongest = [max(s, key=s.get) for s in shares.values()]
    assert strongest.count("exp") >= 0.8 * len(PAPER_DRUGS)
    assert np.mean([s["exp"] for s in shares.values()]) > 0.8
    for drug in PAPER_DRUGS:
        assert abs(sum(shares[drug].values()) - 1) < 1e-4
        assert set(truth["targets"][drug]) <= set(truth["neighbourhood"][drug])
        assert set(truth["coefficients"][drug]) == set(truth["omic_order"])
        assert len(truth["coefficients"][drug]["exp"]) >= 40
        programme = truth["expression_programmes"][drug]
        assert len(programme["factors"]) == len(programme["weights"]) == 2
    means = list(truth["drug_mean"].values())
    assert min(means) < -2 and max(means) > 4


def test_expression_programme_is_a_low_rank_signal(demo, expression):
    """Each drug's expression part follows a few directions of the whole expression matrix
    (so many genes carry it), not the private noise of its 40 genes."""
    truth = demo[1]
    z = expression.to_numpy()
    z = (z - z.mean(axis=0)) / np.where(z.std(axis=0) > 0, z.std(axis=0), 1.0)
    symbols = [c.split(" (")[0] for c in expression.columns]
    column = {s: i for i, s in enumerate(symbols)}
    u, _, _ = np.linalg.svd(z, full_matrices=False)
    top = u[:, :10]  # 6 shared factors + tissue effects

    def share_in_top_directions(score):
        score = score - score.mean()
        fitted = top @ (top.T @ score)
        return 1 - ((score - fitted) ** 2).sum() / (score**2).sum()

    explained = []
    for drug in PAPER_DRUGS:
        coefficients = truth["coefficients"][drug]["exp"]
        explained.append(share_in_top_directions(
            z[:, [column[g] for g in coefficients]] @ np.array(list(coefficients.values()))))
    assert min(explained) > 0.8, explained
    # A random set of 40 genes with random weights is not low-rank in this sense.
    rng = np.random.default_rng(0)
    random_score = z[:, rng.choice(z.shape[1], 40, replace=False)] @ rng.normal(size=40)
    assert share_in_top_directions(random_score) < 0.5


def test_coefficients_name_features_the_files_contain(demo, expression, mutations):
    paths, truth = demo
    rppa = pd.read_csv(paths["rppa"], nrows=1).columns
    metabolites = pd.read_csv(paths["metabolomics"], nrows=1).columns
    copy_number = pd.read_excel(paths["copy_number"], engine="calamine", usecols=[0])["gene"]
    symbols = {c.split(" (")[0] for c in expression.columns}
    kept = mutations[~mutations["Variant_Classification"].isin(NON_CODING)]
    frequency = kept.groupby("Hugo_Symbol")["DepMap_ID"].nunique()
    frequency = frequency / mutations["DepMap_ID"].nunique()
    known = {"exp": symbols, "cnv": set(copy_number.dropna()), "rppa": set(rppa),
             "metabolites": set(metabolites), "mut": set(frequency.index[frequency >= 0.05])}
    for drug, by_omic in truth["coefficients"].items():
        for omic, coefficients in by_omic.items():
            assert set(coefficients) <= known[omic], (drug, omic)
        assert set(by_omic["mut"]) <= set(truth["neighbourhood"][drug])


def test_gdsc_names_normalise_to_ccle_names(dose_response, sample_info):
    by_cosmic = sample_info.dropna(subset=["COSMIC_ID"]).astype({"COSMIC_ID": int})
    matched = dose_response.drop_duplicates("COSMIC_ID").merge(by_cosmic, on="COSMIC_ID")
    assert len(matched) > 0.7 * dose_response["COSMIC_ID"].nunique()
    assert (matched["CELL_LINE_NAME"].map(normalise)
            == matched["stripped_cell_line_name"]).all()
    nci = matched[matched["CELL_LINE_NAME"].str.startswith("NCI-H")]
    assert len(nci) >= 1
    assert "NCI-H508" in set(nci["CELL_LINE_NAME"])
    row = nci.set_index("CELL_LINE_NAME").loc["NCI-H508"]
    assert row["CCLE Name"] == "NCIH508_LARGE_INTESTINE"


def test_lines_without_cosmic_id_match_by_name_and_one_pair_is_ambiguous(
        demo, dose_response, sample_info):
    truth = demo[1]
    gdsc_names = dose_response["CELL_LINE_NAME"].drop_duplicates()
    by_name = gdsc_names.groupby(gdsc_names.map(normalise)).agg(list)
    no_cosmic = sample_info[sample_info["COSMIC_ID"].isna()]
    assert set(truth["name_only_matches"]) <= set(no_cosmic["DepMap_ID"])
    for _, line in no_cosmic[no_cosmic["DepMap_ID"].isin(truth["name_only_matches"])].iterrows():
        assert line["stripped_cell_line_name"] in by_name.index
    assert sorted(by_name["KMH2"]) == ["KM-H2", "KMH-2"]
    kmh2 = sample_info[sample_info["stripped_cell_line_name"] == "KMH2"]
    assert len(kmh2) == 1 and kmh2["COSMIC_ID"].isna().all()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    first = write_demo_dataset(tmp_path / "a", seed=7, **SMALL)
    second = write_demo_dataset(tmp_path / "b", seed=7, **SMALL)
    third = write_demo_dataset(tmp_path / "c", seed=8, **SMALL)
    for key, path in first.items():
        if path.suffix in (".csv", ".txt", ".json", ".xlsx"):
            assert path.read_bytes() == second[key].read_bytes(), key
    assert first["expression"].read_bytes() != third["expression"].read_bytes()
    # the workbooks' creation stamp is fixed, not the clock's (equal bytes above only when
    # both runs fell within one second)
    for key in ("dose_response", "cell_line_details", "copy_number"):
        with zipfile.ZipFile(first[key]) as workbook:
            core = workbook.read("docProps/core.xml").decode()
        assert re.search(r"<dcterms:created[^>]*>([^<]*)<", core)[1] == "2019-07-17T00:00:00Z"
    truth = json.loads(first["truth"].read_text())
    assert truth["seed"] == 7 and truth["n_lines"] == SMALL["n_lines"]


@pytest.mark.parametrize("bad", [{"n_genes": 50}, {"n_lines": 5}, {"n_edges": 10**9}])
def test_rejects_impossible_sizes(tmp_path, bad):
    with pytest.raises(ValueError):
        write_demo_dataset(tmp_path, **bad)


# --------------------------------------------------------------------------- scales


def test_paper_scale_matches_the_real_files_in_expectation():
    """The paper scale's mixes give the real files' sizes (in expectation)."""
    paper = SCALES["paper"]
    both, gdsc_only, ccle_only = (paper.n_lines * r for r in paper.roles)
    exp, mut, cnv, rppa, met = paper.profiled
    ccle = both + ccle_only
    assert (paper.n_genes, paper.n_coding_genes, paper.n_edges) == (25_638, 19_144, 62_345)
    assert (paper.n_antibodies, paper.n_metabolites) == (214, 225)
    assert len(PAPER_DRUGS) + 1 + 6 + paper.n_background_compounds == 175  # DRUG_IDs
    for expected, target in ((ccle * exp, 1210), (ccle * mut, 1656), (ccle * rppa, 899),
                             (ccle * met, 928), (ccle + paper.n_info_only, 1736),
                             ((both + gdsc_only) * paper.screened_share, 810),
                             ((both + gdsc_only) * cnv, 987)):
        assert abs(expected / target - 1) < 0.01, (expected, target)


@pytest.fixture(scope="module")
def scaled(tmp_path_factory):
    """A small dataset with every knob of the paper scale turned (non-coding genes,
    unscreened GDSC lines, synthesized antibodies, metabolites and compounds)."""
    scale = DemoScale(n_lines=80, n_genes=420, n_edges=1200, n_coding_genes=330,
                      roles=(0.6, 0.15, 0.25), n_info_only=4, screened_share=0.8,
                      n_antibodies=90, n_metabolites=70, n_background_compounds=12)
    paths = write_demo_dataset(tmp_path_factory.mktemp("scaled"), seed=3, scale=scale)
    return scale, paths, json.loads(paths["truth"].read_text())


def test_scale_knobs_shape_every_file(scaled):
    scale, paths, truth = scaled
    expression = pd.read_csv(paths["expression"], index_col=0, nrows=2)
    assert expression.shape[1] == scale.n_coding_genes
    cn = pd.read_excel(paths["copy_number"], engine="calamine")
    assert len(cn) - 1 == scale.n_genes
    non_coding = cn["gene"].dropna()[cn["gene"].dropna().str.startswith("LINC")]
    assert len(non_coding) == scale.n_genes - scale.n_coding_genes
    assert not {c.split(" (")[0] for c in expression.columns} & set(non_coding)
    mutations = pd.read_csv(paths["mutations"])
    assert not set(mutations["Hugo_Symbol"]) & set(non_coding)
    hint = pd.read_csv(paths["interactome"], sep="\t")
    assert not set(hint["Gene_A"]) & set(non_coding)
    rppa = pd.read_csv(paths["rppa"], index_col=0)
    antibodies = pd.read_csv(paths["rppa_antibodies"])
    assert rppa.shape[1] == len(antibodies) == scale.n_antibodies
    assert antibodies["Antibody_Name"].is_unique
    metabolomics = pd.read_csv(paths["metabolomics"])
    assert metabolomics.shape[1] == 2 + scale.n_metabolites
    assert list(metabolomics.columns[-3:]) == ["C58:8 TAG", "C58:7 TAG", "C58:6 TAG"]

    dose = pd.read_excel(paths["dose_response"], engine="calamine")
    assert dose["DRUG_ID"].nunique() == len(PAPER_DRUGS) + 1 + 6 + 12
    details = pd.read_excel(paths["cell_line_details"], engine="calamine").iloc[:-1]
    screened = set(dose["COSMIC_ID"])
    assert screened < set(details["COSMIC identifier"].astype(int))  # GDSC1000 > GDSC2
    flags = details.set_index(details["COSMIC identifier"].astype(int))["Drug\nResponse"]
    assert (flags.loc[list(screened)] == "Y").all() and (flags.drop(list(screened)) == "N").all()
    coverage = dose.groupby("DRUG_ID")["COSMIC_ID"].nunique() / len(screened)
    background = coverage.drop([d for d in truth["drug_ids"].values()] + [1806])
    assert len(background) == 18 and (background < 0.95).all()
    assert truth["scale"]["dose_response_rows"] == len(dose)
    assert truth["scale"]["gdsc1000_lines"] == len(details)


def test_scaled_files_run_through_the_pipeline_parsers(scaled):
    scale, paths, truth = scaled
    config = validate_config({"dataset": "t", "data": {"source": "demo"}})
    data = load_source_files(paths, config)
    assert sorted(data.response.columns, key=str.lower) == sorted(PAPER_DRUGS, key=str.lower)
    assert data.summary["features"]["rppa"]["raw"] == scale.n_antibodies
    assert data.summary["features"]["metabolites"]["raw"] == scale.n_metabolites
    assert data.summary["raw"]["cnv"][1] == scale.n_genes
    assert data.summary["raw"]["exp"][1] == scale.n_coding_genes


def test_demo_scale_rejects_inconsistent_sizes():
    with pytest.raises(ValueError, match="scale must be one of"):
        demo_scale("huge")
    with pytest.raises(ValueError, match="n_coding_genes"):
        demo_scale(DemoScale(n_genes=500, n_coding_genes=600))
    with pytest.raises(ValueError, match="20 \\* coding genes"):
        demo_scale(DemoScale(n_genes=2000, n_coding_genes=250, n_edges=6000))


# --------------------------------------------------------------------------- new cell lines


@pytest.fixture(scope="module")
def new_lines(tmp_path_factory):
    base = write_demo_dataset(tmp_path_factory.mktemp("base"), seed=4, **SMALL)
    new = write_new_cell_lines(tmp_path_factory.mktemp("new"), 40, seed=11, base_seed=4,
                               base_n_lines=SMALL["n_lines"], n_genes=SMALL["n_genes"],
                               n_edges=SMALL["n_edges"])
    return base, new


def test_new_lines_have_ids_no_base_line_has(new_lines):
    base, new = new_lines
    base_info = pd.read_csv(base["sample_info"])
    new_info = pd.read_csv(new["sample_info"])
    assert len(new_info) == 40
    for column in ("DepMap_ID", "CCLE Name", "stripped_cell_line_name", "COSMIC_ID"):
        assert not set(new_info[column].dropna()) & set(base_info[column].dropna()), column
    dose = pd.read_excel(base["dose_response"], engine="calamine")
    responses = pd.read_csv(new["responses"])
    assert not set(responses["cell_line"]) & set(dose["COSMIC_ID"])
    base_names = {normalise(n) for n in dose["CELL_LINE_NAME"]}
    assert not {normalise(n) for n in responses["cell_line_name"]} & base_names
    assert responses.groupby("cell_line")["drug"].nunique().eq(len(PAPER_DRUGS)).all()


def signal_inputs(paths) -> dict[str, pd.DataFrame]:
    """Every omic of a demo's files as the pipeline reads it, indexed by COSMIC id (lines
    whose sample_info row has no COSMIC id are left out); ``mut`` holds the profiled lines."""
    info = depmap.read_sample_info(paths["sample_info"]).dropna(subset=["cosmic_id"])
    by_depmap = info.set_index("depmap_id")["cosmic_id"]
    by_ccle = info.set_index("ccle_name")["cosmic_id"]
    variants = depmap.read_mutations(paths["mutations"]).assign(
        line=lambda t: t["depmap_id"].map(by_depmap)).dropna(subset=["line"])
    return {
        "exp": depmap.read_expression(paths["expression"]).rename(index=by_depmap),
        "mut": mutation_matrix(variants, sorted(NON_CODING)),
        "cnv": gdsc.read_gene_level_cn(paths["copy_number"]),
        "rppa": ccle.read_rppa(paths["rppa"]).rename(index=by_ccle),
        "metabolites": ccle.read_metabolomics(paths["metabolomics"]).rename(index=by_ccle),
    }


def noise_free_ln_ic50(x, truth, record, drug, lines) -> pd.Series:
    """drug_mean + sum coef * (x - centre) from the files, with truth.json's coefficients and
    the standardisation and centres of ``record`` (truth.json's or new_lines.json's, the
    same); NaN where a line lacks a signal feature."""
    expected = pd.Series(truth["drug_mean"][drug], index=lines)
    profiled = pd.Index(lines).isin(x["mut"].index)
    for omic, coefficients in truth["coefficients"][drug].items():
        for feature, coefficient in coefficients.items():
            values = x[omic].reindex(index=lines, columns=[feature]).iloc[:, 0]
            if omic == "mut":  # a profiled line without a kept variant of the gene: 0
                values = values.mask(profiled & values.isna().to_numpy(), 0.0)
            if omic in record["standardisation"]:
                mean, sd = record["standardisation"][omic][feature]
                values = (values - mean) / sd
            centre = record["centre"][drug][omic][feature]
            expected += coefficient * (values.astype(float) - centre)
    return expected


def test_new_lines_never_take_a_name_or_id_a_demo_can_draw():
    """Even against a crowded base (every short name the tissues' templates make, and the
    ids of a paper-scale universe), new lines get names and ids of their own."""
    base = _make_cell_lines(np.random.default_rng(1), SCALES["paper"],
                            np.random.default_rng(2))
    crowded = {normalise(template.format(n=k, s=k, t=j))
               for tissue in TISSUES for template in tissue.name_templates
               for k in range(1, 100) for j in range(1, 4)}
    base = pd.concat([base, pd.DataFrame({"stripped": sorted(crowded)})], ignore_index=True)
    new = _make_new_lines(np.random.default_rng(0), base, 300)
    assert new["stripped"].is_unique
    assert not set(new["stripped"]) & set(base["stripped"])
    assert new["cosmic_id"].min() > base["cosmic_id"].max()
    assert not set(new["depmap_id"]) & set(base["depmap_id"])
    assert not set(new["sanger_id"]) & set(base["sanger_id"])


def test_new_lines_follow_the_base_model(new_lines):
    """The noise-free ln IC50 recomputed from the new files with truth.json's coefficients
    matches responses.csv; the noise has the base's SDs."""
    base, new = new_lines
    truth = json.loads(base["truth"].read_text())
    record = json.loads(new["new_lines"].read_text())
    assert record["drug_mean"] == truth["drug_mean"]
    for drug, by_omic in truth["coefficients"].items():
        for omic, coefficients in by_omic.items():
            assert record["coefficients"][drug][omic] == pytest.approx(coefficients, abs=1e-6)

    x = signal_inputs(new)
    responses = pd.read_csv(new["responses"], dtype={"cell_line": str})
    lines = sorted(responses["cell_line"].unique())
    compared = 0
    for drug in truth["coefficients"]:
        expected = noise_free_ln_ic50(x, truth, record, drug, lines)
        observed = responses[responses["drug"] == drug].set_index("cell_line")
        known = expected.notna()  # unknown copy number cells are not in the file
        assert known.mean() > 0.8
        assert observed.loc[lines, "ln_ic50_noise_free"][known].to_numpy() == pytest.approx(
            expected[known].to_numpy(), abs=1e-3), drug
        compared += int(known.sum())
    assert compared > 0.8 * 40 * len(PAPER_DRUGS)
    noise = (responses["ln_ic50"] - responses["ln_ic50_noise_free"]) / responses["drug"].map(
        record["noise_sd"])
    assert 0.85 < noise.std() < 1.15 and abs(noise.mean()) < 0.15
    assert record["noise_sd"] == pytest.approx(truth["noise_sd"], abs=1e-6)


@pytest.fixture(scope="module")
def demo_inputs(demo):
    return signal_inputs(demo[0])


def test_homozygous_deletions_leave_no_expression(demo, demo_inputs):
    """Expression is 0 where the copy-number file says homozygous deletion (but for the
    planted mostly-zero genes, whose few expressed lines are drawn regardless)."""
    expression, cn = demo_inputs["exp"], demo_inputs["cnv"]
    lines = expression.index.intersection(cn.index)
    genes = expression.columns.intersection(cn.columns)
    assert len(lines) > 100 and len(genes) == expression.shape[1]
    genes = genes.difference(demo[1]["planted_quirks"]["mostly_zero_expression_genes"])
    deleted = (cn.loc[lines, genes] == -2).to_numpy()
    assert deleted.sum() > 100
    assert (expression.loc[lines, genes].to_numpy()[deleted] == 0).all()


def test_truth_json_describes_the_dose_response_file(demo, demo_inputs, dose_response,
                                                     tmp_path):
    """truth.json's model, recomputed from the demo's own omics files, leaves residuals in
    the dose-response file that look like the recorded noise: mean 0, SD noise_sd, and an
    R^2 close to the recorded oracle R^2 (over the lines profiled in every omic).
    truth.json alone is enough: it records the centres and standardisation too, the same
    as new_lines.json."""
    paths, truth = demo
    record = json.loads(write_new_cell_lines(tmp_path, 1, seed=0, base_seed=0)[
        "new_lines"].read_text())
    assert truth["centre"] == record["centre"]
    assert truth["standardisation"] == record["standardisation"]
    x = demo_inputs
    dose = dose_response.astype({"COSMIC_ID": str})
    ratios = []
    for drug, drug_id in truth["drug_ids"].items():
        y = dose[dose["DRUG_ID"] == drug_id].set_index("COSMIC_ID")["LN_IC50"]
        expected = noise_free_ln_ic50(x, truth, truth, drug, list(y.index))
        known = expected.notna()
        assert known.sum() > 150, drug
        y, residual = y[known], y[known] - expected[known]
        noise_sd = truth["noise_sd"][drug]
        assert abs(residual.mean()) < 0.35 * noise_sd, drug
        ratios.append(residual.std() / noise_sd)
        assert 0.8 < ratios[-1] < 1.2, (drug, ratios[-1])
        r2 = 1 - (residual**2).sum() / ((y - y.mean()) ** 2).sum()
        assert abs(r2 - truth["oracle_r2"][drug]) < 0.08, (drug, r2)
    assert 0.93 < np.mean(ratios) < 1.07


def test_new_lines_are_new_draws(new_lines):
    base, new = new_lines
    base_expression = pd.read_csv(base["expression"], index_col=0)
    new_expression = pd.read_csv(new["expression"], index_col=0)
    assert list(new_expression.columns) == list(base_expression.columns)
    assert len(new_expression) == 40
    merged = new_expression.merge(base_expression, how="inner")
    assert merged.empty
    # the same model: per-gene levels agree (means over lines), values do not
    correlation = np.corrcoef(new_expression.mean(), base_expression.mean())[0, 1]
    assert correlation > 0.9


def test_cli_writes_new_lines_and_rejects_an_unknown_scale(tmp_path, capsys):
    out = tmp_path / "new"
    assert main(["demo-data", str(out), "--new-lines", "3", "--new-seed", "2", "--seed", "4",
                 "--n-lines", "60", "--n-genes", "260", "--n-edges", "700"]) == 0
    responses = pd.read_csv(out / "responses.csv")
    assert len(responses) == 3 * len(PAPER_DRUGS)
    assert not (out / "GDSC2_fitted_dose_response_17Jul19.xlsx").exists()
    # the lines of the demo given by --seed and the sizes, drawn with --new-seed
    same = write_new_cell_lines(tmp_path / "same", 3, seed=2, base_seed=4, base_n_lines=60,
                                n_genes=260, n_edges=700)
    assert {path.name: path.read_bytes() for path in same.values()} == {
        path.name: (out / path.name).read_bytes() for path in same.values()}
    with pytest.raises(SystemExit):
        main(["demo-data", str(tmp_path / "x"), "--scale", "huge"])


def test_the_demo_step_records_every_file_it_writes_in_the_manifest(tmp_path):
    import hashlib

    from modrp.download import read_manifest
    from modrp.steps import make_demo_data

    config = validate_config({"dataset": "d", "data": {"source": "demo", "demo": {
        "n_lines": 60, "n_genes": 300, "n_edges": 600, "seed": 3}}})
    paths = make_demo_data(config, tmp_path)
    rows = {row["file"]: row for row in read_manifest(tmp_path / "MANIFEST.tsv")}
    written = {p.name for p in tmp_path.iterdir()} - {"MANIFEST.tsv", "MANIFEST.tsv.lock"}
    assert set(rows) == written and {p.name for p in paths.values()} <= written
    for name, row in rows.items():
        data = (tmp_path / name).read_bytes()
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
        assert row["bytes"] == str(len(data))
        assert row["url"].startswith("synthesized: modrp demo (seed 3, 60 lines")


def test_the_demo_step_writes_the_configured_file_names(tmp_path):
    """data.files applies to the demo source too: the workflow declares those names as the
    demo job's outputs, and preprocessing reads them."""
    from modrp.preprocess import load_source_files
    from modrp.steps import make_demo_data, raw_file_paths

    config = validate_config({"dataset": "d", "data": {
        "source": "demo", "demo": {"n_lines": 60, "n_genes": 300, "n_edges": 600},
        # two names swapped, one new
        "files": {"expression": "CCLE_mutations.csv", "mutations": "CCLE_expression.csv",
                  "rppa": "rppa_renamed.csv"}}})
    paths = make_demo_data(config, tmp_path)
    assert paths["expression"] == tmp_path / "CCLE_mutations.csv"
    assert paths["rppa"] == tmp_path / "rppa_renamed.csv"
    assert not (tmp_path / "CCLE_RPPA_20181003.csv").exists()
    assert (tmp_path / "CCLE_mutations.csv").read_text().startswith(",")  # a DepMap matrix
    data = load_source_files(raw_file_paths(config, tmp_path), config)
    assert {"exp", "mut", "rppa"} <= set(data.omics)


@pytest.mark.parametrize("argv, message", [
    (["--n-lines", "10"], "error: demo-data: n_lines must be at least 40, got 10"),
    (["--n-genes", "10"], "error: demo-data: n_genes must be at least"),
    (["--new-lines", "0"], "error: demo-data: --new-lines must be at least 1, got 0"),
])
def test_demo_data_refuses_sizes_it_cannot_make_before_writing(tmp_path, capsys, argv, message):
    assert main(["demo-data", str(tmp_path / "out"), *argv]) == 2
    assert capsys.readouterr().err.startswith(message)
    assert not (tmp_path / "out").exists()


def test_demo_data_into_a_path_below_a_file_is_an_error_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["demo-data", str(tmp_path / "file" / "out"), "--n-lines", "40",
                 "--n-genes", "300", "--n-edges", "600"]) == 2
    assert "Not a directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["demo-data", str(tmp_path / "out"), "--seed", "-1"])
    assert exit_info.value.code == 2


def test_demo_data_onto_a_file_says_outdir_is_a_folder(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["demo-data", str(tmp_path / "file")]) == 2
    assert capsys.readouterr().err == (f"error: demo-data: {tmp_path / 'file'} is a file; OUTDIR "
                                       "is the folder the files are written into (made if "
                                       "missing)\n")
    assert (tmp_path / "file").read_text() == "x"
