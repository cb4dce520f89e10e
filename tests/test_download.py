"""The basic downloader against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from modrp.download import fetch
from modrp.errors import InputError

CSV = b"CCLE_ID,DepMap_ID,alanine\nA_LUNG,ACH-000001,5.1\n"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/file.csv"


def test_success(httpserver, tmp_path):
    httpserver.expect_request("/file.csv").respond_with_data(CSV)
    dest = fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv")
    assert dest.read_bytes() == CSV
    assert [p.name for p in tmp_path.iterdir()] == ["file.csv"]


def test_404_then_fallback(httpserver, tmp_path):
    httpserver.expect_request("/gone.csv").respond_with_data("no", status=404)
    httpserver.expect_request("/mirror.csv").respond_with_data(CSV)
    dest = fetch([httpserver.url_for("/gone.csv"), httpserver.url_for("/mirror.csv")],
                 tmp_path / "file.csv")
    assert dest.read_bytes() == CSV


def test_html_page_never_becomes_an_input(httpserver, tmp_path):
    httpserver.expect_request("/file.csv").respond_with_data(
        "<!DOCTYPE html><html><body>Please log in</body></html>", content_type="text/html")
    with pytest.raises(InputError, match="HTML page instead of the data file"):
        fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv")
    assert list(tmp_path.iterdir()) == []


def test_offline_fails_fast_and_says_how_to_place_the_file(tmp_path):
    with pytest.raises(InputError, match=r"(?s)every URL failed.*place it at .*file\.csv"):
        fetch([closed_port_url()], tmp_path / "file.csv", timeout=5)
    assert list(tmp_path.iterdir()) == []
