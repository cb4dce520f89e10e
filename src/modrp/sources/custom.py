"""User-supplied matrices for ``data.source: custom`` (CSV, TSV or Parquet by suffix).

- one matrix per omic: rows cell lines, the first column the id, other columns features;
- a long response table ``cell_line, drug, ln_ic50``;
- optional: an edge list ``gene_a, gene_b`` and drug annotations ``drug, target, pathway``.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table
from modrp.sources._common import (
    check_unique_index,
    csv_header,
    read_text_table,
    require_columns,
    require_finite,
    separator_hint,
    text_separator,
    to_numeric_matrix,
)
from modrp.sources.hint import unique_gene_pairs

log = logging.getLogger(__name__)

#: Skewness above which positive "ln IC50" values look like IC50s themselves: ln IC50s
#: of a screen spread about evenly on both sides (|skewness| well below 1 for GDSC),
#: IC50s are log-normal-like, skewness 6 already for a log-SD of 1.
LINEAR_IC50_SKEWNESS = 3.0


def _where(path, row: int) -> str:
    """Row ``row`` (from 0) of a table, and its line in a text file (after the header)."""
    line = f" (line {row + 2} of the file)" if text_separator(path) is not None else ""
    return f"row {row + 1}{line}"


def _text_ids(values: pd.Series, what: str, path, column: str, noun: str) -> pd.Series:
    """Ids as written (surrounding spaces stripped); an empty or missing one is an error.

    Text files are read with the column as raw text, so ``001003095`` stays as it is;
    a Parquet column keeps its own type: integers are written out, floats must be
    whole numbers (NaN, a missing id, is an error)."""
    # pandas names a header cell left empty "Unnamed: 0": not a name the file holds
    column = ("the first column (its header is empty)" if column.startswith("Unnamed: ")
              else f"the column {column!r}")
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(f"{what}: {path}: {column} holds floating-point "
                             f"numbers and {_where(path, row)} holds {float(numbers[row])}; "
                             f"expected {noun} (text or a whole number) in every row")
        return pd.Series([str(int(v)) for v in numbers], index=values.index, dtype=object)
    missing = values.isna().to_numpy()
    text = values.astype(object).where(~missing, "").map(lambda v: str(v).strip())
    empty = (text == "").to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        others = int(empty.sum()) - 1
        raise InputError(f"{what}: {path}: {column} is empty in "
                         f"{_where(path, row)}"
                         f"{f' and {others} other row(s)' if others else ''}; expected "
                         f"{noun} in every row")
    return text


def _read_with_text_columns(path, what: str, columns) -> pd.DataFrame:
    """``read_table``, with the given columns (names or positions) read from text files as
    raw text: no type guessing (``001003095`` keeps its zeros) and no NA conversion."""
    if text_separator(path) is None:  # Parquet (or an unknown suffix read_table rejects)
        return read_table(path, what)
    return read_table(path, what, converters=dict.fromkeys(columns, str))


def read_omic_matrix(path, omic: str, what: str | None = None,
                     allow_missing: bool = False) -> pd.DataFrame:
    """A user omic matrix: index = ids (strings) from the first column, float32 values;
    empty cells are an error unless ``allow_missing`` (then they stay NaN).  Ids are kept
    as written; an empty id or a column name given twice is an error."""
    what = what or f"custom {omic} matrix (data.custom.omics.{omic})"
    header = csv_header(path, what)
    if header is not None:  # pandas would rename a second ``X`` to ``X.1``
        named = [name for name in header if name != ""]
        twice = list(dict.fromkeys(n for n in named if named.count(n) > 1))
        if twice:
            raise InputError(f"{what}: {path}: duplicated column names in the header: "
                             f"{twice[:5]}{' ...' if len(twice) > 5 else ''}; each feature "
                             "must appear once")
    frame = _read_with_text_columns(path, what, [0])
    if header is not None and isinstance(frame.index, pd.MultiIndex):
        # pandas takes fields beyond the header's as index levels (one more is a header
        # that leaves out the id column's name, as R's write.table writes it)
        raise InputError(f"{what}: {path}: its lines have {frame.index.nlevels} more fields "
                         f"than its header line ({len(header)}); every line must have as many "
                         f"fields as the header{separator_hint(path)}")
    if (header is not None and not isinstance(frame.index, pd.RangeIndex) and len(frame)
            and frame.shape[1] > 1 and frame.iloc[:, -1].isna().all()):
        # one field more, empty on every line: a separator ending each line, not a header
        # without the id column's name; read as one, every value sat under its left
        # neighbour's name
        raise InputError(f"{what}: {path}: every line ends with a separator that its header "
                         f"line ({len(header)} fields) does not end with; remove the trailing "
                         "separators, or add one to the header line")
    if not isinstance(frame.index, pd.RangeIndex):  # Parquet written with its index
        frame = frame.reset_index()
    if frame.shape[1] < 2:
        raise InputError(f"{what}: {path}: expected an id column and at least one feature "
                         f"column{separator_hint(path)}")
    ids = _text_ids(frame.iloc[:, 0], what, path, str(frame.columns[0]), "a cell-line id")
    frame = frame.iloc[:, 1:]
    frame.index = pd.Index(ids.to_numpy(dtype=object), name="cell_line")
    # "id,TP53, MDM2": the space after a comma is no part of the gene symbol
    frame.columns = frame.columns.astype(str).str.strip()
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
    """Long response table -> ``cell_line, drug, ln_ic50`` (one row per measured pair);
    cell-line ids and drug names kept as written, an empty one is an error."""
    what = "custom response table (data.custom.response)"
    frame = _read_with_text_columns(path, what, ["cell_line", "drug"])
    require_columns(frame, ["cell_line", "drug", "ln_ic50"], what, path)
    frame = frame[["cell_line", "drug", "ln_ic50"]].copy()
    frame["cell_line"] = _text_ids(frame["cell_line"], what, path, "cell_line",
                                   "a cell-line id")
    frame["drug"] = _text_ids(frame["drug"], what, path, "drug", "a drug name")
    values = pd.to_numeric(frame["ln_ic50"], errors="coerce")
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        row = int(np.flatnonzero(~np.isfinite(values.to_numpy(dtype=float)))[0])
        raw = frame["ln_ic50"].iloc[row]
        shown = "nothing" if pd.isna(raw) or str(raw).strip() == "" else repr(str(raw))
        raise InputError(f"{what}: {path}: ln_ic50 must be a finite number in every row; "
                         f"{_where(path, row)} holds {shown}")
    frame["ln_ic50"] = values.astype(np.float64)
    _warn_if_linear_ic50(frame["ln_ic50"], what, path)
    dup = frame.duplicated(["cell_line", "drug"])
    if dup.any():
        first = frame[dup].iloc[0]
        raise InputError(f"{what}: {path}: the pair ({first['cell_line']!r}, {first['drug']!r}) "
                         "appears more than once; give one ln_ic50 per cell line and drug")
    return frame.reset_index(drop=True)


def _warn_if_linear_ic50(ln_ic50: pd.Series, what: str, path) -> None:
    """Warn where the values look like IC50s rather than their natural logs: all positive
    and strongly right-skewed.  The models would train on them all the same, with a few
    resistant lines dominating every drug's squared error."""
    if len(ln_ic50) < 20 or ln_ic50.min() <= 0:
        return
    skewness = float(ln_ic50.skew())
    if skewness > LINEAR_IC50_SKEWNESS:
        log.warning("%s: %s: every ln_ic50 is positive and the values are strongly "
                    "right-skewed (skewness %.1f, median %.3g, max %.3g), as IC50s "
                    "themselves are; if they are IC50s (in uM, say), give their natural "
                    "logs instead", what, path, skewness, ln_ic50.median(), ln_ic50.max())


