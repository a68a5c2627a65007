"""One writing run per data directory, across processes.

DuckDB allows one writer per file, and the Dagster pool `duckdb_writer` only serialises runs
of one Dagster instance. Every entry point that writes the warehouse (`run_job`, hence
`cxm run` and `cxm demo`; `cxm ingest`) holds an exclusive `flock` on
`$CXM_DATA_DIR/.cxm-writer.lock` for its whole run. A second one waits up to `wait` seconds
(logging once that it waits and for whom) and then refuses with `WarehouseBusy`, before it
has touched anything. The kernel drops the lock when its process dies, even by SIGKILL, so
a crashed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ingestion import paths

log = logging.getLogger(__name__)
LOCK_NAME = ".cxm-writer.lock"


class WarehouseBusy(RuntimeError):
    """Another process holds the data directory's writer lock."""


def lock_path(base: str | os.PathLike | None = None) -> Path:
    return paths.data_dir(base) / LOCK_NAME


def _holder(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, 4096).decode(errors="replace").strip() or "unknown process"


@contextlib.contextmanager
def writer_lock(base: str | os.PathLike | None = None, wait: float = 0.0,
                what: str = "") -> Iterator[Path]:
    """Hold the writer lock of the data directory for the block; wait at most `wait`
    seconds for it, then raise `WarehouseBusy` naming the holder."""
    path = lock_path(base)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(fd)
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another run is writing {path.parent} (holder: {holder}); "
                        + (f"gave up after waiting {wait:g}s; " if wait > 0 else "")
                        + "try again when it has finished (or pass --wait SECONDS)") from None
                if not waiting:
                    log.warning("waiting up to %gs for the writer lock %s (holder: %s)",
                                wait, path, holder)
                    waiting = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (f"pid {os.getpid()} ({what or ' '.join(sys.argv[:3])}), since "
                      f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC").encode())
        yield path
    finally:
        os.close(fd)  # releases the lock
