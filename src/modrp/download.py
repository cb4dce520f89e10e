"""Fetch one raw source file: try its URLs in order, stream to a temporary name,
check the content, then rename.  An HTML page, an empty or a truncated body never
becomes an input.

This is the basic downloader; resumable transfers, retries with backoff, sha256
pins and the provenance manifest are not implemented yet.
"""

from __future__ import annotations

import logging
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from modrp.errors import InputError
from modrp.io import atomic_path, sniff_html

log = logging.getLogger(__name__)

CHUNK = 1 << 20


def _fetch_one(url: str, dest: Path, timeout: float) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": "modrp"})
    with urllib.request.urlopen(request, timeout=timeout) as response, atomic_path(dest) as tmp:
        expected = response.headers.get("Content-Length") if hasattr(response, "headers") \
            else None
        with open(tmp, "wb") as handle:
            first = response.read(CHUNK)
            if not first:
                raise ValueError("the server sent an empty body")
            if sniff_html(tmp, head=first):
                raise ValueError("the server sent an HTML page instead of the data file")
            handle.write(first)
            shutil.copyfileobj(response, handle, CHUNK)
        size = tmp.stat().st_size
        if expected is not None and int(expected) != size:
            raise ValueError(f"truncated transfer: {size} of {expected} bytes")
    return size


def fetch(urls: list[str], dest: Path, timeout: float = 60.0) -> Path:
    """Download ``dest`` from the first URL that gives a valid file."""
    dest = Path(dest)
    if not urls:
        raise InputError(f"no URL is configured for {dest.name} (data.urls); "
                         f"place the file by hand at {dest}")
    failures = []
    for url in urls:
        log.info("downloading %s from %s", dest.name, url)
        try:
            size = _fetch_one(url, dest, timeout)
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
            log.warning("%s: %s", url, reason)
            failures.append(f"  {url}: {reason}")
            continue
        log.info("%s: %d bytes", dest.name, size)
        return dest
    raise InputError(
        f"could not download {dest.name}; every URL failed:\n" + "\n".join(failures)
        + f"\nIf this machine is offline, fetch the file elsewhere and place it at {dest}; "
        "a file already there is used as is."
    )
