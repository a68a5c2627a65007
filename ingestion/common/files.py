"""Shared helpers for file-based sources: locations, listings, DuckDB readers, quarantine rows.

Files are listed with dlt's `filesystem` resource (any fsspec URL) and read with DuckDB:
local paths are handed to DuckDB directly (its own multi-threaded readers); for other URLs the
fsspec filesystem dlt built (with its credentials) is registered with the DuckDB connection,
so the same SQL reads `s3://`, `gs://`, `az://`, `memory://`, ... paths.
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import dlt
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.storages.fsspec_filesystem import FileItemDict
from dlt.sources import DltResource
from dlt.sources.filesystem import filesystem
from fsspec import AbstractFileSystem

from ingestion.common import duck
from ingestion.common.schema import TableSpec
from ingestion.common.validate import QUARANTINE_SCHEMA, Validated, validate

log = logging.getLogger(__name__)

# DuckDB read_csv options for "CSV with header" (RFC 4180 quoting), every column as VARCHAR.
# Quote, escape and skip are pinned: left to the sniffer, a malformed file can be read with
# leading rows silently skipped; pinned, it fails and is reported. The delimiter is sniffed.
CSV_OPTIONS = ("header=true, all_varchar=true, union_by_name=true, compression='auto', "
               "quote='\"', escape='\"', skip=0")

# characters DuckDB expands as a glob pattern in a path
_GLOB_CHARS = set("*?[")


def data_dir() -> str:
    """`$CXM_DATA_DIR`, default `./data`."""
    return os.environ.get("CXM_DATA_DIR") or "./data"


def landing_url(*parts: str) -> str:
    """Absolute local path under `$CXM_DATA_DIR/landing/`."""
    return str(Path(data_dir(), "landing", *parts).resolve())


def is_local(url: str) -> bool:
    scheme = urlparse(url).scheme
    # a one-letter scheme is a Windows drive
    return scheme in ("", "file") or len(scheme) == 1


def local_path(url: str) -> str:
    """Local filesystem path of a local path or `file://` URL."""
    if url.startswith("file://"):
        from dlt.common.storages.configuration import FilesystemConfiguration

        return FilesystemConfiguration.make_local_path(url)
    return url


def normalize_url(url: str) -> str:
    """Local paths become absolute (so `source_file` and origins are unambiguous); URLs stay."""
    if is_local(url):
        return str(Path(local_path(url)).resolve())
    return url.rstrip("/")


def join_url(base: str, *parts: str) -> str:
    if is_local(base):
        return str(Path(local_path(base), *parts))
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])


def duckdb_connection(fs: AbstractFileSystem | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB connection in UTC; `fs` (non-local fsspec) is registered."""
    con = duck.duckdb_connection()
    register_fs(con, fs)
    return con


def register_fs(con: duckdb.DuckDBPyConnection, fs: AbstractFileSystem | None) -> None:
    if fs is None or "file" in _protocols(fs):
        return
    if not any(p in con.list_filesystems() for p in _protocols(fs)):
        con.register_filesystem(fs)


def _protocols(fs: AbstractFileSystem) -> tuple[str, ...]:
    p = fs.protocol
    return (p,) if isinstance(p, str) else tuple(p)


def duckdb_path(item: FileItemDict) -> str:
    """The path DuckDB reads a listed file by: a local path, or the fsspec URL."""
    url = item["file_url"]
    if url.startswith("file://"):
        return item.local_file_path
    return url


def duckdb_safe(path: str) -> bool:
    """DuckDB would glob-expand a path with `*?[` in it; such files take the Python path."""
    return not (_GLOB_CHARS & set(path))


def file_listing(bucket_url: str, file_glob: str, name: str,
                 credentials: Any = None, files_per_page: int = 1000) -> DltResource:
    """dlt's `filesystem` listing of `bucket_url`/`file_glob`, incremental on the files'
    modification time, renamed to `name` so every listing keeps its own cursor state.

    `dlt.sources.incremental` keeps the highest `modification_date` seen plus the ids
    (`file_url`) of the files at exactly that time, so a second run yields no file, and a new
    file yields only itself, even when its mtime equals the last one."""
    kwargs: dict[str, Any] = {}
    if credentials is not None:
        kwargs["credentials"] = credentials
    return filesystem(
        bucket_url=bucket_url,
        file_glob=file_glob,
        files_per_page=files_per_page,
        incremental=dlt.sources.incremental("modification_date"),
        **kwargs,
    ).with_name(name)


T = TypeVar("T")
R = TypeVar("R")


