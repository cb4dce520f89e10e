"""How a modrp process ends once its work is done.

pyarrow (21.0, the pinned version) aborts some processes that have read Parquet
at interpreter teardown, after every output is written: ``terminate called
without an active exception``, SIGABRT (apache/arrow#34314, open).  A script
reading the three Parquet files of a ``graph`` job died so in 4 of 300 runs; 4 of
400 with ``use_threads=False``, 4 of 400 with ``ARROW_DEFAULT_MEMORY_POOL=system``,
0 of 400 when it skipped the teardown.  A Snakemake job that dies so is failed
and its finished outputs deleted, so the job scripts and the ``modrp`` command
end through :func:`end_process`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn


def end_process(code: int = 0) -> NoReturn:
    """Flush the log handlers and standard streams, then end the process with ``code``.

    The interpreter's teardown is skipped (``os._exit``): atexit handlers and
    finalizers do not run, so call this only as the last act of an entry point,
    with every output file closed.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or the reader went away
            pass
    os._exit(code)
