"""The run-level faults as one night gone wrong, on one data dir, each run being the "next
run" of the fault before it, with a BI reader holding published.duckdb throughout:

1. SIGKILL during ingestion (mid-extract of the web events; the API sources whose steps
   ran before it are loaded, the others not), 2. during `dbt build` (150 events in),
   3. during publishing (the new published file complete, not yet swapped in); every kill
   hits the job's whole process tree at a named fault point
   (ingestion/common/faultpoint.py);
4. the vendor APIs down for a whole run;
5. a normal run, while two more runs are started (one refuses at once, one waits 3 s and
   gives up).
The stand-in answers runs 1-3 and 5 under a 429 storm and 5xx bursts (runs 1 and 2 load
the API data; the raw tables then hold each record once: test below).

Published stays untouched by 1-4; run 5 publishes exactly the clean run's marts and leaves
no temp files or pending dlt packages. One chain instead of a recovery run per fault keeps
the suite to five job runs (plus the clean one): the dbt build's fixed cost dominates."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from ingestion import paths
from ingestion.common.faultpoint import marker
from ingestion.demo.standin import StandInServer
from ingestion.lock import lock_path
from tests.faults.conftest import CleanRun, copy_company
from tests.faults.harness import (
    TOKEN,
    bi_reader,
    diff,
    file_state,
    fingerprint,
    job_env,
    planted,
    quarantined,
    raw_counts,
    row_counts,
    start_job,
    truth,
)

# the session's clean run and a chain of job runs exceed the suite's 900 s default
pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(3600)]
POINTS = ("ingest:events", "dbt", "publish")
BUSY = 75
# the outage run gives up fast: 2 HTTP attempts, 1 Dagster retry after 1 s (the defaults,
# 5 attempts and 3 retries after 15/30/60 s, only make it later)
SHORT_RETRIES = {"RUNTIME__REQUEST_MAX_ATTEMPTS": "2", "RUNTIME__REQUEST_BACKOFF_FACTOR": "0.1",
                 "CXM_INGEST_RETRIES": "1", "CXM_INGEST_RETRY_DELAY": "1"}
# the first run (which loads the API data) and the last one run under this storm: 40% of
# requests 429 with Retry-After 1 s, 15% 503/502/500, and the first 3 requests 503
STORM = {"rate_limit_share": 0.4, "error_share": 0.15, "error_burst": 3, "retry_after": 1}


def _leftovers(base: Path) -> list[str]:
    """Files a killed run may leave: temp published files, DuckDB WALs, dlt packages."""
    found = [p.name for p in base.glob("*.duckdb.tmp-*")] + \
        [p.name for p in base.glob("*.wal")]
    pipelines = paths.pipelines_dir(base)
    for pattern in ("*/normalize/extracted/*", "*/load/new/*", "*/load/normalized/*",
                    "*/normalize/*"):  # the last: abandoned extracts (ingestion.pipeline)
        found += [str(p.relative_to(pipelines)) for p in pipelines.glob(pattern)
                  if p.name not in ("extracted", ".version")]
    return sorted(found)


def _wait_for_lock_holder(pid: int, base: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while f"pid {pid} " not in (lock_path(base).read_text() if lock_path(base).exists()
                                else ""):
        assert time.monotonic() < deadline, "the run never took the writer lock"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def chain(fault_company: Path, clean_run: CleanRun,
          tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("chain")
    base = copy_company(fault_company, work)
    published = paths.published_path(base)
    shutil.copyfile(clean_run.published, published)  # last night's file, what BI reads
    seen: dict = {"before": file_state(published)}
    with StandInServer(base, token=TOKEN, **STORM) as server, \
            bi_reader(published, work) as reader:
        env = job_env(server.base_url, base)
        for point in POINTS:
            job = start_job(base, env, f"kill-{point}", pause_at=point)
            job.wait_paused(point)
            if point == "publish":
                [tmp] = base.glob("published.duckdb.tmp-*")
                seen["tmp"] = fingerprint(tmp)
            job.kill()
            marker(point, base).unlink()
            seen[point] = {"published": file_state(published), "leftovers": _leftovers(base),
                           "log": job.output()}
        server.configure(down=True)
        job = start_job(base, job_env(server.base_url, base, **SHORT_RETRIES), "down")
        seen["down"] = (job.wait(), job.output(), file_state(published))
        server.configure(down=False, **STORM)
        last = start_job(base, env, "storm")
        _wait_for_lock_holder(last.proc.pid, base)
        second = start_job(base, env, "second")
        seen["second"] = (second.wait(), second.output())
        started = time.monotonic()
        third = start_job(base, env, "third", "--wait", "3")
        seen["third"] = (third.wait(), third.output(), time.monotonic() - started)
        seen["last_running_after_others"] = last.proc.poll() is None
        seen["last"] = (last.wait(), last.output())
        seen["faults"] = [r.fault for r in server.requests if r.fault]
    seen["reader"] = reader
    seen["after"] = fingerprint(published)
    seen["leftovers_after"] = _leftovers(base)
    seen["raw"], seen["quarantined"] = raw_counts(base), quarantined(base)
    seen["truth"] = truth(base)
    return seen


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_run_leaves_published_untouched(chain: dict, point: str) -> None:
    assert chain[point]["published"] == chain["before"], \
        f"published.duckdb changed by a run killed at {point}"
    assert "SUCCESS" not in chain[point]["log"]


def test_the_run_after_the_dbt_kill_built_the_clean_marts(chain: dict,
                                                          clean_run: CleanRun) -> None:
    """The run killed at publish rebuilt everything after the kill during dbt: its complete
    temp file holds exactly the clean run's marts."""
    assert chain["tmp"] == clean_run.fingerprint, diff(chain["tmp"], clean_run.fingerprint)


