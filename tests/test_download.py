"""The downloader against real HTTP servers on 127.0.0.1: pytest-httpserver for ordinary
answers, http.server in a thread where a test needs a cut, short or stalled response."""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import re
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from modrp.download import (
    MANIFEST_COLUMNS,
    PLACED_BY_HAND,
    fetch,
    file_date,
    partial_path,
    read_manifest,
    record_existing,
    record_placed_files,
    update_manifest,
)
from modrp.errors import InputError

CSV = b"CCLE_ID,DepMap_ID,alanine\nA_LUNG,ACH-000001,5.1\n"
# Long enough that a cut in the middle leaves a resumable partial file of several lines.
BIG_CSV = b"CCLE_ID,DepMap_ID,alanine\n" + b"".join(
    b"L%05d_LUNG,ACH-%06d,%d.5\n" % (i, i, i % 9) for i in range(400))
FAST = {"retries": 2, "backoff": 0.01, "timeout": 5}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/file.csv"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.seen.append(dict(self.headers))
        self.server.answer(self, len(self.server.seen))

    def log_message(self, *args):
        pass

    def head(self, status: int, headers: dict[str, str | int]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.send_header("Connection", "close")
        self.end_headers()


@pytest.fixture
def raw_server():
    """Start an http.server whose GET is ``answer(handler, n)`` (n: 1 for the first request).

    Yields ``start(answer) -> (url, seen, release)``: ``seen`` lists every request's
    headers; set ``release`` to free a handler that waits to simulate a stall.
    """
    servers = []
    release = threading.Event()

    def start(answer: Callable) -> tuple[str, list[dict], threading.Event]:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.answer, server.seen, server.release = answer, [], release
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/file.csv", server.seen, release

    yield start
    release.set()
    for server in servers:
        server.shutdown()
        server.server_close()


# ------------------------------------------------------------------ success, retry, fallback


def test_success(httpserver, tmp_path):
    httpserver.expect_request("/file.csv").respond_with_data(CSV)
    dest = fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv", key="metabolomics")
    assert dest.read_bytes() == CSV
    assert names(tmp_path) == ["file.csv"]


def test_server_error_is_retried(httpserver, tmp_path):
    httpserver.expect_oneshot_request("/file.csv").respond_with_data("busy", status=503)
    httpserver.expect_oneshot_request("/file.csv").respond_with_data("oops", status=500)
    httpserver.expect_request("/file.csv").respond_with_data(CSV)
    dest = fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv", **FAST)
    assert dest.read_bytes() == CSV
    assert len(httpserver.log) == 3
    assert names(tmp_path) == ["file.csv"]


@pytest.mark.parametrize("status", [408, 429])
def test_timeout_and_too_many_requests_are_retried(httpserver, tmp_path, status):
    httpserver.expect_oneshot_request("/file.csv").respond_with_data("slow down", status=status)
    httpserver.expect_request("/file.csv").respond_with_data(CSV)
    dest = fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv", **FAST)
    assert dest.read_bytes() == CSV
    assert len(httpserver.log) == 2


def test_retries_run_out_then_the_next_url(httpserver, tmp_path):
    httpserver.expect_request("/down.csv").respond_with_data("oops", status=500)
    httpserver.expect_request("/mirror.csv").respond_with_data(CSV)
    fetch([httpserver.url_for("/down.csv"), httpserver.url_for("/mirror.csv")],
          tmp_path / "file.csv", **FAST)
    assert [r.path for r, _ in httpserver.log] == ["/down.csv"] * 3 + ["/mirror.csv"]
    assert (tmp_path / "file.csv").read_bytes() == CSV


def test_404_then_fallback_without_retrying(httpserver, tmp_path):
    httpserver.expect_request("/gone.csv").respond_with_data("no", status=404)
    httpserver.expect_request("/mirror.csv").respond_with_data(CSV)
    manifest = tmp_path / "MANIFEST.tsv"
    dest = fetch([httpserver.url_for("/gone.csv"), httpserver.url_for("/mirror.csv")],
                 tmp_path / "file.csv", manifest=manifest, **FAST)
    assert dest.read_bytes() == CSV
    assert [r.path for r, _ in httpserver.log] == ["/gone.csv", "/mirror.csv"]
    assert read_manifest(manifest)[0]["url"] == httpserver.url_for("/mirror.csv")
    assert names(tmp_path) == ["MANIFEST.tsv", "MANIFEST.tsv.lock", "file.csv"]


def test_non_http_urls_go_through_urllib(tmp_path):
    # file:// answers like ftp:// does in urllib: no status code, no Range support.
    source = tmp_path / "source" / "file.csv"
    source.parent.mkdir()
    source.write_bytes(CSV)
    out = tmp_path / "raw"
    out.mkdir()
    # A partial file left by an earlier http attempt is not resumed from another URL.
    partial_path(out / "file.csv").write_bytes(b"CCLE_ID,Dep")
    dest = fetch([source.as_uri()], out / "file.csv", key="metabolomics")
    assert dest.read_bytes() == CSV
    assert names(out) == ["file.csv"]


# ------------------------------------------------------------------ bad content


def test_html_page_never_becomes_an_input(httpserver, tmp_path):
    httpserver.expect_request("/file.csv").respond_with_data(
        "<!DOCTYPE html><html><body>Please log in</body></html>", content_type="text/html")
    with pytest.raises(InputError, match="HTML page instead of the data file"):
        fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv", **FAST)
    assert len(httpserver.log) == 1  # asking again would give the same page
    assert list(tmp_path.iterdir()) == []


def test_empty_body_never_becomes_an_input(httpserver, tmp_path):
    httpserver.expect_request("/file.csv").respond_with_data(b"")
    with pytest.raises(InputError, match="empty body"):
        fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv", **FAST)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("key", "body", "message"), [
    ("mutations", b"Gene,Entrez_Gene_Id\nTP53,7157\n",
     r"first column named 'Hugo_Symbol' \(or second, after an unnamed one\) \(or, in "
     "DepMap's newer releases, a column "
     "'HugoSymbol'\\)"),
    ("expression", b"DepMap_ID,TSPAN6 (7105)\nACH-000001,1.0\n", "unnamed first column"),
    ("sample_info", b"ModelID,CellLineName,CCLEName\nACH-000001,A549,A549_LUNG\n",
     "a column 'COSMICID'"),
    ("compounds", b"ID,DRUG_NAME\n1,Erlotinib\n", "column 'DRUG_ID'"),
    ("dose_response", b"DATASET,COSMIC_ID\nGDSC2,1\n", r"starting with the bytes b'PK\\x03\\x04'"),
    # one column is no matrix: a text message after a blank line, a list of names
    ("rppa", b"\nThe service is down for maintenance.\n", "unnamed first column"),
    ("metabolomics", b"CCLE_ID\nA_LUNG\n", "first column named 'CCLE_ID'"),
])
def test_wrong_header_never_becomes_an_input(httpserver, tmp_path, key, body, message):
    httpserver.expect_request("/file").respond_with_data(body)
    with pytest.raises(InputError, match=message):
        fetch([httpserver.url_for("/file")], tmp_path / "file", key=key, **FAST)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("key", "body"), [
    ("expression", b",TSPAN6 (7105),TNMD (64102)\nACH-000001,1.0,2.0\n"),
    ("rppa", b'"",14-3-3_beta\nDMS53_LUNG,0.1\n'),
    ("mutations", b"\xef\xbb\xbfHugo_Symbol,Entrez_Gene_Id\nTP53,7157\n"),
    # 20Q1's CCLE_mutations.csv begins with an unnamed row-index column
    ("mutations", b",Hugo_Symbol,Entrez_Gene_Id\n0,TP53,7157\n"),
    # DepMap's newer layouts
    ("mutations", b"Chrom,Pos,HugoSymbol,VariantInfo,ModelID\nchr1,10,TP53,SILENT,ACH-000001\n"),
    ("expression", b"ProfileID,is_default_entry,ModelID,TSPAN6 (7105)\nPR-1,Yes,ACH-000001,1\n"),
    ("sample_info", b"ModelID,PatientID,CellLineName,COSMICID\nACH-000001,PT-1,A549,905949\n"),
    ("interactome", b"Uniprot_A\tUniprot_B\tGene_A\tGene_B\nP1\tP2\tA\tB\n"),
    ("compounds", b"DRUG_ID,SCREENING_SITE,DRUG_NAME\n1,MGH,Erlotinib\n"),
    ("cell_line_details", b"PK\x03\x04rest of a zip"),
])
def test_real_headers_pass(httpserver, tmp_path, key, body):
    httpserver.expect_request("/file").respond_with_data(body)
    assert fetch([httpserver.url_for("/file")], tmp_path / "file", key=key).read_bytes() == body


