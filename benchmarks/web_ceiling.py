"""Benchmark: web events files -> dlt -> raw_web.events, against DuckDB's own `read_json`.

    uv run python -m benchmarks.web_ceiling --events 1000000 --repeat 3 [--data DIR] [--keep]

Writes `--events` synthetic Segment events (gzip JSONL, contract shape) under `DIR` unless the
folder already holds `**/*.jsonl.gz` (e.g. the demo generator's `landing/web/events`), then
alternates, `--repeat` times:
  * ceiling: `create table events as select * from read_json(<files>)` into a fresh DuckDB file,
  * pipeline: `web_source` through a fresh dlt pipeline into a fresh DuckDB file,
and prints the best and median rows/s of each and their ratio (pipeline / ceiling). The two are
run back to back so that a busy machine slows both alike.
"""

from __future__ import annotations

import argparse
import glob
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import dlt
import duckdb

from ingestion.common.duck import sql_list
from ingestion.common.settings import configure_dlt


def write_events(out: str | Path, n_events: int, partitions: int = 10,
                 files_per_partition: int = 4, seed: int = 1) -> list[str]:
    """Synthetic events in the contract's shape, written by DuckDB (vectorised)."""
    out = Path(out)
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false").fetchall()
    con.execute(f"select setseed({1 / (seed + 1)})").fetchall()
    con.execute(f"""
        create table ev as
        select i,
          'msg-' || md5(cast(i as varchar)) as messageId,
          ['page', 'track', 'identify'][1 + (i % 3)] as type,
          case when i % 3 = 1 then ['Product Viewed', 'Product Added', 'Checkout Started',
               'Order Completed'][1 + (i // 3 % 4)] end as event,
          'anon-' || (i // 7) as anonymousId,
          case when i % 5 = 0 then 'user-' || (i // 50) end as userId,
          strftime(timestamp '2024-01-01' + to_seconds(i), '%Y-%m-%dT%H:%M:%S.%gZ') as timestamp,
          strftime(timestamp '2024-01-01' + to_seconds(i + 1), '%Y-%m-%dT%H:%M:%S.%gZ')
            as sentAt,
          strftime(timestamp '2024-01-01' + to_seconds(i + 2), '%Y-%m-%dT%H:%M:%S.%gZ')
            as receivedAt,
          {{'product_id': 'p' || (i % 1000),
            'order_id': case when i % 11 = 0 then 'o' || i end,
            'revenue': case when i % 11 = 0 then round(random() * 100, 2) end}} as properties,
          {{'email': case when i % 13 = 0 then 'u' || i || '@example.com' end}} as traits,
          {{'page': {{'path': '/p/' || (i % 1000),
                      'url': 'https://shop.example.com/p/' || (i % 1000),
                      'referrer': 'https://www.google.com/', 'title': 'Product ' || (i % 1000)}},
            'campaign': {{'source': 'google', 'medium': 'cpc', 'name': 'spring_sale',
                          'term': 'shoes', 'content': 'ad1'}},
            'userAgent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
                         || 'Chrome/120.0 Safari/537.36',
            'device': {{'type': ['desktop', 'mobile', 'tablet'][1 + (i % 3)]}}}} as context
        from range({n_events}) t(i)
    """).fetchall()
    n_files = partitions * files_per_partition
    per = -(-n_events // n_files)
    paths = []
    for k in range(n_files):
        d = out / f"dt=2024-01-{k // files_per_partition + 1:02d}"
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"part-{k % files_per_partition:04d}.jsonl.gz"
        con.execute(f"copy (select * exclude (i) from ev where i >= {k * per} "
                    f"and i < {(k + 1) * per}) to '{path}' (format json, compression gzip)"
                    ).fetchall()
        paths.append(str(path))
    con.close()
    return paths


def cpu_seconds() -> float:
    """CPU time of this process and its children (DuckDB and dlt threads included): steadier
    than wall time on a shared machine."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def readable_by_read_json(files: list[str]) -> list[str]:
    """The files DuckDB's `read_json` loads as they are (the demo data plants a corrupt file
    and a file of malformed lines, which `read_json` rejects): the ceiling's input."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false").fetchall()
    try:
        con.execute(f"select count(*) from read_json({sql_list(files)})").fetchall()
        return files
    except duckdb.Error:
        ok = []
        for f in files:
            try:
                con.execute(f"select count(*) from read_json({sql_list([f])})").fetchall()
                ok.append(f)
            except duckdb.Error:
                print(f"ceiling skips {f} (read_json cannot load it)")
        return ok
    finally:
        con.close()


def ceiling(files: list[str], workdir: Path) -> tuple[float, int]:
    db = workdir / "ceiling.duckdb"
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute("set enable_progress_bar = false").fetchall()
    con.execute(f"create table events as select * from read_json({sql_list(files)})").fetchall()
    con.close()
    elapsed = time.perf_counter() - t
    with duckdb.connect(str(db), read_only=True) as con:
        n = con.sql("select count(*) from events").fetchall()[0][0]
    return elapsed, n


