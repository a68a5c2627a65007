"""Event writes to a Dagster instance kept in SQLite (`$DAGSTER_HOME`), at the cost of an
in-memory instance's.

Dagster's SQLite event log opens a new SQLAlchemy engine and connection for every event it
stores (one for the run's shard, one more for the index shard for asset and check events) and
closes it again. The databases are in WAL mode, where SQLite's default `synchronous=FULL`
fsyncs the WAL on every commit, and closing the last connection to a database checkpoints the
WAL into it (two more fsyncs) and deletes it. A `nightly` run writes ~1,600 events (one per
dbt model and data test, planned and evaluated): measured, more than half of the demo's job
time went to these fsyncs (docs/benchmarks.md, docs/decisions.md 2026-12-02).

`sqlite_event_writes(home)` changes neither Dagster nor what it stores: through SQLAlchemy's
public `connect` event, every connection opened to a WAL database under `home` uses
`synchronous=NORMAL` (SQLite's recommended setting for WAL: commits do not fsync, the WAL is
synced at each checkpoint; the database cannot be corrupted by a crash, a power cut can lose
the last transactions), and one reading connection per database file stays open while the
block runs, so the per-event connections never are the last one and do not checkpoint on
close. SQLite still checkpoints when the WAL reaches 1,000 pages, and once more when the
block ends and the kept connections close.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


class _Keeper:
    """SQLAlchemy `connect` listener: tunes connections to databases under `home` and keeps one
    connection per database file open."""

    def __init__(self, home: Path):
        self.home = home.resolve()
        self.kept: dict[str, sqlite3.Connection] = {}
        self.lock = threading.Lock()

    def _under_home(self, path: str) -> bool:
        return bool(path) and Path(path).resolve().is_relative_to(self.home)

    def __call__(self, dbapi_connection: object, _record: object) -> None:
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        path = next((row[2] for row in dbapi_connection.execute("PRAGMA database_list")
                     if row[1] == "main"), "")
        if not self._under_home(path):
            return
        mode = dbapi_connection.execute("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal":
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        with self.lock:
            kept = self.kept.get(path)
            if kept is None:
                kept = self.kept[path] = sqlite3.connect(path, check_same_thread=False)
            # a read attaches the kept connection to the WAL (when the database is in WAL
            # mode by now; Dagster switches a new shard to WAL after its first connect); it
            # then stays attached until closed
            kept.execute("select count(*) from sqlite_master").fetchone()

    def close(self) -> None:
        with self.lock:
            for connection in self.kept.values():
                connection.close()
            self.kept.clear()


@contextmanager
def sqlite_event_writes(home: str | Path) -> Iterator[None]:
    """Within the block, Dagster's writes to the SQLite databases under `home` skip the
    per-commit and per-close fsyncs (module docstring). Other databases are left alone."""
    keeper = _Keeper(Path(home))
    event.listen(Engine, "connect", keeper)
    try:
        yield
    finally:
        event.remove(Engine, "connect", keeper)
        keeper.close()
