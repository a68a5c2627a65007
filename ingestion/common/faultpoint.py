"""Test hook for the fault-injection suite (tests/faults), off unless
`CXM_FAULT_PAUSE_AT` is set.

`fault_point(name)` returns at once in every normal run. With `CXM_FAULT_PAUSE_AT=<name>` the
process writes `$CXM_DATA_DIR/.fault-paused-<name>` (its pid) and then waits forever, so a
test can SIGKILL the run at a known point instead of guessing with timers. Named points:
`ingest:<table>` (after the first batch of that raw table was handed to dlt: mid-extract),
`dbt` (150 events into `dbt build`: marts half built; dbt itself runs on until its output
pipe fills), `publish` (the new `published.duckdb.tmp-<run id>` is complete, just before
it replaces `published.duckdb`).
"""

from __future__ import annotations

import os
import time

from ingestion import paths

ENV = "CXM_FAULT_PAUSE_AT"


def marker(name: str, base: str | os.PathLike | None = None) -> os.PathLike:
    return paths.data_dir(base) / f".fault-paused-{name.replace(':', '-')}"


def fault_point(name: str) -> None:
    if os.environ.get(ENV) != name:
        return
    marker(name).write_text(str(os.getpid()))
    while True:  # until killed
        time.sleep(1)
