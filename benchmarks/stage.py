"""One benchmark stage, run in its own process by benchmarks.measure.run_stage.

    python -m benchmarks.stage generate <data_dir> <scale>
    python -m benchmarks.stage ingest <data_dir> <source>
    python -m benchmarks.stage ceiling <data_dir> <source>
    python -m benchmarks.stage dbt <data_dir> "<dbt args>"          (warehouse benchmark)
    python -m benchmarks.stage warehouse_ceiling <data_dir> <steps|all>
    python -m benchmarks.stage append_web <data_dir> <fraction>

Prints one JSON line with the stage's result (row count, dbt node timings, ...).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from ingestion.paths import landing_dir

API_SOURCES = ("crm", "support", "marketing")


def generate(base: Path, scale: str) -> dict:
    from ingestion.demo.generator import generate as gen
    summary = gen(base, scale=scale, seed=42)
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


def main(argv: list[str]) -> None:
    stage, base, arg = argv[0], Path(argv[1]), argv[2]
    fn = {"generate": generate, "ingest": ingest, "ceiling": ceiling, "dbt": dbt,
          "warehouse_ceiling": warehouse_ceiling, "append_web": append_web}[stage]
    print(json.dumps(fn(base, arg)))


if __name__ == "__main__":
    main(sys.argv[1:])