def read_edge_list(path) -> pd.DataFrame:
    """Edge list ``gene_a, gene_b`` -> unique unordered pairs."""
    what = "custom interactome (data.custom.interactome)"
    frame = read_text_table(path, what)
    require_columns(frame, ["gene_a", "gene_b"], what, path)
    return unique_gene_pairs(frame["gene_a"], frame["gene_b"])


def read_drug_annotations(path) -> pd.DataFrame:
    """Drug annotations ``drug, target, pathway``."""
    what = "custom drug annotations (data.custom.drugs)"
    frame = read_text_table(path, what)
    require_columns(frame, ["drug", "target", "pathway"], what, path)
    return frame[["drug", "target", "pathway"]].drop_duplicates("drug").reset_index(drop=True)


def read_tissues(path) -> pd.Series:
    """Tissue of each cell line, from a table ``cell_line, tissue``: a Series indexed by
    cell line (ids kept as written).  An empty tissue is ``unknown``; a line listed twice
    is an error."""
    what = "custom tissues (data.custom.tissues)"
    frame = read_text_table(path, what)
    require_columns(frame, ["cell_line", "tissue"], what, path)
    lines = _text_ids(frame["cell_line"], what, path, "cell_line", "a cell-line id")
    tissues = frame["tissue"].str.strip().replace("", "unknown")
    table = pd.Series(tissues.to_numpy(), index=pd.Index(lines.to_numpy(), name="cell_line"),
                      name="tissue")
    check_unique_index(table.to_frame(), what, path)
    return table
