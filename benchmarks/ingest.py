"""Ingestion benchmark: generation and each source's ingestion at given scales, against
DuckDB's own readers on the same files in the same run (the ceiling).

    python3 -m uv run python -m benchmarks.ingest --scales S,M [--out benchmarks/out]

Every stage runs in its own process; seconds are wall time, memory is the peak RSS of the
stage's process tree. Writes a markdown table to stdout and to <out>/ingest.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
from pathlib import Path

import psutil

from benchmarks.measure import run_stage

SOURCES = ("crm", "support", "marketing", "web")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python "
            f"{platform.python_version()}")


def bench(scale: str, work: Path) -> list[str]:
    base = work / f"scale_{scale}"
    shutil.rmtree(base, ignore_errors=True)
    gen = run_stage(["generate", str(base), scale])
    rows = [f"| {scale} | generate | {gen.result['rows']:,} | {gen.seconds:.1f} | "
            f"{gen.result['rows'] / gen.seconds:,.0f} | {gen.peak_rss_mb:,.0f} | | |"]
    for source in SOURCES:
        run = run_stage(["ingest", str(base), source])
        top = run_stage(["ceiling", str(base), source])
        rate = run.result["rows"] / run.seconds
        top_rate = top.result["rows"] / top.seconds
        rows.append(f"| {scale} | ingest {source} | {run.result['rows']:,} | {run.seconds:.1f} "
                    f"| {rate:,.0f} | {run.peak_rss_mb:,.0f} | {top_rate:,.0f} "
                    f"| {rate / top_rate:.2f} |")
    shutil.rmtree(base, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="S,M")
    parser.add_argument("--out", default="benchmarks/out")
    args = parser.parse_args()
    lines = [f"Machine: {machine()}", "",
             "| scale | stage | rows | seconds | rows/s | peak RSS MB | ceiling rows/s "
             "| ratio |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="cxm-bench-") as work:
        for scale in args.scales.split(","):
            for row in bench(scale.strip(), Path(work)):
                print(row, flush=True)
                lines.append(row)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
