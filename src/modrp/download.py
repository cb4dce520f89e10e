"""Fetch one raw source file reliably, and record where every raw file came from.

A download streams into a stable partial file beside the destination
(``.<name>.part``) and becomes ``<name>`` only after its content passed the checks:
an HTML page, an empty or a truncated body, a file whose first bytes do not look
like the expected source (:data:`EXPECTED_START`) or one whose sha256 differs from
a pinned digest never becomes an input.

- A transfer that breaks off is resumed with an HTTP ``Range`` request, from the
  same URL only, and only while the server still serves the same file (``If-Range``
  with its ETag or Last-Modified date, kept in ``.<name>.part.json``). A server
  that answers the ``Range`` request with the whole file (200) is read from zero.
- Transient failures (5xx, 408, 429, a stalled or dropped connection, a short
  body) are retried with exponential backoff; then the next URL is tried.
  Failures that asking again cannot fix (4xx, wrong content, an unreachable host)
  go straight to the next URL, so an offline machine fails within seconds.
- Every file that is put in place gets a row in ``MANIFEST.tsv``
  (``file, url, bytes, sha256, date``; the date is the file's modification time, so a
  file touched since shows), rewritten under a lock because the download jobs of one
  run may finish at the same time.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import ftplib
import hashlib
import http.client
import json
import logging
import os
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from modrp.errors import InputError
from modrp.io import atomic_path, sniff_html
from modrp.sources.depmap import NEWER_FILE_NAMES

log = logging.getLogger(__name__)

#: Read size of the stream. A stall loses at most one unfinished chunk.
CHUNK = 1 << 16
#: Bytes inspected by the content checks (enough for any header's first fields).
HEAD_BYTES = 1 << 16
#: An attempt that added this much to the partial file does not use up a retry: a long
#: transfer over a flaky link may need many resumes, each of them real progress.
PROGRESS_FORGIVES_RETRY = 1 << 20
#: Progress is logged every 10% of files at least this large, or every
#: PROGRESS_UNKNOWN_STEP bytes when the server does not announce a size.
PROGRESS_MIN_BYTES = 8 << 20
PROGRESS_UNKNOWN_STEP = 100 << 20
MAX_BACKOFF = 120.0
RETRY_STATUS = frozenset({408, 425, 429})
USER_AGENT = "modrp-download/1 (research pipeline; python-urllib)"
MANIFEST_COLUMNS = ("file", "url", "bytes", "sha256", "date")
PLACED_BY_HAND = "placed by hand"


@dataclass(frozen=True)
class Expected:
    """What the first bytes of a raw source file must look like.

    ``first_field``: the first column name of the header line (``""`` for an unnamed
    index column); ``has_field``: a column the header must hold; ``magic``: leading
    bytes of a binary format. Field names may be double-quoted, a UTF-8 BOM is ignored.
    ``after_index``: ``first_field`` may come second, after an unnamed row-index column.
    """

    first_field: str | None = None
    has_field: str | None = None
    magic: bytes | None = None
    after_index: bool = False

    def problem(self, head: bytes, name: str | None = None) -> str | None:
        """Why ``head`` (the first bytes of the file ``name``) is not the expected file, or
        None.  The name does not matter here: one layout serves every name."""
        if self.magic is not None:
            if head.startswith(self.magic):
                return None
            return f"expected a file starting with the bytes {self.magic!r}, found {head[:8]!r}"
        text = _first_line(head)
        separator = "\t" if "\t" in text else ","
        fields = [f.strip().strip('"') for f in text.split(separator)]
        if self.after_index and len(fields) > 2 and fields[0] == "":
            fields = fields[1:]
        found = f"found the first line {text[:80]!r}"
        if (self.first_field is not None and (len(fields) < 2 or fields[0] != self.first_field)
                or self.has_field is not None and self.has_field not in fields):
            return f"expected a header line with {self.wanted()}, {found}"
        return None

    def wanted(self) -> str:
        """What the header line must hold, in words."""
        if self.first_field is not None:
            if self.first_field == "":
                return "an unnamed first column"
            return f"a first column named {self.first_field!r}" + (
                " (or second, after an unnamed one)" if self.after_index else "")
        return f"a column {self.has_field!r}"


def _first_line(head: bytes) -> str:
    line = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    return line.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class EitherLayout:
    """A file that has two layouts: the 19Q3 release's, or that of DepMap's releases from
    2022 on (``newer``).

    ``newer_names``: the names DepMap gives the file in its newer releases.  A file under
    one of them that arrives in the 19Q3 layout is refused: its URL serves the 19Q3 file,
    as the paper's ``data.urls`` do when a config copied from ``config/config.yaml``
    renames the file but keeps them.  (The other way round, a 19Q3 name holding a newer
    file, is a name kept while the URL was changed, and the parsers read either layout.)
    """

    older: Expected
    newer: Expected
    newer_names: tuple[str, ...] = ()

    def problem(self, head: bytes, name: str | None = None) -> str | None:
        if self.newer.problem(head) is None:
            return None
        if self.older.problem(head) is None:
            if name not in self.newer_names:
                return None
            return (f"{name} is the name of a newer DepMap release's file, but this one is "
                    f"in the 19Q3 release's layout (a header line with "
                    f"{self.older.wanted()}): the URL serves the 19Q3 file.  Give the "
                    "newer release's URL in data.urls, or remove that entry and place the "
                    "file by hand")
        return (f"expected a header line with {self.older.wanted()} (or, in DepMap's "
                f"newer releases, {self.newer.wanted()}), found the first line "
                f"{_first_line(head)[:80]!r}")


XLSX = Expected(magic=b"PK\x03\x04")  # an .xlsx workbook is a zip archive

#: Per file key of ``data.files``: the start of the real source file.
EXPECTED_START: dict[str, Expected | EitherLayout] = {
    # DepMap ids in an unnamed first column, or a ModelID column (one row per profile)
    # (newer expression files came in 19Q3's layout too: their names tell nothing here)
    "expression": EitherLayout(Expected(first_field=""), Expected(has_field="ModelID")),
    # (20Q1's begins with an unnamed row-index column)
    "mutations": EitherLayout(Expected(first_field="Hugo_Symbol", after_index=True),
                              Expected(has_field="HugoSymbol"),
                              newer_names=NEWER_FILE_NAMES["mutations"]),
    "sample_info": EitherLayout(Expected(first_field="DepMap_ID"),
                                Expected(has_field="COSMICID"),  # Model.csv
                                newer_names=NEWER_FILE_NAMES["sample_info"]),
    "rppa": Expected(first_field=""),  # CCLE names in an unnamed first column
    "rppa_antibodies": Expected(first_field="Antibody_Name"),
    "metabolomics": Expected(first_field="CCLE_ID"),
    "dose_response": XLSX,
    "compounds": Expected(has_field="DRUG_ID"),
    "cell_line_details": XLSX,
    "copy_number": XLSX,
    "interactome": Expected(first_field="Uniprot_A"),
}


def expected_start(key: str | None, name: str) -> Expected | EitherLayout | None:
    """The content expectation of file key ``key``; any ``.xlsx`` must at least be a zip."""
    if key in EXPECTED_START:
        return EXPECTED_START[key]
    if name.lower().endswith(".xlsx"):
        return XLSX
    return None


# ------------------------------------------------------------------ failures


class _AttemptFailed(Exception):
    """One request did not give the whole, valid file.

    ``retry``: asking the same URL again may help. ``unreachable``: no server
    answered at all (offline, DNS failure, refused). ``reject``: the bytes received
    are wrong, so the partial file must not be resumed.
    """

    def __init__(self, reason: str, *, retry: bool = False, unreachable: bool = False,
                 reject: bool = False):
        super().__init__(reason)
        self.retry = retry
        self.unreachable = unreachable
        self.reject = reject


_UNREACHABLE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN,
                       errno.ECONNREFUSED, errno.EHOSTDOWN}


def _connection_failure(err: urllib.error.URLError) -> _AttemptFailed:
    """Classify a failure to open a URL (HTTP status errors are handled apart)."""
    cause = err.reason if isinstance(err.reason, BaseException) else err.__cause__
    if isinstance(cause, TimeoutError):
        # A reachable server's kernel completes the TCP handshake even when the
        # service is overloaded, so a connect timeout almost always means no route.
        return _AttemptFailed("connection timed out", unreachable=True)
    if isinstance(cause, socket.gaierror):
        return _AttemptFailed(f"cannot resolve the host name ({cause.strerror})",
                              unreachable=True)
    if isinstance(cause, OSError) and cause.errno in _UNREACHABLE_ERRNOS:
        return _AttemptFailed(cause.strerror or str(cause), unreachable=True)
    if isinstance(cause, ssl.SSLCertVerificationError | ftplib.error_perm):
        return _AttemptFailed(str(err.reason))  # a certificate or a missing ftp file
    return _AttemptFailed(str(err.reason), retry=True)


# ------------------------------------------------------------------ partial files


def partial_path(dest: Path) -> Path:
    """The stable partial file of ``dest``, kept between attempts and runs for resuming."""
    return dest.with_name(f".{dest.name}.part")


def _partial_meta_path(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.part.json")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _drop_partial(dest: Path) -> None:
    partial_path(dest).unlink(missing_ok=True)
    _partial_meta_path(dest).unlink(missing_ok=True)


def _resume_state(dest: Path, url: str) -> tuple[int, dict]:
    """Bytes already held for ``url`` and what the server said about them.

    A partial file from another URL is dropped: mirrors need not serve identical
    bytes, and splicing two files would pass every check but a pinned sha256.
    """
    part = partial_path(dest)
    meta: dict = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(_partial_meta_path(dest).read_text())
    resumable = urllib.parse.urlsplit(url).scheme in ("http", "https")
    if not part.exists() or meta.get("url") != url or not resumable:
        _drop_partial(dest)
        return 0, {}
    return part.stat().st_size, meta


def _validator(headers) -> str | None:
    """The value for If-Range: a strong ETag, else Last-Modified (RFC 9110 13.1.5)."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified")


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total size) of ``Content-Range: bytes A-B/TOTAL``; None when unknown."""
    try:
        unit, _, spec = (value or "").partition(" ")
        span, _, total = spec.partition("/")
        if unit.strip() != "bytes":
            return None, None
        return int(span.split("-")[0]), (None if total == "*" else int(total))
    except ValueError:
        return None, None


# ------------------------------------------------------------------ one request


class _Progress:
    """Logs how far a long transfer has got: every 10% of a known size, else every 100 MiB."""

    def __init__(self, name: str, total: int | None, done: int):
        self.name, self.total, self.done = name, total, done
        self.started, self.first = time.monotonic(), done
        self.enabled = total is None or total >= PROGRESS_MIN_BYTES
        self.step = max(total // 10, 1) if total else PROGRESS_UNKNOWN_STEP
        self.next = (done // self.step + 1) * self.step

    def add(self, n: int) -> None:
        self.done += n
        if not self.enabled or self.done < self.next:
            return
        self.next = (self.done // self.step + 1) * self.step
        rate = (self.done - self.first) / max(time.monotonic() - self.started, 1e-6)
        of = f" of {self.total / 2**20:.1f} MiB ({100 * self.done / self.total:.0f}%)" \
            if self.total else ""
        log.info("%s: %.1f MiB%s, %.1f MiB/s", self.name, self.done / 2**20, of, rate / 2**20)


def _open(url: str, offset: int, meta: dict, timeout: float):
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if meta.get("validator"):
            headers["If-Range"] = meta["validator"]
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 416:  # our range lies beyond the file: the partial copy is stale
            raise _AttemptFailed("HTTP 416: the partial copy does not fit the file; "
                                 "starting over", retry=True, reject=True) from None
        raise _AttemptFailed(f"HTTP {err.code} {err.reason}",
                             retry=err.code in RETRY_STATUS or err.code >= 500) from None
    except urllib.error.URLError as err:
        raise _connection_failure(err) from None
    except TimeoutError:  # connected, but no response line within the timeout
        raise _AttemptFailed(f"no response within {timeout:g} s", retry=True) from None
    except (OSError, http.client.HTTPException) as err:
        raise _AttemptFailed(f"connection lost ({err!r})", retry=True) from None


def _read(response, timeout: float) -> Iterator[bytes]:
    """The body in chunks; a stalled or dropped connection becomes a retryable failure."""
    while True:
        try:
            chunk = response.read(CHUNK)
        except TimeoutError:
            raise _AttemptFailed(f"the transfer stalled (no data for {timeout:g} s)",
                                 retry=True) from None
        except (OSError, http.client.HTTPException) as err:
            raise _AttemptFailed(f"connection lost ({err!r})", retry=True) from None
        if not chunk:
            return
        yield chunk


def _content_problem(head: bytes, expected: Expected | EitherLayout | None,
                     name: str) -> str | None:
    if not head:
        return "the server sent an empty body"
    if sniff_html(Path(), head=head[:512]):  # with head given, no path is read
        return "the server sent an HTML page instead of the data file"
    return expected.problem(head, name) if expected else None


def _transfer(url: str, dest: Path, expected: Expected | EitherLayout | None,
              timeout: float) -> None:
    """One request: append to (or restart) the partial file until the body ends.

    Returns when the partial file holds as many bytes as the server announced;
    raises _AttemptFailed otherwise.
    """
    part, meta_path = partial_path(dest), _partial_meta_path(dest)
    offset, meta = _resume_state(dest, url)
    with _open(url, offset, meta, timeout) as response:
        status = getattr(response, "status", None)  # None for ftp:// and file://
        if status == 206:
            start, total = _content_range(response.headers.get("Content-Range"))
            if total is None:
                length = _int_header(response.headers.get("Content-Length"))
                total = None if length is None else offset + length
            if start != offset or (meta.get("total") and total and total != meta["total"]):
                raise _AttemptFailed("the server resumed at another offset or the file "
                                     "changed size; starting over", retry=True, reject=True)
            log.info("%s: resuming at byte %d from %s", dest.name, offset, url)
            mode = "ab"
        else:
            if offset:
                log.info("%s: the server does not resume transfers; starting over", dest.name)
            offset, mode = 0, "wb"
            total = _int_header(response.headers.get("Content-Length"))
            meta = {"url": url, "validator": _validator(response.headers), "total": total}
            meta_path.write_text(json.dumps(meta))
        progress = _Progress(dest.name, total, offset)
        with open(part, mode) as handle:
            for chunk in _read(response, timeout):
                if handle.tell() == 0:
                    # Refuse an error page or a wrong file before streaming all of it.
                    problem = _content_problem(chunk, expected, dest.name)
                    if problem:
                        raise _AttemptFailed(problem, reject=True)
                handle.write(chunk)
                progress.add(len(chunk))
    size = part.stat().st_size
    if total is not None and size < total:
        # The partial file is kept: the next attempt asks for the rest.
        raise _AttemptFailed(f"truncated transfer: {size} of {total} bytes", retry=True)
    if total is not None and size > total:
        raise _AttemptFailed(f"received {size} bytes, more than the {total} announced",
                             retry=True, reject=True)


# ------------------------------------------------------------------ one URL, one file


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _fetch_from(url: str, dest: Path, expected: Expected | EitherLayout | None, sha256: str | None,
                timeout: float, retries: int, backoff: float) -> str:
    """Bring ``url`` into the partial file of ``dest`` and check it; return its sha256."""
    part = partial_path(dest)
    failed = 0
    while True:
        before = _size(part)
        try:
            _transfer(url, dest, expected, timeout)
            break
        except _AttemptFailed as err:
            if err.reject:
                _drop_partial(dest)
            if not err.retry:
                raise
            if _size(part) - before >= PROGRESS_FORGIVES_RETRY:
                failed = 0
            failed += 1
            if failed > retries:
                raise
            delay = min(backoff * 2 ** (failed - 1), MAX_BACKOFF)
            log.warning("%s: %s; retrying in %.2g s (retry %d of %d)", url, err, delay,
                        failed, retries)
            time.sleep(delay)
    # Checked again on the whole file: a resumed transfer skipped the in-stream check.
    with open(part, "rb") as handle:
        problem = _content_problem(handle.read(HEAD_BYTES), expected, dest.name)
    if problem:
        _drop_partial(dest)
        raise _AttemptFailed(f"{dest.name}: {problem}")
    digest = file_sha256(part)
    if sha256 and digest != sha256.lower():
        _drop_partial(dest)
        raise _AttemptFailed(f"sha256 mismatch for {dest.name}: expected {sha256.lower()}, "
                             f"got {digest} (config data.sha256)")
    return digest


def fetch(urls: list[str], dest: str | os.PathLike, *, key: str | None = None,
          sha256: str | None = None, manifest: str | os.PathLike | None = None,
          timeout: float = 60.0, retries: int = 3, backoff: float = 2.0) -> Path:
    """Download ``dest`` from the first of ``urls`` that gives a valid file.

    ``key``: the file's key in ``data.files``, selecting its content check;
    ``sha256``: a pinned digest; ``manifest``: the MANIFEST.tsv to record the file in;
    ``timeout``: seconds a connection may stay silent; ``retries`` per URL after the
    first attempt, waiting ``backoff`` seconds, doubled each time.
    Raises InputError when no URL gives the file.
    """
    dest = Path(dest)
    hint = (f"If this machine is offline, fetch the file elsewhere and place it by hand at "
            f"{dest}; a file already there is used as is.")
    if not urls:
        raise InputError(f"no URL is configured for {dest.name} (config data.urls). {hint}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    expected = expected_start(key, dest.name)
    failures: list[_AttemptFailed] = []
    for url in urls:
        log.info("downloading %s from %s", dest.name, url)
        try:
            digest = _fetch_from(url, dest, expected, sha256, timeout, retries, backoff)
        except _AttemptFailed as err:
            log.warning("%s: %s", url, err)
            failures.append(err)
            if _size(partial_path(dest)) == 0:
                _drop_partial(dest)  # nothing worth resuming
            continue
        os.replace(partial_path(dest), dest)
        _partial_meta_path(dest).unlink(missing_ok=True)
        size = dest.stat().st_size
        log.info("%s: %d bytes, sha256 %s", dest.name, size, digest)
        if manifest is not None:
            update_manifest(manifest, dest.name, url, size, digest, file_date(dest))
        return dest
    reasons = "\n".join(f"  {url}: {err}" for url, err in zip(urls, failures, strict=True))
    if all(err.unreachable for err in failures):
        summary = (f"could not download {dest.name}: the network is unreachable (no server "
                   "answered); every URL failed")
    else:
        summary = f"could not download {dest.name}; every URL failed"
    raise InputError(f"{summary}:\n{reasons}\n{hint}")


# ------------------------------------------------------------------ manifest


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` + ``.lock`` (separate jobs update one manifest)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read_manifest(manifest: str | os.PathLike) -> list[dict[str, str]]:
    """The rows of a MANIFEST.tsv (none when it does not exist)."""
    manifest = Path(manifest)
    if not manifest.exists():
        return []
    with open(manifest, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        if tuple(reader.fieldnames or ()) != MANIFEST_COLUMNS:
            raise InputError(f"{manifest}: expected the columns {', '.join(MANIFEST_COLUMNS)}, "
                             f"found {reader.fieldnames}; delete it and rerun the downloads")
        return list(reader)


def update_manifest(manifest: str | os.PathLike, file: str, url: str, size: int,
                    sha256: str, date: str | None = None) -> None:
    """Set the row of ``file`` in ``manifest`` (rows sorted by file), atomically."""
    manifest = Path(manifest)
    row = {"file": file, "url": url, "bytes": str(size), "sha256": sha256,
           "date": date or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    with _locked(manifest):
        rows = {r["file"]: r for r in read_manifest(manifest)}
        rows[file] = row
        with atomic_path(manifest) as tmp, open(tmp, "w", newline="") as handle:
            writer = csv.DictWriter(handle, MANIFEST_COLUMNS, delimiter="\t",
                                    lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows[name] for name in sorted(rows))


def record_existing(path: str | os.PathLike, manifest: str | os.PathLike,
                    sha256: str | None = None) -> None:
    """Record a file the user placed by hand (url ``placed by hand``); ``sha256``: its
    digest when the caller has computed it already.

    The date is the file's modification time: it tells when that copy was obtained,
    which is what a download date tells for the others.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"cannot record {path} in {manifest}: file not found")
    stat = path.stat()
    update_manifest(manifest, path.name, PLACED_BY_HAND, stat.st_size,
                    sha256 or file_sha256(path), file_date(path))


