"""DepMap 19Q4 (between 19Q3 and 20Q1) kept 19Q3's file names; the demo's 19Q3 files
rewritten in its layout give the same study data.

Layout evidence (public code that reads the 19Q4 files; figshare article 11384241, files
20234346 ``CCLE_expression.csv``, 20274747 ``CCLE_mutations.csv``, 20274744
``sample_info.csv``, so named by the readers that download them):

- sample_info.csv, verified: the Bioconductor package depmap (UCLouvain-CBIO/depmap,
  inst/scripts/make-data_19Q4.R) lists its 24 columns: 19Q3's with ``CCLE_Name`` for
  ``CCLE Name`` and ``lineage_molecular_subtype`` after ``lineage_sub_subtype``;
  ``COSMIC_ID`` and ``Sanger_model_ID`` as in 19Q3.
- CCLE_mutations.csv, verified: comma-separated, a leading unnamed row-index column
  (make-data_19Q4.R drops readr's ``X1``, which its 19Q3 script does not; a Python reader
  of ``CCLE_mutations_19q4.csv`` reads it with ``index_col=0`` and then uses
  ``Hugo_Symbol`` and ``DepMap_ID`` as columns), then the 34 columns of 19Q3 in 19Q3's
  order, ``Tumor_Sample_Barcode`` and ``DepMap_ID`` both kept.  True/False in
  ``isDeleterious`` and MAF names in ``Variant_Classification`` are inferred (19Q3's
  values; 19Q4 readers treat the flag columns as True/False).
- CCLE_expression.csv: an unnamed first column of DepMap ids and genes as
  ``SYMBOL (ID)`` are seen in 19Q4 readers (the first column renamed or read as the
  index, the id stripped with ``sub(" \\(.+\\)$", ...)``); that the id is Entrez's, as in
  19Q3, is inferred (19,144 protein-coding genes, 19Q3's count; the package converts the
  ids to integers).  So the 19Q3 file is used as it is.
"""

from __future__ import annotations

import shutil

import pandas as pd

from modrp.config import validate_config
from modrp.demo import MUTATION_COLUMNS, write_demo_dataset
from modrp.preprocess import load_source_files
from modrp.steps import raw_file_paths

SAMPLE_INFO_19Q4 = [
    "DepMap_ID", "stripped_cell_line_name", "CCLE_Name", "alias", "COSMIC_ID", "lineage",
    "lineage_subtype", "lineage_sub_subtype", "lineage_molecular_subtype", "sex", "source",
    "Achilles_n_replicates", "cell_line_NNMD", "culture_type", "culture_medium",
    "cas9_activity", "RRID", "sample_collection_site", "primary_or_metastasis", "disease",
    "disease_subtype", "age", "Sanger_model_ID", "additional_info",
]


def test_the_19q4_layout_gives_the_study_data_of_the_19q3_files(tmp_path):
    raw19, raw19q4 = tmp_path / "19q3", tmp_path / "19q4"
    write_demo_dataset(raw19, seed=3, n_lines=60, n_genes=220, n_edges=600)
    raw19q4.mkdir()
    for path in raw19.iterdir():
        if path.name not in ("CCLE_mutations.csv", "sample_info.csv"):
            shutil.copy(path, raw19q4 / path.name)
    header = (raw19 / "CCLE_expression.csv").open().readline().rstrip("\n").split(",")
    assert header[0] == "" and pd.Series(header[1:]).str.fullmatch(r"\S+ \(\d+\)").all()

    info = pd.read_csv(raw19 / "sample_info.csv", dtype=str, keep_default_na=False)
    info = info.rename(columns={"CCLE Name": "CCLE_Name"})
    info.insert(8, "lineage_molecular_subtype", "")
    assert list(info.columns) == SAMPLE_INFO_19Q4
    info.to_csv(raw19q4 / "sample_info.csv", index=False)
    maf = pd.read_csv(raw19 / "CCLE_mutations.csv", dtype=str, keep_default_na=False)
    assert list(maf.columns) == MUTATION_COLUMNS  # the 34 that 19Q4 lists, in its order
    maf.to_csv(raw19q4 / "CCLE_mutations.csv")  # a leading unnamed row-index column
    assert (raw19q4 / "CCLE_mutations.csv").open().readline().startswith(",Hugo_Symbol,")

    config = validate_config({"dataset": "t", "data": {"source": "download"},
                              "omics": ["exp", "mut", "rppa"],
                              "embedding": {"exp": "dense", "mut": "dense", "rppa": "dense"}})
    before = load_source_files(raw_file_paths(config, raw19), config)
    after = load_source_files(raw_file_paths(config, raw19q4), config)
    for omic in ("exp", "mut", "rppa"):  # RPPA's CCLE names map through CCLE_Name
        assert len(before.omics[omic]) > 30
        pd.testing.assert_frame_equal(after.omics[omic], before.omics[omic])
    pd.testing.assert_frame_equal(after.response, before.response)
    assert after.summary["cell_line_matching"] == before.summary["cell_line_matching"]
    assert before.summary["cell_line_matching"]["matched_by_cosmic_id"] > 0
    assert after.summary["mutation_table"] == before.summary["mutation_table"]
