"""Shared checks and fast readers for the source parsers."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from modrp.errors import InputError
from modrp.io import read_table, require_file

#: DepMap cell-line ids (ACH- and six digits).
DEPMAP_ID = re.compile(r"ACH-\d{6}")
#: CCLE names: the stripped name, ``_``, the upper-case tissue (``NCIH508_LARGE_INTESTINE``).
CCLE_NAME = re.compile(r"[^_\s]+_[A-Z][A-Z0-9_]*")
_SEPARATORS = {".csv": ",", ".tsv": "\t", ".txt": "\t", ".tab": "\t"}
_SEPARATOR_NAMES = {",": "comma", "\t": "tab", ";": "semicolon"}


def text_separator(path) -> str | None:
    """The separator ``read_table`` uses for ``path``; None for Parquet and other kinds."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return _SEPARATORS.get(suffixes[-1]) if suffixes else None


def read_text_table(path, what: str, **text_options) -> pd.DataFrame:
    """Every column as text, a missing value as ``""``: CSV/TSV read as written (no type
    guessing, no NA conversion; ``text_options`` go to ``read_csv``), a Parquet file's
    columns converted, since ``read_csv``'s text options do not apply to it."""
    if text_separator(path) is not None:
        return read_table(path, what, dtype=str, keep_default_na=False, **text_options)
    return _as_text(read_table(path, what))


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed frame's cells as strings, a missing value as ``""`` (what ``read_csv``
    with ``dtype=str, keep_default_na=False`` gives for a text file)."""
    # astype first: apply leaves an empty frame's typed columns as they are
    return frame.astype(object).apply(lambda column: column.where(column.notna(), "").map(str))


def _open_text(path):
    # utf-8-sig: a byte-order mark before the header is not part of its first name
    opener = gzip.open if str(path).lower().endswith(".gz") else open
    return opener(path, "rt", newline="", encoding="utf-8-sig", errors="replace")


def _first_lines(path, n: int = 10) -> list[str]:
    try:
        with _open_text(path) as handle:
            return [line.rstrip("\r\n") for _, line in zip(range(n), handle, strict=False)]
    except OSError:
        return []


def header_hint(path, missing: list[str], rows: list[list] | None = None) -> str:
    """Why expected columns may be missing: a header below the first row, or another
    separator than the file's suffix says.  Empty when neither explains it."""
    names = [str(m) for m in missing]
    if rows is not None:  # a spreadsheet's first rows
        for k, row in enumerate(rows[1:10], start=2):
            cells = {" ".join(str(c).split()) for c in row if c is not None}
            if all(m in cells for m in names):
                return f"; the header must be the first row, but it is row {k}"
        return ""
    separator = text_separator(path)
    lines = _first_lines(path) if separator else []
    if not lines:
        return ""
    for k, line in enumerate(lines[1:], start=2):
        if all(m in line for m in names):
            return f"; the header must be the first line, but it is line {k}"
    return _separator_hint(separator, lines[0])


def separator_hint(path) -> str:
    """"; expected a tab-separated file, but its header line is comma-separated" (or the
    like) when a text file's first line is split by another separator than its suffix
    says; empty otherwise."""
    separator = text_separator(path)
    lines = _first_lines(path, 1) if separator else []
    return _separator_hint(separator, lines[0]) if lines else ""


