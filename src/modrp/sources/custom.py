"""User-supplied matrices for ``data.source: custom`` (CSV, TSV or Parquet by suffix).

- one matrix per omic: rows cell lines, the first column the id, other columns features;
- a long response table ``cell_line, drug, ln_ic50``;
- optional: an edge list ``gene_a, gene_b`` and drug annotations ``drug, target, pathway``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table
from modrp.sources._common import (
    check_unique_index,
    require_columns,
    require_finite,
    to_numeric_matrix,
)
from modrp.sources.hint import unique_gene_pairs


def read_omic_matrix(path, omic: str, what: str | None = None,
                     allow_missing: bool = False) -> pd.DataFrame:
    """A user omic matrix: index = ids (strings) from the first column, float32 values;
    empty cells are an error unless ``allow_missing`` (then they stay NaN)."""
    what = what or f"custom {omic} matrix (data.custom.omics.{omic})"
    frame = read_table(path, what)
    if not isinstance(frame.index, pd.RangeIndex):  # Parquet written with its index
        frame = frame.reset_index()
    if frame.shape[1] < 2:
        raise InputError(f"{what}: {path}: expected an id column and at least one feature column")
    frame = frame.set_index(frame.columns[0])
    frame.index = frame.index.astype(str)
    frame.index.name = "cell_line"
    frame.columns = frame.columns.astype(str)
    frame.columns.name = "feature"
    check_unique_index(frame, what, path)
    if frame.columns.duplicated().any():
        raise InputError(f"{what}: {path}: duplicated feature columns, e.g. "
                         f"{list(frame.columns[frame.columns.duplicated()][:3])}")
    frame = to_numeric_matrix(frame, what, path)
    if not allow_missing:
        require_finite(frame, what, path)
    return frame.astype(np.float32)


def read_response(path) -> pd.DataFrame:
    """Long response table -> ``cell_line, drug, ln_ic50`` (one row per measured pair)."""
    what = "custom response table (data.custom.response)"
    frame = read_table(path, what)
    require_columns(frame, ["cell_line", "drug", "ln_ic50"], what, path)
    frame = frame[["cell_line", "drug", "ln_ic50"]].copy()
    frame["cell_line"] = frame["cell_line"].astype(str)
    frame["drug"] = frame["drug"].astype(str)
    values = pd.to_numeric(frame["ln_ic50"], errors="coerce")
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        row = int(np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))[0])
        raise InputError(f"{what}: {path}: ln_ic50 must be a finite number in every row; "
                         f"row {row + 1} holds {frame['ln_ic50'].iloc[row]!r}")
    frame["ln_ic50"] = values.astype(np.float64)
    dup = frame.duplicated(["cell_line", "drug"])
    if dup.any():
        first = frame[dup].iloc[0]
        raise InputError(f"{what}: {path}: the pair ({first['cell_line']!r}, {first['drug']!r}) "
                         "appears more than once; give one ln_ic50 per cell line and drug")
    return frame.reset_index(drop=True)


def read_edge_list(path) -> pd.DataFrame:
    """Edge list ``gene_a, gene_b`` -> unique unordered pairs."""
    what = "custom interactome (data.custom.interactome)"
    frame = read_table(path, what, dtype=str, keep_default_na=False)
    require_columns(frame, ["gene_a", "gene_b"], what, path)
    return unique_gene_pairs(frame["gene_a"], frame["gene_b"])


def read_drug_annotations(path) -> pd.DataFrame:
    """Drug annotations ``drug, target, pathway``."""
    what = "custom drug annotations (data.custom.drugs)"
    frame = read_table(path, what, dtype=str, keep_default_na=False)
    require_columns(frame, ["drug", "target", "pathway"], what, path)
    return frame[["drug", "target", "pathway"]].drop_duplicates("drug").reset_index(drop=True)
