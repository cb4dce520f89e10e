"""Small file helpers: atomic writes and table reading by suffix."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from modrp.errors import InputError


def open_up(path: str | os.PathLike) -> None:
    """Give a file or folder that ``tempfile`` made private (0600, 0700) the permissions a
    plain ``open()`` or ``mkdir`` would under the umask, before it is moved into place."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~umask)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    A failure inside the block removes the temporary file, so a reader never
    sees a half-written output.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    open_up(tmp_path)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def check_output_file(path: str | os.PathLike, what: str) -> Path:
    """Return ``path`` as a Path if a file can be written there, else raise InputError:
    it must not be a folder, and the nearest existing folder above it must be a writable
    folder, not a file (missing folders are created when writing)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what}: {path} is a folder; expected the name of a file to write "
                         f"(e.g. {path / 'ranking.csv'})")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{what}: cannot write {path}: {parent} is a file, not a "
                                 "folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputError(f"{what}: cannot write {path}: no permission to create "
                                 f"files in {parent}")
            break
    return path


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write ``frame`` to Parquet atomically (index kept)."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, engine="pyarrow")


def write_json(payload, path: str | os.PathLike) -> None:
    """Write ``payload`` as indented JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2) + "\n")


def sniff_html(path: Path, head: bytes | None = None) -> bool:
    """True when the file starts like an HTML page (an error page saved as data)."""
    if head is None:
        with open(path, "rb") as handle:
            head = handle.read(512)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body"))


#: Leading bytes of files that are no plain text table, though named like one.
_NOT_TEXT = (
    (b"\x1f\x8b", "gzip-compressed, but its name does not end in .gz; add .gz to its name "
                  "or decompress it (gunzip)"),
    (b"PK\x03\x04", "a zip archive (an Excel workbook, .xlsx, is one), not a text table; "
                    "save the sheet as CSV (in Excel: Save As, CSV UTF-8) or unzip it"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls), not a text table; save the "
                          "sheet as CSV (in Excel: Save As, CSV UTF-8)"),
    (b"\xff\xfe", "UTF-16 text (Excel's 'Unicode Text'); save it as UTF-8 (in Excel: "
                  "Save As, CSV UTF-8)"),
    (b"\xfe\xff", "UTF-16 text; save it as UTF-8"),
    (b"PAR1", "a Parquet file; name it with the suffix .parquet"),
)
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")


def require_file(path: str | os.PathLike, what: str) -> Path:
    """Return ``path`` as a Path if it is a non-empty, non-HTML file, else raise InputError;
    a file named as a text table (``.csv``, ``.tsv``, ``.txt``, ``.tab``) must not be
    compressed, a workbook, UTF-16 or Parquet."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what}: file not found: {path}")
    if path.stat().st_size == 0:
        raise InputError(f"{what}: file is empty: {path}")
    with open(path, "rb") as handle:
        head = handle.read(512)
    if sniff_html(path, head):
        raise InputError(
            f"{what}: {path} is an HTML page, not the expected data file "
            "(a download probably saved an error or login page); replace it with the real file"
        )
    if path.suffix.lower() in _TEXT_SUFFIXES:
        for magic, kind in _NOT_TEXT:
            if head.startswith(magic) and (magic != b"PAR1" or _ends_with(path, magic)):
                raise InputError(f"{what}: {path} is {kind}")
    return path


def _ends_with(path: Path, tail: bytes) -> bool:
    """Whether the file ends with ``tail``: Parquet has ``PAR1`` at both ends, while a
    text table may begin with it (a header without the id column's name, gene PAR1 first)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() < 2 * len(tail):
            return False
        handle.seek(-len(tail), os.SEEK_END)
        return handle.read() == tail


def read_table(path: str | os.PathLike, what: str, **kwargs) -> pd.DataFrame:
    """Read CSV, TSV/TXT or Parquet by suffix (``.gz`` allowed for text)."""
    path = require_file(path, what)
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = suffixes[-1] if suffixes else ""
    try:
        if kind == ".parquet":
            return pd.read_parquet(path, **kwargs)
        if kind in (".tsv", ".txt", ".tab"):
            return pd.read_csv(path, sep="\t", **kwargs)
        if kind == ".csv":
            return pd.read_csv(path, **kwargs)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise InputError(f"{what}: cannot parse {path}: {err}") from err
    raise InputError(f"{what}: {path} has an unknown suffix; expected .csv, .tsv, .txt or .parquet")
