"""In-memory DuckDB for the connectors' Arrow batches, and SQL quoting.

The loaders check, dedupe and reshape Arrow batches with SQL: `duckdb_connection()` gives a
fresh in-memory connection in UTC, `thread_connection()` one per thread, reused across
batches (registering a batch is cheap; opening a connection per batch is not).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import duckdb

_local = threading.local()


def duckdb_connection() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection in UTC, without a progress bar."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'").fetchall()
    con.execute("set enable_progress_bar = false").fetchall()
    return con


def thread_connection() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory connection (made on first use)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = _local.con = duckdb_connection()
    return con


def quote_ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """`value` as a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Iterable[str]) -> str:
    """A DuckDB list literal of strings: ['a', 'b']."""
    return "[" + ", ".join(quote_literal(v) for v in values) + "]"
