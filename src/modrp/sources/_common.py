"""Shared checks for the source parsers."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from modrp.errors import InputError


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str, path) -> None:
    """Raise InputError naming the missing columns of ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:8])
        raise InputError(
            f"{what}: {path} lacks the column(s) {', '.join(repr(c) for c in missing)}; "
            f"found {shown}{' ...' if frame.shape[1] > 8 else ''}"
        )


def require_finite(matrix: pd.DataFrame, what: str, path) -> None:
    """Raise InputError when a numeric matrix holds NaN or inf (naming the first cell)."""
    values = matrix.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise InputError(
            f"{what}: {path} has {int(bad.sum())} missing or non-finite value(s) where numbers "
            f"are required, first at row {matrix.index[row]!r}, column {matrix.columns[col]!r}"
        )


def to_numeric_matrix(frame: pd.DataFrame, what: str, path) -> pd.DataFrame:
    """Convert every column to float, naming the first cell that is not a number."""
    out = frame.apply(pd.to_numeric, errors="coerce")
    introduced = out.isna() & frame.notna()
    if introduced.to_numpy().any():
        row, col = np.argwhere(introduced.to_numpy())[0]
        raise InputError(
            f"{what}: {path} has a non-numeric value {frame.iat[row, col]!r} at row "
            f"{frame.index[row]!r}, column {frame.columns[col]!r}"
        )
    return out.astype(np.float64)


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
