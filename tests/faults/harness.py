"""What the fault tests share: a small demo company, the real `cxm run` in a subprocess,
a fingerprint of published.duckdb to compare with a clean run, and a BI reader process.

Fingerprint: every table of every public schema as (row count, md5 of its sorted rows).
Doubles are printed with 12 significant digits first (DuckDB's parallel sums of doubles may
differ in the last bits between runs). No column is excluded: the marts carry no load
timestamps or run ids (`as_of_at` is the data's cut, not the clock), and the comparisons with
a clean run show no other column varies; a column that legitimately varies would need
excluding here, with its reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cxm_cli.main import demo_env
from ingestion import paths
from ingestion.common.faultpoint import ENV as PAUSE_ENV
from ingestion.common.faultpoint import marker
from orchestration.publish import PUBLIC_SCHEMAS

SCALE = 0.02  # 200 people, ~16k web events: the dbt build's fixed cost dominates a run
SEED = 11
TOKEN = "faults-token"
READER = Path(__file__).with_name("bi_reader.py")
Fingerprint = dict[str, tuple[int, str]]


def fingerprint(path: Path) -> Fingerprint:
    """{schema.table: (rows, md5 of the sorted rows)} of the public schemas in `path`."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute(
            "select table_schema || '.' || table_name, column_name, data_type "
            "from information_schema.columns where table_schema in (select unnest(?)) "
            "order by 1, ordinal_position", [list(PUBLIC_SCHEMAS)]).fetchall()
        tables: dict[str, list[str]] = {}
        for table, column, dtype in cols:
            expr = f'"{column}"'
            if dtype in ("DOUBLE", "FLOAT", "REAL"):
                expr = f"printf('%.12g', {expr})"
            tables.setdefault(table, []).append(f"coalesce(cast({expr} as varchar), '∅')")
        out: Fingerprint = {}
        for table, exprs in tables.items():
            schema, name = table.split(".")
            rows = con.execute(
                f"select concat_ws('|', {', '.join(exprs)}) as r "
                f'from "{schema}"."{name}" order by r').fetchall()
            digest = hashlib.md5("\n".join(r[0] for r in rows).encode()).hexdigest()
            out[table] = (len(rows), digest)
        return out
    finally:
        con.close()


def diff(got: Fingerprint, want: Fingerprint) -> str:
    """The tables that differ, readably (empty when equal)."""
    lines = []
    for table in sorted(set(got) | set(want)):
        g, w = got.get(table), want.get(table)
        if g != w:
            lines.append(f"{table}: got {g[0] if g else 'missing'} rows, "
                         f"clean run {w[0] if w else 'missing'} rows"
                         + (" (same count, other values)" if g and w and g[0] == w[0] else ""))
    return "\n".join(lines)


def row_counts(fp: Fingerprint) -> dict[str, int]:
    return {t: n for t, (n, _) in fp.items()}


@dataclass
class Job:
    """One `cxm run --job nightly` subprocess (own process group) and its log file."""
    proc: subprocess.Popen
    log: Path
    base: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float = 900) -> int:
        return self.proc.wait(timeout=timeout)

    def wait_paused(self, point: str, timeout: float = 600) -> None:
        """Until the job sits at fault point `point` (fails if it exits first)."""
        deadline = time.monotonic() + timeout
        while not marker(point, self.base).exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"the job exited ({self.proc.returncode}) before "
                                     f"reaching {point}:\n{self.output()[-4000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the job did not reach {point} in {timeout}s")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the job's whole process tree (as an OOM kill of its container would)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)


def job_env(base_url: str, base: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SOURCES__", "CXM_", "DAGSTER_HOME"))}
    env.update(demo_env(base_url, base, TOKEN))
    env.update(extra)
    return env


STARTED: list[Job] = []  # killed at the end of the session if still running


def start_job(base: Path, env: dict[str, str], log_name: str, *args: str,
              pause_at: str | None = None) -> Job:
    env = dict(env)
    if pause_at:
        env[PAUSE_ENV] = pause_at
    log = base.parent / f"{log_name}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cxm_cli.main", "run", "--job", "nightly", *args],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    job = Job(proc, log, base)
    STARTED.append(job)
    return job


def kill_started_jobs() -> None:
    """SIGKILL what a failed or timed-out test left running."""
    for job in STARTED:
        if job.proc.poll() is None:
            job.kill()


def file_state(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime ns, size): any rewrite or replacement of the file changes it."""
    if not path.exists():
        return None
    st = path.stat()
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@dataclass
class ReaderLog:
    states: list[dict]  # one per connection: tables -> rows, as the reader saw them
    errors: list[str]


@contextmanager
def bi_reader(published: Path, workdir: Path) -> Iterator[ReaderLog]:
    """A separate process that keeps published.duckdb open read-only and queries every
    table, reconnecting every second, for as long as the block runs."""
    out, stop = workdir / "reader.jsonl", workdir / "reader.stop"
    stop.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, str(READER), str(published), str(out),
                             str(stop)])
    result = ReaderLog([], [])
    try:
        yield result
    finally:
        stop.touch()
        proc.wait(timeout=60)
        for line in out.read_text().splitlines():
            entry = json.loads(line)
            if "error" in entry:
                result.errors.append(entry["error"])
            else:
                result.states.append(entry["tables"])


def raw_counts(base: Path) -> dict[str, int]:
    """`source.table` -> rows of every raw data table (the `_quarantine` tables apart)."""
    from ingestion.pipeline import SOURCES, table_counts

    return {f"{s}.{t}": n for s in SOURCES for t, n in table_counts(base, f"raw_{s}").items()
            if not t.startswith("_")}


def quarantined(base: Path) -> dict[str, int]:
    """`source.table` -> rows quarantined for it (a corrupt file is one row, field `file`)."""
    from ingestion.pipeline import SOURCES

    out: dict[str, int] = {}
    con = duckdb.connect(str(paths.warehouse_path(base)), read_only=True)
    try:
        for s in SOURCES:
            for table, n in con.execute(
                    f"select table_name, count(*) from raw_{s}._quarantine group by 1"
            ).fetchall():
                out[f"{s}.{table}"] = n
    finally:
        con.close()
    return out


def planted(truth: dict) -> dict[str, int]:
    """What `quarantined` must show for a generated company: its malformed records plus
    one row per corrupt event file."""
    out = {key: len(records) for key, records in truth["malformed"].items()}
    if truth["corrupt_files"]:
        out["web.events"] = out.get("web.events", 0) + len(truth["corrupt_files"])
    return out


def truth(base: Path) -> dict:
    return json.loads((base / "demo" / "truth" / "expected.json").read_text())
