"""Incremental, batched extraction shared by the REST sources (crm, support, marketing API).

The pieces, in the order a resource uses them:

* `cursor_incremental(...)`: the `dlt.sources.incremental` a resource declares on its cursor
  column (`updated_at`, `updated`, `created_at`). Its saved last value is the start of the next
  run's API filter.
* `CursorWindow`: pushes that start value down to the API (or export folder) and applies the
  range itself. dlt's own incremental step cannot filter our items: a resource yields table
  *variants* (the data table, `_quarantine`, sibling tables), and the Arrow incremental
  transform raises on any table without the cursor column. So the window calls
  `Incremental.advance(None)` (dlt >= 1.31: "the range was already applied elsewhere") at the
  start, filters raw batches itself (keep rows with cursor > start, or == start and a key not
  loaded by the previous run; rows whose cursor does not parse are kept so the validator
  quarantines them), and at the end `advance(max cursor seen)` writes the new last value into
  the pipeline state. The keys of the rows at the max cursor go to the resource state, so an
  unchanged re-run (the API filters are `>=`) loads nothing.
* `rows_to_arrow(...)` / `flatten(...)`: API records -> one Arrow table per buffered batch.
  Nested objects flatten with `__` (dlt's convention: `via.channel` -> `via__channel`); lists of
  scalars stay list columns; lists of objects (and any column whose values mix types Arrow
  cannot hold in one column) become JSON text; all-null columns the spec does not declare are
  left out until they carry a value. Values keep their JSON type, so the validator's
  casts decide what is valid.
* `Buffer`: collects the records of many pages into one batch (default 20,000 rows) before a
  single Arrow conversion + validation (validation has a fixed cost per call).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import dlt
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.json import json

from ingestion.common.emit import validated
from ingestion.common.schema import TableSpec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BATCH_ROWS = 20_000
_STATE_KEY = "cursor_boundary"
_UNPLACED_KEY = "quarantined_without_cursor"
_UNPLACED_MAX = 10_000


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


_local = threading.local()


def _con() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        con.execute("set TimeZone = 'UTC'").fetchall()
        _local.con = con
    return con


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
        self._skip_keys: set[str] = set()
        if saved.get("value") and to_datetime(saved["value"]) == self.start:
            self._skip_keys = set(saved.get("keys") or ())
        self.max: datetime | None = None
        self._max_keys: set[str] = set()
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
        cur = self._typed_cursor(batch[self.cursor])
        start = pa.scalar(self.start, cur.type)
        newer = pc.greater(cur, start)
        keys = None
        if self._skip_keys:
            keys = key_strings(batch, self.key)
            at_start = pc.equal(cur, start)
            seen = pc.is_in(keys, value_set=pa.array(list(self._skip_keys), pa.string()))
            keep = pc.or_kleene(newer, pc.and_(at_start, pc.invert(seen)))
        else:
            keep = pc.or_kleene(newer, pc.equal(cur, start))
        keep = pc.fill_null(keep, False)
        unplaced = pc.is_null(cur)
        if pc.any(unplaced).as_py():
            keep = pc.or_(keep, self._new_unplaced(batch, unplaced))
        kept = batch.filter(keep) if not pc.all(keep).as_py() else batch
        kept_cur = cur.filter(keep) if kept is not batch else cur
        self.rows_kept += kept.num_rows
        if kept.num_rows:
            mx = pc.max(kept_cur)
            if mx.is_valid:
                mx_dt = to_datetime(mx.as_py())
                if keys is None:
                    keys = key_strings(batch, self.key)
                kept_keys = keys.filter(keep) if kept is not batch else keys
                at_max = kept_keys.filter(pc.fill_null(pc.equal(kept_cur, mx), False))
                if self.max is None or mx_dt > self.max:
                    self.max = mx_dt
                    self._max_keys = set(at_max.to_pylist())
                elif mx_dt == self.max:
                    self._max_keys.update(at_max.to_pylist())
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

    @staticmethod
    def _typed_cursor(col: pa.ChunkedArray | pa.Array) -> pa.Array:
        return typed_timestamps(col)

    def commit(self) -> None:
        """Save the new last value (max cursor of the rows this run kept) into dlt's state."""
        if self.max is None:
            return  # nothing new: the state keeps the previous last value and boundary keys
        keys = self._max_keys
        if self.max == self.start:
            keys = keys | self._skip_keys
        self.incremental.advance(self.max)
        self._state[_STATE_KEY] = {"value": iso_z(self.max, "us"), "keys": sorted(keys)}


def typed_timestamps(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A cursor column as timestamp[us, UTC]: ISO text (any offset, `Z`), unix seconds or
    Arrow timestamps; values that do not parse become null."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if pa.types.is_timestamp(col.type):
        return pc.cast(col, pa.timestamp("us", tz="UTC"))
    con = _con()
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


def rechunk(batches: Iterable[pa.Table], rows: int = BATCH_ROWS * 5) -> Iterator[pa.Table]:
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
    con = _con()
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


def from_pages(source: str, spec: TableSpec, window: CursorWindow,
               pages: Iterable[dict[str, list[dict[str, Any]]]], origin: str,
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

    for page in pages:
        for table, part in page.items():
            buf.add(table, part)
        if buf.full:
            yield from flush()
    if buf:
        yield from flush()
    window.commit()
