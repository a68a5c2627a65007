"""`python -m ingestion.demo.standin --data-dir DIR [--port N] [--token T]`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys

from ingestion.demo.standin.server import StandInServer


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ingestion.demo.standin",
        description="Serve the demo vendor store as stand-in HubSpot / Zendesk / email APIs "
                    "on 127.0.0.1 until Ctrl-C.")
    p.add_argument("--data-dir", default=os.environ.get("CXM_DATA_DIR", "data"),
                   help="CXM data directory holding demo/vendor (default: $CXM_DATA_DIR or "
                        "./data)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--token", default="demo-token", help="bearer token clients must send")
    p.add_argument("--rate-limit-share", type=float, default=0.0,
                   help="share of requests answered 429")
    p.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds on a 429")
    p.add_argument("--error-share", type=float, default=0.0,
                   help="share of requests answered 5xx")
    p.add_argument("--page-cap", type=int, default=10_000,
                   help="HubSpot search paging cap (after >= cap -> 400)")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault sequence")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        server = StandInServer(args.data_dir, token=args.token, port=args.port,
                               rate_limit_share=args.rate_limit_share,
                               retry_after=args.retry_after, error_share=args.error_share,
                               page_cap=args.page_cap, seed=args.seed)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server.start()
    print(server.base_url, flush=True)
    print(f"serving {server.store.vdir} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
