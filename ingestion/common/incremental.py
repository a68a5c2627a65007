"""Incremental, batched extraction shared by the REST sources (crm, support, marketing API).

The pieces, in the order a resource uses them:

* `cursor_incremental(...)`: the `dlt.sources.incremental` a resource declares on its cursor
  column (`updated_at`, `updated`, `created_at`). Its saved last value is the start of the next
  run's API filter.
* `CursorWindow`: pushes that start value down to the API (or export folder) and applies the
  range itself. dlt's own incremental step cannot filter our items: a resource yields table
  *variants* (the data table, `_quarantine`, sibling tables), and the Arrow incremental
  transform raises on any table without the cursor column. So the window calls
  `Incremental.advance(None)` (dlt 1.31: "the range was already applied elsewhere") at the
  start, filters raw batches itself and at the end calls `advance(max cursor seen)`, which
  writes the new last value into the pipeline state. The APIs filter with `>=`, so the rows at
  the saved value come again: the content hashes of the rows at the max cursor are kept in the
  resource state and those rows are dropped next run (an unchanged re-run loads nothing, a
  record changed within the same second as the cursor still loads). Rows whose cursor does
  not parse are kept once, so the validator quarantines them, and remembered so re-reading the
  same export does not quarantine them again.
* Records -> Arrow: API pages are decoded by Arrow's JSON reader (`http.decode_page`) and
  shaped by `conform_arrow`; a page Arrow cannot type (one field with two JSON types) goes
  through `flatten` + `rows_to_arrow` instead. Both give the flat-record layout: nested objects
  flatten with `__` (dlt's convention: `via.channel` -> `via__channel`); lists of scalars stay
  list columns; lists of objects (and columns whose values mix types) become JSON text;
  all-null columns the spec does not declare are left out until they carry a value. Values
  keep their JSON type; the validator's casts decide what is valid.
* `prefetch` fetches pages in a background thread; `Buffer` collects them into one batch
  (default 50,000 rows) so validation (a fixed cost per call) and dlt's writing run per batch,
  never per page or per row; `concat_groups` keeps an odd page (text where the others have
  timestamps) in its own batch instead of degrading the whole batch to text.
"""

from __future__ import annotations

import hashlib
import json as stdjson
import logging
import queue
import re
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.json import json

from ingestion.common.duck import thread_connection
from ingestion.common.emit import validated
from ingestion.common.schema import TableSpec

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BATCH_ROWS = 50_000
PREFETCH_PAGES = 3  # pages fetched ahead of validation (0: fetch in the resource's thread)
_STATE_KEY = "cursor_boundary"
_UNPLACED_KEY = "quarantined_without_cursor"
_UNPLACED_MAX = 10_000
_BOUNDARY_MAX = 10_000


def to_datetime(value: Any) -> datetime:
    """A cursor value (datetime, pendulum, ISO text, unix seconds) as an aware UTC datetime."""
    if value is None:
        return EPOCH
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, int | float):
        dt = datetime.fromtimestamp(value, UTC)
    else:
        text = str(value).strip()
        if text.isdigit():
            dt = datetime.fromtimestamp(int(text), UTC)
        else:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    # a plain datetime (not pendulum) so formatting and comparisons behave the same everywhere
    return datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond,
                    tzinfo=UTC)


def iso_z(dt: datetime, precision: str = "s") -> str:
    """UTC ISO-8601 with `Z`, truncated to s / ms / us (truncation keeps a `>=` filter
    inclusive; the window drops what the previous run already had)."""
    dt = to_datetime(dt)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if precision == "ms":
        return f"{base}.{dt.microsecond // 1000:03d}Z"
    if precision == "us":
        return f"{base}.{dt.microsecond:06d}Z"
    return base + "Z"


def cursor_incremental(cursor: str, initial_value: Any = None) -> dlt.sources.incremental:
    """The incremental a resource declares for `cursor` (start: `initial_value`, else 1970)."""
    return dlt.sources.incremental(cursor, initial_value=to_datetime(initial_value))


