"""File helpers: atomic writes land with the permissions a plain write would give."""

from __future__ import annotations

import os
import tempfile

import pytest

from modrp.io import atomic_path, open_up


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
