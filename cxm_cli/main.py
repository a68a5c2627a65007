"""`cxm`: the command line of the CX warehouse."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ingestion import paths

DEMO_MARKER = ".cxm-demo"
DEMO_TOKEN = "demo-token"
# the demo's default company: XS takes ~1.5 min on 2 cores, S ~2 (docs/benchmarks.md)
DEMO_SCALE = "XS"
# exit status when another run holds the data directory's writer lock (EX_TEMPFAIL: a
# scheduler may simply try again later)
BUSY_EXIT = 75


def _stage(n: int, total: int, text: str) -> float:
    print(f"[{n}/{total}] {text} ...", flush=True)
    return time.perf_counter()


def _done(started: float, text: str = "") -> None:
    print(f"      done in {time.perf_counter() - started:.1f}s{(': ' + text) if text else ''}",
          flush=True)


def demo_settings(base_url: str, base: Path, token: str = DEMO_TOKEN) -> dict[str, dict]:
    """Connector settings for the demo: the stand-in APIs and the landing folders."""
    api = {"base_url": base_url, "access_token": token, "page_size": 1000}
    return {
        "crm": dict(api),
        "support": dict(api),
        "marketing": {**api, "files_url": str(paths.landing_dir(base) / "marketing")},
        "web": {"bucket_url": str(paths.landing_dir(base) / "web" / "events")},
    }


def demo_env(base_url: str, base: Path, token: str = DEMO_TOKEN) -> dict[str, str]:
    """`demo_settings` as the environment variables a deployment would set (dlt reads
    `SOURCES__<SOURCE>__<OPTION>`), so the Dagster job reads the same config a real user
    writes; plus `CXM_DATA_DIR`."""
    env = {"CXM_DATA_DIR": str(base)}
    for source, options in demo_settings(base_url, base, token).items():
        for option, value in options.items():
            env[f"SOURCES__{source.upper()}__{option.upper()}"] = str(value)
    return env


def _reset_demo_dir(base: Path, force: bool) -> None:
    """Start the demo from an empty data dir; never wipe data that a demo did not make."""
    if not base.exists() or not any(base.iterdir()):
        base.mkdir(parents=True, exist_ok=True)
    elif (base / DEMO_MARKER).exists() or force:
        for child in base.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    else:
        raise SystemExit(
            f"cxm demo: {base} holds data that a demo did not create; "
            "choose another --data-dir (or CXM_DATA_DIR), or pass --force to wipe it")
    (base / DEMO_MARKER).write_text("created by cxm demo; `cxm demo` may wipe this folder\n")


def cmd_demo(args: argparse.Namespace) -> int:
    import os

    from ingestion.demo.generator import generate
    from ingestion.demo.standin import StandInServer

    base = paths.data_dir(args.data_dir)
    _reset_demo_dir(base, args.force)
    os.environ["CXM_DATA_DIR"] = str(base)
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")  # dlt: the summary tells the story
    total = 4
    t = _stage(1, total, f"generating a demo company (scale {args.scale}, seed {args.seed})")
    summary = generate(base, scale=args.scale, seed=args.seed)
    _done(t, f"{summary.people:,} people, {summary.rows.get('web.events', 0):,} web events")
    t = _stage(2, total, "loading the Dagster definitions (dbt parse when the models changed)")
    from orchestration.run import dagster_home, run_job, summarize
    _done(t)
    with StandInServer(base, token=DEMO_TOKEN) as server:
        t = _stage(3, total, f"serving the stand-in vendor APIs on {server.base_url}")
        # the connectors read their settings from the environment, as in a deployment
        os.environ.update(demo_env(server.base_url, base))
        _done(t)
        t = _stage(4, total, "running the Dagster job `nightly` (dlt -> dbt build + tests "
                             "-> publish), the same job the schedule runs")
        log = base / "logs" / "demo-run.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out, contextlib.redirect_stdout(out):  # dbt's chatter
            result = run_job("nightly", log_level="ERROR")
        _done(t, f"dbt log: {log}")
    run = summarize(result)
    home = dagster_home(base)
    print()
    print(run.render())
    if run.success:
        from cxm_cli.summary import published_personas

        print(published_personas(paths.published_path(base)))
    print()
    print(f"Warehouse (pipeline writes): {paths.warehouse_path(base)}")
    print(f"Published (BI reads):        {paths.published_path(base)}")
    print(f"  open it read-only: python3 -m uv run python -c \"import duckdb; "
          f"duckdb.connect('{paths.published_path(base)}', read_only=True)"
          ".sql('show all tables').show()\"")
    from report.build import report_path

    if report_path(base).exists():
        print(f"CX report (charts, offline): {report_path(base)}")
    print(f"Dagster UI with this run:   DAGSTER_HOME={home} CXM_DATA_DIR={base} "
          "python3 -m uv run dagster dev -h 127.0.0.1")
    return 0 if run.success else 1


def cmd_parse(args: argparse.Namespace) -> int:
    from orchestration.project import parse

    print(f"dbt manifest: {parse()}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from report.build import build_report

    result = build_report(args.data_dir)
    print(f"CX report ({len(result.figures)} charts from {paths.published_path(args.data_dir)}):"
          f" {result.path}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from cxm_cli import docs

    folder = docs.generate(args.data_dir)
    print(f"dbt docs site: {folder}")
    if args.no_serve:
        return 0
    httpd = docs.server(folder, args.port)
    print(f"serving on http://{docs.HOST}:{httpd.server_address[1]}/ (Ctrl-C stops)",
          flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import os

    from ingestion.lock import WarehouseBusy
    from orchestration.run import run_job, summarize

    os.environ["CXM_DATA_DIR"] = str(paths.data_dir(args.data_dir))
    try:
        run = summarize(run_job(args.job, log_level="INFO", wait=args.wait))
    except WarehouseBusy as exc:
        print(f"cxm run: {exc}", file=sys.stderr)
        return BUSY_EXIT
    print(run.render())
    return 0 if run.success else 1


def cmd_generate(args: argparse.Namespace) -> int:
    from ingestion.demo.generator import generate

    base = paths.data_dir(args.data_dir)
    summary = generate(base, scale=args.scale, seed=args.seed, end_date=args.end_date,
                       extend_days=args.extend_days)
    print(f"generated {summary.people:,} people into {base}")
    for table, rows in sorted(summary.rows.items()):
        print(f"  {table:<40}{rows:>12,}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ingestion.demo.standin import StandInServer

    base = paths.data_dir(args.data_dir)
    with StandInServer(base, token=args.token, port=args.port) as server:
        print(f"stand-in vendor APIs on {server.base_url} (token {args.token!r}); Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingestion.lock import WarehouseBusy, writer_lock
    from ingestion.pipeline import SOURCES, ingest

    base = paths.data_dir(args.data_dir)
    try:
        with writer_lock(base, wait=args.wait, what="cxm ingest"):
            report = ingest(base, sources=args.source or SOURCES, raise_on_error=False)
    except WarehouseBusy as exc:
        print(f"cxm ingest: {exc}", file=sys.stderr)
        return BUSY_EXIT
    print(report.render())
    return 0 if report.ok else 1


def cmd_erase(args: argparse.Namespace) -> int:
    import os

    from ingestion.lock import WarehouseBusy, writer_lock
    from orchestration.erase import UnknownPerson, erase

    base = paths.data_dir(args.data_dir)
    os.environ["CXM_DATA_DIR"] = str(base)
    try:
        with writer_lock(base, what="cxm erase"):  # released before the rebuild run takes it
            report = erase(base, email=args.email, customer_id=args.customer_id,
                           dry_run=args.dry_run)
    except (UnknownPerson, WarehouseBusy) as e:
        print(f"cxm erase: {e}", file=sys.stderr)
        return 2
    print(report.render())
    if args.dry_run:
        return 0
    from orchestration.run import run_job, summarize

    print("rebuilding the derived tables and published.duckdb (Dagster job `rebuild`) ...",
          flush=True)
    with contextlib.redirect_stdout(sys.stderr):  # dbt's chatter
        run = summarize(run_job("rebuild", log_level="ERROR"))
    print(run.render())
    if not run.success:
        print("cxm erase: the rebuild failed: the person is gone from raw, history and landing, "
              "but the published marts still hold them until `cxm run --job rebuild` succeeds",
              file=sys.stderr)
        return 1
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks.e2e import main as bench_main

    return bench_main(args.bench_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxm", description="Customer-experience warehouse: dlt -> dbt/DuckDB -> Dagster.")
    parser.add_argument("--data-dir", default=None,
                        help="data directory (default $CXM_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    def scale_args(p: argparse.ArgumentParser, default: str = "S") -> None:
        p.add_argument("--scale", default=default,
                       help="XS (1k people, ~100k events), S (10k people, ~1M events), "
                            f"M (x10), L (x100) or a factor; default {default}")
        p.add_argument("--seed", type=int, default=42, help="random seed (deterministic)")

    def wait_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                       help="when another run is writing the data dir, wait up to this long "
                            f"for it (default 0: refuse at once, exit status {BUSY_EXIT})")

    p = sub.add_parser("demo", help="generate a company, serve its APIs, run the pipeline")
    scale_args(p, DEMO_SCALE)
    p.add_argument("--force", action="store_true", help="wipe a non-demo data dir")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("generate", help="generate (or extend) the demo company only")
    scale_args(p)
    p.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 11, 1))
    p.add_argument("--extend-days", type=int, default=0,
                   help="the same company, N days later (for incremental runs)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("serve", help="serve the generated company as stand-in vendor APIs")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--token", default=DEMO_TOKEN)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="run a Dagster job in this process (default: nightly)")
    p.add_argument("--job", default="nightly",
                   choices=["nightly", "web_incremental", "rebuild", "ingest"])
    wait_arg(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="build the CX report (HTML charts) from published.duckdb")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("docs", help="dbt docs generate, then serve the site on 127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--no-serve", action="store_true", help="only generate the site")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("parse", help="dbt parse: write the manifest the Dagster assets load")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("bench", add_help=False,
                       help="end-to-end benchmark at scales (`cxm bench --help`)")
    p.add_argument("bench_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("erase", help="right to erasure: remove a person from every layer")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="any email address of the person")
    who.add_argument("--customer-id", help="the person's customer_id (a retired one resolves)")
    p.add_argument("--dry-run", action="store_true",
                   help="only count what would be removed; change nothing")
    p.add_argument("--data-dir", default=argparse.SUPPRESS,
                   help="data directory (default $CXM_DATA_DIR or ./data)")
    p.set_defaults(func=cmd_erase)

    p = sub.add_parser("ingest", help="run the dlt sources (config from .dlt/ or env vars)")
    p.add_argument("--source", action="append", choices=["crm", "support", "marketing", "web"],
                   help="only this source (repeatable)")
    wait_arg(p)
    p.set_defaults(func=cmd_ingest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:  # its own parser: options go to benchmarks.e2e as they are
        return cmd_bench(argparse.Namespace(bench_args=argv[1:]))
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