OLDER_MUTATIONS = b"Hugo_Symbol,Entrez_Gene_Id,DepMap_ID\nTP53,7157,ACH-000001\n"
OLDER_SAMPLE_INFO = b"DepMap_ID,stripped_cell_line_name,COSMIC_ID\nACH-000001,A549,905949\n"


@pytest.mark.parametrize(("key", "name", "body"), [
    ("mutations", "OmicsSomaticMutations.csv", OLDER_MUTATIONS),
    ("sample_info", "Model.csv", OLDER_SAMPLE_INFO),
], ids=["mutations", "sample_info"])
def test_19q3_file_under_a_newer_release_name_is_refused(httpserver, tmp_path, key, name,
                                                         body):
    # A config that renames the file for a newer release but keeps the paper's URL.
    httpserver.expect_request("/file").respond_with_data(body)
    with pytest.raises(InputError, match=rf"{re.escape(name)} is the name of a newer DepMap "
                       r"release's file, but this one is in the 19Q3 release's layout.*"
                       r"the URL serves the 19Q3 file.*data\.urls"):
        fetch([httpserver.url_for("/file")], tmp_path / name, key=key, **FAST)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("key", "name", "body"), [
    # the 19Q3 layout under another name than DepMap's newer ones
    ("mutations", "mutations_19Q3.csv", OLDER_MUTATIONS),
    ("sample_info", "cell_lines.csv", OLDER_SAMPLE_INFO),
    # a newer file kept under the 19Q3 name: the URL was changed, the name was not
    ("mutations", "CCLE_mutations.csv",
     b"HugoSymbol,VariantInfo,ModelID\nTP53,MISSENSE,ACH-000001\n"),
    # an early newer expression matrix in 19Q3's layout: its layout tells no release
    ("expression", "OmicsExpressionProteinCodingGenesTPMLogp1.csv",
     b",TSPAN6 (7105)\nACH-000001,1.0\n"),
], ids=["mutations-other-name", "sample_info-other-name", "mutations-19q3-name",
        "expression-newer-name"])
