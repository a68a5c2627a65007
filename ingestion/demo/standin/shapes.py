"""Vendor record shapes, rendered from sorted store rows straight to JSON bytes.

`Renderer.page(...)` returns the records of rows lo..hi as `rec,rec,...` (no brackets), ready
to be dropped into a response envelope. Rows are rendered in chunks of `CHUNK` rows with the
vectorised encoders of `jsonenc` and kept in a byte-budgeted LRU cache, so walking a table
page by page renders every row once and a page is a slice of a buffer.

Shapes (docs/sources.md):
- HubSpot: `{"id", "properties": {...strings...}, "createdAt", "updatedAt", "archived"}`,
  optional `"propertiesWithHistory": {"dealstage": [{"value", "timestamp", "sourceType"}]}`.
- Zendesk: the flat record with `a__b` columns nested (`via: {"channel"}`), native types;
  audits add `timestamp` (unix) and `child_events`.
- JSON:API: `{"type", "id", "attributes": {...}}`.
Planted faults replace the value of one field of one record at render time.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.demo.standin.jsonenc import (
    US_PER_S,
    Frag,
    dumps,
    encode,
    fault_fragment,
    group_join,
    join_object,
    nest,
    patch,
)
from ingestion.demo.standin.store import Store, TableData

CHUNK = 4096
HUBSPOT_TOP = ("id", "created_at", "updated_at", "archived")
# HubSpot property names that are really top-level record fields
HUBSPOT_ALIASES = {"createdate": "created_at", "hs_createdate": "created_at",
                   "hs_lastmodifieddate": "updated_at", "lastmodifieddate": "updated_at",
                   "hs_object_id": "id"}
JSONAPI_TYPES = {"campaigns": "campaign", "profiles": "profile", "email_events": "email-event",
                 "coupons": "coupon", "coupon_redemptions": "coupon-redemption"}


def _fixes(faults: dict[int, list], field: str, as_text: bool) -> dict[int, str]:
    return {pos: fault_fragment(value, as_text)
            for pos, items in faults.items() for f, value in items if f == field}


def _child_faults(child: TableData, idx: np.ndarray) -> dict[int, list]:
    """Faults of the taken child rows, keyed by position in the take."""
    if not child.faults:
        return {}
    hit = np.flatnonzero(np.isin(idx, np.fromiter(child.faults, dtype=np.int64)))
    return {int(i): child.faults[int(idx[i])] for i in hit}


def _flat_fragments(sl: pa.Table, faults: dict[int, list], ts_unit: str = "s",
                    rename: dict[str, str] | None = None) -> list[tuple[str, Frag]]:
    """Every column of a slice as (name, fragments), faults applied."""
    out = []
    for name in sl.column_names:
        frag = patch(encode(sl.column(name), ts_unit=ts_unit), _fixes(faults, name, False))
        out.append(((rename or {}).get(name, name), frag))
    return out


# -- HubSpot ---------------------------------------------------------------------------------

def hubspot_rows(store: Store, t: TableData, lo: int, hi: int,
                 props: tuple[str, ...] | None, history: bool) -> pa.Array:
    sl = t.table.slice(lo, hi - lo)
    faults = t.faults_in(lo, hi)
    n = hi - lo

    memo: dict[tuple[str, bool], Frag] = {}

    def top(name: str, as_text: bool = False) -> Frag:
        if (name, as_text) not in memo:
            col = sl.column(name)
            if name == "archived":
                col = pc.fill_null(col, False)
            memo[name, as_text] = patch(encode(col, as_text=as_text, ts_unit="ms"),
                                        _fixes(faults, name, as_text))
        return memo[name, as_text]

    def prop(name: str) -> Frag:
        col = HUBSPOT_ALIASES.get(name, name)
        if pa.types.is_timestamp(sl.schema.field(col).type) and not _fixes(faults, col, True):
            return top(col)  # an ISO timestamp is the same text either way
        return top(col, as_text=True)

    names = [c for c in sl.column_names if c not in HUBSPOT_TOP]
    if props is not None:
        wanted = set(props)
        names = [c for c in names if c in wanted]
        names += [p for p in props if p in HUBSPOT_ALIASES and p not in names
                  and p not in ("createdate", "hs_lastmodifieddate")]
    names += ["createdate", "hs_lastmodifieddate"]
    fields: list[tuple[str, Any]] = [
        ("id", top("id", as_text=True)),
        ("properties", [(p, prop(p)) for p in names]),
        ("createdAt", top("created_at")),
        ("updatedAt", top("updated_at")),
        ("archived", top("archived")),
    ]
    if history and (t.system, t.name) in store.groups:
        fields.append(("propertiesWithHistory", [("dealstage", _history(store, t, lo, hi))]))
    return join_object(fields, n, suffix=",")


def _history(store: Store, t: TableData, lo: int, hi: int) -> Frag:
    group = store.groups[t.system, t.name]
    idx, counts = group.rows_for(lo, hi)
    child = group.child
    rows = child.table.take(pa.array(idx))
    faults = _child_faults(child, idx)

    def frag(col: str) -> Frag:
        return patch(encode(rows.column(col), as_text=True, ts_unit="ms"),
                     _fixes(faults, col, True))

    items = join_object([("value", frag("dealstage")), ("timestamp", frag("changed_at")),
                         ("sourceType", frag("source_type"))], len(idx))
    return group_join(items, counts)


# -- Zendesk ---------------------------------------------------------------------------------

def zendesk_rows(store: Store, t: TableData, lo: int, hi: int, include_comments: bool = True,
                 ) -> pa.Array:
    sl = t.table.slice(lo, hi - lo)
    faults = t.faults_in(lo, hi)
    flat: list[tuple[str, Any]] = _flat_fragments(sl, faults)
    if t.name == "ticket_events":
        seconds = pc.cast(pa.array(t.keys[lo:hi] // US_PER_S), pa.string())
        at = next(i for i, (k, _) in enumerate(flat) if k == t.spec.cursor) + 1
        flat.insert(at, ("timestamp", Frag(hi - lo, seconds)))
        flat.append(("child_events", _child_events(store, t, lo, hi, include_comments)))
    return join_object(nest(flat), hi - lo, suffix=",")


_COMMENT = ("id", "event_type", "author_id", "body", "public")
_CHANGE = ("id", "event_type", "author_id", "field_name", "value", "previous_value")


def _child_events(store: Store, t: TableData, lo: int, hi: int, include_comments: bool,
                  ) -> Frag:
    group = store.groups[t.system, t.name]
    idx, counts = group.rows_for(lo, hi)
    child = group.child
    rows = child.table.take(pa.array(idx)).combine_chunks()

    def comments() -> pa.Array:
        kind = rows.column("event_type").combine_chunks()
        return pc.fill_null(pc.equal(kind, "Comment"), False)

    is_comment = comments()
    if not include_comments:
        keep = np.logical_not(is_comment.to_numpy(zero_copy_only=False))
        segment = np.repeat(np.arange(len(counts)), counts)
        counts = np.bincount(segment[keep], minlength=len(counts))
        idx = idx[keep]
        rows = rows.filter(pa.array(keep)).combine_chunks()
        is_comment = comments()
    faults = _child_faults(child, idx)
    frags = dict(_flat_fragments(rows.select(list(set(_COMMENT + _CHANGE))), faults))

    def shape(cols: tuple[str, ...]) -> pa.Array:
        return join_object([("type" if c == "event_type" else c, frags[c]) for c in cols],
                           len(idx))

    items = pc.if_else(is_comment, shape(_COMMENT), shape(_CHANGE)) if len(idx) else \
        pa.array([], pa.string())
    return group_join(items, counts)


# -- JSON:API (marketing) --------------------------------------------------------------------

def jsonapi_rows(store: Store, t: TableData, lo: int, hi: int) -> pa.Array:
    sl = t.table.slice(lo, hi - lo)
    faults = t.faults_in(lo, hi)
    key = t.spec.primary_key[0]
    flat = _flat_fragments(sl.drop_columns([key]), faults)
    ident = patch(encode(sl.column(key), as_text=True), _fixes(faults, key, True))
    fields = [("type", dumps(JSONAPI_TYPES.get(t.name, t.name))), ("id", ident),
              ("attributes", nest(flat))]
    return join_object(fields, hi - lo, suffix=",")


def flat_rows(t: TableData, lo: int, hi: int) -> pa.Array:
    """The flat record itself (export JSONL), faults applied, one object per row (no comma)."""
    sl = t.table.slice(lo, hi - lo)
    return join_object(_flat_fragments(sl, t.faults_in(lo, hi)), hi - lo)


BUILDERS = {"crm": hubspot_rows, "support": zendesk_rows, "marketing": jsonapi_rows}


# -- cache -----------------------------------------------------------------------------------

class Renderer:
    """Rendered rows of one store, chunked and cached (LRU, byte budget).

    A walk through a table is sequential, so serving from chunk k renders chunk k+1 in a
    background thread (Arrow kernels release the GIL): on a machine with a spare core the
    client never waits for rendering."""

    def __init__(self, store: Store, budget_bytes: int = 256 << 20, chunk: int = CHUNK,
                 prefetch: bool = True):
        self.store = store
        self.budget = budget_bytes
        self.chunk = chunk
        self._cache: OrderedDict[Hashable, tuple[pa.Buffer, np.ndarray, int]] = OrderedDict()
        self._pending: dict[Hashable, Future] = {}
        self._size = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="standin-render") \
            if prefetch else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def page(self, t: TableData, lo: int, hi: int, variant: tuple = ()) -> bytes:
        """Records of rows lo..hi as `rec,rec,...` bytes."""
        if hi <= lo:
            return b""
        parts = []
        last = (hi - 1) // self.chunk
        for k in range(lo // self.chunk, last + 1):
            data, offsets, base = self._chunk(t, k, variant)
            a, b = max(lo, base) - base, min(hi, base + len(offsets) - 1) - base
            parts.append(memoryview(data)[offsets[a]:offsets[b]])
        parts[-1] = parts[-1][:-1]  # trailing comma of the last record
        self._prefetch(t, last + 1, variant)
        return b"".join(parts)

    def _prefetch(self, t: TableData, k: int, variant: tuple) -> None:
        pool = self._pool
        if pool is None or k * self.chunk >= t.n:
            return
        key = (t.system, t.name, variant, k)
        with self._lock:
            if key in self._cache or key in self._pending:
                return
        with contextlib.suppress(RuntimeError):  # pool shut down (reload/stop)
            pool.submit(self._chunk, t, k, variant)

    def _chunk(self, t: TableData, k: int, variant: tuple) -> tuple[pa.Buffer, np.ndarray, int]:
        key = (t.system, t.name, variant, k)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            fut = self._pending.get(key)
            owner = fut is None
            if owner:
                fut = self._pending[key] = Future()
        if not owner:  # being rendered by another thread (usually the prefetcher)
            return fut.result()
        try:
            entry = self._render(t, k, variant)
        except BaseException as exc:
            fut.set_exception(exc)
            with self._lock:
                self._pending.pop(key, None)
            raise
        size = int(entry[1][-1] - entry[1][0]) + 8 * len(entry[1])
        with self._lock:
            self._pending.pop(key, None)
            self._cache[key] = entry
            self._size += size
            while self._size > self.budget and len(self._cache) > 1:
                _, (_, old, _) = self._cache.popitem(last=False)
                self._size -= int(old[-1] - old[0]) + 8 * len(old)
        fut.set_result(entry)
        return entry

    def _render(self, t: TableData, k: int, variant: tuple) -> tuple[pa.Buffer, np.ndarray, int]:
        base = k * self.chunk
        end = min(t.n, base + self.chunk)
        arr = BUILDERS[t.system](self.store, t, base, end, *variant)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if not pa.types.is_string(arr.type):
            arr = arr.cast(pa.string())
        bufs = arr.buffers()
        offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(arr) + 1,
                                offset=arr.offset * 4).astype(np.int64)
        return (bufs[2] if bufs[2] is not None else pa.py_buffer(b""), offsets, base)
