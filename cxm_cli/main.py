"""`cxm`: the command line of the CX warehouse."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ingestion import paths

DEMO_MARKER = ".cxm-demo"
DEMO_TOKEN = "demo-token"


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
    from ingestion.demo.generator import generate
    from ingestion.demo.standin import StandInServer
    from ingestion.pipeline import ingest

    base = paths.data_dir(args.data_dir)
    _reset_demo_dir(base, args.force)
    total = 3
    t = _stage(1, total, f"generating a demo company (scale {args.scale}, seed {args.seed})")
    summary = generate(base, scale=args.scale, seed=args.seed)
    _done(t, f"{summary.people:,} people, {summary.rows.get('web.events', 0):,} web events")
    with StandInServer(base, token=DEMO_TOKEN) as server:
        t = _stage(2, total, f"serving the stand-in vendor APIs on {server.base_url}")
        _done(t)
        t = _stage(3, total, "ingesting crm, support, marketing and web with dlt")
        report = ingest(base, settings=demo_settings(server.base_url, base))
        _done(t)
    print()
    print(report.render())
    print()
    print(f"Warehouse: {paths.warehouse_path(base)}")
    print("  raw schemas: raw_crm, raw_support, raw_marketing, raw_web")
    print(f"Explore it: python3 -m uv run python -c \"import duckdb; "
          f"duckdb.connect('{paths.warehouse_path(base)}', read_only=True)"
          ".sql('select * from raw_crm.contacts limit 5').show()\"")
    return 0


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
    from ingestion.pipeline import SOURCES, ingest

    base = paths.data_dir(args.data_dir)
    report = ingest(base, sources=args.source or SOURCES, raise_on_error=False)
    print(report.render())
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxm", description="Customer-experience warehouse: dlt -> dbt/DuckDB -> Dagster.")
    parser.add_argument("--data-dir", default=None,
                        help="data directory (default $CXM_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)

    def scale_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--scale", default="S",
                       help="XS, S (10k people, ~1M events), M (x10), L (x100) or a factor")
        p.add_argument("--seed", type=int, default=42, help="random seed (deterministic)")

    p = sub.add_parser("demo", help="generate a company, serve its APIs, run the pipeline")
    scale_args(p)
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

    p = sub.add_parser("ingest", help="run the dlt sources (config from .dlt/ or env vars)")
    p.add_argument("--source", action="append", choices=["crm", "support", "marketing", "web"],
                   help="only this source (repeatable)")
    p.set_defaults(func=cmd_ingest)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
