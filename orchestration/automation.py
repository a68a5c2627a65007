"""Jobs, the nightly schedule, the new-web-files sensor and the run-failure alert."""


import json
import os
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dagster as dg

from ingestion import paths

NIGHTLY_CRON = "0 2 * * *"
TIMEZONE_ENV = "CXM_SCHEDULE_TIMEZONE"
WEBHOOK_ENV = "CXM_ALERT_WEBHOOK_URL"


def schedule_timezone() -> str:
    return os.environ.get(TIMEZONE_ENV) or "UTC"


def build_jobs(all_keys: Sequence[dg.AssetKey], web_keys: Sequence[dg.AssetKey],
               raw_keys: Sequence[dg.AssetKey], profile_keys: Sequence[dg.AssetKey],
               publish_key: dg.AssetKey) -> dict[str, Any]:
    """`profile_keys`: what the sensor's run keeps fresh (customer_360, the id history);
    it rebuilds only what of their upstream depends on web events, then publishes."""
    everything = dg.AssetSelection.assets(*all_keys)
    web = dg.AssetSelection.assets(*web_keys)
    profile = dg.AssetSelection.assets(*profile_keys).upstream()
    return {
        "nightly": dg.define_asset_job(
            "nightly", selection=everything,
            description="The whole graph: ingest every source, dbt build with tests, publish.",
            tags={"cxm/writer": "duckdb"}),
        "web_incremental": dg.define_asset_job(
            "web_incremental",
            selection=(web | (web.downstream() & profile) | dg.AssetSelection.assets(publish_key))
            & everything,
            description="New web event files: load them, refresh the customer profiles "
                        "(customer_360 and what it is built from that depends on web events: "
                        "identity, sessions, touchpoints, facts, lifecycle inputs), publish. "
                        "Journey, cx and the other lifecycle marts refresh nightly.",
            tags={"cxm/writer": "duckdb"}),
        "rebuild": dg.define_asset_job(
            "rebuild", selection=everything - dg.AssetSelection.assets(*raw_keys),
            description="Everything but ingestion: dbt build with tests, publish (run by "
                        "`cxm erase` after it deleted a person from the raw tables).",
            tags={"cxm/writer": "duckdb"}),
        "ingest": dg.define_asset_job(
            "ingest", selection=dg.AssetSelection.assets(*raw_keys),
            description="Only the dlt sources (raw tables).", tags={"cxm/writer": "duckdb"}),
    }


def nightly_schedule(job: Any) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_at_0200", job=job, cron_schedule=NIGHTLY_CRON,
        execution_timezone=schedule_timezone(),
        description=f"The whole graph every night at 02:00 (${TIMEZONE_ENV}, default UTC).",
        default_status=dg.DefaultScheduleStatus.STOPPED)


# -- new web event files ----------------------------------------------------------------------

def web_events_dir(base: str | Path | None = None) -> Path:
    """The folder the web source reads: `sources.web.bucket_url` when it is a local path
    (env `SOURCES__WEB__BUCKET_URL`), else `$CXM_DATA_DIR/landing/web/events`. Remote buckets
    are not watched: schedule `web_incremental` instead."""
    url = os.environ.get("SOURCES__WEB__BUCKET_URL", "")
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if url and "://" not in url:
        return Path(url)
    return paths.landing_dir(base) / "web" / "events"


def new_files(folder: Path, cursor: str | None) -> tuple[list[str], str]:
    """Files under `folder` not seen by `cursor`, and the cursor after them.

    The cursor is the newest modification time seen plus the names carrying exactly that
    time (files landing within one mtime tick are not lost; older names are not kept)."""
    state = json.loads(cursor) if cursor else {"mtime": 0.0, "names": []}
    last, seen_at_last = float(state["mtime"]), set(state["names"])
    found: list[tuple[float, str]] = []
    if folder.exists():
        for path in folder.rglob("*"):
            if not path.is_file() or path.name.startswith("."):
                continue
            mtime = path.stat().st_mtime
            name = path.relative_to(folder).as_posix()
            if mtime > last or (mtime == last and name not in seen_at_last):
                found.append((mtime, name))
    if not found:
        return [], json.dumps(state)
    newest = max(m for m, _ in found)
    names = sorted({n for m, n in found if m == newest} |
                   (seen_at_last if newest == last else set()))
    return sorted(n for _, n in found), json.dumps({"mtime": newest, "names": names})


def web_events_sensor(job: Any) -> dg.SensorDefinition:
    @dg.sensor(name="new_web_event_files", job=job, minimum_interval_seconds=30,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description="Starts `web_incremental` when new files land in "
                           "$CXM_DATA_DIR/landing/web/events.")
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        files, cursor = new_files(web_events_dir(), context.cursor)
        if not files:
            return dg.SensorResult(skip_reason="no new web event files", cursor=cursor)
        return dg.SensorResult(
            run_requests=[dg.RunRequest(
                run_key=f"web-{json.loads(cursor)['mtime']}-{len(files)}-{files[-1]}",
                tags={"cxm/new_files": str(len(files))})],
            cursor=cursor)

    return _sensor


# -- run failure alert ------------------------------------------------------------------------

def failure_message(job_name: str, run_id: str, error: str | None) -> dict[str, Any]:
    return {
        "text": f"cxm: run of job `{job_name}` failed ({run_id[:8]}): "
                f"{(error or 'unknown error').splitlines()[0][:300]}",
        "job": job_name,
        "run_id": run_id,
        "error": error,
    }


def post_json(url: str, payload: dict[str, Any], timeout: float = 10.0) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "cxm-alert"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status


@dg.run_failure_sensor(name="alert_on_run_failure",
                       default_status=dg.DefaultSensorStatus.RUNNING,
                       description=f"Logs every failed run; POSTs a JSON message to "
                                   f"${WEBHOOK_ENV} when it is set (off by default).")
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    error = context.failure_event.message if context.failure_event else None
    message = failure_message(context.dagster_run.job_name, context.dagster_run.run_id, error)
    context.log.error(message["text"])
    url = os.environ.get(WEBHOOK_ENV)
    if url:
        try:
            status = post_json(url, message)
            context.log.info(f"alert posted to the webhook: HTTP {status}")
        except Exception as exc:  # an alert must never fail the sensor loop
            context.log.error(f"could not post the alert to the webhook: {exc}")
