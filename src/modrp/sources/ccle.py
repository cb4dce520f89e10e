"""Legacy CCLE 2019 files: RPPA (with its antibody table) and metabolomics.

Layouts are those of the files as the Broad and DepMap serve them.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table
from modrp.sources._common import (
    DEPMAP_ID,
    check_ids,
    read_text_columns,
    read_text_table,
    require_columns,
    require_finite,
    to_numeric_matrix,
)

log = logging.getLogger(__name__)

RPPA_ANTIBODY_COLUMNS = ["Antibody_Name", "Target_Genes", "Validation_Status"]

#: Symbols in the antibody table and the HGNC genes they mean: outdated names, and
#: TTF1, the antibody's thyroid transcription factor 1 (NKX2-1), not the gene TTF1
#: (transcription termination factor 1).
RPPA_SYMBOL_FIXES = {"MRE11A": "MRE11", "C12ORF5": "TIGAR", "TTF1": "NKX2-1"}


def _matrix_with_ccle_index(frame: pd.DataFrame, what: str, path) -> pd.DataFrame:
    frame = frame.set_index(frame.columns[0])
    frame.index = frame.index.astype(str)
    frame.index.name = "ccle_name"
    frame = to_numeric_matrix(frame, what, path)
    require_finite(frame, what, path)
    return frame


def read_rppa(path) -> pd.DataFrame:
    """``CCLE_RPPA_20181003.csv``: rows CCLE names, columns antibody names."""
    what = "RPPA (CCLE_RPPA_20181003.csv)"
    frame = read_table(path, what)
    first = str(frame.columns[0])
    if not first.startswith("Unnamed"):
        raise InputError(
            f"{what}: {path}: expected the first column to be unnamed and hold CCLE names, "
            f"found a column named {first!r}"
        )
    matrix = _matrix_with_ccle_index(frame, what, path)
    matrix.columns.name = "antibody"
    if matrix.index.duplicated().any():
        raise InputError(f"{what}: {path} lists a cell line twice: "
                         f"{sorted(set(matrix.index[matrix.index.duplicated()]))[:5]}")
    return matrix.astype(np.float32)


def read_rppa_antibodies(path) -> pd.DataFrame:
    """``CCLE_RPPA_Ab_info_20181226.csv`` -> ``antibody, genes, validation_status``.

    ``genes`` is a list of upper-case symbols: ``Target_Genes`` split on
    whitespace, outdated or misleading symbols replaced (``MRE11A`` -> ``MRE11``,
    ``TTF1`` -> ``NKX2-1``).
    """
    what = "RPPA antibody table (CCLE_RPPA_Ab_info_20181226.csv)"
    frame = read_text_table(path, what)
    require_columns(frame, RPPA_ANTIBODY_COLUMNS, what, path)
    genes = [
        [RPPA_SYMBOL_FIXES.get(g, g) for g in str(cell).upper().split()]
        for cell in frame["Target_Genes"]
    ]
    return pd.DataFrame(
        {
            "antibody": frame["Antibody_Name"].str.strip(),
            "genes": genes,
            "validation_status": frame["Validation_Status"].str.strip(),
        }
    )


def read_metabolomics(path) -> pd.DataFrame:
    """``CCLE_metabolomics_20190502.csv``: rows CCLE names, columns metabolites.

    A cell line measured twice is averaged (and logged).
    """
    what = "metabolomics (CCLE_metabolomics_20190502.csv)"
    frame = read_table(path, what)
    require_columns(frame, ["CCLE_ID", "DepMap_ID"], what, path)
    frame = frame.drop(columns=["DepMap_ID"])
    matrix = _matrix_with_ccle_index(frame, what, path)
    matrix.columns.name = "metabolite"
    duplicated = matrix.index[matrix.index.duplicated()].unique()
    if len(duplicated):
        log.warning("%s: %d cell line(s) measured more than once, averaged: %s",
                    what, len(duplicated), ", ".join(duplicated[:5]))
        matrix = matrix.groupby(level=0, sort=False).mean()
    return matrix.astype(np.float32)


def read_metabolomics_ids(path) -> pd.Series:
    """The DepMap id of each CCLE name of ``CCLE_metabolomics_20190502.csv`` (its
    ``DepMap_ID`` column), leaving out names without one: the id that joins the file to
    the other DepMap files whatever the line is named there."""
    what = "metabolomics (CCLE_metabolomics_20190502.csv)"
    ids = read_text_columns(path, what, ["CCLE_ID", "DepMap_ID"]).apply(
        lambda column: column.str.strip())
    check_ids(ids["DepMap_ID"], DEPMAP_ID, what, path, "DepMap_ID",
              "DepMap ids like 'ACH-000001'", allow_empty=True)
    ids = ids[ids["DepMap_ID"] != ""].drop_duplicates()
    clash = ids["CCLE_ID"][ids["CCLE_ID"].duplicated()]
    if len(clash):
        raise InputError(f"{what}: {path}: the CCLE name {clash.iloc[0]!r} has several DepMap "
                         "ids")
    return pd.Series(ids["DepMap_ID"].to_numpy(), name="depmap_id",
                     index=pd.Index(ids["CCLE_ID"].to_numpy(), name="ccle_name"))