def test_an_api_down_for_the_whole_run_fails_clearly_and_publishes_nothing(
        chain: dict) -> None:
    rc, log, published = chain["down"]
    assert rc == 1, log[-4000:]
    assert published == chain["before"]
    assert "published: not updated" in log
    # the run summary names each failed source with the endpoint and the status
    for source, endpoint in (("crm", "/crm/v3/objects/"), ("support", "/api/v2/"),
                             ("marketing", "/api/")):
        assert any(line.startswith(f"    dlt_{source}: ApiError: {source}: ")
                   and endpoint in line
                   and "failed with status 503" in line
                   for line in log.splitlines()), (source, log[-4000:])


def test_the_next_run_recovers_to_the_clean_marts_through_429_storms_and_5xx_bursts(
        chain: dict, clean_run: CleanRun) -> None:
    rc, log = chain["last"]
    assert rc == 0, log[-4000:]
    faults = chain["faults"]
    assert faults.count("rate_limit") >= 15 and faults.count("burst") == 6, faults
    assert faults.count("error") >= 5, faults
    assert chain["after"] == clean_run.fingerprint, diff(chain["after"], clean_run.fingerprint)
    assert chain["leftovers_after"] == [], chain["leftovers_after"]


def test_after_the_faults_every_raw_record_is_loaded_and_quarantined_once(
        chain: dict) -> None:
    """No row lost or duplicated by the runs killed mid-load; the append-only quarantine
    holds each bad record once, not once per attempt."""
    assert chain["raw"] == chain["truth"]["expected_rows"]
    assert chain["quarantined"] == planted(chain["truth"])


def test_a_second_run_at_once_refuses_clearly(chain: dict) -> None:
    rc, log = chain["second"]
    assert rc == BUSY, log[-4000:]
    assert "another run is writing" in log and "holder: pid" in log, log[-2000:]
    assert chain["last_running_after_others"]


def test_a_waiting_run_waits_then_gives_up(chain: dict) -> None:
    rc, log, seconds = chain["third"]
    assert rc == BUSY, log[-4000:]
    assert "waiting up to 3s for the writer lock" in log, log[-2000:]
    assert "gave up after waiting 3s" in log
    assert seconds >= 3


def test_a_bi_reader_never_errors_and_never_sees_a_half_built_file(
        chain: dict, clean_run: CleanRun) -> None:
    reader = chain["reader"]
    assert reader.errors == []
    assert len(reader.states) >= 10
    want = row_counts(clean_run.fingerprint)
    assert all(state == want for state in reader.states), \
        [s for s in reader.states if s != want][:1]
