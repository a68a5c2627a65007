"""Web source: Segment-style events from date-partitioned gzip JSONL files (docs/sources.md).

`{bucket}/dt=YYYY-MM-DD/part-NNNN.jsonl.gz`, one JSON object per line, lands in the raw table
`events` (key `message_id`) flattened to the contract's fixed columns; bad lines and unreadable
files land in `_quarantine`.

How it works, and why:

- **Listing / incremental.** dlt's `filesystem` resource lists the bucket (any fsspec URL) with
  `dlt.sources.incremental("modification_date")`; the cursor lives in the state of the listing
  resource `events_files` (with the ids of the files at the cursor, so a file with the same
  mtime as the last one is still read once). A run with no new files reads no file; a new
  partition reads only its files. Event time plays no part, so late events (old `timestamp`,
  new partition) load. A file rewritten in place (new mtime) is read again; the merge dedupes.
- **Parsing** is vectorised in DuckDB, several files (`batch_bytes` of gzip) per query. Fast
  path: DuckDB's `read_json` with the contract's fields declared (nested VARCHAR structs, no
  inference, so a number or object arrives as its JSON text and `validate` casts it) and
  `properties` declared JSON: kept whole as text so new keys flow through, its five contract
  fields picked out with one `json_extract_string(properties, [paths])`. This reader is strict:
  any line that is not a JSON object of the expected shape fails the query, and then
- **the tolerant path** takes over, file by file: the file's lines are read as one VARCHAR
  column (`read_csv` with a 4-byte control-character delimiter that cannot occur in valid JSON,
  no quoting), each line parsed once with `try(json_extract_string(line, [25 paths]))`. Lines
  that are not JSON objects become quarantine rows (field `line`, the raw line, origin = the
  file); the others flatten exactly as on the fast path (a test holds the two paths equal).
  If DuckDB cannot read the file as text, it is decompressed in Python and decoded line by
  line (a non-UTF-8 line is quarantined alone). A file that cannot be decompressed at all
  (corrupt or truncated gzip) is skipped and reported by name: a `_quarantine` row
  (record_key = the file, field `file`, reason = the error) plus a warning; the other files
  load. Empty (0-byte) files are skipped.
- **Validation** against the EVENTS spec happens in the same query as the parse
  (`ingestion.common.validate.checked_sql` wrapped around the flattening SELECT, so the events
  are materialised once; the tolerant path runs the same SQL over its rows): a missing
  messageId, an unparsable timestamp or a non-numeric revenue sends the row to `_quarantine`
  with its reason; each such row's origin is its file.
- **Dedupe / merge strategy: `delete-insert`, staging declared deduplicated.** Of dlt's
  strategies only `delete-insert` dedupes *within* one load (`upsert` and `insert-only` run a
  `MERGE ... USING staging` as is: on DuckDB an id twice in one load is inserted twice by
  `insert-only`, and `upsert` fails with "cannot affect the same target row more than once").
  But its dedupe is a `ROW_NUMBER() OVER (PARTITION BY message_id)` window over every staged
  row, which on DuckDB costs several times the insert itself (measured at 1M events: 16 s
  against 2.2 s for the plain `INSERT ... SELECT`). So the reader drops
  repeated ids itself (`ingestion.web.seen.SeenIds`: the run's ids, exact, linear in the run's
  size) and the hints say `{"strategy": "delete-insert", "deduplicated": True}`: the load is
  then `DELETE FROM events WHERE EXISTS (staging row with the same message_id)` (a hash
  semi-join: cheap, and nearly empty for new partitions) plus a plain `INSERT ... SELECT`.
  That stays proportional to the new rows at 10-100M rows in the table, with no index to
  maintain. A re-delivery in a later run replaces the earlier copy (identical content).
- **First load: `append`.** When the `events` table is empty or missing (`first_load`, which
  `ingestion.pipeline.ingest_source` sets from the destination's row count), there is nothing
  to merge with and the run's ids are already unique, so the load appends: one `INSERT` from
  the load files instead of staging table + delete + insert (a backfill's load is ~2x faster).
- Only Arrow tables are yielded (no per-row Python objects on the normal path).
- **Prefetch.** The next batch of files is parsed in a worker thread
  (`ingestion.common.files.prefetched`) while this one is deduplicated and written to dlt's
  Parquet load file, so DuckDB's parse overlaps the Python side instead of alternating.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import duckdb
import pyarrow as pa
from dlt.common.storages.exceptions import CurrentLoadPackageStateNotAvailable
from dlt.common.storages.fsspec_filesystem import FileItemDict
from dlt.sources import DltResource

from ingestion.common.duck import quote_ident as _q
from ingestion.common.duck import sql_list
from ingestion.common.emit import emit
from ingestion.common.exports import read_export
from ingestion.common.files import (
    batches,
    concat_quarantine,
    duckdb_connection,
    duckdb_safe,
    file_listing,
    landing_url,
    normalize_url,
    prefetched,
    quarantine_rows,
    read_files,
    register_fs,
    split_on,
)
from ingestion.common.validate import (
    QUARANTINE_SCHEMA,
    Validated,
    check_table,
    checked_sql,
    split_checked,
    validate,
)
from ingestion.web.schema import EVENTS
from ingestion.web.seen import SeenIds

log = logging.getLogger(__name__)

SOURCE = "web"
# merge on message_id; staging is deduplicated by the reader (see SeenIds)
WRITE_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert", "deduplicated": True}
# an empty table has nothing to merge with; the reader's ids are unique within the run
FIRST_LOAD_DISPOSITION = "append"
DEFAULT_FILE_GLOB = "**/*.jsonl.gz"
# compressed bytes per DuckDB query (~250k events of ~600 bytes at ~20x gzip ratio)
DEFAULT_BATCH_BYTES = 8 * 2**20
# a line longer than this makes the file unreadable for DuckDB; it then takes the Python path
MAX_LINE_BYTES = 64 * 2**20
# raw control characters cannot occur in valid JSON text, so this never splits a valid line
_DELIM = "\x01\x02\x03\x04"

# contract column -> JSON path in the Segment event
FIELDS: dict[str, str] = {
    "message_id": "$.messageId",
    "type": "$.type",
    "event": "$.event",
    "anonymous_id": "$.anonymousId",
    "user_id": "$.userId",
    "timestamp": "$.timestamp",
    "sent_at": "$.sentAt",
    "received_at": "$.receivedAt",
    "page_path": "$.context.page.path",
    "page_url": "$.context.page.url",
    "page_referrer": "$.context.page.referrer",
    "page_title": "$.context.page.title",
    "utm_source": "$.context.campaign.source",
    "utm_medium": "$.context.campaign.medium",
    "utm_campaign": "$.context.campaign.name",
    "utm_term": "$.context.campaign.term",
    "utm_content": "$.context.campaign.content",
    "user_agent": "$.context.userAgent",
    "device_type": "$.context.device.type",
    "traits_email": "$.traits.email",
    "product_id": "$.properties.product_id",
    "order_id": "$.properties.order_id",
    "experiment_id": "$.properties.experiment_id",
    "variant": "$.properties.variant",
    "revenue": "$.properties.revenue",
    "properties": "$.properties",
}


def _json_columns() -> tuple[str, str, str]:
    """(`columns=` struct for `read_json`, select list flattening it to the contract, the
    `properties` paths the select list reads from `__p`).

    Top-level and `context`/`traits` fields are declared as (nested) VARCHAR, so a number or
    object arrives as its JSON text and `validate` casts it; `properties` is declared JSON (kept
    whole) and its fields are picked from it with one `json_extract_string` call."""
    tree: dict = {}
    select: list[str] = []
    prop_paths: list[str] = []
    for name, path in FIELDS.items():
        parts = path[2:].split(".")
        if parts[0] == "properties" and len(parts) > 1:
            prop_paths.append("$." + ".".join(parts[1:]))
            select.append(f"__p[{len(prop_paths)}] as {_q(name)}")
            continue
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(parts[-1], "JSON" if path == "$.properties" else "VARCHAR")
        col = ".".join(_q(p) for p in parts)
        # JSON text as plain VARCHAR, as the tolerant path's json_extract_string gives it
        select.append((f"cast({col} as varchar)" if path == "$.properties" else col)
                      + f" as {_q(name)}")

    def duck_type(node: dict | str) -> str:
        if isinstance(node, str):
            return node
        return "STRUCT(" + ", ".join(f"{_q(k)} {duck_type(v)}" for k, v in node.items()) + ")"

    columns = "{" + ", ".join(f"'{k}': '{duck_type(v)}'" for k, v in tree.items()) + "}"
    return columns, ", ".join(select), sql_list(prop_paths)


_JSON_COLUMNS, _JSON_SELECT, _PROP_PATHS = _json_columns()


def _fast_sql(paths: Sequence[str]) -> str:
    """Fast path: flatten `paths` with DuckDB's JSON reader and a declared schema (no
    inference), several files in one query."""
    return f"""
        select {_JSON_SELECT}, filename as source_file
        from (
            select *, json_extract_string(properties, {_PROP_PATHS}) as __p
            from read_json({sql_list(paths)}, format='newline_delimited',
                           columns={_JSON_COLUMNS}, filename=true, compression='auto',
                           maximum_object_size={MAX_LINE_BYTES})
        )
    """


# the flattened columns as both readers produce them: text (numbers and objects as JSON text)
_FLAT_SCHEMA = pa.schema([(name, pa.string()) for name in FIELDS] + [("source_file", pa.string())])


def flatten_files_duckdb(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> pa.Table:
    """The fast path's flattened rows, unvalidated (what `read_file_lines` gives per file)."""
    return con.sql(_fast_sql(paths)).to_arrow_table()