def test_layout_and_name_of_other_releases_pass(httpserver, tmp_path, key, name, body):
    httpserver.expect_request("/file").respond_with_data(body)
    assert fetch([httpserver.url_for("/file")], tmp_path / name, key=key,
                 **FAST).read_bytes() == body


def test_truncated_body_never_becomes_an_input(raw_server, tmp_path):
    def short(handler, _):  # announces the whole file, sends half, hangs up
        handler.head(200, {"Content-Length": len(BIG_CSV)})
        handler.wfile.write(BIG_CSV[: len(BIG_CSV) // 2])

    url, seen, _ = raw_server(short)
    with pytest.raises(InputError, match=rf"truncated transfer: \d+ of {len(BIG_CSV)} bytes"):
        fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert len(seen) == 3  # the first attempt and two retries
    assert not (tmp_path / "file.csv").exists()
    # What arrived stays aside for the next run to resume; never at the final name.
    assert partial_path(tmp_path / "file.csv").read_bytes() == BIG_CSV[: len(BIG_CSV) // 2]


def test_a_body_that_never_starts_leaves_nothing_behind(raw_server, tmp_path):
    def headers_only(handler, _):  # announces the file, hangs up before its first byte
        handler.head(200, {"Content-Length": len(BIG_CSV), "ETag": '"v1"'})

    url, seen, _ = raw_server(headers_only)
    with pytest.raises(InputError, match=rf"truncated transfer: 0 of {len(BIG_CSV)} bytes"):
        fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert len(seen) == 3
    assert list(tmp_path.iterdir()) == []  # no empty partial file, no metadata of one


def test_stalled_server_times_out(raw_server, tmp_path):
    def stall(handler, _):
        handler.head(200, {"Content-Length": len(BIG_CSV)})
        handler.wfile.write(BIG_CSV[:100])
        handler.wfile.flush()
        handler.server.release.wait(10)  # set when the test ends

    url, seen, _ = raw_server(stall)
    with pytest.raises(InputError, match=r"stalled \(no data for 0.3 s\)"):
        fetch([url], tmp_path / "file.csv", retries=1, backoff=0.01, timeout=0.3)
    assert len(seen) == 2
    # Whatever arrived may wait aside for a resume, never under the final name.
    assert set(names(tmp_path)) <= {".file.csv.part", ".file.csv.part.json"}


# ------------------------------------------------------------------ sha256 pins


def test_checksum_mismatch_names_file_and_both_digests(httpserver, tmp_path):
    httpserver.expect_request("/file.csv").respond_with_data(CSV)
    pinned = "ab" * 32
    with pytest.raises(InputError) as caught:
        fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv", sha256=pinned,
              manifest=tmp_path / "MANIFEST.tsv", **FAST)
    message = str(caught.value)
    assert f"sha256 mismatch for file.csv: expected {pinned}, got {sha(CSV)}" in message
    assert not (tmp_path / "file.csv").exists()
    assert not partial_path(tmp_path / "file.csv").exists()
    assert not (tmp_path / "MANIFEST.tsv").exists()


def test_checksum_match_is_accepted(httpserver, tmp_path):
    httpserver.expect_request("/file.csv").respond_with_data(CSV)
    dest = fetch([httpserver.url_for("/file.csv")], tmp_path / "file.csv",
                 sha256=sha(CSV).upper())
    assert dest.read_bytes() == CSV


# ------------------------------------------------------------------ resume


def test_interrupted_transfer_is_resumed_with_a_range_request(raw_server, tmp_path):
    cut = len(BIG_CSV) // 3

    def cut_then_resume(handler, n):
        if n == 1:  # the whole file announced, a third sent, then the connection drops
            handler.head(200, {"Content-Length": len(BIG_CSV), "ETag": '"v1"'})
            handler.wfile.write(BIG_CSV[:cut])
            return
        start = int(re.fullmatch(r"bytes=(\d+)-", handler.headers["Range"]).group(1))
        handler.head(206, {"Content-Length": len(BIG_CSV) - start, "ETag": '"v1"',
                           "Content-Range": f"bytes {start}-{len(BIG_CSV) - 1}/{len(BIG_CSV)}"})
        handler.wfile.write(BIG_CSV[start:])

    url, seen, _ = raw_server(cut_then_resume)
    dest = tmp_path / "file.csv"
    # A run without retries fails and keeps the partial file aside ...
    with pytest.raises(InputError, match="truncated transfer"):
        fetch([url], dest, key="metabolomics", retries=0)
    assert not dest.exists()
    assert partial_path(dest).read_bytes() == BIG_CSV[:cut]
    # ... and the next run asks only for the rest, from the same version of the file.
    fetch([url], dest, key="metabolomics", manifest=tmp_path / "MANIFEST.tsv", retries=0)
    assert "Range" not in seen[0]
    assert seen[1]["Range"] == f"bytes={cut}-"
    assert seen[1]["If-Range"] == '"v1"'
    assert dest.read_bytes() == BIG_CSV
    assert read_manifest(tmp_path / "MANIFEST.tsv")[0]["sha256"] == sha(BIG_CSV)
    assert names(tmp_path) == ["MANIFEST.tsv", "MANIFEST.tsv.lock", "file.csv"]


def test_server_ignoring_range_restarts_from_zero(raw_server, tmp_path):
    def whole_file_always(handler, n):
        handler.head(200, {"Content-Length": len(BIG_CSV)})
        handler.wfile.write(BIG_CSV if n > 1 else BIG_CSV[:1000])

    url, seen, _ = raw_server(whole_file_always)
    dest = fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert seen[1]["Range"] == "bytes=1000-"
    assert dest.read_bytes() == BIG_CSV  # not the first 1000 bytes twice
    assert names(tmp_path) == ["file.csv"]


def _cut_first_then(answer: Callable, cut: int) -> Callable:
    """First request: BIG_CSV announced with ETag "v1", ``cut`` bytes sent, connection
    dropped; later requests: ``answer(handler, n)``."""
    def respond(handler, n):
        if n == 1:
            handler.head(200, {"Content-Length": len(BIG_CSV), "ETag": '"v1"'})
            handler.wfile.write(BIG_CSV[:cut])
            return
        answer(handler, n)
    return respond


def _requested_start(handler) -> int | None:
    match = re.fullmatch(r"bytes=(\d+)-", handler.headers.get("Range") or "")
    return int(match.group(1)) if match else None


def _serve(handler, body: bytes) -> None:
    """An honest server of ``body``: the asked range (206) or the whole file (200)."""
    start = _requested_start(handler)
    if start is None:
        handler.head(200, {"Content-Length": len(body), "ETag": '"v1"'})
        handler.wfile.write(body)
        return
    handler.head(206, {"Content-Length": len(body) - start, "ETag": '"v1"',
                       "Content-Range": f"bytes {start}-{len(body) - 1}/{len(body)}"})
    handler.wfile.write(body[start:])


def test_resume_at_another_offset_drops_the_partial_file(raw_server, tmp_path):
    cut = len(BIG_CSV) // 3

    def wrong_start_once(handler, n):
        if n == 2:  # asked for bytes from ``cut``, answers from 100 bytes later
            start = cut + 100
            handler.head(206, {"Content-Length": len(BIG_CSV) - start, "ETag": '"v1"',
                               "Content-Range":
                                   f"bytes {start}-{len(BIG_CSV) - 1}/{len(BIG_CSV)}"})
            handler.wfile.write(BIG_CSV[start:])
            return
        _serve(handler, BIG_CSV)

    url, seen, _ = raw_server(_cut_first_then(wrong_start_once, cut))
    dest = fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert seen[1]["Range"] == f"bytes={cut}-"
    # The misplaced bytes are not spliced in: the partial file is dropped, read from zero.
    assert len(seen) == 3 and "Range" not in seen[2]
    assert dest.read_bytes() == BIG_CSV
    assert names(tmp_path) == ["file.csv"]


def test_resume_of_a_file_that_changed_size_drops_the_partial_file(raw_server, tmp_path):
    cut = len(BIG_CSV) // 3
    # A new version: other values (so its tail does not fit the old head), another size.
    new = BIG_CSV.replace(b".5\n", b".25\n")
    assert len(new) != len(BIG_CSV) and new[:cut] != BIG_CSV[:cut]

    url, seen, _ = raw_server(_cut_first_then(lambda handler, _: _serve(handler, new), cut))
    dest = fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert seen[1]["Range"] == f"bytes={cut}-"  # answered from ``cut``, with the new total
    assert len(seen) == 3 and "Range" not in seen[2]
    assert dest.read_bytes() == new  # never the old head with the new tail
    assert names(tmp_path) == ["file.csv"]


def test_http_416_drops_the_partial_file_and_starts_over(raw_server, tmp_path):
    cut = len(BIG_CSV) // 3
    small = CSV  # the file shrank below the bytes already held
    assert len(small) < cut

    def shrunk(handler, _):
        start = _requested_start(handler)
        if start is not None and start >= len(small):
            handler.head(416, {"Content-Range": f"bytes */{len(small)}", "Content-Length": 0})
            return
        _serve(handler, small)

    url, seen, _ = raw_server(_cut_first_then(shrunk, cut))
    dest = tmp_path / "file.csv"
    with pytest.raises(InputError, match="truncated transfer"):
        fetch([url], dest, key="metabolomics", retries=0)
    assert partial_path(dest).read_bytes() == BIG_CSV[:cut]
    # The next run asks for the rest, gets 416, drops the stale copy and reads from zero.
    fetch([url], dest, key="metabolomics", **FAST)
    assert seen[1]["Range"] == f"bytes={cut}-"
    assert len(seen) == 3 and "Range" not in seen[2]
    assert dest.read_bytes() == small
    assert names(tmp_path) == ["file.csv"]


def test_a_partial_file_from_another_url_is_not_resumed(raw_server, tmp_path):
    """Mirrors need not serve identical bytes: the head of one and the tail of another
    would pass every check but a pinned sha256."""
    cut = len(BIG_CSV) // 3
    other = BIG_CSV.replace(b".5\n", b".75\n")  # the mirror's version of the file
    first, _, _ = raw_server(_cut_first_then(lambda handler, _: _serve(handler, BIG_CSV), cut))
    mirror, seen, _ = raw_server(lambda handler, _: _serve(handler, other))
    dest = tmp_path / "file.csv"
    with pytest.raises(InputError, match="truncated transfer"):
        fetch([first], dest, key="metabolomics", retries=0)
    assert partial_path(dest).read_bytes() == BIG_CSV[:cut]
    fetch([mirror], dest, key="metabolomics", **FAST)
    assert len(seen) == 1 and "Range" not in seen[0]
    assert dest.read_bytes() == other
    assert names(tmp_path) == ["file.csv"]


def test_a_weak_etag_is_not_sent_in_if_range(raw_server, tmp_path):
    """A weak ETag never matches in If-Range (RFC 9110 13.1.5): Last-Modified is sent."""
    cut = len(BIG_CSV) // 3
    modified = "Wed, 17 Jul 2019 10:00:00 GMT"

    def weak(handler, n):
        if n == 1:
            handler.head(200, {"Content-Length": len(BIG_CSV), "ETag": 'W/"v1"',
                               "Last-Modified": modified})
            handler.wfile.write(BIG_CSV[:cut])
            return
        _serve(handler, BIG_CSV)

    url, seen, _ = raw_server(weak)
    dest = fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert seen[1]["Range"] == f"bytes={cut}-" and seen[1]["If-Range"] == modified
    assert dest.read_bytes() == BIG_CSV


def test_a_resumed_part_of_unknown_total_size_is_kept(raw_server, tmp_path):
    """``Content-Range: bytes A-B/*``: the total is the offset plus Content-Length."""
    cut = len(BIG_CSV) // 3

    def unknown_total(handler, _):
        start = _requested_start(handler)
        handler.head(206, {"Content-Length": len(BIG_CSV) - start, "ETag": '"v1"',
                           "Content-Range": f"bytes {start}-{len(BIG_CSV) - 1}/*"})
        handler.wfile.write(BIG_CSV[start:])

    url, seen, _ = raw_server(_cut_first_then(unknown_total, cut))
    dest = fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert len(seen) == 2 and seen[1]["Range"] == f"bytes={cut}-"  # resumed, not restarted
    assert dest.read_bytes() == BIG_CSV


# Several MiB, so that one attempt can add more than PROGRESS_FORGIVES_RETRY (1 MiB).
HUGE_CSV = b"CCLE_ID,DepMap_ID,alanine\n" + b"".join(
    b"L%07d_LUNG,ACH-%06d,%d.5\n" % (i, i % 10**6, i % 9) for i in range(130_000))
STEP = (1 << 20) + 50_000  # what each cut attempt adds


def test_attempts_that_make_progress_do_not_use_up_the_retries(raw_server, tmp_path):
    def cut_after_a_step(handler, _):  # every answer ends STEP bytes further on
        start = _requested_start(handler) or 0
        end = min(start + STEP, len(HUGE_CSV))
        if start:
            handler.head(206, {"Content-Length": len(HUGE_CSV) - start, "ETag": '"v1"',
                               "Content-Range":
                                   f"bytes {start}-{len(HUGE_CSV) - 1}/{len(HUGE_CSV)}"})
        else:
            handler.head(200, {"Content-Length": len(HUGE_CSV), "ETag": '"v1"'})
        handler.wfile.write(HUGE_CSV[start:end])

    url, seen, _ = raw_server(cut_after_a_step)
    assert len(HUGE_CSV) > 2 * STEP
    dest = fetch([url], tmp_path / "file.csv", key="metabolomics", retries=1, backoff=0.01)
    assert len(seen) == -(-len(HUGE_CSV) // STEP)  # one retry allowed, three or more used
    assert dest.read_bytes() == HUGE_CSV


def test_progress_of_an_earlier_attempt_forgives_no_later_failure(raw_server, tmp_path):
    """A large partial file is no progress of the attempts that add nothing to it."""
    def cut_then_busy(handler, n):
        if n == 1:
            handler.head(200, {"Content-Length": len(HUGE_CSV), "ETag": '"v1"'})
            handler.wfile.write(HUGE_CSV[:STEP])
        elif n < 6:
            handler.head(503, {"Content-Length": 0})
        else:  # would only be reached by retrying without end
            _serve(handler, HUGE_CSV)

    url, seen, _ = raw_server(cut_then_busy)
    with pytest.raises(InputError, match="HTTP 503"):
        fetch([url], tmp_path / "file.csv", key="metabolomics", **FAST)
    assert len(seen) == 3  # the cut attempt (forgiven: it made progress) and two retries


# ------------------------------------------------------------------ manifest


def test_manifest_rows_and_replacement(httpserver, tmp_path):
    manifest = tmp_path / "MANIFEST.tsv"
    other = b"Antibody_Name,Target_Genes\n14-3-3_beta,YWHAB\n"
    httpserver.expect_request("/a.csv").respond_with_data(CSV)
    httpserver.expect_request("/b.csv").respond_with_data(other)
    fetch([httpserver.url_for("/b.csv")], tmp_path / "b.csv", manifest=manifest)
    fetch([httpserver.url_for("/a.csv")], tmp_path / "a.csv", manifest=manifest)
    with open(manifest, newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    assert rows[0] == list(MANIFEST_COLUMNS)
    assert [r[:4] for r in rows[1:]] == [
        ["a.csv", httpserver.url_for("/a.csv"), str(len(CSV)), sha(CSV)],
        ["b.csv", httpserver.url_for("/b.csv"), str(len(other)), sha(other)],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r[4]) for r in rows[1:])
    # dated by the file's modification time, which check_raw_files compares
    assert [r[4] for r in rows[1:]] == [file_date(tmp_path / n) for n in ("a.csv", "b.csv")]
    # Downloading a.csv again (now a new version from a mirror) replaces its row only.
    httpserver.expect_request("/mirror/a.csv").respond_with_data(CSV + b"B_LUNG,ACH-2,1\n")
    fetch([httpserver.url_for("/mirror/a.csv")], tmp_path / "a.csv", manifest=manifest)
    rows = read_manifest(manifest)
    assert [r["file"] for r in rows] == ["a.csv", "b.csv"]
    assert rows[0]["url"] == httpserver.url_for("/mirror/a.csv")
    assert rows[0]["bytes"] == str(len(CSV) + 15)
    assert rows[1]["sha256"] == sha(other)


def test_manifest_survives_concurrent_updates(tmp_path):
    manifest = tmp_path / "MANIFEST.tsv"
    threads = [threading.Thread(target=update_manifest,
                                args=(manifest, f"f{i}.csv", f"http://x/{i}", i, "0" * 64))
               for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["file"] for r in read_manifest(manifest)) == \
        sorted(f"f{i}.csv" for i in range(16))
    assert names(tmp_path) == ["MANIFEST.tsv", "MANIFEST.tsv.lock"]


def test_a_manifest_of_other_columns_is_refused_not_rewritten(tmp_path):
    manifest = tmp_path / "MANIFEST.tsv"
    manifest.write_text("name\tsha256\nfile.csv\t" + "0" * 64 + "\n")
    with pytest.raises(InputError, match=r"MANIFEST\.tsv: expected the columns file, url, "
                                         r"bytes, sha256, date, found \['name', 'sha256'\]; "
                                         r"delete it"):
        update_manifest(manifest, "other.csv", "http://x", 1, "0" * 64)
    assert manifest.read_text().startswith("name\tsha256\n")


def test_record_existing_adds_a_hand_placed_file(tmp_path):
    placed = tmp_path / "sample_info.csv"
    placed.write_bytes(b"DepMap_ID,COSMIC_ID\nACH-000001,909751\n")
    os.utime(placed, (1_600_000_000, 1_600_000_000))
    manifest = tmp_path / "MANIFEST.tsv"
    update_manifest(manifest, "sample_info.csv", "http://old", 1, "0" * 64)
    record_existing(placed, manifest)
    assert read_manifest(manifest) == [{
        "file": "sample_info.csv", "url": PLACED_BY_HAND, "bytes": str(placed.stat().st_size),
        "sha256": sha(placed.read_bytes()), "date": "2020-09-13T12:26:40Z",
    }]
    with pytest.raises(InputError, match="file not found"):
        record_existing(tmp_path / "missing.csv", manifest)


def test_the_raw_files_check_records_the_files_placed_by_hand(tmp_path):
    from modrp.config import validate_config
    from modrp.demo import write_demo_dataset
    from modrp.steps import check_raw_files

    raw = tmp_path / "raw"
    write_demo_dataset(raw, seed=0, n_lines=60, n_genes=300, n_edges=600)
    config = validate_config({"dataset": "t", "data": {"source": "download"}})
    manifest = raw / "MANIFEST.tsv"
    files = config["data"]["files"]
    downloaded = raw / files["sample_info"]  # as if the download rule had fetched it
    update_manifest(manifest, downloaded.name, "http://example.org/sample_info.csv",
                    downloaded.stat().st_size, "0" * 64, file_date(downloaded))
    checked = check_raw_files(config, raw, raw / "CHECKED.tsv")
    rows = {row["file"]: row for row in read_manifest(manifest)}
    assert sorted(rows) == sorted(files.values())
    # what was checked: every file, with the digest its manifest row records, no pins
    on_disk = pd.read_csv(raw / "CHECKED.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert on_disk.to_dict("records") == checked.astype(str).to_dict("records")
    assert sorted(on_disk["file"]) == sorted(files.values()) and (on_disk["pin"] == "").all()
    assert on_disk.set_index("file")["sha256"].to_dict() == {
        name: row["sha256"] for name, row in rows.items()}
    assert rows[downloaded.name]["url"] == "http://example.org/sample_info.csv"  # kept
    placed = raw / files["rppa"]
    assert rows[placed.name] == {
        "file": placed.name, "url": PLACED_BY_HAND, "bytes": str(placed.stat().st_size),
        "sha256": sha(placed.read_bytes()), "date": rows[placed.name]["date"]}
    # recorded once: a second run finds every row
    assert record_placed_files(raw, files, manifest) == 0


def test_a_hand_placed_file_must_match_its_sha256_pin(tmp_path):
    placed = tmp_path / "sample_info.csv"
    placed.write_bytes(b"DepMap_ID,COSMIC_ID\nACH-000001,909751\n")
    manifest = tmp_path / "MANIFEST.tsv"
    files = {"sample_info": "sample_info.csv"}
    with pytest.raises(InputError, match=r"sha256 mismatch for sample_info\.csv, placed by hand"
                                         r".*expected f+ \(config data\.sha256\.sample_info\)"):
        record_placed_files(tmp_path, files, manifest, {"sample_info": "f" * 64})
    assert not manifest.exists()
    digest = sha(placed.read_bytes())
    assert record_placed_files(tmp_path, files, manifest, {"sample_info": digest.upper()}) == 1
    assert read_manifest(manifest)[0]["sha256"] == digest


def test_a_pin_added_after_the_download_is_checked_against_the_manifest(tmp_path):
    """The download rule does not run again when a pin is added (URLs and pins are no
    params of it), so preprocessing holds the recorded file to the new pin."""
    fetched = tmp_path / "sample_info.csv"
    fetched.write_bytes(b"DepMap_ID,COSMIC_ID\nACH-000001,909751\n")
    manifest = tmp_path / "MANIFEST.tsv"
    digest = sha(fetched.read_bytes())
    update_manifest(manifest, fetched.name, "http://example.org/sample_info.csv",
                    fetched.stat().st_size, digest)
    files = {"sample_info": "sample_info.csv"}
    assert record_placed_files(tmp_path, files, manifest, {"sample_info": digest}) == 0
    with pytest.raises(InputError, match=rf"sha256 mismatch for sample_info\.csv in .*expected "
                                         rf"e+ \(config data\.sha256\.sample_info\), "
                                         rf"MANIFEST\.tsv records {digest}"):
        record_placed_files(tmp_path, files, manifest, {"sample_info": "e" * 64})


def test_a_file_replaced_since_its_download_is_checked_and_recorded_again(tmp_path):
    """A row whose size differs from the file's tells of another file: it is held to its
    pin and recorded as placed by hand, not passed on the old row's digest."""
    fetched = tmp_path / "sample_info.csv"
    old = b"DepMap_ID,COSMIC_ID\nACH-000001,909751\n"
    manifest = tmp_path / "MANIFEST.tsv"
    update_manifest(manifest, fetched.name, "http://example.org/sample_info.csv", len(old),
                    sha(old))
    new = old + b"ACH-000002,909752\n"
    fetched.write_bytes(new)
    files = {"sample_info": "sample_info.csv"}
    with pytest.raises(InputError, match=r"sha256 mismatch for sample_info\.csv, placed by "
                                         rf"hand .*expected {sha(old)} .*got {sha(new)}"):
        record_placed_files(tmp_path, files, manifest, {"sample_info": sha(old)})
    assert record_placed_files(tmp_path, files, manifest) == 1
    assert read_manifest(manifest)[0] | {"date": ""} == {
        "file": "sample_info.csv", "url": PLACED_BY_HAND, "bytes": str(len(new)),
        "sha256": sha(new), "date": ""}


def test_a_file_of_the_same_size_touched_since_its_row_is_checked_by_content(tmp_path):
    """The size cannot tell a replaced file of the same length: one whose modification
    time is not its row's date is hashed.  Another content is held to the pin and
    recorded as placed by hand, even when copied with an older time kept (cp -p); the
    same content (a copy that lost its times) keeps its row and URL, dated anew."""
    fetched = tmp_path / "sample_info.csv"
    old = b"DepMap_ID,COSMIC_ID\nACH-000001,909751\n"
    fetched.write_bytes(old)
    os.utime(fetched, (1_600_000_000, 1_600_000_000))
    manifest = tmp_path / "MANIFEST.tsv"
    url = "http://example.org/sample_info.csv"
    update_manifest(manifest, fetched.name, url, len(old), sha(old), file_date(fetched))
    assert read_manifest(manifest)[0]["date"] == "2020-09-13T12:26:40Z"
    files = {"sample_info": "sample_info.csv"}
    assert record_placed_files(tmp_path, files, manifest, {"sample_info": sha(old)}) == 0
    # copied later, unchanged: the row stays, dated by the copy
    os.utime(fetched, (1_700_000_000, 1_700_000_000))
    assert record_placed_files(tmp_path, files, manifest, {"sample_info": sha(old)}) == 0
    assert read_manifest(manifest) == [{"file": fetched.name, "url": url, "bytes": str(len(old)),
                                        "sha256": sha(old), "date": "2023-11-14T22:13:20Z"}]
    # replaced by another file of the same size, its older time kept
    new = old.replace(b"909751", b"909752")
    fetched.write_bytes(new)
    os.utime(fetched, (1_500_000_000, 1_500_000_000))
    with pytest.raises(InputError, match=r"sha256 mismatch for sample_info\.csv, placed by "
                                         rf"hand .*got {sha(new)}"):
        record_placed_files(tmp_path, files, manifest, {"sample_info": sha(old)})
    assert record_placed_files(tmp_path, files, manifest) == 1
    assert read_manifest(manifest)[0]["url"] == PLACED_BY_HAND
    assert read_manifest(manifest)[0]["sha256"] == sha(new)


# ------------------------------------------------------------------ offline


def test_offline_fails_fast_and_says_how_to_place_the_file(tmp_path, caplog):
    dest = tmp_path / "results" / "paper" / "raw" / "file.csv"
    with caplog.at_level(logging.WARNING), pytest.raises(InputError) as caught:
        fetch([closed_port_url(), closed_port_url()], dest, retries=3, backoff=0.5)
    message = str(caught.value)
    assert "the network is unreachable" in message
    assert f"place it by hand at {dest}" in message
    assert "every URL failed" in message
    # An unreachable host is not worth the backoff: nothing was retried.
    assert not any("retrying" in record.message for record in caplog.records)
    assert list(dest.parent.iterdir()) == []


def test_an_unreachable_url_beside_one_that_answered_is_no_offline_machine(httpserver,
                                                                          tmp_path):
    httpserver.expect_request("/gone.csv").respond_with_data("no", status=404)
    with pytest.raises(InputError) as caught:
        fetch([closed_port_url(), httpserver.url_for("/gone.csv")], tmp_path / "file.csv",
              **FAST)
    message = str(caught.value)
    assert message.startswith("could not download file.csv; every URL failed:\n")
    assert "unreachable" not in message.splitlines()[0]
    assert f"{httpserver.url_for('/gone.csv')}: HTTP 404" in message


def test_a_file_without_urls_says_so_and_how_to_place_it(tmp_path):
    dest = tmp_path / "raw" / "file.csv"
    with pytest.raises(InputError, match=rf"^no URL is configured for file\.csv \(config "
                                         rf"data\.urls\)\. .*place it by hand at {dest};"):
        fetch([], dest)
    assert list(tmp_path.iterdir()) == []
