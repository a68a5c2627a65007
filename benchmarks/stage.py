"""One benchmark stage, run in its own process by benchmarks.measure.run_stage.

    python -m benchmarks.stage generate <data_dir> <scale>
    python -m benchmarks.stage ingest <data_dir> <source>
    python -m benchmarks.stage ceiling <data_dir> <source>
    python -m benchmarks.stage dbt <data_dir> "<dbt args>"          (warehouse benchmark)
    python -m benchmarks.stage warehouse_ceiling <data_dir> <steps|all>
    python -m benchmarks.stage append_web <data_dir> <fraction>
    python -m benchmarks.stage job <data_dir> <job name>             (end-to-end benchmark)
    python -m benchmarks.stage pandas <data_dir> all
    python -m benchmarks.stage extend <data_dir> <scale>             (the same company a day later)
    python -m benchmarks.stage freshness <data_dir> -      (new event file -> customer_360)

Prints one JSON line with the stage's result (row count, dbt node timings, ...).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC
from pathlib import Path

import duckdb

from ingestion.paths import landing_dir

API_SOURCES = ("crm", "support", "marketing")


def generate(base: Path, scale: str, extend_days: int = 0) -> dict:
    from ingestion.demo.generator import generate as gen
    summary = gen(base, scale=scale, seed=42, extend_days=extend_days)
    return {"rows": int(sum(summary.rows.values())), "web_events": summary.rows["web.events"]}


def ingest(base: Path, source: str) -> dict:
    from cxm_cli.main import demo_settings
    from ingestion.demo.standin import StandInServer
    from ingestion.pipeline import ingest_source

    if source == "web":
        load = ingest_source("web", base, **demo_settings("", base)["web"])
        return {"rows": load.rows}
    with StandInServer(base, token="bench") as server:
        settings = demo_settings(server.base_url, base, token="bench")[source]
        load = ingest_source(source, base, **settings)
    return {"rows": load.rows}


def ceiling(base: Path, source: str) -> dict:
    """DuckDB's own reader loading the same data straight into a table of a fresh file."""
    db = base / f"ceiling_{source}.duckdb"
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        if source == "web":
            truth = json.loads((base / "demo/truth/expected.json").read_text())
            corrupt = {str(base / c["file"]) for c in truth["corrupt_files"]}
            files = [str(f) for f in sorted(
                (landing_dir(base) / "web" / "events").glob("dt=*/*.jsonl.gz"))
                if str(f) not in corrupt]
            con.execute("create table events as select * from read_json(?, "
                        "format='newline_delimited', ignore_errors=true)",
                        [files]).fetchall()
            rows = con.sql("select count(*) from events").fetchall()[0][0]
        else:
            rows = 0
            for f in sorted((base / "demo" / "vendor" / source).glob("*.parquet")):
                con.execute(f"create table \"{f.stem}\" as select * from read_parquet('{f}')"
                            ).fetchall()
                rows += con.sql(f'select count(*) from "{f.stem}"').fetchall()[0][0]
    db.unlink(missing_ok=True)
    return {"rows": rows}


def dbt(base: Path, args: str) -> dict:
    """`dbt <args>` in process on base/warehouse.duckdb; per-node timings from run_results."""
    from tests.dbt.helpers import run_dbt

    target = base / "target_bench"
    (target / "run_results.json").unlink(missing_ok=True)
    result = run_dbt(args.split(), base, target)
    run_results = target / "run_results.json"
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    nodes = [{"unique_id": r["unique_id"], "status": r["status"],
              "seconds": r["execution_time"], "relation": r.get("relation_name")}
             for r in results]
    return {"success": bool(result.success), "nodes": nodes}


def warehouse_ceiling(base: Path, steps: str) -> dict:
    from benchmarks.ceiling import RESULT_TABLES, STEPS, run_ceiling

    names = list(STEPS) if steps == "all" else steps.split(",")
    out = base / "ceiling.duckdb"
    seconds = run_ceiling(base / "warehouse.duckdb", out, names)
    with duckdb.connect(str(out), read_only=True) as con:
        rows = {n: con.sql(f"select count(*) from {RESULT_TABLES[n]}").fetchall()[0][0]
                for n in names}
    return {"seconds": seconds, "rows": rows}


def append_web(base: Path, fraction: str) -> dict:
    from benchmarks.append import append_web_events

    path, rows = append_web_events(base, float(fraction))
    return {"rows": rows, "file": str(path)}


def generate_extended(base: Path, scale: str) -> dict:
    """The same company one day later: a new day of CRM, support and marketing changes and
    web events (the generator's cut moves; unchanged files are not rewritten)."""
    return generate(base, scale, extend_days=1)