def pipeline_run(bucket: str, workdir: Path, duckdb_config: dict | None = None
                 ) -> tuple[dict[str, float], int]:
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    from ingestion.web import web_source

    shutil.rmtree(workdir / "dlt", ignore_errors=True)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "dlt.duckdb"
    db.unlink(missing_ok=True)
    credentials = DuckDbCredentials(str(db))
    if duckdb_config:
        credentials.global_config = dict(duckdb_config)
    p = dlt.pipeline("bench_web", destination=dlt.destinations.duckdb(credentials),
                     dataset_name="raw_web", pipelines_dir=str(workdir / "dlt"))
    times = {}
    t0 = time.perf_counter()
    p.extract(web_source(bucket_url=bucket))
    t1 = time.perf_counter()
    p.normalize()
    t2 = time.perf_counter()
    p.load()
    t3 = time.perf_counter()
    times = {"extract": t1 - t0, "normalize": t2 - t1, "load": t3 - t2, "total": t3 - t0}
    with duckdb.connect(str(db), read_only=True) as con:
        n = con.sql("select count(*) from raw_web.events").fetchall()[0][0]
    return times, n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", default=None, help="folder of **/*.jsonl.gz (written if empty)")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument("--duckdb-config", action="append", default=[], metavar="KEY=VALUE",
                    help="global DuckDB setting for the dlt destination, e.g. "
                         "preserve_insertion_order=false (repeatable)")
    args = ap.parse_args(argv)
    duckdb_config = {}
    for kv in args.duckdb_config:
        key, _, value = kv.partition("=")
        duckdb_config[key] = {"true": True, "false": False}.get(value.lower(), value)
    configure_dlt()

    data = Path(args.data or tempfile.mkdtemp(prefix="web_bench_"))
    files = sorted(glob.glob(str(data / "**/*.jsonl.gz"), recursive=True))
    generated = False
    if not files:
        t = time.perf_counter()
        files = write_events(data, args.events)
        generated = True
        print(f"wrote {args.events:,} events in {len(files)} files "
              f"in {time.perf_counter() - t:.1f}s")
    ceiling_files = readable_by_read_json(files)
    size = sum(os.path.getsize(f) for f in files)
    print(f"{len(files)} files, {size / 2**20:.1f} MiB gzip, {os.cpu_count()} cpus")
    work = Path(tempfile.mkdtemp(prefix="web_bench_work_"))
    ceil_s, pipe_s, ceil_cpu, pipe_cpu = [], [], [], []
    try:
        # warm-up on a few events: imports (dlt's extract pulls in pandas) and first-use costs
        # are not throughput
        warm = work / "warm"
        write_events(warm, 100, partitions=1, files_per_partition=1)
        pipeline_run(str(warm), work / "warm_run", duckdb_config)
        ceiling(sorted(glob.glob(str(warm / "**/*.jsonl.gz"), recursive=True)), work)
        for i in range(args.repeat):
            cpu0 = cpu_seconds()
            c, n_c = ceiling(ceiling_files, work)
            cpu1 = cpu_seconds()
            times, n_p = pipeline_run(str(data), work, duckdb_config)
            cpu2 = cpu_seconds()
            ceil_s.append(c)
            pipe_s.append(times["total"])
            ceil_cpu.append(cpu1 - cpu0)
            pipe_cpu.append(cpu2 - cpu1)
            print(f"run {i + 1}: ceiling {c:.2f}s ({n_c:,} rows) | pipeline "
                  f"{times['total']:.2f}s ({n_p:,} rows; extract {times['extract']:.2f}, "
                  f"normalize {times['normalize']:.2f}, load {times['load']:.2f}) | "
                  f"ratio {c / times['total']:.2f} | cpu s: ceiling {cpu1 - cpu0:.1f}, "
                  f"pipeline {cpu2 - cpu1:.1f}")
        n = n_c
        best_c, best_p = min(ceil_s), min(pipe_s)
        med_c, med_p = statistics.median(ceil_s), statistics.median(pipe_s)
        print(f"ceiling  best {n / best_c:,.0f} rows/s, median {n / med_c:,.0f} rows/s")
        print(f"pipeline best {n_p / best_p:,.0f} rows/s, median {n_p / med_p:,.0f} rows/s")
        print(f"ratio    best {best_c / best_p:.2f}, median {med_c / med_p:.2f}, "
              f"per-run {[round(c / p, 2) for c, p in zip(ceil_s, pipe_s, strict=True)]}")
        print(f"cpu      ceiling median {statistics.median(ceil_cpu):.1f}s, pipeline median "
              f"{statistics.median(pipe_cpu):.1f}s, ratio "
              f"{statistics.median(ceil_cpu) / statistics.median(pipe_cpu):.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if generated and not args.keep and not args.data:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