def key_strings(batch: pa.Table, key: tuple[str, ...]) -> pa.Array:
    """The primary key of each row as text (`a/b` for compound keys; `<null>` for nulls)."""
    parts = []
    for k in key:
        if k in batch.column_names:
            col = batch[k]
            if not pa.types.is_string(col.type):
                col = pc.cast(col, pa.string()) if _castable_to_string(col.type) \
                    else pa.array([None if v is None else str(v) for v in col.to_pylist()],
                                  pa.string())
            parts.append(pc.fill_null(col, "<null>"))
        else:
            parts.append(pa.array(["<null>"] * batch.num_rows, pa.string()))
    if len(parts) == 1:
        return pa.chunked_array(parts[0]).combine_chunks() if isinstance(
            parts[0], pa.ChunkedArray) else parts[0]
    joined = pc.binary_join_element_wise(*parts, "/")
    return joined.combine_chunks() if isinstance(joined, pa.ChunkedArray) else joined


def _castable_to_string(t: pa.DataType) -> bool:
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
            or pa.types.is_large_string(t) or pa.types.is_string_view(t))


class CursorWindow:
    """The incremental range of one resource run: start value for the API filter, local
    filtering of raw batches, and the new last value at the end (see module docstring)."""

    def __init__(self, incremental: dlt.sources.incremental, key: tuple[str, ...],
                 resource_name: str) -> None:
        self.incremental = incremental
        self.cursor = incremental.get_cursor_column_name() or incremental.cursor_path
        self.key = key
        self.resource_name = resource_name
        start = incremental.start_value
        if start is None:
            start = incremental.initial_value
        self.start = to_datetime(start)
        incremental.advance(None)  # the range is applied here and pushed down to the API
        self._state = dlt.current.resource_state(resource_name)
        saved = self._state.get(_STATE_KEY) or {}
        self._seen_at_start: set[str] = set()
        if saved.get("value") and to_datetime(saved["value"]) == self.start:
            self._seen_at_start = set(saved.get("hashes") or ())
        self.max: datetime | None = None
        self._hashes_at_max: set[str] = set()
        self.rows_in = 0
        self.rows_kept = 0

    def filter(self, batch: pa.Table) -> pa.Table:
        """Rows of `batch` inside the window; tracks the max cursor of the kept rows."""
        n = batch.num_rows
        self.rows_in += n
        if n == 0:
            return batch
        if self.cursor not in batch.column_names:
            self.rows_kept += n  # the validator quarantines them (cursor is required)
            return batch
        cur = typed_timestamps(batch[self.cursor])
        start = pa.scalar(self.start, cur.type)
        keep = pc.fill_null(pc.greater_equal(cur, start), False)
        if self._seen_at_start:
            at_start = pc.fill_null(pc.equal(cur, start), False)
            if pc.any(at_start).as_py():
                idx = pc.indices_nonzero(at_start)
                hashes = row_hashes(batch.take(idx))
                seen = [i for i, h in zip(idx.to_pylist(), hashes, strict=True)
                        if h in self._seen_at_start]
                if seen:
                    mask = pc.is_in(pa.array(range(n), pa.int64()),
                                    value_set=pa.array(seen, pa.int64()))
                    keep = pc.and_(keep, pc.invert(mask))
        unplaced = pc.is_null(cur)
        if pc.any(unplaced).as_py():
            keep = pc.or_(keep, self._new_unplaced(batch, unplaced))
        kept = batch if pc.all(keep).as_py() else batch.filter(keep)
        kept_cur = cur if kept is batch else cur.filter(keep)
        self.rows_kept += kept.num_rows
        if kept.num_rows:
            mx = pc.max(kept_cur)
            if mx.is_valid:
                mx_dt = to_datetime(mx.as_py())
                if self.max is None or mx_dt >= self.max:
                    at_max = kept.filter(pc.fill_null(pc.equal(kept_cur, mx), False))
                    hashes = set(row_hashes(at_max))
                    if self.max is None or mx_dt > self.max:
                        self.max, self._hashes_at_max = mx_dt, hashes
                    else:
                        self._hashes_at_max |= hashes
        return kept

    def _new_unplaced(self, batch: pa.Table, unplaced: pa.Array) -> pa.Array:
        """Rows whose cursor is missing or unparsable cannot be placed in the window; they go
        on to be quarantined, once: their key + raw cursor value are remembered in the
        resource state, so re-reading the same export does not quarantine them again (a
        corrected record has a new cursor value and passes)."""
        raw = pc.fill_null(as_text(batch.column(self.cursor)), "<null>")
        tags = pc.binary_join_element_wise(key_strings(batch, self.key), raw, "\x1f")
        seen = self._state.setdefault(_UNPLACED_KEY, [])
        fresh = pc.and_(unplaced, pc.invert(pc.is_in(tags, value_set=pa.array(seen,
                                                                                pa.string()))))
        new = tags.filter(pc.fill_null(fresh, False)).to_pylist()
        if new:
            self._state[_UNPLACED_KEY] = (seen + sorted(set(new)))[-_UNPLACED_MAX:]
        return pc.fill_null(fresh, False)

    def commit(self) -> None:
        """Save the new last value (max cursor of the rows this run kept) into dlt's state,
        with the content hashes of the rows at that value."""
        if self.max is None:
            return  # nothing new: the state keeps the previous last value and hashes
        hashes = self._hashes_at_max
        if self.max == self.start:
            hashes = hashes | self._seen_at_start
        self.incremental.advance(self.max)
        # beyond the cap, rows at the boundary are simply delivered again (merge: no dupes)
        self._state[_STATE_KEY] = {"value": iso_z(self.max, "us"),
                                   "hashes": sorted(hashes)[:_BOUNDARY_MAX]}
        log.info("%s: %d of %d records in the window, cursor %s = %s", self.resource_name,
                 self.rows_kept, self.rows_in, self.cursor, iso_z(self.max, "us"))


