"""The ceiling's run on a copy of a company's warehouse, shared by the benchmark tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Ceiling:
    warehouse: Path  # the copy of the company's warehouse the ceiling read
    db: Path  # the ceiling's results

    def connect(self) -> duckdb.DuckDBPyConnection:
        """The ceiling's results, read-only, with the warehouse attached as `wh`."""
        con = duckdb.connect(str(self.db), read_only=True)
        con.execute(f"attach '{self.warehouse}' as wh (read_only)")
        return con
