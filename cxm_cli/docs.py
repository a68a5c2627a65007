"""`cxm docs`: build the dbt docs site (`dbt docs generate`) into `$CXM_DATA_DIR/dbt_docs` and
serve it on 127.0.0.1 only. docs/metrics.md is served beside it (the site's overview links
to it)."""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ingestion import paths
from orchestration.project import DBT_PROJECT_DIR

HOST = "127.0.0.1"
METRICS_MD = DBT_PROJECT_DIR.parent / "docs" / "metrics.md"


def docs_dir(base: str | os.PathLike | None = None) -> Path:
    return paths.data_dir(base) / "dbt_docs"


def generate(base: str | os.PathLike | None = None) -> Path:
    """`dbt docs generate` into docs_dir(base): index.html, manifest.json, catalog.json (the
    catalog reads the warehouse for column types; without a warehouse it is left empty rather
    than creating one). Raises SystemExit naming dbt's error."""
    from dbt.cli.main import dbtRunner

    base = paths.data_dir(base)
    target = docs_dir(base)
    args = ["docs", "generate", "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target),
            "--log-path", str(target / "logs"), "--quiet"]
    if not paths.warehouse_path(base).exists():
        args.append("--empty-catalog")
    previous = os.environ.get("CXM_DATA_DIR")
    os.environ["CXM_DATA_DIR"] = str(base)
    try:
        result = dbtRunner().invoke(args)
    finally:
        if previous is None:
            os.environ.pop("CXM_DATA_DIR", None)
        else:
            os.environ["CXM_DATA_DIR"] = previous
    if not result.success:
        raise SystemExit(f"cxm docs: dbt docs generate failed: {result.exception!r} "
                         f"(log: {target / 'logs' / 'dbt.log'})")
    shutil.copyfile(METRICS_MD, target / "metrics.md")
    return target


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map,
                      ".md": "text/plain; charset=utf-8", ".json": "application/json"}

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def server(folder: Path, port: int = 8080) -> ThreadingHTTPServer:
    """An HTTP server of `folder` bound to 127.0.0.1 (port 0: any free port); not started."""
    return ThreadingHTTPServer((HOST, port), functools.partial(_Handler, directory=str(folder)))


def serve_in_background(folder: Path, port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start `server` in a daemon thread; returns it (call `.shutdown()`) and its URL."""
    httpd = server(folder, port)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://{HOST}:{httpd.server_address[1]}/"