def _separator_hint(separator: str, header: str) -> str:
    for other in (",", "\t", ";"):
        if other != separator and header.count(other) > header.count(separator):
            return (f"; expected a {_SEPARATOR_NAMES[separator]}-separated file, but its "
                    f"header line is {_SEPARATOR_NAMES[other]}-separated")
    return ""


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str, path,
                    rows: list[list] | None = None) -> None:
    """Raise InputError naming the missing columns of ``frame`` (and a likely cause;
    ``rows`` are a spreadsheet's first rows)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:8])
        raise InputError(
            f"{what}: {path} lacks the column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {shown}{' ...' if frame.shape[1] > 8 else ''}"
            f"{header_hint(path, missing, rows)}"
        )


def require_finite(matrix: pd.DataFrame, what: str, path) -> None:
    """Raise InputError when a numeric matrix holds NaN or inf (naming the first cell)."""
    values = matrix.to_numpy()
    if values.dtype.kind != "f":
        values = matrix.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    if not finite.all():
        bad = ~finite
        row, col = np.argwhere(bad)[0]
        raise InputError(
            f"{what}: {path} has {int(bad.sum())} missing or non-finite value(s) where numbers "
            f"are required, first at row {matrix.index[row]!r}, column {matrix.columns[col]!r}"
        )


def to_numeric_matrix(frame: pd.DataFrame, what: str, path) -> pd.DataFrame:
    """Convert every column to float, naming the first cell that is not a number.

    Columns that are numeric already are kept as they are (no per-column conversion).
    """
    text = [i for i, kind in enumerate(frame.dtypes)
            if not (pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind))]
    if not text:
        return frame.astype(np.float64)
    out = frame.copy()
    for i in text:
        column = frame.iloc[:, i]
        converted = pd.to_numeric(column, errors="coerce")
        introduced = (converted.isna() & column.notna()).to_numpy()
        if introduced.any():
            row = int(np.flatnonzero(introduced)[0])
            raise InputError(
                f"{what}: {path} has a non-numeric value {column.iloc[row]!r} at row "
                f"{frame.index[row]!r}, column {frame.columns[i]!r}{separator_hint(path)}"
            )
        out.isetitem(i, converted)
    return out.astype(np.float64)


def check_ids(values: pd.Series, pattern: re.Pattern, what: str, path, column: str,
              expected: str, allow_empty: bool = False) -> None:
    """Raise InputError when ids in ``column`` do not match ``pattern`` (e.g. ACH-000001)."""
    text = pd.Series(values, dtype=object).fillna("").astype(str)
    unique = pd.Series(text.unique())
    ok = unique.str.fullmatch(pattern.pattern)
    if allow_empty:
        ok |= unique.str.strip().eq("")
    if not ok.all():
        bad = unique[~ok].tolist()
        raise InputError(
            f"{what}: {path}: column {column!r} must hold {expected}; {len(bad)} distinct "
            f"value(s) do not, e.g. {bad[:3]}"
        )


_NAME_JUNK = re.compile(r"[\s\-_/.;]")


def normalise_cell_line_name(name: str) -> str:
    """GDSC/CCLE name normalisation: uppercase, drop spaces, ``- _ / . ;``.

    ``NCI-H508`` -> ``NCIH508``; the stripped CCLE name ``NCIH508`` is unchanged.
    """
    return _NAME_JUNK.sub("", str(name)).upper()


def check_unique_index(frame: pd.DataFrame, what: str, path) -> None:
    dup = frame.index[frame.index.duplicated()]
    if len(dup):
        raise InputError(
            f"{what}: {path} has duplicated cell-line ids, e.g. {list(dict.fromkeys(dup))[:5]}; "
            "each id must appear once"
        )


def check_unique_values(values: pd.Series, what: str, path, column: str) -> None:
    """Raise InputError when a value of ``column`` appears in several rows (empty cells
    and missing values are not compared)."""
    text = pd.Series(values, dtype=object)
    text = text[text.notna()].astype(str)
    text = text[text.str.strip() != ""]
    repeated = text[text.duplicated()].unique()
    if len(repeated):
        raise InputError(
            f"{what}: {path}: column {column!r} must name each cell line once; "
            f"{len(repeated)} value(s) appear in several rows, e.g. {list(repeated[:5])}"
        )


# --------------------------------------------------------------------------- fast readers


def csv_header(path, what: str, separator: str | None = None) -> list[str] | None:
    """The first line of a CSV/TSV file as column names; None for other kinds.
    ``separator`` replaces the one the suffix gives (a text file's only)."""
    path = require_file(path, what)
    separator = text_separator(path) and (separator or text_separator(path))
    if separator is None:
        return None
    with _open_text(path) as handle:
        try:
            return next(csv.reader(handle, delimiter=separator))
        except StopIteration:
            raise InputError(f"{what}: {path} has no header line") from None


def _block_size(path) -> int:
    """About four blocks per file: pyarrow's cost grows with blocks x columns, so wide
    files want few blocks, and two cores want more than one."""
    return int(min(max(Path(path).stat().st_size // 4 + 1, 1 << 20), 1 << 30))


def _arrow_csv(path, what: str, separator: str, column_types: dict, columns: list[str]):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=_block_size(path)),
            parse_options=pacsv.ParseOptions(delimiter=separator),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types, include_columns=columns,
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise InputError(f"{what}: cannot parse {path}: {err}") from err


def read_text_columns(path, what: str, columns: list[str],
                      separator: str | None = None) -> pd.DataFrame:
    """Only ``columns`` of a table, as strings ("" where empty, like
    ``keep_default_na=False``); CSV/TSV through pyarrow's multithreaded reader
    (``separator``: as :func:`csv_header`'s)."""
    header = csv_header(path, what, separator)
    if header is None:
        frame = read_table(path, what)
        require_columns(frame, columns, what, path)
        return _as_text(frame[columns])
    require_columns(pd.DataFrame(columns=header), columns, what, path)
    import pyarrow as pa

    table = _arrow_csv(path, what, separator or text_separator(path),
                       {c: pa.string() for c in columns}, columns)
    return table.to_pandas()


def read_float_matrix(path, what: str, text_columns: int = 1) -> pd.DataFrame | None:
    """A CSV/TSV matrix: the first column as string ids (the index), every other as
    float32; columns keep their position (duplicated names allowed).  None when a cell is
    not a number (the caller's slower reader then names it).  Empty cells become NaN.

    With ``text_columns`` > 1 the first that many columns are read as strings ("" where
    empty) and become a MultiIndex named by their headers."""
    import pyarrow as pa

    header = csv_header(path, what)
    names = [f"c{i}" for i in range(len(header))]  # positional: header names may repeat
    try:
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=_block_size(path)),
            parse_options=pacsv.ParseOptions(delimiter=text_separator(path)),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.float32() for n in names[text_columns:]}
                | {n: pa.string() for n in names[:text_columns]},
                strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None
    values = np.empty((table.num_rows, len(names) - text_columns), dtype=np.float32,
                      order="F")
    for i in range(text_columns, len(names)):
        values[:, i - text_columns] = table.column(i).to_numpy(zero_copy_only=False)
    if text_columns == 1:
        index = pd.Index(table.column(0).to_pylist(), dtype=object)
    else:
        index = pd.MultiIndex.from_arrays(
            [pd.Index(table.column(i).to_pylist(), dtype=object) for i in range(text_columns)],
            names=header[:text_columns])
    return pd.DataFrame(values, index=index, columns=header[text_columns:], copy=False)