def file_date(path: Path) -> str:
    """A file's modification time as a manifest date (UTC, whole seconds)."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def record_placed_files(raw_dir: str | os.PathLike, files: dict[str, str],
                        manifest: str | os.PathLike, sha256: dict[str, str] | None = None) -> int:
    """Record in ``manifest`` every raw file the download rule did not write, and hold
    every raw file to its pin.

    ``files`` maps config keys to file names (``data.files``), ``sha256`` keys to pins
    (``data.sha256``).  A file with no row, or whose size differs from its row (it was
    replaced since), was placed by hand: its sha256 is checked against its pin when there
    is one, and it is recorded as :func:`record_existing` does.  So is a file of the same
    size whose modification time is not its row's date, unless its sha256 is still the
    row's (a copy that lost its times: the row keeps its URL, dated by the copy).  A
    file with a row must have the pinned sha256 there: a pin added after the download is
    checked here, since the download rule does not run again for it.  Returns how many
    were recorded.
    """
    raw_dir, pins = Path(raw_dir), sha256 or {}
    rows = {row["file"]: row for row in read_manifest(manifest)}
    recorded = 0
    for key, name in files.items():
        path = raw_dir / name
        if not path.is_file():
            raise InputError(f"raw file {path} (config data.files.{key}) not found")
        row = rows.get(name)
        pin = pins.get(key, "").lower()
        digest = None
        # whether the manifest row still describes the file: first by its size
        row_holds = row is not None and row["bytes"] == str(path.stat().st_size)
        date = file_date(path)
        if row_holds and row["date"] != date:
            # Rows are dated by their file's modification time: another time means a
            # replacement of the same size, or the same file copied without its times.
            # The content decides; the row stays, dated anew, when it is the same file.
            digest = file_sha256(path)
            if digest == row["sha256"].lower():
                update_manifest(manifest, name, row["url"], int(row["bytes"]), digest, date)
            else:
                row_holds = False
        if row_holds:
            if pin and row["sha256"].lower() != pin:
                raise InputError(f"sha256 mismatch for {name} in {raw_dir}: expected {pin} "
                                 f"(config data.sha256.{key}), {Path(manifest).name} records "
                                 f"{row['sha256']}")
            continue
        digest = digest or file_sha256(path)
        if pin and digest != pin:
            raise InputError(f"sha256 mismatch for {name}, placed by hand in {raw_dir}: "
                             f"expected {pin} (config data.sha256.{key}), got {digest}")
        record_existing(path, manifest, digest)
        log.info("%s: placed by hand, recorded in %s (sha256 %s)", name, manifest, digest)
        recorded += 1
    return recorded
