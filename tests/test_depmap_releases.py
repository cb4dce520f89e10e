"""DepMap's newer files (Model.csv, OmicsSomaticMutations.csv, the per-profile
expression matrix) read as the 19Q3 ones: the same demo lines written both ways give the
same study data."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from modrp.config import validate_config
from modrp.errors import InputError
from modrp.preprocess import load_source_files
from modrp.sources import depmap
from modrp.steps import raw_file_paths

NEWER = {"expression": "OmicsExpressionTPMLogp1HumanProteinCodingGenes.csv",
         "mutations": "OmicsSomaticMutations.csv", "sample_info": "Model.csv"}
# VariantInfo's names (GATK Funcotator's) of the MAF classes the demo writes
VARIANT_INFO = {"Missense_Mutation": "MISSENSE", "Nonsense_Mutation": "NONSENSE",
                "Frame_Shift_Del": "FRAME_SHIFT_DEL", "Frame_Shift_Ins": "FRAME_SHIFT_INS",
                "In_Frame_Del": "IN_FRAME_DEL", "In_Frame_Ins": "IN_FRAME_INS",
                "Splice_Site": "SPLICE_SITE", "Silent": "SILENT", "Intron": "INTRON",
                "3'UTR": "THREE_PRIME_UTR", "5'UTR": "FIVE_PRIME_UTR",
                "5'Flank": "FIVE_PRIME_FLANK", "IGR": "IGR"}


def write_newer_release(raw19, out, rng) -> None:
    """The demo's DepMap files in the newer layouts, beside copies of its other files.

    Three models get a second, non-default profile whose expression and variants differ:
    they must not be read.  Two models of no CCLE line (empty CCLEName, no COSMIC id) are
    added to Model.csv, as newer releases list such models."""
    out.mkdir()
    for path in raw19.iterdir():
        if path.name not in ("CCLE_expression.csv", "CCLE_mutations.csv", "sample_info.csv"):
            shutil.copy(path, out / path.name)
    info = pd.read_csv(raw19 / "sample_info.csv", dtype=str, keep_default_na=False)
    model = pd.DataFrame({
        "ModelID": info["DepMap_ID"], "PatientID": [f"PT-{i:06d}" for i in range(len(info))],
        "CellLineName": info["stripped_cell_line_name"],
        "StrippedCellLineName": info["stripped_cell_line_name"],
        "OncotreeLineage": info["lineage"].str.title(), "RRID": info["RRID"],
        "CCLEName": info["CCLE Name"], "SangerModelID": info["Sanger_model_ID"],
        "COSMICID": info["COSMIC_ID"]})
    extra = pd.DataFrame({"ModelID": ["ACH-900001", "ACH-900002"], "PatientID": ["", ""],
                          "CellLineName": ["ORG1", "ORG2"],
                          "StrippedCellLineName": ["ORG1", "ORG2"],
                          "OncotreeLineage": ["Bowel", "Bowel"], "RRID": ["", ""],
                          "CCLEName": ["", ""], "SangerModelID": ["", ""], "COSMICID": ["", ""]})
    pd.concat([extra, model]).to_csv(out / NEWER["sample_info"], index=False)

    expression = pd.read_csv(raw19 / "CCLE_expression.csv", index_col=0)
    doubled = expression.index[:3]
    rows = pd.concat([expression, expression.loc[doubled] + 1.0])
    profiles = pd.DataFrame({"ProfileID": [f"PR-{i:06d}" for i in range(len(rows))],
                             "is_default_entry": ["Yes"] * len(expression) + ["No"] * 3,
                             "ModelID": rows.index})
    table = pd.concat([profiles.reset_index(drop=True), rows.reset_index(drop=True)], axis=1)
    table.iloc[rng.permutation(len(table))].to_csv(out / NEWER["expression"], index=False)

    maf = pd.read_csv(raw19 / "CCLE_mutations.csv", dtype=str, keep_default_na=False)
    somatic = pd.DataFrame({
        "Chrom": "chr" + maf["Chromosome"], "Pos": maf["Start_position"],
        "Ref": maf["Reference_Allele"], "Alt": maf["Tumor_Seq_Allele1"], "AF": "0.4",
        "VariantType": maf["Variant_Type"],
        "VariantInfo": maf["Variant_Classification"].map(VARIANT_INFO),
        "HugoSymbol": maf["Hugo_Symbol"], "LikelyLoF": maf["isDeleterious"],
        "EntrezGeneID": maf["Entrez_Gene_Id"], "ModelID": maf["DepMap_ID"],
        "SequencingID": "CDS-000001", "IsDefaultEntryForModel": "Yes"})
    assert somatic["VariantInfo"].notna().all()
    other = somatic[somatic["ModelID"].isin(doubled)].copy()
    other["HugoSymbol"] = rng.permutation(other["HugoSymbol"].to_numpy())
    other["IsDefaultEntryForModel"] = "No"
    pd.concat([somatic, other]).to_csv(out / NEWER["mutations"], index=False)


@pytest.fixture(scope="module")
def both_releases(tmp_path_factory):
    from modrp.demo import write_demo_dataset

    root = tmp_path_factory.mktemp("releases")
    write_demo_dataset(root / "19q3", seed=2, n_lines=60, n_genes=220, n_edges=600)
    write_newer_release(root / "19q3", root / "25q3", np.random.default_rng(0))
    return root / "19q3", root / "25q3"


def test_a_newer_release_gives_the_study_data_of_the_19q3_files(both_releases):
    raw19, raw25 = both_releases
    settings = {"dataset": "t", "data": {"source": "download"},
                "omics": ["exp", "mut", "rppa"],
                "embedding": {"exp": "dense", "mut": "dense", "rppa": "dense"}}
    old = validate_config(settings)
    new = validate_config({**settings, "data": {"source": "download", "files": NEWER}})
    before = load_source_files(raw_file_paths(old, raw19), old)
    after = load_source_files(raw_file_paths(new, raw25), new)
    for omic in ("exp", "mut", "rppa"):  # RPPA's CCLE names map through Model.csv
        assert len(before.omics[omic]) > 30
        pd.testing.assert_frame_equal(after.omics[omic], before.omics[omic])
    pd.testing.assert_frame_equal(after.response, before.response)
    matching = before.summary["cell_line_matching"], after.summary["cell_line_matching"]
    for key in ("matched_by_cosmic_id", "matched_by_name"):
        assert matching[1][key] == matching[0][key] > 0
    assert matching[1]["sample_info_lines"] == matching[0]["sample_info_lines"] + 2
    # the non-default profiles' variants are not counted
    assert after.summary["mutation_table"] == before.summary["mutation_table"]


def test_the_per_profile_expression_keeps_each_models_default_entry(both_releases, tmp_path):
    raw19, raw25 = both_releases
    expected = depmap.read_expression(raw19 / "CCLE_expression.csv")
    table = pd.read_csv(raw25 / NEWER["expression"])
    read = depmap.read_expression(raw25 / NEWER["expression"])
    pd.testing.assert_frame_equal(read.sort_index(), expected.sort_index())
    # Parquet, True/False flags and bare symbols read alike
    table["is_default_entry"] = table["is_default_entry"].eq("Yes")
    table.columns = [depmap.gene_symbol(c) or c for c in table.columns]
    table.to_parquet(tmp_path / "expression.parquet", index=False)
    pd.testing.assert_frame_equal(
        depmap.read_expression(tmp_path / "expression.parquet").sort_index(),
        expected.sort_index())
    # without a default-entry column a model given twice cannot be read
    table.drop(columns="is_default_entry").to_csv(tmp_path / "no_flag.csv", index=False)
    with pytest.raises(InputError, match=r"models \['ACH-\d{6}'.*have several rows and no "
                                         "column \\(IsDefaultEntryForModel or "
                                         "is_default_entry\\)"):
        depmap.read_expression(tmp_path / "no_flag.csv")
    table.assign(is_default_entry="maybe").to_csv(tmp_path / "odd.csv", index=False)
    with pytest.raises(InputError, match="column 'is_default_entry' must hold Yes or No"):
        depmap.read_expression(tmp_path / "odd.csv")
    # gene columns before the ids are not a layout we know
    table[[*table.columns[3:5], *table.columns[:3]]].to_csv(tmp_path / "late.csv", index=False)
    with pytest.raises(InputError, match="'ModelID' comes after the gene column"):
        depmap.read_expression(tmp_path / "late.csv")


def test_somatic_mutations_map_classes_and_check_flags(both_releases, tmp_path, caplog):
    _, raw25 = both_releases
    table = pd.read_csv(raw25 / NEWER["mutations"], dtype=str, keep_default_na=False)
    read = depmap.read_mutations(raw25 / NEWER["mutations"])
    default = table[table["IsDefaultEntryForModel"] == "Yes"]
    assert len(read) == len(default)
    assert set(read["variant_classification"]) == set(VARIANT_INFO)  # MAF names
    assert read["is_deleterious"].sum() == (default["LikelyLoF"] == "True").sum()
    assert (read["ccle_name"] == "").all()

    odd = table.head(50).copy()
    odd.loc[odd.index[0], "VariantInfo"] = "COULD_NOT_DETERMINE"
    odd.drop(columns="LikelyLoF").to_csv(tmp_path / "odd.csv", index=False)
    with caplog.at_level("WARNING", logger="modrp.sources.depmap"):
        frame = depmap.read_mutations(tmp_path / "odd.csv")
    assert "has no LikelyLoF column: no variant counts as deleterious" in caplog.text
    assert "['COULD_NOT_DETERMINE']" in caplog.text
    assert not frame["is_deleterious"].any()
    odd.assign(LikelyLoF="likely").to_csv(tmp_path / "flag.csv", index=False)
    with pytest.raises(InputError, match=r"column 'LikelyLoF' must hold True or False; "
                                         r"found \['likely'\]"):
        depmap.read_mutations(tmp_path / "flag.csv")


def test_model_csv_is_checked_under_its_own_column_names(both_releases, tmp_path):
    _, raw25 = both_releases
    model = pd.read_csv(raw25 / NEWER["sample_info"], dtype=str, keep_default_na=False)
    info = depmap.read_sample_info(raw25 / NEWER["sample_info"])
    first = info.set_index("depmap_id").loc[model["ModelID"].iloc[2]]
    assert first["ccle_name"] == model["CCLEName"].iloc[2]
    assert first["lineage"] == model["OncotreeLineage"].iloc[2]
    assert info.set_index("depmap_id").loc["ACH-900001", "ccle_name"] is None
    model.drop(columns="COSMICID").to_csv(tmp_path / "Model.csv", index=False)
    with pytest.raises(InputError, match="Model.csv.*COSMICID"):
        depmap.read_sample_info(tmp_path / "Model.csv")
    model.assign(COSMICID="ten").to_csv(tmp_path / "Model.csv", index=False)
    with pytest.raises(InputError, match="column 'COSMICID' must hold numeric COSMIC ids"):
        depmap.read_sample_info(tmp_path / "Model.csv")


def test_predict_reads_a_newer_release_folder_as_the_19q3_one(both_releases, tmp_path):
    from modrp.predict import read_new_profiles

    raw19, raw25 = both_releases
    before, after = read_new_profiles(str(raw19)), read_new_profiles(str(raw25))
    assert set(after) == set(before) == {"exp", "mut", "cnv", "rppa", "metabolites"}
    for omic, matrix in before.items():  # RPPA and metabolomics mapped through Model.csv
        pd.testing.assert_frame_equal(after[omic].sort_index(), matrix.sort_index())
    assert after["rppa"].index.str.startswith("ACH-").mean() > 0.9
    with pytest.raises(InputError, match="two cell-line tables given: .*Model.csv and "
                                         ".*sample_info.csv"):
        read_new_profiles([str(raw25), str(raw19 / "sample_info.csv")])


def test_per_profile_layouts_met_in_the_wild_read_alike(both_releases, tmp_path):
    """ModelID as the only id column, a row index written before the ids, a byte-order
    mark: the same matrix; a repeated gene column with a cell that is not a number is
    named, not read past."""
    raw19, raw25 = both_releases
    expected = depmap.read_expression(raw19 / "CCLE_expression.csv").sort_index()
    table = pd.read_csv(raw25 / NEWER["expression"])
    default = table[table["is_default_entry"] == "Yes"].drop(columns=["ProfileID",
                                                                       "is_default_entry"])
    default.to_csv(tmp_path / "model_only.csv", index=False)
    table.to_csv(tmp_path / "row_index.csv")  # a first column with an empty header
    table.to_csv(tmp_path / "bom.csv", index=False, encoding="utf-8-sig")
    for name in ("model_only.csv", "row_index.csv", "bom.csv"):
        pd.testing.assert_frame_equal(depmap.read_expression(tmp_path / name).sort_index(),
                                      expected)
    gene = table.columns[5]
    repeated = pd.concat([table, table[[gene]]], axis=1).astype(object)
    repeated.iloc[4, -1] = "high"
    repeated.to_csv(tmp_path / "repeated.csv", index=False)
    with pytest.raises(InputError, match=r"non-numeric value 'high' at row .* column "
                                         + re.escape(repr(gene))):
        depmap.read_expression(tmp_path / "repeated.csv")


def test_somatic_mutations_of_several_profiles_need_a_default_flag(both_releases, tmp_path,
                                                                   caplog):
    _, raw25 = both_releases
    table = pd.read_csv(raw25 / NEWER["mutations"], dtype=str, keep_default_na=False)
    doubled = table[table["IsDefaultEntryForModel"] == "No"]["ModelID"].iloc[0]
    table.loc[table["IsDefaultEntryForModel"] == "No", "SequencingID"] = "CDS-000002"
    table.drop(columns="IsDefaultEntryForModel").to_csv(tmp_path / "no_flag.csv", index=False)
    with pytest.raises(InputError, match=rf"models \[.*'{doubled}'.*\] have variants of several "
                                         r"profiles \(SequencingID\) and no column "
                                         "IsDefaultEntryForModel"):
        depmap.read_mutations(tmp_path / "no_flag.csv")
    # VEP's consequence terms and Funcotator's lincRNA class read under their MAF names
    few = table[table["IsDefaultEntryForModel"] == "Yes"].head(4).copy()
    few["VariantInfo"] = ["synonymous_variant", "missense_variant&splice_region_variant",
                          "LINCRNA", "3_prime_UTR_variant"]
    few.to_csv(tmp_path / "terms.csv", index=False)
    with caplog.at_level("WARNING", logger="modrp.sources.depmap"):
        read = depmap.read_mutations(tmp_path / "terms.csv")
    assert read["variant_classification"].tolist() == ["Silent", "Missense_Mutation",
                                                       "lincRNA", "3'UTR"]
    assert "without a MAF name" not in caplog.text


def test_model_csv_with_a_depmap_id_column_too_and_as_parquet(both_releases, tmp_path):
    _, raw25 = both_releases
    model = pd.read_csv(raw25 / NEWER["sample_info"], dtype=str, keep_default_na=False)
    expected = depmap.read_sample_info(raw25 / NEWER["sample_info"])
    model.assign(DepMap_ID=model["ModelID"]).to_csv(tmp_path / "Model.csv", index=False)
    pd.testing.assert_frame_equal(depmap.read_sample_info(tmp_path / "Model.csv"), expected)
    typed = model.assign(COSMICID=pd.to_numeric(model["COSMICID"].replace("", None)))
    typed.to_parquet(tmp_path / "Model.parquet", index=False)
    pd.testing.assert_frame_equal(depmap.read_sample_info(tmp_path / "Model.parquet"), expected)


def test_vep_consequences_take_vcf2maf_classes_so_silent_ones_stay_excluded(tmp_path, caplog):
    """VariantInfo holds VEP's consequence terms from 23Q4 on (DepMap's pipeline writes
    vep_consequence there).  Each takes the MAF class vcf2maf gives it: the synonymous
    kinds are Silent, the non-coding ones RNA, the regulatory ones IGR, so the default
    preprocess.mutation_excluded_classes leaves them out as it does in a 19Q3 MAF."""
    from modrp.preprocess import mutation_matrix

    defaults = validate_config({"dataset": "t", "data": {"source": "download"},
                                "omics": ["mut"], "embedding": {"mut": "dense"}})

    terms = {"stop_retained_variant": "Silent", "NMD_transcript_variant": "Silent",
             "incomplete_terminal_codon_variant&coding_sequence_variant": "Silent",
             "mature_miRNA_variant": "RNA", "non_coding_transcript_variant": "RNA",
             "regulatory_region_variant": "IGR", "TF_binding_site_variant": "IGR",
             "5_prime_UTR_premature_start_codon_gain_variant": "5'UTR",
             "intragenic_variant": "Intron",
             "splice_region_variant&intron_variant": "Splice_Region",
             # VEP 105+'s finer splice-region terms and start_retained_variant
             "splice_polypyrimidine_tract_variant&intron_variant": "Splice_Region",
             "splice_donor_5th_base_variant&intron_variant": "Splice_Region",
             "start_retained_variant": "Silent",
             "coding_sequence_variant": "Missense_Mutation",
             "transcript_ablation": "Splice_Site", "initiator_codon_variant":
             "Translation_Start_Site", "frameshift_variant": "frameshift_variant"}
    table = pd.DataFrame({"VariantType": "SNV", "VariantInfo": list(terms),
                          "HugoSymbol": [f"G{i}" for i in range(len(terms))],
                          "LikelyLoF": "False", "ModelID": "ACH-000001"})
    table.to_csv(tmp_path / "OmicsSomaticMutations.csv", index=False)
    with caplog.at_level("WARNING", logger="modrp.sources.depmap"):
        read = depmap.read_mutations(tmp_path / "OmicsSomaticMutations.csv")
    assert read["variant_classification"].tolist() == list(terms.values())
    assert "without a MAF name" not in caplog.text  # frameshifts are known to be coding
    counted = mutation_matrix(read.rename(columns={"depmap_id": "line"}),
                              defaults["preprocess"]["mutation_excluded_classes"])
    assert list(counted.columns) == ["G10", "G11", "G13", "G14", "G15", "G16", "G9"]


def test_the_most_severe_of_several_vep_terms_gives_the_class_whatever_their_order():
    # VEP writes the most severe first; a file that does not is read the same
    assert depmap.most_severe_consequence("splice_region_variant&missense_variant") \
        == "missense_variant"
    assert depmap.most_severe_consequence(" intron_variant & stop_gained") == "stop_gained"
    # unknown terms rank below known ones; ties keep the order written
    assert depmap.most_severe_consequence("new_term&intron_variant") == "intron_variant"
    assert depmap.most_severe_consequence("new_term&other_term") == "new_term"
    assert depmap.most_severe_consequence("MISSENSE") == "MISSENSE"  # Funcotator's, as is
    # every term given a class, and the protein-altering ones, has a severity
    ranked = {term for terms in depmap.VEP_SEVERITY_ORDER for term in terms}
    assert set(depmap.SEQUENCE_ONTOLOGY_CLASSES) | depmap.SO_PROTEIN_ALTERING <= ranked
    # and the order is strict for the terms of different classes written together
    rank = {term: i for i, terms in enumerate(depmap.VEP_SEVERITY_ORDER) for term in terms}
    assert rank["missense_variant"] < rank["splice_region_variant"] < rank["intron_variant"]
