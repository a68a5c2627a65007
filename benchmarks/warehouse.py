"""Warehouse benchmark: `dbt build` against the hand-written DuckDB ceiling (benchmarks/ceiling.py)
in the same run, at given scales.

    python3 -m uv run --locked python -m benchmarks.warehouse --scales S[,M] \\
        [--data-root /tmp/cxm-warehouse-bench] [--out benchmarks/out] [--fresh]

Per scale, in <data-root>/scale_<X>: generate + ingest all four sources (skipped when the dir
was prepared before, marker `.ingested`, unless --fresh), drop every dbt-built schema, then:
full `dbt build`; the ceiling (all steps); `dbt run --full-refresh` of `+customer_360` (the
models behind the key marts); `dbt run --full-refresh` of `+fct_web_sessions` and the ceiling's
identity and web_sessions steps (the same work: fct_web_sessions but its channel grouping);
`dbt build` and `dbt run` of `+int_identity__identifiers`
(`--full-refresh` too) and the ceiling's identity steps; dbt start-up (an invocation
that selects nothing); then 1% new web events (a new landing file, `ingest web`) and
`dbt build` again (the incremental run). Every stage is its own process; seconds are wall
time, memory the peak RSS of the process tree (benchmarks.measure); the full build's node
time is also summed per kind (models, data tests, unit tests: thread time, not wall time).
Writes markdown to stdout and <out>/warehouse.md. A reused data dir keeps the events
appended by earlier runs.
"""

from __future__ import annotations

import argparse
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from benchmarks.ceiling import IDENTITY_STEPS
from benchmarks.ingest import SOURCES, machine
from benchmarks.measure import Measured, run_stage

SUBSET = "+int_identity__identifiers"
KEY_MARTS = "+customer_360"  # identity, sessions, facts, touchpoints, customer_360
# identity and fct_web_sessions: the same work as the ceiling's identity and web_sessions steps
# (which leave out only the channel grouping)
SESSIONS = "+fct_web_sessions"
SESSION_STEPS = [*IDENTITY_STEPS, "web_sessions"]
# the ceiling computes from the raw tables; so do the dbt runs compared with it (without it
# the incremental models, sessions among them, would only check for new events)
FROM_SCRATCH = "--full-refresh"
EMPTY_SELECTION = "tag:cxm_bench_selects_nothing"
INCREMENT = 0.01


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float
    rows: int | None = None