def row_hashes(rows: pa.Table) -> list[str]:
    """A content hash per row, over canonical values (see `_canon`) of the non-null fields,
    so the same record hashes the same whether a page was decoded by Arrow (typed) or by the
    Python fallback (text), and whatever columns its neighbours added."""
    out = []
    for row in rows.to_pylist():
        items = sorted((k, _canon(v)) for k, v in row.items() if v is not None)
        text = stdjson.dumps(items, default=str, separators=(",", ":"), sort_keys=True)
        out.append(hashlib.blake2b(text.encode(), digest_size=12).hexdigest())
    return out


_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _canon(v: Any) -> Any:
    if isinstance(v, datetime):
        return iso_z(v, "us")
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str):
        if _ISO_TIME.match(v):
            try:
                return iso_z(to_datetime(v), "us")
            except ValueError:
                return v
        if v[:1] in ("[", "{"):
            try:
                return _canon(stdjson.loads(v))
            except ValueError:
                return v
        return v
    if isinstance(v, list):
        return [_canon(x) for x in v]
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in v.items() if x is not None}
    return v


def typed_timestamps(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A cursor column as timestamp[us, UTC]: ISO text (any offset, `Z`), unix seconds or
    Arrow timestamps; values that do not parse become null."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.timestamp("us", tz="UTC"))
    con = thread_connection()
    con.register("__cur", pa.table({"c": col}))
    try:
        if pa.types.is_integer(col.type):
            expr = "to_timestamp(c)"
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            expr = "try_cast(nullif(trim(c), '') as timestamptz)"
        elif pa.types.is_null(col.type):
            expr = "cast(c as timestamptz)"
        else:
            expr = "try_cast(c as timestamptz)"
        out = con.sql(f"select {expr} as c from __cur").to_arrow_table()["c"]
    finally:
        con.unregister("__cur")
    return pc.cast(out.combine_chunks(), pa.timestamp("us", tz="UTC"))


# -- records -> Arrow ----------------------------------------------------------------------


def flatten(record: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None,
            ) -> dict[str, Any]:
    """Flatten nested objects with `__` (lists stay values; `rows_to_arrow` decides)."""
    if out is None:
        out = {}
    for k, v in record.items():
        name = prefix + k
        if isinstance(v, dict):
            flatten(v, name + "__", out)  # an empty object adds no column
        else:
            out[name] = v
    return out


def _json_text(values: list[Any]) -> pa.Array:
    return pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v)
                     for v in values], pa.string())