def job(base: Path, name: str) -> dict:
    """The real Dagster job in this process, against the stand-in APIs (as `cxm demo` runs
    it), on an ephemeral instance; per-step seconds from the run's event log."""
    import contextlib
    import os
    import time

    import dagster as dg

    from cxm_cli.main import demo_env
    from ingestion.demo.standin import StandInServer

    os.environ["CXM_DATA_DIR"] = str(base)
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")
    started = time.perf_counter()
    import orchestration.definitions  # noqa: F401  (what `dagster dev` loads: dbt manifest)
    from orchestration.run import run_job, summarize
    load_seconds = time.perf_counter() - started
    with StandInServer(base, token="bench") as server, dg.DagsterInstance.ephemeral() as inst:
        os.environ.update(demo_env(server.base_url, base, token="bench"))
        started = time.perf_counter()
        with contextlib.redirect_stdout(sys.stderr):  # dbt's chatter; stdout is the result
            result = run_job(name, instance=inst, log_level="ERROR")
        seconds = time.perf_counter() - started
        steps = step_seconds(inst, result.run_id)
    run = summarize(result)
    return {"success": run.success, "seconds": seconds, "load_seconds": load_seconds,
            "steps": steps, "raw_rows": run.raw_rows,
            "failed": run.failed_steps + [c for c in run.checks_failed if "(ERROR)" in c]}


def step_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall seconds per step of a run: STEP_START to STEP_SUCCESS/FAILURE."""
    start: dict[str, float] = {}
    out: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        ev = entry.dagster_event
        if ev is None or not ev.step_key:
            continue
        if ev.event_type_value == "STEP_START":
            start[ev.step_key] = entry.timestamp
        elif ev.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and ev.step_key in start:
            out[ev.step_key] = entry.timestamp - start[ev.step_key]
    return out


def pandas(base: Path, steps: str) -> dict:
    from benchmarks.pandas_baseline import STEPS, run_pandas

    seconds, frames = run_pandas(base / "warehouse.duckdb",
                                 None if steps == "all" else steps.split(","))
    return {"seconds": seconds, "rows": {k: len(v) for k, v in frames.items()
                                         if k in ("identifiers", "sessions", "touchpoints",
                                                  "customer_360")},
            "steps": list(STEPS)}


def freshness(base: Path, _: str) -> dict:
    """Profile freshness: a new event file for a known customer lands; the sensor
    `new_web_event_files` is evaluated, its run request executes `web_incremental`, and the
    clock stops when that customer's customer_360 row shows the event (seconds from the file
    landing; the sensor's polling interval comes on top and is reported apart)."""
    import contextlib
    import gzip
    import os
    import time
    from datetime import timedelta

    import dagster as dg

    from orchestration.automation import new_files, web_events_dir

    os.environ["CXM_DATA_DIR"] = str(base)
    os.environ["SOURCES__WEB__BUCKET_URL"] = str(landing_dir(base) / "web" / "events")
    from orchestration.definitions import defs
    from orchestration.run import run_job

    wh = str(base / "warehouse.duckdb")
    with duckdb.connect(wh, read_only=True) as con:
        anon, user, customer, last_ts = con.sql("""
            select e.anonymous_id, e.user_id, i.customer_id, max(e."timestamp") over ()
            from raw_web.events e
            join intermediate.int_identity__identifiers i
              on i.identifier_type = 'app_user_id' and i.identifier_value = trim(e.user_id)
            order by e."timestamp" desc limit 1""").fetchall()[0]
    at = last_ts + timedelta(hours=2)
    stamp = at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    folder = web_events_dir(base)
    _, cursor = new_files(folder, None)
    event = {"messageId": f"fresh-{time.time_ns()}", "type": "page", "anonymousId": anon,
             "userId": user, "timestamp": stamp, "sentAt": stamp, "receivedAt": stamp,
             "context": {"page": {"path": "/fresh", "url": "https://northwind.example/fresh",
                                  "title": "Fresh"}}}
    path = folder / f"dt={at.date().isoformat()}" / f"part-fresh-{time.time_ns()}.jsonl.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(json.dumps(event) + "\n")
    sensor = defs.get_sensor_def("new_web_event_files")
    with dg.DagsterInstance.ephemeral() as inst:
        result = sensor(dg.build_sensor_context(instance=inst, cursor=cursor))
        requests = result.run_requests or []
        with contextlib.redirect_stdout(sys.stderr):
            run = run_job(sensor.job_name, instance=inst, log_level="ERROR") if requests else None
        seconds = time.perf_counter() - started
        steps = step_seconds(inst, run.run_id) if run else {}
    with duckdb.connect(wh, read_only=True) as con:
        seen = con.sql("select last_seen_at from customer.customer_360 where customer_id = ?",
                       params=[customer]).fetchall()
    updated = bool(seen) and seen[0][0] is not None and seen[0][0] >= at
    return {"seconds": seconds, "run_requests": len(requests), "job": sensor.job_name,
            "success": bool(run and run.success), "updated": updated,
            "sensor_interval_seconds": sensor.minimum_interval_seconds, "steps": steps}


def main(argv: list[str]) -> None:
    stage, base, arg = argv[0], Path(argv[1]), argv[2]
    fn = {"generate": generate, "ingest": ingest, "ceiling": ceiling, "dbt": dbt,
          "warehouse_ceiling": warehouse_ceiling, "append_web": append_web, "job": job,
          "pandas": pandas, "extend": generate_extended,
          "freshness": freshness}[stage]
    print(json.dumps(fn(base, arg)))


if __name__ == "__main__":
    main(sys.argv[1:])
