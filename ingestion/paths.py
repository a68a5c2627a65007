"""Where data lives: one data directory, `CXM_DATA_DIR` (default `./data`)."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir(override: str | os.PathLike | None = None) -> Path:
    return Path(override or os.environ.get("CXM_DATA_DIR") or "data").resolve()


def warehouse_path(base: str | os.PathLike | None = None) -> Path:
    return data_dir(base) / "warehouse.duckdb"


def published_path(base: str | os.PathLike | None = None) -> Path:
    return data_dir(base) / "published.duckdb"


def landing_dir(base: str | os.PathLike | None = None) -> Path:
    return data_dir(base) / "landing"


def pipelines_dir(base: str | os.PathLike | None = None) -> Path:
    """dlt pipeline state (cursors, pending packages) lives beside the warehouse it feeds."""
    return data_dir(base) / "pipelines"