def _has_struct(t: pa.DataType) -> bool:
    if pa.types.is_struct(t) or pa.types.is_map(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _has_struct(t.value_type)
    return False


def _column(values: list[Any], spec_type: str | None) -> pa.Array | None:
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return _json_text(values)  # mixed types: text, the validator casts or quarantines
    t = arr.type
    if pa.types.is_null(t):
        return None if spec_type is None else arr
    if _has_struct(t):
        return _json_text(values)
    if (pa.types.is_list(t) or pa.types.is_large_list(t)) and spec_type not in (None, "text[]"):
        return _json_text(values)
    return arr


def rows_to_arrow(rows: list[dict[str, Any]], spec: TableSpec | None = None) -> pa.Table:
    """Flat records -> Arrow, one column per key seen in any row (see module docstring)."""
    if not rows:
        return pa.table({})
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r))
    declared = {c.name: c.type for c in spec.columns} if spec else {}
    cols: dict[str, pa.Array] = {}
    for k in keys:
        arr = _column([r.get(k) for r in rows], declared.get(k))
        if arr is not None:
            cols[k] = arr
    return pa.table(cols)


class Buffer:
    """Collect Arrow pages of several tables; `full` when the main table has enough rows."""

    def __init__(self, main: str, batch_rows: int = BATCH_ROWS) -> None:
        self.main = main
        self.batch_rows = batch_rows
        self.parts: dict[str, list[pa.Table]] = {}
        self.main_rows = 0

    def add(self, table: str, part: pa.Table) -> None:
        if part.num_rows:
            self.parts.setdefault(table, []).append(part)
            if table == self.main:
                self.main_rows += part.num_rows

    @property
    def full(self) -> bool:
        return self.main_rows >= self.batch_rows

    def __bool__(self) -> bool:
        return bool(self.parts)

    def take(self) -> dict[str, list[pa.Table]]:
        out = {name: concat_groups(parts) for name, parts in self.parts.items()}
        self.parts, self.main_rows = {}, 0
        return out


