"""End-to-end benchmark (`cxm bench`): per scale, generate the demo company, run the real
Dagster job `nightly` (dlt over HTTP from the stand-in APIs -> dbt build + tests -> checks ->
publish), and on the same data the hand-written DuckDB SQL ceiling (benchmarks/ceiling.py)
and the pandas baseline (benchmarks/pandas_baseline.py); then the incremental run (the same
company one day later + 1% new web events, the job again).

    cxm bench --scales S,M,L [--repeats 3] [--data-root /tmp/cxm-bench] [--write-docs]

Every stage is its own process (benchmarks.measure: wall seconds, peak RSS of the process
tree). Per-step seconds inside the job come from the run's event log; "orchestration" is the
job's wall time minus its steps. Writes benchmarks/out/e2e.md and e2e.png; --write-docs
also replaces the generated section of docs/benchmarks.md. Each stage is logged to stderr as
it ends and each finished scale saved as out/scale_<scale>.json; `--include` adds saved
scales to the report (a long L run measured apart from XS-M, or re-rendering without
re-running).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.append import append_web_events
from benchmarks.ingest import machine
from benchmarks.measure import Measured, run_stage

KEEP = ("demo", "landing")  # what the generator wrote; everything else the job makes
PANDAS_MAX_EVENTS = 20_000_000  # beyond this the pandas baseline does not fit in 24 GiB
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
FRESHNESS = "profile freshness: new event file -> customer_360 (sensor run)"
MARK_START, MARK_END = "<!-- cxm bench: start -->", "<!-- cxm bench: end -->"


@dataclass
class ScaleRun:
    scale: str
    web_events: int = 0
    rows: int = 0
    stages: dict[str, tuple[float, float, int | None]] = field(default_factory=dict)
    job_seconds: list[float] = field(default_factory=list)  # the repeats
    notes: list[str] = field(default_factory=list)
    size_mb: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, m: Measured | tuple[float, float], rows: int | None = None
            ) -> None:
        sec, rss = (m.seconds, m.peak_rss_mb) if isinstance(m, Measured) else m
        self.stages[name] = (sec, rss, rows)
        print(f"[{self.scale}] {name}: {sec:.1f} s, {rss:,.0f} MB, rows {rows}",
              file=sys.stderr, flush=True)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dataclasses.asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> ScaleRun:
        data = json.loads(path.read_text())
        data["stages"] = {k: tuple(v) for k, v in data["stages"].items()}
        return cls(**data)

    def seconds(self, name: str) -> float | None:
        return self.stages[name][0] if name in self.stages else None


def reset(base: Path) -> None:
    """Back to what the generator wrote: no warehouse, no published file, no dlt state."""
    for child in base.iterdir():
        if child.name in KEEP:
            continue
        shutil.rmtree(child) if child.is_dir() else child.unlink()


def _size_mb(path: Path) -> float:
    files = [path, *path.parent.glob(path.name + ".wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


def job_stages(run: ScaleRun, m: Measured, prefix: str = "") -> None:
    """Split a job measurement into the README's stages: ingest per source, dbt, checks,
    publish, the CX report, orchestration (job wall minus its steps) and definitions loading."""
    steps: dict[str, float] = m.result["steps"]
    groups: dict[str, float] = {}
    for key, sec in steps.items():
        if key.startswith("dlt_"):
            name = f"ingest {key[4:]}"
        elif key == "dbt_models":
            name = "dbt build"
        elif key == "published":
            name = "publish"
        elif key == "cx_report":
            name = "CX report"
        else:
            name = "checks (GX, freshness)"
        groups[name] = groups.get(name, 0.0) + sec
    raw = m.result["raw_rows"]
    for name, sec in sorted(groups.items()):
        rows = (sum(v for k, v in raw.items() if k.startswith(name[7:] + "/"))
                if name.startswith("ingest ") and not prefix else None)  # rows in the tables
        run.add(prefix + name, (sec, m.peak_rss_mb), rows)
    run.add(prefix + "orchestration overhead", (m.result["seconds"] - sum(steps.values()),
                                                m.peak_rss_mb))
    run.add(prefix + "definitions load (imports, manifest)", (m.result["load_seconds"],
                                                               m.peak_rss_mb))


def bench_scale(scale: str, base: Path, repeats: int, pandas: bool) -> ScaleRun:
    run = ScaleRun(scale)
    shutil.rmtree(base, ignore_errors=True)
    gen = run_stage(["generate", str(base), scale])
    run.web_events, run.rows = gen.result["web_events"], gen.result["rows"]
    run.add("generate", gen, run.rows)
    jobs = []
    for _ in range(max(1, repeats)):
        reset(base)
        m = run_stage(["job", str(base), "nightly"])
        if not m.result["success"]:
            raise RuntimeError(f"nightly job failed at {scale}: {m.result['failed']}")
        jobs.append(m)
    run.job_seconds = [m.seconds for m in jobs]
    median = sorted(jobs, key=lambda m: m.seconds)[len(jobs) // 2]
    run.add("end to end (job process)", median, sum(median.result["raw_rows"].values()))
    job_stages(run, median)
    run.size_mb = {"warehouse.duckdb": _size_mb(base / "warehouse.duckdb"),
                   "published.duckdb": _size_mb(base / "published.duckdb")}
    ceiling = run_stage(["warehouse_ceiling", str(base), "all"])
    run.add("ceiling (hand-written SQL, key marts)", ceiling,
            sum(ceiling.result["rows"].values()))
    if pandas and run.web_events <= PANDAS_MAX_EVENTS:
        pd_run = run_stage(["pandas", str(base), "all"])
        run.add("pandas baseline (key marts)", pd_run, sum(pd_run.result["rows"].values()))
    else:
        run.notes.append(f"pandas baseline skipped at {scale}: {run.web_events:,} web events "
                         f"(> {PANDAS_MAX_EVENTS:,}) do not fit in memory as DataFrames"
                         if pandas else "pandas baseline not requested")
    ext = run_stage(["extend", str(base), scale])
    _, added = append_web_events(base, 0.01)
    run.add("incremental: generate +1 day and +1% web events", ext,
            ext.result["rows"] - run.rows + added)
    incr = run_stage(["job", str(base), "nightly"])
    run.add("incremental: end to end (job process)", incr)
    job_stages(run, incr, "incremental: ")
    fresh = run_stage(["freshness", str(base), "-"])
    run.add(FRESHNESS, fresh)
    run.notes.append(
        f"profile freshness at {scale}: {fresh.seconds:.0f} s from the event file landing to "
        f"the customer's customer_360 row showing it (sensor evaluated at once, then the "
        f"`{fresh.result['job']}` run it requested; row updated: {fresh.result['updated']}); "
        f"the sensor polls every {fresh.result['sensor_interval_seconds']} s, which adds up "
        f"to that much in a deployment")
    return run


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) against log(x); None with fewer than two points."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx, my = statistics.fmean(p[0] for p in pts), statistics.fmean(p[1] for p in pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return None if den == 0 else sum((x - mx) * (y - my) for x, y in pts) / den


def table(runs: list[ScaleRun]) -> list[str]:
    lines = ["| scale | stage | rows | seconds | rows/s | peak RSS MB |",
             "|---|---|---:|---:|---:|---:|"]
    for r in runs:
        for name, (sec, rss, rows) in r.stages.items():
            rate = f"{rows / sec:,.0f}" if rows and sec > 0 else ""
            lines.append(f"| {r.scale} | {name} | {'' if rows is None else f'{rows:,}'} | "
                         f"{sec:.1f} | {rate} | {rss:,.0f} |")
    return lines


def ratios(runs: list[ScaleRun]) -> list[str]:
    lines = ["| scale | web events | job runs (s) | dbt / ceiling | dbt / pandas | "
             "incremental / full | profile freshness s | warehouse MB | published MB |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        dbt, ceil = r.seconds("dbt build"), r.seconds("ceiling (hand-written SQL, key marts)")
        pdn = r.seconds("pandas baseline (key marts)")
        full, inc = r.seconds("end to end (job process)"), r.seconds(
            "incremental: end to end (job process)")
        fmt = (lambda a, b: f"{a / b:.2f}" if a and b else "n/a")  # noqa: E731
        lines.append(f"| {r.scale} | {r.web_events:,} | "
                     f"{', '.join(f'{s:.0f}' for s in r.job_seconds)} | {fmt(dbt, ceil)} | "
                     f"{fmt(dbt, pdn)} | {fmt(inc, full)} | "
                     f"{r.seconds(FRESHNESS) or 0:.0f} | "
                     f"{r.size_mb.get('warehouse.duckdb', 0):,.0f} | "
                     f"{r.size_mb.get('published.duckdb', 0):,.0f} |")
    xs = [float(r.web_events) for r in runs]
    lines += ["", "Log-log slope of seconds against web events (1.0 = linear): " + ", ".join(
        f"{name} {s:.2f}" for name in ("end to end (job process)", "dbt build", "generate")
        if (s := slope(xs, [r.seconds(name) or 0 for r in runs])) is not None) or "n/a"]
    return lines


def plot(runs: list[ScaleRun], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r.web_events for r in runs]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name in ("end to end (job process)", "dbt build", "generate",
                 "ceiling (hand-written SQL, key marts)", "pandas baseline (key marts)"):
        pts = [(x, r.stages[name]) for x, r in zip(xs, runs, strict=True) if name in r.stages]
        if pts:
            ax1.plot([p[0] for p in pts], [p[1][0] for p in pts], marker="o", label=name)
            ax2.plot([p[0] for p in pts], [p[1][1] / 1024 for p in pts], marker="o", label=name)
    for ax, label in ((ax1, "wall seconds"), (ax2, "peak RSS, GiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("web events")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=7)
    fig.suptitle("cxm bench: time and memory against scale")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(runs: list[ScaleRun], png_name: str) -> str:
    notes = [n for r in runs for n in r.notes]
    return "\n".join([f"Machine: {machine()}", "", *ratios(runs), "", *table(runs), "",
                      *(f"- {n}" for n in notes), "", f"![time and memory]({png_name})", ""])


def write_docs(text: str, docs: Path = DOCS) -> None:
    """Replace the generated section of docs/benchmarks.md (appended if missing)."""
    body = docs.read_text() if docs.exists() else "# Benchmarks\n"
    block = f"{MARK_START}\n{text}\n{MARK_END}"
    if MARK_START in body and MARK_END in body:
        head, rest = body.split(MARK_START, 1)
        body = head + block + rest.split(MARK_END, 1)[1]
    else:
        body = body.rstrip("\n") + "\n\n## End-to-end (`cxm bench`)\n\n" + block + "\n"
    docs.write_text(body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cxm bench", description=__doc__.splitlines()[0])
    p.add_argument("--scales", default="S", help="comma-separated: XS, S, M, L or numbers")
    p.add_argument("--repeats", type=int, default=1, help="full job runs per scale (median)")
    p.add_argument("--data-root", type=Path, default=Path("/tmp/cxm-bench"))
    p.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    p.add_argument("--include", type=Path, nargs="*", default=[],
                   help="scale_<scale>.json files of earlier runs to add to the report")
    p.add_argument("--write-docs", action="store_true",
                   help="replace the generated section of docs/benchmarks.md")
    args = p.parse_args(argv)
    runs = [ScaleRun.load(f) for f in args.include]
    for scale in [s.strip() for s in args.scales.split(",") if s.strip()]:
        runs.append(bench_scale(scale, args.data_root / f"scale_{scale}", args.repeats,
                                not args.no_pandas))
        runs[-1].save(args.out / f"scale_{scale}.json")
        print("\n".join(table(runs[-1:])), flush=True)
    runs.sort(key=lambda r: r.web_events)
    png = args.out / "e2e.png"
    plot(runs, png)
    text = report(runs, "benchmarks_e2e.png" if args.write_docs else png.name)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "e2e.md").write_text(text)
    if args.write_docs:
        shutil.copyfile(png, DOCS.parent / "benchmarks_e2e.png")
        write_docs(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
