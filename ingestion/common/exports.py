"""Export-folder transport: read one entity's flat records from a folder of exports.

An export folder holds, per entity (raw table), one file `<table>.parquet|.csv|.jsonl|.json`
(each optionally `.gz`) or a folder `<table>/` of such files (read recursively; several
formats may be mixed). The folder may be local or any fsspec URL.

Batches come back as Arrow tables in the files' own columns. Parquet keeps its types; CSV and
JSON(L) are read with every column as a string (nested JSON values as JSON text), so that
`ingestion.common.validate` casts and quarantines them the same way as API records.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Iterator
from pathlib import Path

import duckdb
import fsspec
import pyarrow as pa
from fsspec import AbstractFileSystem

from ingestion.common.duck import sql_list
from ingestion.common.files import (
    CSV_OPTIONS,
    duckdb_connection,
    is_local,
    local_path,
)

log = logging.getLogger(__name__)

# extension -> reader kind
FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
}


def _kind(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return FORMATS.get(posixpath.splitext(lower)[1])


def _export_name(name: str, table: str) -> bool:
    """`<table>.<ext>` or `<table>.<ext>.gz` for a known extension."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    stem, ext = posixpath.splitext(lower)
    return stem == table.lower() and ext in FORMATS


def find_export(exports_path: str, table: str
                ) -> tuple[dict[str, list[str]], AbstractFileSystem | None]:
    """Files holding `table` under `exports_path`, grouped by reader kind, as paths DuckDB
    reads (local paths or URLs), plus the fsspec filesystem for non-local folders."""
    if is_local(exports_path):
        root = Path(local_path(exports_path))
        files = [str(p) for p in sorted(root.glob(f"{table}.*"))
                 if p.is_file() and _export_name(p.name, table)]
        folder = root / table
        if folder.is_dir():
            files += [str(p) for p in sorted(folder.rglob("*")) if p.is_file()]
        fs = None
    else:
        fs, root_path = fsspec.core.url_to_fs(exports_path)
        root_path = root_path.rstrip("/")
        found = [p for p in sorted(fs.glob(f"{root_path}/{table}.*"))
                 if _export_name(posixpath.basename(p), table)]
        folder = f"{root_path}/{table}"
        if fs.isdir(folder):
            found += sorted(fs.find(folder))
        files = [fs.unstrip_protocol(p) for p in found if fs.isfile(p)]
    groups: dict[str, list[str]] = {}
    for f in files:
        kind = _kind(posixpath.basename(f))
        if kind is not None:
            groups.setdefault(kind, []).append(f)
    return groups, fs


def _relation(con: duckdb.DuckDBPyConnection, kind: str, paths: list[str]
              ) -> duckdb.DuckDBPyRelation:
    files = sql_list(paths)
    if kind == "parquet":
        return con.sql(f"select * from read_parquet({files}, union_by_name=true)")
    if kind == "csv":
        return con.sql(f"select * from read_csv({files}, {CSV_OPTIONS})")
    # JSON / JSONL: top-level keys in order of appearance, every value as text
    keys = [r[0] for r in con.sql(
        f"describe select * from read_json({files}, format='auto', maximum_depth=1, "
        f"sample_size=-1, union_by_name=true, compression='auto')").fetchall()]
    columns = "{" + ", ".join("'" + k.replace("'", "''") + "': 'VARCHAR'" for k in keys) + "}"
    return con.sql(f"select * from read_json({files}, format='auto', columns={columns}, "
                   f"compression='auto')")


def read_export(exports_path: str, table: str, batch_rows: int = 100_000) -> Iterator[pa.Table]:
    """Yield `table`'s exported records from `exports_path` as Arrow tables of at most
    `batch_rows` rows. Yields nothing (and logs at debug) when the table has no export."""
    groups, fs = find_export(exports_path, table)
    if not groups:
        log.debug("exports: no export of %r under %s", table, exports_path)
        return
    con = duckdb_connection(fs)
    try:
        for kind, paths in groups.items():
            log.debug("exports: reading %s from %d %s file(s)", table, len(paths), kind)
            reader = _relation(con, kind, paths).to_arrow_reader(batch_rows)
            pending: list[pa.RecordBatch] = []
            n = 0
            for rb in reader:
                if not rb.num_rows:
                    continue
                pending.append(rb)
                n += rb.num_rows
                while n >= batch_rows:
                    chunk = pa.Table.from_batches(pending, schema=reader.schema)
                    yield chunk.slice(0, batch_rows)
                    rest = chunk.slice(batch_rows)
                    pending, n = rest.to_batches(), rest.num_rows
            if n:
                yield pa.Table.from_batches(pending, schema=reader.schema)
    finally:
        con.close()