def rechunk(batches: Iterable[pa.Table], rows: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Coalesce small Arrow batches (and split huge ones) to about `rows` rows, with one
    schema per output batch (columns missing in a part are filled with nulls)."""
    pending: list[pa.Table] = []
    count = 0
    for b in batches:
        if b.num_rows == 0:
            continue
        for off in range(0, b.num_rows, rows):
            part = b.slice(off, rows)
            pending.append(part)
            count += part.num_rows
            if count >= rows:
                yield from concat_groups(pending)
                pending, count = [], 0
    if pending:
        yield from concat_groups(pending)


def concat_groups(tables: list[pa.Table]) -> list[pa.Table]:
    """Concatenate page tables into as few tables as their column types allow: columns may
    be missing or all-null in some parts (null -> any type, int -> double, ...), but a column
    with incompatible types in two parts (a timestamp column here, the same column as text in
    the page that carried an unparsable value) keeps those parts in separate tables, so the
    common case keeps its Arrow types and the odd page is validated on its own."""
    if len(tables) <= 1:
        return list(tables)
    try:
        return [pa.concat_tables(tables, promote_options="permissive")]
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    groups: list[tuple[pa.Schema, list[pa.Table]]] = []
    for t in tables:
        for i, (schema, parts) in enumerate(groups):
            try:
                merged = pa.unify_schemas([schema, t.schema], promote_options="permissive")
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                continue
            groups[i] = (merged, [*parts, t])
            break
        else:
            groups.append((t.schema, [t]))
    return [concat_unified(parts) for _, parts in groups]


def concat_unified(tables: list[pa.Table]) -> pa.Table:
    """Concatenate page tables whose columns may differ (missing -> null, null -> any type,
    int -> double, ...); a column that came with incompatible types in different pages (a
    timestamp in one, unparsable text in another) becomes text everywhere."""
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    types: dict[str, set[pa.DataType]] = {}
    for t in tables:
        for f in t.schema:
            if not pa.types.is_null(f.type):
                types.setdefault(f.name, set()).add(f.type)
    mixed = {name for name, ts in types.items() if len(ts) > 1}
    fixed = []
    for t in tables:
        for name in mixed & set(t.column_names):
            i = t.schema.get_field_index(name)
            t = t.set_column(i, name, as_text(t.column(name)))
        fixed.append(t)
    return pa.concat_tables(fixed, promote_options="permissive")


def as_text(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any column as text: strings stay, nested values become JSON, the rest casts."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    t = col.type
    if pa.types.is_string(t):
        return col
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    if pa.types.is_nested(t):
        return _duck_json(col)
    try:
        return pc.cast(col, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _duck_json(col)


def _duck_json(col: pa.Array) -> pa.Array:
    con = thread_connection()
    con.register("__j", pa.table({"c": col}))
    try:
        out = con.sql("select cast(to_json(c) as varchar) as c from __j").to_arrow_table()
    finally:
        con.unregister("__j")
    return out.column("c").combine_chunks().cast(pa.string())


def flatten_structs(table: pa.Table, sep: str = "__") -> pa.Table:
    """Struct columns -> one column per field (`a__b`, recursively; nulls of the parent
    propagate); an empty struct adds nothing."""
    while any(pa.types.is_struct(f.type) for f in table.schema):
        names, cols = [], []
        for name, col in zip(table.column_names, table.columns, strict=True):
            if pa.types.is_struct(col.type):
                arr = col.combine_chunks()
                for field, child in zip(arr.type, arr.flatten(), strict=True):
                    names.append(f"{name}{sep}{field.name}")
                    cols.append(child)
            else:
                names.append(name)
                cols.append(col)
        table = pa.table(cols, names=names) if names else pa.table({})
    return table


def conform_arrow(table: pa.Table, spec: TableSpec | None = None) -> pa.Table:
    """Records decoded by Arrow -> the flat-record layout of `rows_to_arrow`: structs
    flattened with `__`, lists of objects as JSON text, timestamps (Arrow infers them from
    ISO text without fractions) as UTC microseconds, all-null undeclared columns dropped."""
    table = flatten_structs(table)
    declared = {c.name: c.type for c in spec.columns} if spec else {}
    names, cols = [], []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        if pa.types.is_null(t):
            if name not in declared:
                continue
        elif _has_struct(t) or ((pa.types.is_list(t) or pa.types.is_large_list(t))
                                and declared.get(name) not in (None, "text[]")):
            col = as_text(col)
        elif pa.types.is_timestamp(t):
            col = pc.cast(col, pa.timestamp("us", tz="UTC"))
        names.append(name)
        cols.append(col)
    return pa.table(cols, names=names) if names else pa.table({})


def explode(table: pa.Table, column: str) -> tuple[pa.Table, pa.Array]:
    """A list-of-objects column -> (one row per item, index of its parent row)."""
    col = table.column(column).combine_chunks()
    if pa.types.is_null(col.type) or not pa.types.is_struct(
            getattr(col.type, "value_type", pa.null())):
        return pa.table({}), pa.array([], pa.int64())
    parents = pc.list_parent_indices(col)
    items = pc.list_flatten(col)
    return pa.Table.from_struct_array(items), parents


# -- the driver -----------------------------------------------------------------------------


class Sibling:
    """A table that rides on a parent resource (deal_stage_history, ticket_event_children):
    its rows are kept when their parent row was kept."""

    def __init__(self, spec: TableSpec, parent_column: str) -> None:
        self.spec = spec
        self.parent_column = parent_column


def emit_batch(source: str, spec: TableSpec, window: CursorWindow, batch: pa.Table,
               origin: str, kept_parent_keys: list[pa.Array] | None = None) -> Iterator[Any]:
    """Filter a raw batch through the window, validate it and yield the dlt items. Keys of
    the kept rows are appended to `kept_parent_keys` when given, for the sibling rows that
    ride on them (`emit_children`)."""
    kept = window.filter(batch)
    if kept_parent_keys is not None and kept.num_rows:
        kept_parent_keys.append(key_strings(kept, spec.primary_key[:1]))
    yield from validated(kept, spec, source, origin)


def emit_children(source: str, sib: Sibling, batch: pa.Table, parent_keys: pa.Array | None,
                  origin: str) -> Iterator[Any]:
    if batch.num_rows == 0:
        return
    if parent_keys is not None:
        if sib.parent_column in batch.column_names:
            mine = key_strings(batch, (sib.parent_column,))
            batch = batch.filter(pc.fill_null(pc.is_in(mine, value_set=parent_keys), False))
        else:
            batch = batch.slice(0, 0)
    if batch.num_rows:
        yield from validated(batch, sib.spec, source, origin)


def export_batches(exports_path: str, table: str) -> Iterator[pa.Table]:
    """Arrow batches of `<exports_path>/<table>.*` (see ingestion.common.exports)."""
    from ingestion.common.exports import read_export  # a colleague's module, imported lazily

    yield from rechunk(read_export(exports_path, table))


def from_exports(source: str, spec: TableSpec, window: CursorWindow, exports_path: str,
                 siblings: list[Sibling] = ()) -> Iterator[Any]:
    """The export-folder transport of one resource: same window, validation and emit."""
    origin = f"export {exports_path}/{spec.name}"
    parents: list[pa.Array] | None = [] if siblings else None
    for batch in export_batches(exports_path, spec.name):
        yield from emit_batch(source, spec, window, batch, origin, kept_parent_keys=parents)
    if siblings:
        keys = pa.chunked_array(parents, pa.string()).combine_chunks() if parents else \
            pa.array([], pa.string())
        for sib in siblings:
            for batch in export_batches(exports_path, sib.spec.name):
                yield from emit_children(source, sib, batch, keys,
                                         f"export {exports_path}/{sib.spec.name}")
    window.commit()


_END = object()


def prefetch(items: Iterable[Any], depth: int = PREFETCH_PAGES,
             name: str = "prefetch") -> Iterator[Any]:
    """Iterate `items` in a background thread, up to `depth` items ahead.

    The page iterators (HTTP round trips, Arrow JSON decoding) then overlap with validation
    and dlt's writing in the resource's thread. Errors are re-raised here; closing this
    generator stops the worker after its current item."""
    if depth <= 0:
        yield from items
        return
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        it = iter(items)
        try:
            for item in it:
                if not put(("item", item)):
                    return
            put(("end", _END))
        except BaseException as e:  # handed to the consumer
            put(("error", e))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        while True:
            kind, value = q.get()
            if kind == "item":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()
        worker.join(timeout=1.0)


def from_pages(source: str, spec: TableSpec, window: CursorWindow,
               pages: Iterable[dict[str, pa.Table]], origin: str,
               siblings: list[Sibling] = (), batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """The API transport of one resource: `pages` yields `{table: flat Arrow table}` per API
    page (the main table plus siblings); pages are buffered to `batch_rows` rows."""
    buf = Buffer(spec.name, batch_rows)
    sib_by_name = {s.spec.name: s for s in siblings}

    def flush() -> Iterator[Any]:
        taken = buf.take()
        parents: list[pa.Array] = []
        for main in taken.get(spec.name, []):
            yield from emit_batch(source, spec, window, main, origin,
                                  kept_parent_keys=parents if sib_by_name else None)
        if sib_by_name:
            keys = pa.chunked_array(parents, pa.string()).combine_chunks() if parents else \
                pa.array([], pa.string())
            for name, sib in sib_by_name.items():
                for part in taken.get(name, []):
                    yield from emit_children(source, sib, part, keys, origin)

    for page in prefetch(pages, name=f"{source}.{spec.name}.pages"):
        for table, part in page.items():
            buf.add(table, part)
        if buf.full:
            yield from flush()
    if buf:
        yield from flush()
    window.commit()