def prefetched(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """`fn(item)` for each item in order, the next item's computed in one worker thread while
    the caller works on the current result: DuckDB's parse of the next batch of files
    overlaps the caller's dedupe and dlt's Parquet write of this one (both release the GIL
    for most of their work). At most two results are held at once. When the caller stops
    early, the pending call is cancelled or waited for before this returns, so the caller
    may then close what `fn` uses."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="prefetch")
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) > 1:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def batches(files: Sequence[FileItemDict], max_bytes: int,
            max_files: int = 256) -> Iterator[list[FileItemDict]]:
    """Group listed files into read batches of about `max_bytes` (as stored) each."""
    batch: list[FileItemDict] = []
    size = 0
    for f in files:
        n = int(f.get("size_in_bytes") or 0)
        if batch and (size + n > max_bytes or len(batch) >= max_files):
            yield batch
            batch, size = [], 0
        batch.append(f)
        size += n
    if batch:
        yield batch


def quarantine_rows(source: str, table_name: str, *, record_key: Sequence[str | None],
                    field: Sequence[str | None] | str, reason: Sequence[str] | str,
                    raw_record: Sequence[str | None], origin: Sequence[str] | str) -> pa.Table:
    """Quarantine rows built by a reader (not by `validate`), in `QUARANTINE_SCHEMA`."""
    n = len(record_key)

    def col(v: Any) -> pa.Array:
        return pa.array([v] * n if isinstance(v, str) or v is None else list(v), pa.string())

    return pa.table({
        "source": col(source),
        "table_name": col(table_name),
        "record_key": col(record_key),
        "field": col(field),
        "reason": col(reason),
        "raw_record": col(raw_record),
        "origin": col(origin),
        "quarantined_at": pa.array([datetime.now(UTC)] * n, pa.timestamp("us", tz="UTC")),
    }, schema=QUARANTINE_SCHEMA)


def unreadable_file(source: str, table_name: str, path: str, error: BaseException | str
                    ) -> pa.Table:
    """One quarantine row naming a file that could not be read; also logs a warning."""
    reason = f"unreadable file: {_short_error(error)}"
    log.warning("%s.%s: skipping %s (%s)", source, table_name, path, reason)
    return quarantine_rows(source, table_name, record_key=[path], field="file", reason=reason,
                           raw_record=[json.dumps({"file": path})], origin=path)


def _short_error(error: BaseException | str) -> str:
    text = str(error) if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return text.strip().splitlines()[0][:500] if text.strip() else repr(error)


def inert_columns(batch: pa.Table, spec: TableSpec) -> list[str]:
    """Columns `validate` passes through untouched, by its documented rules: declared `text` or
    `json`, arriving as strings, and not required (so neither a cast nor a presence check can
    fail). A test holds `validate_with_origin` equal to plain `validate` on tricky batches."""
    required = set(spec.required())
    out = []
    for c in spec.columns:
        if c.name in required or c.type not in ("text", "json") or c.name not in batch.schema.names:
            continue
        t = batch.schema.field(c.name).type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            out.append(c.name)
    return out


def validate_with_origin(batch: pa.Table, spec: TableSpec, source: str, origin_column: str,
                         drop_origin: bool = True,
                         keep: Callable[[pa.Table], pa.Table] | None = None) -> Validated:
    """`validate` for a batch that mixes several files, with the same results, cheaper.

    - Each quarantined row gets its own file as `origin`, read from its `origin_column`; the
      origin column is dropped from the good rows unless `drop_origin` is False (when it is a
      declared column, e.g. `source_file`).
    - Only the columns that can fail or need a cast go through `validate` (plus a row number);
      the inert ones (`inert_columns`: free text, JSON text) are put back from the batch
      afterwards, zero-copy when no row failed, and a quarantined row's `raw_record` is rebuilt
      from its whole input row. On wide text-heavy batches (web events: 27 columns, 6 of which
      are checked) this avoids serialising and copying every row of every text column.
    - `keep`, if given, filters the good rows (e.g. drops repeated ids) before the inert
      columns are put back, so the wide rows are copied at most once.
    """
    n = batch.num_rows
    inert = inert_columns(batch, spec) if n else []
    if origin_column not in spec.column_names and origin_column in batch.schema.names:
        inert.append(origin_column)  # an extra column: it passes through untouched too
    narrow = batch
    if inert:
        narrow = batch.drop_columns(inert).append_column(
            _ROW, pa.array(np.arange(n, dtype=np.int64)))
    v = validate(narrow, spec, source, origin="")
    good, q = v.good, v.quarantine
    if keep is not None:
        good = keep(good)
    if inert:
        rows = good[_ROW].to_numpy()
        same = len(rows) == n and bool((rows == np.arange(n)).all())
        kept = batch.select(inert) if same else batch.select(inert).take(pa.array(rows))
        for name in inert:
            i = good.schema.get_field_index(name)
            if i < 0:  # an extra column goes back at the end, as `validate` would put it
                good = good.append_column(batch.schema.field(name), kept[name])
                continue
            field = good.schema.field(i)
            good = good.set_column(i, field, kept[name].cast(field.type))
        good = good.drop_columns([_ROW])
        extras = [f.name for f in batch.schema if f.name not in spec.column_names]
        good = good.select([*spec.column_names, *extras])
    if q.num_rows:
        raws = [json.loads(r) if r else {} for r in q["raw_record"].to_pylist()]
        if inert:
            rows = batch.take(pa.array([r[_ROW] for r in raws], pa.int64()))
            q = q.set_column(q.schema.get_field_index("raw_record"), "raw_record",
                             _rows_as_json(rows))
            origins = rows[origin_column].to_pylist() if origin_column in rows.schema.names \
                else [None] * len(raws)
        else:
            origins = [r.get(origin_column) for r in raws]
        q = q.set_column(q.schema.get_field_index("origin"), "origin",
                         pa.array([str(o or "") for o in origins], pa.string()))
    if drop_origin and origin_column in good.column_names:
        good = good.drop_columns([origin_column])
    return Validated(good, q)


_ROW = "__validate_row"


def _rows_as_json(rows: pa.Table) -> pa.Array:
    """Each row as JSON text, the way `validate` writes `raw_record`."""
    con = duckdb.connect()
    try:
        con.register("__rows", rows)
        return con.sql("select cast(to_json(__r) as varchar) as j from __rows as __r"
                       ).to_arrow_table()["j"].combine_chunks().cast(pa.string())
    finally:
        con.close()


def concat_quarantine(tables: Iterable[pa.Table]) -> pa.Table:
    parts = [t for t in tables if t is not None and t.num_rows]
    if not parts:
        return QUARANTINE_SCHEMA.empty_table()
    return pa.concat_tables(parts).cast(QUARANTINE_SCHEMA)


def split_on(table: pa.Table, column: str) -> tuple[pa.Table, pa.Table]:
    """(rows where `column` is null, rows where it is not), `column` dropped from the first.
    Avoids copying when every row is null (the common case)."""
    mask = pc.is_valid(table[column])
    if not pc.any(mask).as_py():
        return table.drop_columns([column]), table.slice(0, 0)
    return table.filter(pc.invert(mask)).drop_columns([column]), table.filter(mask)


ReadMany = Callable[[Sequence[str]], pa.Table]
ReadOne = Callable[[FileItemDict, str], tuple[pa.Table, pa.Table]]

# errors that mean "this file cannot be read" (as opposed to a bug)
UNREADABLE_ERRORS: tuple[type[BaseException], ...] = (
    duckdb.Error, OSError, EOFError, zlib.error, ValueError)


def read_files(items: Sequence[FileItemDict], read_many: ReadMany, *, source: str,
               table_name: str, read_one: ReadOne | None = None
               ) -> tuple[list[pa.Table], list[pa.Table]]:
    """Read a batch of listed files with one `read_many(paths)` call (one DuckDB query).

    If that fails, the failing file is set aside (the one the error names, else found by
    halving the batch) and the rest is read again together, so a bad file costs a few extra
    queries, not one per file. A failing file goes to `read_one` (a slower, more forgiving
    reader) if given; if there is none, or it fails too, the file is reported as unreadable
    (a quarantine row naming it, and a warning) and the other files load.
    Returns (data tables, quarantine tables)."""
    data: list[pa.Table] = []
    quarantine: list[pa.Table] = []

    def fallback(item: FileItemDict, path: str, error: BaseException | str) -> None:
        if read_one is not None:
            try:
                table, bad = read_one(item, path)
                data.append(table)
                quarantine.append(bad)
                return
            except UNREADABLE_ERRORS as e:
                error = e
        quarantine.append(unreadable_file(source, table_name, path, error))

    def attempt(group: list[tuple[FileItemDict, str]]) -> None:
        try:
            data.append(read_many([p for _, p in group]))
            return
        except UNREADABLE_ERRORS as e:
            error = e
        if len(group) == 1:
            fallback(*group[0], error)
            return
        named = [g for g in group if g[1] in str(error)]
        log.info("%s.%s: a batch of %d files failed (%s); isolating the bad file",
                 source, table_name, len(group), _short_error(error))
        if len(named) == 1:
            fallback(*named[0], error)
            attempt([g for g in group if g is not named[0]])
        else:
            mid = len(group) // 2
            attempt(group[:mid])
            attempt(group[mid:])

    safe: list[tuple[FileItemDict, str]] = []
    for item in items:
        path = duckdb_path(item)
        if duckdb_safe(path):
            safe.append((item, path))
        else:
            fallback(item, path, "file name has glob characters (*?[)")
    if safe:
        attempt(safe)
    return data, quarantine
