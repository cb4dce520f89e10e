"""DepMap's releases 19Q4 to 22Q2 kept 19Q3's file names but changed some columns; the
demo's 19Q3 files rewritten in those layouts give the same study data.

The layouts follow public readers of these releases: the Bioconductor package depmap
(UCLouvain-CBIO/depmap, inst/scripts/make-data_19Q4.R ... make-data_22Q2.R) and DepMap's
own pipeline (broadinstitute/depmap_omics, MUTCOL_DEPMAP of its 2021 configs).

19Q4 (figshare article 11384241): sample_info.csv's 24 columns are verified in
make-data_19Q4.R (19Q3's with ``CCLE_Name`` and ``lineage_molecular_subtype``);
CCLE_mutations.csv is comma-separated with a leading unnamed row-index column (the
script drops readr's ``X1``, its 19Q3 script does not; a Python reader of the 19Q4 file
reads it with ``index_col=0``) and 19Q3's 34 columns, Tumor_Sample_Barcode and
DepMap_ID both kept; its True/False and MAF-class values are inferred from 19Q3's.  Its
CCLE_expression.csv is read with 19Q3's layout (an unnamed id column and
``SYMBOL (ID)`` genes seen in 19Q4 readers; Entrez ids inferred).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from modrp.config import validate_config
from modrp.errors import InputError
from modrp.preprocess import load_source_files
from modrp.sources import depmap
from modrp.steps import raw_file_paths

RELEASES = ("19q4", "20q1", "20q3", "22q2")
# sample_info.csv of 19Q4, as make-data_19Q4.R lists it
SAMPLE_INFO_19Q4 = [
    "DepMap_ID", "stripped_cell_line_name", "CCLE_Name", "alias", "COSMIC_ID", "lineage",
    "lineage_subtype", "lineage_sub_subtype", "lineage_molecular_subtype", "sex", "source",
    "Achilles_n_replicates", "cell_line_NNMD", "culture_type", "culture_medium",
    "cas9_activity", "RRID", "sample_collection_site", "primary_or_metastasis", "disease",
    "disease_subtype", "age", "Sanger_model_ID", "additional_info",
]
# CCLE_mutations.csv from 20Q4: 32 columns, DepMap_ID where Tumor_Sample_Barcode was
MUTATION_COLUMNS_21 = [
    "Hugo_Symbol", "Entrez_Gene_Id", "NCBI_Build", "Chromosome", "Start_position",
    "End_position", "Strand", "Variant_Classification", "Variant_Type", "Reference_Allele",
    "Tumor_Allele", "dbSNP_RS", "dbSNP_Val_Status", "Genome_Change", "Annotation_Transcript",
    "DepMap_ID", "cDNA_Change", "Codon_Change", "Protein_Change", "isDeleterious",
    "isTCGAhotspot", "TCGAhsCnt", "isCOSMIChotspot", "COSMIChsCnt", "ExAC_AF",
    "Variant_annotation", "CGA_WES_AC", "HC_AC", "RD_AC", "RNAseq_AC", "SangerWES_AC", "WGS_AC",
]


def sample_info_as(info: pd.DataFrame, release: str) -> pd.DataFrame:
    """19Q3's sample_info in a later release's names: CCLE_Name from 19Q4 (19Q4's exact
    columns, lineage_molecular_subtype added); COSMICID and Sanger_Model_ID from 20Q2; a
    cell_line_name column second from 20Q4."""
    if release == "19q4":
        out = info.rename(columns={"CCLE Name": "CCLE_Name"})
        out.insert(8, "lineage_molecular_subtype", "")
        return out[SAMPLE_INFO_19Q4]  # the demo's sample_info has 19Q3's columns
    if release == "20q1":
        return info.rename(columns={"CCLE Name": "CCLE_Name"})
    out = info.rename(columns={"CCLE Name": "CCLE_Name", "COSMIC_ID": "COSMICID",
                               "Sanger_model_ID": "Sanger_Model_ID", "alias": "Alias"})
    if release >= "20q4":
        out.insert(1, "cell_line_name", out["stripped_cell_line_name"].str.title())
    return out


def write_mutations_as(maf: pd.DataFrame, path, release: str) -> None:
    if release in ("19q4", "20q1"):  # a leading unnamed row-index column
        maf.to_csv(path)
        assert open(path).readline().startswith(",Hugo_Symbol,")
    elif release in ("20q2", "20q3"):  # tab-separated, under the name .csv
        maf.to_csv(path, sep="\t", index=False)
    else:
        later = maf.drop(columns=["Tumor_Sample_Barcode", "Tumor_Seq_Allele1"]).assign(
            Tumor_Allele=maf["Tumor_Seq_Allele1"])
        later[MUTATION_COLUMNS_21].to_csv(path, index=False)


def write_release(raw19, out, release: str) -> None:
    out.mkdir()
    for path in raw19.iterdir():
        if path.name not in ("CCLE_mutations.csv", "sample_info.csv"):
            shutil.copy(path, out / path.name)
    info = pd.read_csv(raw19 / "sample_info.csv", dtype=str, keep_default_na=False)
    sample_info_as(info, release).to_csv(out / "sample_info.csv", index=False)
    maf = pd.read_csv(raw19 / "CCLE_mutations.csv", dtype=str, keep_default_na=False)
    write_mutations_as(maf, out / "CCLE_mutations.csv", release)


@pytest.fixture(scope="module")
def raw19(tmp_path_factory):
    from modrp.demo import write_demo_dataset

    root = tmp_path_factory.mktemp("releases2020") / "19q3"
    write_demo_dataset(root, seed=3, n_lines=60, n_genes=220, n_edges=600)
    return root


@pytest.mark.parametrize("release", RELEASES)
def test_a_19q4_to_22q2_release_gives_the_study_data_of_the_19q3_files(raw19, tmp_path,
                                                                        release):
    write_release(raw19, tmp_path / release, release)
    config = validate_config({"dataset": "t", "data": {"source": "download"},
                              "omics": ["exp", "mut", "rppa"],
                              "embedding": {"exp": "dense", "mut": "dense", "rppa": "dense"}})
    before = load_source_files(raw_file_paths(config, raw19), config)
    after = load_source_files(raw_file_paths(config, tmp_path / release), config)
    for omic in ("exp", "mut", "rppa"):  # RPPA's CCLE names map through CCLE_Name
        assert len(before.omics[omic]) > 30
        pd.testing.assert_frame_equal(after.omics[omic], before.omics[omic])
    pd.testing.assert_frame_equal(after.response, before.response)
    assert after.summary["cell_line_matching"] == before.summary["cell_line_matching"]
    assert before.summary["cell_line_matching"]["matched_by_cosmic_id"] > 0
    assert after.summary["mutation_table"] == before.summary["mutation_table"]


@pytest.mark.parametrize("release", ["20q1", "20q2", "22q2"])
def test_sample_info_of_later_releases_reads_as_19q3s(raw19, tmp_path, release):
    expected = depmap.read_sample_info(raw19 / "sample_info.csv")
    info = pd.read_csv(raw19 / "sample_info.csv", dtype=str, keep_default_na=False)
    later = sample_info_as(info, release)
    later.to_csv(tmp_path / "sample_info.csv", index=False)
    pd.testing.assert_frame_equal(depmap.read_sample_info(tmp_path / "sample_info.csv"),
                                  expected)
    assert expected["sanger_model_id"].notna().any() and expected["cosmic_id"].notna().any()
    # neither name of the CCLE name column: refused, naming 19Q3's; and the values are
    # checked under the name the file gives
    refused = {"lacks the column\\(s\\) 'CCLE Name'": later.drop(columns="CCLE_Name")}
    if release != "20q1":
        refused["column 'COSMICID' must hold numeric COSMIC ids"] = later.assign(COSMICID="ten")
    for message, frame in refused.items():
        frame.to_csv(tmp_path / "refused.csv", index=False)
        with pytest.raises(InputError, match=message):
            depmap.read_sample_info(tmp_path / "refused.csv")


@pytest.mark.parametrize("release", ["20q3", "22q2"])
def test_mutations_of_later_releases_read_as_19q3s(raw19, tmp_path, release):
    expected = depmap.read_mutations(raw19 / "CCLE_mutations.csv")
    maf = pd.read_csv(raw19 / "CCLE_mutations.csv", dtype=str, keep_default_na=False)
    write_mutations_as(maf, tmp_path / "CCLE_mutations.csv", release)
    read = depmap.read_mutations(tmp_path / "CCLE_mutations.csv")
    if release == "22q2":  # DepMap_ID is the only id: no CCLE names
        assert (expected["ccle_name"] != "").all() and (read["ccle_name"] == "").all()
        read, expected = read.drop(columns="ccle_name"), expected.drop(columns="ccle_name")
    pd.testing.assert_frame_equal(read, expected)
    assert expected["is_deleterious"].any()


def test_a_later_mutation_table_without_depmap_ids_is_refused(raw19, tmp_path):
    maf = pd.read_csv(raw19 / "CCLE_mutations.csv", dtype=str, keep_default_na=False)
    write_mutations_as(maf, tmp_path / "CCLE_mutations.csv", "22q2")
    table = pd.read_csv(tmp_path / "CCLE_mutations.csv", dtype=str, keep_default_na=False)
    table.drop(columns="DepMap_ID").to_csv(tmp_path / "none.csv", index=False)
    with pytest.raises(InputError, match="lacks the column\\(s\\) 'Tumor_Sample_Barcode', "
                                         "'DepMap_ID'"):
        depmap.read_mutations(tmp_path / "none.csv")
    table.assign(DepMap_ID=np.where(table.index == 3, "A549_LUNG", table["DepMap_ID"])).to_csv(
        tmp_path / "odd.csv", index=False)
    with pytest.raises(InputError, match="column 'DepMap_ID' must hold DepMap ids"):
        depmap.read_mutations(tmp_path / "odd.csv")