@dataclass
class WarehouseRun:
    scale: str
    raw_events: int
    full: Timed
    ceiling_all: Timed
    subset_build: Timed
    subset_run: Timed
    ceiling_identity: Timed
    startup: Timed
    increment_ingest: Timed
    increment_build: Timed
    prepare: dict[str, Timed] = field(default_factory=dict)  # empty when the dir was reused
    models: list[tuple[str, int | None, float]] = field(default_factory=list)
    ceiling_steps: list[tuple[str, int, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    key_run: Timed | None = None  # dbt run of KEY_MARTS from scratch (no tests) vs the ceiling
    # summed node time of the full build per kind (model, test, unit_test, ...)
    node_seconds: dict[str, float] = field(default_factory=dict)
    sessions_run: Timed | None = None  # dbt run of SESSIONS from scratch
    ceiling_sessions: Timed | None = None  # the ceiling's SESSION_STEPS


def _num(v: float | int | None, fmt: str = ",.0f") -> str:
    return "" if v is None else format(v, fmt)


def _row(scale: str, step: str, t: Timed, ceiling: Timed | None = None, note: str = "") -> str:
    ratio = f"{t.seconds / ceiling.seconds:.2f}" if ceiling else ""
    return (f"| {scale} | {step} | {_num(t.rows)} | {t.seconds:.1f} | {t.peak_rss_mb:,.0f} | "
            f"{f'{ceiling.seconds:.1f}' if ceiling else ''} | {ratio}{note} |")


SUMMARY_HEADER = ["| scale | step | rows | seconds | peak RSS MB | ceiling s | dbt / ceiling |",
                  "|---|---|---:|---:|---:|---:|---:|"]


def summary_rows(r: WarehouseRun) -> list[str]:
    """The headline table: one row per measured stage (pure: formats the measurements)."""
    s = r.scale
    rows = [_row(s, f"prepare: {name}", t) for name, t in r.prepare.items()]
    work = Timed(r.full.seconds - r.startup.seconds, r.full.peak_rss_mb, r.full.rows)
    share = 100 * r.increment_build.seconds / r.full.seconds
    rows += [
        _row(s, "dbt build (full)", r.full, r.ceiling_all),
        _row(s, "dbt build (full) minus dbt start-up", work, r.ceiling_all),
        *([_row(s, f"dbt run {FROM_SCRATCH} --select {KEY_MARTS}", r.key_run, r.ceiling_all)]
          if r.key_run else []),
        *([_row(s, f"dbt run {FROM_SCRATCH} --select {SESSIONS}", r.sessions_run,
                r.ceiling_sessions),
           _row(s, "ceiling: identity and web_sessions steps", r.ceiling_sessions)]
          if r.sessions_run and r.ceiling_sessions else []),
        _row(s, f"dbt build {FROM_SCRATCH} --select {SUBSET}", r.subset_build,
             r.ceiling_identity),
        _row(s, f"dbt run {FROM_SCRATCH} --select {SUBSET}", r.subset_run, r.ceiling_identity),
        _row(s, "dbt start-up (invocation selecting nothing)", r.startup),
        _row(s, "ceiling: all steps", r.ceiling_all),
        _row(s, "ceiling: identity steps", r.ceiling_identity),
        _row(s, f"+{INCREMENT:.0%} web events: new file + ingest web", r.increment_ingest),
        _row(s, f"dbt build after +{INCREMENT:.0%} web events", r.increment_build,
             note=f" ({share:.0f}% of full build)"),
    ]
    rows += [f"| {s} | dbt build (full): {kind} nodes, summed node time |  | {sec:.1f} |  |  |  |"
             for kind, sec in sorted(r.node_seconds.items())]
    return rows


def node_seconds(nodes: list[dict]) -> dict[str, float]:
    """Summed execution time per node kind (`model`, `test`, `unit_test`, ...): what dbt's
    threads spent on each kind, not wall time."""
    out: dict[str, float] = {}
    for n in nodes:
        kind = n["unique_id"].split(".")[0]
        out[kind] = out.get(kind, 0.0) + n["seconds"]
    return out


def detail_rows(r: WarehouseRun) -> list[str]:
    lines = [f"Models of the full build at {r.scale} ({r.raw_events:,} raw web events):", "",
             "| model | rows | seconds |", "|---|---:|---:|"]
    lines += [f"| {m} | {_num(n)} | {sec:.2f} |" for m, n, sec in r.models]
    lines += ["", f"Ceiling steps at {r.scale}:", "", "| step | rows | seconds |",
              "|---|---:|---:|"]
    lines += [f"| {m} | {n:,} | {sec:.2f} |" for m, n, sec in r.ceiling_steps]
    if r.failures:
        lines += ["", "dbt nodes not success/pass (relationship tests warn by design): "
                  + ", ".join(r.failures)]
    return lines


def drop_built_schemas(warehouse: Path) -> list[str]:
    """Drop every schema dbt builds (all but the raw_* schemas of the loaders)."""
    with duckdb.connect(str(warehouse)) as con:
        schemas = [r[0] for r in con.sql(
            "select schema_name from duckdb_schemas() where database_name = current_database() "
            "and not internal and schema_name not like 'raw\\_%' escape '\\' "
            "and schema_name <> 'main'").fetchall()]
        for schema in schemas:
            con.execute(f'drop schema "{schema}" cascade')
    return schemas


def _timed(m: Measured, rows: int | None = None) -> Timed:
    return Timed(m.seconds, m.peak_rss_mb, rows)


def _dbt(base: Path, args: str) -> tuple[Measured, list[dict]]:
    m = run_stage(["dbt", str(base), args])
    return m, m.result["nodes"]


def _model_rows(warehouse: Path, nodes: list[dict]) -> list[tuple[str, int | None, float]]:
    out = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for n in nodes:
            if not n["unique_id"].startswith("model.") or not n["relation"]:
                continue
            try:
                rows = con.sql(f"select count(*) from {n['relation']}").fetchall()[0][0]
            except duckdb.Error:
                rows = None
            out.append((n["unique_id"].split(".")[-1], rows, n["seconds"]))
    return out


def prepare(base: Path, scale: str, fresh: bool) -> dict[str, Timed]:
    if (base / ".ingested").exists() and not fresh:
        return {}
    shutil.rmtree(base, ignore_errors=True)
    gen = run_stage(["generate", str(base), scale])
    out = {"generate": _timed(gen, gen.result["rows"])}
    for source in SOURCES:
        m = run_stage(["ingest", str(base), source])
        out[f"ingest {source}"] = _timed(m, m.result["rows"])
    (base / ".ingested").write_text(scale + "\n")
    return out


def bench(scale: str, base: Path, fresh: bool = False) -> WarehouseRun:
    prepared = prepare(base, scale, fresh)
    warehouse = base / "warehouse.duckdb"
    drop_built_schemas(warehouse)
    full, nodes = _dbt(base, "build")
    failures = [f"{n['unique_id'].split('.')[2]} ({n['status']})" for n in nodes
                if n["status"] not in ("success", "pass", "no-op")]
    models = _model_rows(warehouse, nodes)
    ceiling = run_stage(["warehouse_ceiling", str(base), "all"])
    key_run, _ = _dbt(base, f"run {FROM_SCRATCH} --select {KEY_MARTS}")
    sessions_run, _ = _dbt(base, f"run {FROM_SCRATCH} --select {SESSIONS}")
    ceiling_sessions = run_stage(["warehouse_ceiling", str(base), ",".join(SESSION_STEPS)])
    sub_build, _ = _dbt(base, f"build {FROM_SCRATCH} --select {SUBSET}")
    sub_run, _ = _dbt(base, f"run {FROM_SCRATCH} --select {SUBSET}")
    ceiling_id = run_stage(["warehouse_ceiling", str(base), ",".join(IDENTITY_STEPS)])
    startup, _ = _dbt(base, f"build --select {EMPTY_SELECTION}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw_events = con.sql("select count(*) from raw_web.events").fetchall()[0][0]
        identifiers = con.sql("select count(*) from intermediate.int_identity__identifiers"
                              ).fetchall()[0][0]
    append = run_stage(["append_web", str(base), str(INCREMENT)])
    ingest = run_stage(["ingest", str(base), "web"])
    incr, _ = _dbt(base, "build")
    steps = ceiling.result
    return WarehouseRun(
        scale=scale, raw_events=raw_events,
        full=_timed(full, sum(m[1] or 0 for m in models)),
        ceiling_all=_timed(ceiling, sum(steps["rows"].values())),
        subset_build=_timed(sub_build, identifiers), subset_run=_timed(sub_run, identifiers),
        ceiling_identity=_timed(ceiling_id, ceiling_id.result["rows"]["identity_identifiers"]),
        startup=_timed(startup),
        increment_ingest=Timed(append.seconds + ingest.seconds,
                               max(append.peak_rss_mb, ingest.peak_rss_mb), append.result["rows"]),
        increment_build=_timed(incr),
        prepare=prepared, models=models,
        ceiling_steps=[(n, steps["rows"][n], steps["seconds"][n]) for n in steps["seconds"]],
        failures=failures, key_run=_timed(key_run), node_seconds=node_seconds(nodes),
        sessions_run=_timed(sessions_run),
        ceiling_sessions=_timed(ceiling_sessions, ceiling_sessions.result["rows"]["web_sessions"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="S")
    parser.add_argument("--data-root", type=Path, default=Path("/tmp/cxm-warehouse-bench"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--fresh", action="store_true", help="regenerate and re-ingest")
    args = parser.parse_args()
    runs = []
    for scale in [s.strip() for s in args.scales.split(",") if s.strip()]:
        run = bench(scale, args.data_root / f"scale_{scale}", args.fresh)
        runs.append(run)
        print("\n".join(summary_rows(run)), flush=True)
    lines = [f"Machine: {machine()}", "", *SUMMARY_HEADER]
    for run in runs:
        lines += summary_rows(run)
    for run in runs:
        lines += ["", *detail_rows(run)]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "warehouse.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
