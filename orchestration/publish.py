"""Write-audit-publish: BI reads `published.duckdb`, a copy of the public mart schemas that is
swapped in atomically after a green run.

The job writes `warehouse.duckdb` (dlt + dbt), the dbt tests run as blocking asset checks, and
only then the `published` asset copies the public schemas (core, customer, journey,
lifecycle, cx — whichever exist) into `published.duckdb.tmp-<run id>`, refuses to publish
unmasked PII, fsyncs and `os.replace`s it over `published.duckdb`. A reader sees the old file
or the new one, never a mix; a BI process holding the old file open keeps reading the old
inode (POSIX) and never blocks the writer.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion import paths
from ingestion.common.faultpoint import fault_point

PUBLIC_SCHEMAS: tuple[str, ...] = ("core", "customer", "journey", "lifecycle", "cx")

# Columns that would carry personal data in clear text; published values must be hashed or
# masked (DESIGN.md, security). Checked on values, so `email_hash` or a masked `email`
# (`j***@example.com`) pass and a clear address fails.
_PII_COLUMN = re.compile(
    r"(^|_)(e_?mail|phone|phone_number|first_?name|last_?name|full_?name|person_name)($|_)")
_CLEAR_VALUE_SQL = {
    "email": r"regexp_matches(v, '^[^@*\s]+@[^@*\s]+\.[A-Za-z]{2,}$')",
    "phone": r"regexp_matches(v, '^[+(]?[0-9][0-9 ().-]{6,}$')",
    "name": r"regexp_matches(v, '^[A-Za-z][A-Za-z '' -]+$') "
            r"and not regexp_matches(v, '^[0-9a-f]{16,}$')",
}


class PublishError(RuntimeError):
    pass


@dataclass
class PublishReport:
    path: Path
    schemas: dict[str, list[str]] = field(default_factory=dict)  # schema -> tables
    rows: dict[str, int] = field(default_factory=dict)  # schema.table -> rows
    seconds: float = 0.0

    @property
    def tables(self) -> int:
        return sum(len(t) for t in self.schemas.values())


def pii_kind(column: str) -> str | None:
    m = _PII_COLUMN.search(column.lower())
    if not m:
        return None
    word = m.group(2)
    if "mail" in word:
        return "email"
    if "phone" in word:
        return "phone"
    return "name"


def clear_pii(con: duckdb.DuckDBPyConnection, catalog: str,
              schemas: Iterable[str]) -> list[str]:
    """`schema.table.column (n rows)` for every text column that looks like personal data and
    holds values in clear text."""
    found = []
    cols = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = ? and table_schema in (select unnest(?)) "
        "and data_type in ('VARCHAR', 'TEXT')", [catalog, list(schemas)]).fetchall()
    for schema, table, column in cols:
        kind = pii_kind(column)
        if kind is None:
            continue
        n = con.execute(
            f'select count(*) from (select cast("{column}" as varchar) as v '
            f'from "{catalog}"."{schema}"."{table}") where v is not null and '
            f'{_CLEAR_VALUE_SQL[kind]}').fetchone()[0]
        if n:
            found.append(f"{schema}.{table}.{column} ({n:,} rows)")
    return found


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(base: str | Path | None = None, run_id: str = "manual",
            schemas: Iterable[str] = PUBLIC_SCHEMAS, allow_pii: bool | None = None,
            only: Iterable[str] | None = None) -> PublishReport:
    """Copy the public schemas of warehouse.duckdb into a new file and atomically replace
    published.duckdb with it. Raises (and leaves published.duckdb untouched) on any error.

    `only` (`schema.table` names): the run rebuilt just these, so the new file starts as a
    copy of the current published.duckdb and only they are copied again (plus tables added
    or dropped since); the swap is the same atomic replace. Without a published file yet,
    or with `only=None`, everything is copied."""
    started = time.perf_counter()
    if allow_pii is None:
        allow_pii = os.environ.get("CXM_PUBLISH_PII", "").lower() in ("1", "true", "yes")
    warehouse = paths.warehouse_path(base)
    target = paths.published_path(base)
    tmp = target.with_name(f"{target.name}.tmp-{run_id}")
    # one writer at a time (pool duckdb_writer): any other temp file is a crashed run's
    for leftover in target.parent.glob(f"{target.name}.tmp-*"):
        leftover.unlink(missing_ok=True)
    refresh = set(only) if only is not None and target.exists() else None
    if refresh is not None:
        shutil.copyfile(target, tmp)
    report = PublishReport(target)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        catalog = con.execute("select current_database()").fetchone()[0]
        kept = _tables(con, catalog)
        present = {r[0] for r in con.execute(
            "select schema_name from information_schema.schemata where catalog_name = 'wh'"
        ).fetchall()}
        wanted = [s for s in schemas if s in present]
        copied: list[str] = []
        for schema in wanted:
            con.execute(f'create schema if not exists "{schema}"')
            relations = [r[0] for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'wh' and table_schema = ? order by table_name",
                [schema]).fetchall()]
            for name in relations:
                rel = f"{schema}.{name}"
                if refresh is None or rel in refresh or rel not in kept:
                    # views become tables: the published file must stand on its own
                    con.execute(f'create or replace table "{schema}"."{name}" as '
                                f'select * from wh."{schema}"."{name}"')
                    copied.append(schema)
                report.rows[rel] = con.execute(
                    f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            report.schemas[schema] = relations
        for rel in sorted(kept - set(report.rows)):  # gone from the warehouse
            schema, name = rel.split(".", 1)
            con.execute(f'drop table "{schema}"."{name}"')
        con.execute("detach wh")
        if not allow_pii:
            leaks = clear_pii(con, catalog, sorted(set(copied)))
            if leaks:
                raise PublishError(
                    "refusing to publish personal data in clear text (hash or mask it in the "
                    "mart, or set CXM_PUBLISH_PII=true): " + ", ".join(leaks))
        con.execute("checkpoint")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    _fsync(tmp)
    fault_point("publish")  # test hook (tests/faults), off by default
    os.replace(tmp, target)  # atomic on POSIX: readers see the old or the new file
    _fsync(target.parent)
    report.seconds = time.perf_counter() - started
    return report


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    """`schema.table` of the tables already in the file being written (a copy of the last
    published file, or nothing)."""
    return {f"{s}.{t}" for s, t in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ?", [catalog]).fetchall()}