def read_files_duckdb(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> pa.Table:
    """Fast path: read, flatten, cast and check `paths` in one DuckDB query (`checked_sql`
    over `_fast_sql`), so the events are materialised once. Raises on anything unexpected
    (a line that is not a JSON object, a field of the wrong shape, a corrupt file); the
    caller then retries per file and falls back to `read_checked_lines`."""
    return con.sql(checked_sql(EVENTS, _FLAT_SCHEMA, f"({_fast_sql(paths)})")).to_arrow_table()


def _flatten_sql(src: str) -> str:
    """Flatten `src` (columns `line`, `source_file`) line by line to the contract's columns
    plus `__bad_line` (the raw line when it is not a JSON object, else null).

    One `json_extract_string` call with a list of paths parses each line once; `try()` turns a
    parse error into null instead of failing the query."""
    paths = sql_list(FIELDS.values())
    cols = ", ".join(f"v[{i}] as {_q(name)}" for i, name in enumerate(FIELDS, start=1))
    return f"""
        with parsed as (
            select line, source_file,
                   case when ltrim(line)[1] = '{{'
                        then try(json_extract_string(line, {paths})) end as v
            from {src}
            where line is not null and trim(line) <> ''
        )
        select {cols}, source_file, case when v is null then line end as __bad_line
        from parsed
    """


def lines_sql(paths: Sequence[str]) -> str:
    """`read_csv` reading every line of `paths` as one VARCHAR column `line` (plus
    `filename`): a 4-byte control-character delimiter that cannot occur in valid JSON, no
    quoting, so a line comes back exactly as written."""
    return (f"read_csv({sql_list(paths)}, columns={{'line': 'VARCHAR'}}, delim='{_DELIM}', "
            f"quote='', escape='', header=false, auto_detect=false, strict_mode=false, "
            f"compression='auto', filename=true, max_line_size={MAX_LINE_BYTES})")


def read_file_lines(con: duckdb.DuckDBPyConnection, item: FileItemDict, path: str
                    ) -> tuple[pa.Table, pa.Table]:
    """Tolerant path for one file: every line read as text by DuckDB (`read_csv` with a 4-byte
    control-character delimiter that cannot occur in valid JSON, no quoting), parsed line by
    line; lines that are not JSON objects come back in `__bad_line`. If DuckDB cannot read the
    file at all (not gzip, not UTF-8), falls back to `read_file_python`."""
    if duckdb_safe(path):
        src = f"(select line, filename as source_file from {lines_sql([path])})"
        try:
            return (con.sql(_flatten_sql(src)).to_arrow_table(),
                    QUARANTINE_SCHEMA.empty_table())
        except duckdb.Error as e:
            log.info("web: %s: DuckDB cannot read it as text (%s); decoding in Python",
                     path, str(e).splitlines()[0])
    return read_file_python(con, item, path)


def read_file_python(con: duckdb.DuckDBPyConnection, item: FileItemDict, path: str
                     ) -> tuple[pa.Table, pa.Table]:
    """Slow path for one file DuckDB could not read: decompress in Python, drop lines that are
    not UTF-8 into quarantine, flatten the rest with the same SQL. Raises if the file cannot
    be decompressed."""
    with item.open(mode="rb", compression="auto") as f:
        data = f.read()
    lines: list[str] = []
    bad_raw: list[str] = []
    for raw in data.split(b"\n"):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            continue
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad_raw.append(raw.decode("utf-8", errors="replace"))
    bad = quarantine_rows(SOURCE, EVENTS.name, record_key=[path] * len(bad_raw), field="line",
                          reason="line is not valid UTF-8", raw_record=bad_raw, origin=path)
    lines_tbl = pa.table({"line": pa.array(lines, pa.string()),
                          "source_file": pa.array([path] * len(lines), pa.string())})
    con.register("__lines", lines_tbl)
    try:
        flat = con.sql(_flatten_sql("__lines")).to_arrow_table()
    finally:
        con.unregister("__lines")
    return flat, bad


def read_checked_lines(con: duckdb.DuckDBPyConnection, item: FileItemDict, path: str
                       ) -> tuple[pa.Table, pa.Table]:
    """Tolerant path for one file, giving what `read_files_duckdb` gives: the file's rows
    checked by the same `checked_sql`, and its lines that are not JSON objects (or not
    UTF-8) as quarantine rows."""
    flat, quarantine = read_file_lines(con, item, path)
    rows, bad = split_on(flat, "__bad_line")
    if bad.num_rows:
        quarantine = concat_quarantine([quarantine, _bad_lines(bad)])
    return check_table(con, rows, EVENTS), quarantine


def _bad_lines(bad: pa.Table) -> pa.Table:
    files = bad["source_file"].to_pylist()
    return quarantine_rows(SOURCE, EVENTS.name, record_key=files, field="line",
                           reason="line is not a JSON object",
                           raw_record=bad["__bad_line"].to_pylist(), origin=files)


def _events_from_files(items: list[FileItemDict], batch_bytes: int, seen: SeenIds,
                       write_disposition: Any = WRITE_DISPOSITION) -> Iterator[Any]:
    files = [i for i in items if i.get("size_in_bytes") != 0]
    for i in items:
        if i.get("size_in_bytes") == 0:
            log.debug("web: skipping empty file %s", i["file_url"])
    if not files:
        return
    con = duckdb_connection()
    register_fs(con, files[0].fsspec)
    n_rows = n_quarantined = 0

    def read(batch: list[FileItemDict]) -> tuple[list[pa.Table], list[pa.Table]]:
        return read_files(batch, lambda paths: read_files_duckdb(con, paths), source=SOURCE,
                          table_name=EVENTS.name,
                          read_one=lambda item, path: read_checked_lines(con, item, path))

    try:  # `con` is used by the prefetch thread only, one query at a time
        for checked, quarantine in prefetched(read, batches(files, batch_bytes)):
            checked = [c for c in checked if c.num_rows]
            if not checked:
                good, q = EVENTS.arrow_schema().empty_table(), concat_quarantine(quarantine)
            else:
                v = split_checked(pa.concat_tables(checked, promote_options="permissive"),
                                  EVENTS, SOURCE, origin_column="source_file")
                good = _first_delivery(seen, v.good)
                q = concat_quarantine([*quarantine, v.quarantine])
            n_rows += good.num_rows
            n_quarantined += q.num_rows
            yield from emit(Validated(good, q), EVENTS, write_disposition=write_disposition)
    finally:
        con.close()
    log.info("web: read %d files, %d events, %d quarantined", len(files), n_rows, n_quarantined)


def _first_delivery(seen: SeenIds, good: pa.Table) -> pa.Table:
    """Drop ids already yielded in this run (applied to the validated rows, before the wide
    text columns are put back) and count them."""
    first = seen.first_delivery(good)
    _count_duplicates(good.num_rows - first.num_rows)
    return first


def _count_duplicates(n: int, reset: bool = False) -> None:
    """Duplicate deliveries dropped in this run, kept in the resource state
    (`duplicates_dropped`) so the ingestion report can count them."""
    try:
        state = dlt.current.resource_state()
    except Exception:  # iterated outside a pipeline: nothing to report to
        return
    state["duplicates_dropped"] = (0 if reset else state.get("duplicates_dropped", 0)) + n


def events_resource(bucket_url: str, file_glob: str = DEFAULT_FILE_GLOB, credentials: Any = None,
                    batch_bytes: int = DEFAULT_BATCH_BYTES, first_load: bool = False
                    ) -> DltResource:
    """The `events` resource over files: an incremental listing piped into the reader."""
    disposition = FIRST_LOAD_DISPOSITION if first_load else WRITE_DISPOSITION

    seen: dict[str, SeenIds] = {}

    def read_events(items: list[FileItemDict]) -> Iterator[Any]:
        # one id set per extract run (the transformer is called once per page of files)
        try:
            key = dlt.current.load_package_state()["load_id"]
        except CurrentLoadPackageStateNotAvailable:  # iterated outside a pipeline
            key = ""
        if key not in seen:
            for old in seen.values():
                old.close()
            seen.clear()
            seen[key] = SeenIds()
            _count_duplicates(0, reset=True)
        yield from _events_from_files(items, batch_bytes, seen[key], disposition)

    listing = file_listing(bucket_url, file_glob, "events_files", credentials)
    return listing | dlt.transformer(name="events")(read_events)


def events_from_export(exports_path: str) -> DltResource:
    """The `events` resource over an export folder of flat records (`events.parquet`,
    `events.jsonl`, or a folder `events/`). Read whole every run; the merge dedupes."""

    @dlt.resource(name="events")
    def events() -> Iterator[Any]:
        for batch in read_export(exports_path, EVENTS.name):
            yield from emit(validate(batch, EVENTS, SOURCE, origin=exports_path), EVENTS)

    return events


@dlt.source(name="web")
def web_source(bucket_url: str | None = None, file_glob: str = DEFAULT_FILE_GLOB,
               exports_path: str | None = None, credentials: Any = None,
               batch_bytes: int = DEFAULT_BATCH_BYTES, first_load: bool = False) -> DltResource:
    """Web events (raw table `events`, plus `_quarantine`).

    bucket_url: any fsspec URL or local path; default `$CXM_DATA_DIR/landing/web/events`
        (config `sources.web.bucket_url`).
    file_glob: files to read under the bucket.
    exports_path: if set, read flat event records from this export folder instead.
    credentials: fsspec filesystem or dlt filesystem credentials for a remote bucket
        (otherwise resolved by dlt from config, e.g. `sources.filesystem.credentials`).
    batch_bytes: compressed bytes of files parsed per DuckDB query.
    first_load: the destination's `events` table is empty or missing: append instead of
        merging (set by `ingestion.pipeline.ingest_source`; wrong if the table has rows).
    """
    if exports_path:
        return events_from_export(exports_path)
    url = normalize_url(bucket_url or landing_url("web", "events"))
    return events_resource(url, file_glob, credentials, batch_bytes, first_load)


__all__ = ["FIELDS", "web_source", "events_resource", "events_from_export",
           "read_files_duckdb", "lines_sql"]
