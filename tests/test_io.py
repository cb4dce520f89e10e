"""File helpers: atomic writes land with the permissions a plain write would give; tables
are read by suffix, and a missing, empty, HTML or unreadable file is an InputError."""

from __future__ import annotations

import gzip
import os
import tempfile

import pandas as pd
import pytest

from modrp.errors import InputError
from modrp.io import (
    atomic_path,
    check_output_file,
    open_up,
    read_table,
    require_file,
    sniff_html,
    write_parquet,
)


@pytest.fixture
def umask():
    mask = os.umask(0o022)
    yield 0o022
    os.umask(mask)


def test_an_atomic_write_lands_with_plain_permissions_or_not_at_all(tmp_path, umask):
    target = tmp_path / "out" / "table.tsv"
    with atomic_path(target) as tmp:
        tmp.write_text("a\n")
    assert target.read_text() == "a\n"
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "a\n" and os.listdir(target.parent) == ["table.tsv"]


def test_open_up_gives_a_private_folder_mkdirs_permissions(tmp_path, umask):
    folder = tempfile.mkdtemp(dir=tmp_path)
    assert os.stat(folder).st_mode & 0o777 == 0o700
    open_up(folder)
    assert os.stat(folder).st_mode & 0o777 == 0o777 & ~umask


@pytest.mark.parametrize("name", ["t.CSV", "t.Tsv", "t.TXT.GZ", "t.tab"])
def test_suffixes_are_read_whatever_their_case(tmp_path, name):
    text = b"id,v\nc1,1.5\n" if ".csv" in name.lower() else b"id\tv\nc1\t1.5\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if name.lower().endswith(".gz") else text)
    frame = read_table(path, "table")
    assert frame.to_dict("list") == {"id": ["c1"], "v": [1.5]}


@pytest.mark.parametrize(("name", "data"), [
    ("t.parquet", b"PAR1 but no parquet file after it"),
    ("t.csv", "id,v\nc1,\u00e9\n".encode("latin-1")),  # not UTF-8
])
def test_a_file_that_cannot_be_parsed_is_an_input_error(tmp_path, name, data):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(InputError, match=rf"^table: cannot parse {tmp_path / name}: "):
        read_table(tmp_path / name, "table")


def test_a_missing_empty_or_html_file_is_named_for_what_it_is(tmp_path):
    with pytest.raises(InputError, match=rf"^table: file not found: {tmp_path}$"):
        require_file(tmp_path, "table")  # a folder is no file
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match="^table: file is empty: "):
        read_table(tmp_path / "empty.csv", "table")
    (tmp_path / "page.csv").write_bytes(b"\xef\xbb\xbf\r\n  <!DOCTYPE html><html></html>")
    with pytest.raises(InputError, match="is an HTML page, not the expected data file"):
        read_table(tmp_path / "page.csv", "table")


@pytest.mark.parametrize(("data", "message"), [
    (gzip.compress(b"id,v\nc1,1.5\n"), "is gzip-compressed, but its name does not end in .gz"),
    (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml", r"is a zip archive \(an Excel workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", r"is an Excel 97-2003 workbook \(\.xls\)"),
    ("id,v\nc1,1.5\n".encode("utf-16"), r"is UTF-16 text \(Excel's 'Unicode Text'\)"),
    (b"PAR1\x15\x04\x00\x00PAR1", "is a Parquet file; name it with the suffix .parquet"),
])
def test_a_text_name_on_a_binary_or_utf16_file_says_what_the_file_is(tmp_path, data, message):
    """Not the decoder's complaint about a byte, nor the binary bytes shown as a column name."""
    path = tmp_path / "exp.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=rf"^table: {path} {message}"):
        read_table(path, "table")


def test_a_text_table_that_begins_with_par1_is_no_parquet_file(tmp_path):
    """Parquet begins and ends with PAR1; a text header may begin with it (a header that
    leaves out the id column's name, gene PAR1 first), and is read."""
    path = tmp_path / "exp.csv"
    path.write_text("PAR1,TP53\nc1,1.5,2.5\n")
    assert read_table(path, "table").shape == (1, 2)
    frame = pd.DataFrame({"v": [1.0]})
    frame.to_parquet(path)
    with pytest.raises(InputError, match="is a Parquet file"):
        read_table(path, "table")


@pytest.mark.parametrize(("head", "html"), [
    (b"<html><body>Sign in</body></html>", True),
    (b"\n\n  <!doctype HTML>", True),
    (b"\xef\xbb\xbf<?xml version='1.0'?><Error>AccessDenied</Error>", True),
    (b"\t<HEAD><title>404</title>", True),
    (b",TSPAN6 (7105)\nACH-000001,<html>\n", False),
    (b"CCLE_ID,html\n", False),
])
def test_html_is_sniffed_after_a_bom_and_blank_space(tmp_path, head, html):
    path = tmp_path / "f.csv"
    path.write_bytes(head)
    assert sniff_html(path) is html
    assert sniff_html(tmp_path / "absent", head=head) is html  # with head given, no file read


def test_parquet_keeps_the_index_and_the_dtypes(tmp_path):
    frame = pd.DataFrame({"count": pd.array([1, 2], dtype="int64"), "ln_ic50": [0.5, -1.25],
                          "drug": ["A", "B"], "flag": [True, False]},
                         index=pd.Index(["0001", "0002"], name="cell_line"))
    write_parquet(frame, tmp_path / "out" / "t.parquet")
    back = read_table(tmp_path / "out" / "t.parquet", "table")
    pd.testing.assert_frame_equal(back, frame)
    assert os.listdir(tmp_path / "out") == ["t.parquet"]


def test_an_output_is_checked_against_the_nearest_existing_folder_only(tmp_path):
    locked = tmp_path / "locked"
    open_dir = locked / "open"
    open_dir.mkdir(parents=True)
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("this process may write into any folder (root)")
        with pytest.raises(InputError, match=rf"^--out: cannot write {locked / 'new' / 'r.csv'}: "
                                             rf"no permission to create files in {locked}$"):
            check_output_file(locked / "new" / "r.csv", "--out")
        # a writable folder inside a locked one is writable
        assert check_output_file(open_dir / "sub" / "r.csv", "--out") == open_dir / "sub" / "r.csv"
    finally:
        locked.chmod(0o755)
