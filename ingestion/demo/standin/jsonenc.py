"""Vectorised JSON encoding of Arrow columns.

The stand-in never builds a Python dict per record. Each column of a page (or of a cached
chunk of rows) is turned into an Arrow string array of JSON *fragments* (`"a@b.c"`, `42`,
`null`, `["x","y"]`, ...) with a handful of Arrow compute calls, and the fragments are joined
element-wise with literal key text into one JSON object per row. A page is then a slice of
one contiguous buffer. Values Arrow cannot encode safely (rare control characters, exotic
types, planted faults) fall back to `orjson`/`json` per value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

try:  # orjson ships with dlt; the stdlib is the fallback
    import orjson

    def dumps(value: Any) -> str:
        return orjson.dumps(value, default=str).decode()

    loads = orjson.loads

except ImportError:  # pragma: no cover

    def dumps(value: Any) -> str:
        return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)

    loads = json.loads


NULL = "null"
_CONTROL = r"[\x00-\x1f]"
_SIMPLE_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
US_PER_S = 1_000_000
_YEAR_1000_US = -30_610_224_000 * US_PER_S
_YEAR_10000_US = 253_402_300_800 * US_PER_S


def _strings(arr: pa.Array) -> pa.Array:
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        return arr.cast(pa.string())
    return arr


@dataclass
class Frag:
    """JSON fragments of one column: `prefix + values[i] + suffix` per row.

    Constant wrappers (quotes, brackets) stay out of the per-row values so that they cost
    nothing: `join_object` folds them into the literal text between columns. `values` None
    means the fragment is the constant `prefix` for every row."""

    n: int
    values: pa.Array | None = None
    prefix: str = ""
    suffix: str = ""

    def full(self) -> pa.Array:
        """Materialised fragments (one string per row, never null)."""
        if self.values is None:
            return _repeat(self.prefix, self.n)
        if not self.prefix and not self.suffix:
            return self.values
        return pc.binary_join_element_wise(self.prefix, self.values, self.suffix, "")


def _bytes(arr: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of a string array's values (a view)."""
    bufs = arr.buffers()
    if bufs[2] is None or len(arr) == 0:
        return np.zeros(0, np.uint8)
    offsets = np.frombuffer(bufs[1], np.int32, len(arr) + 1, arr.offset * 4)
    return np.frombuffer(bufs[2], np.uint8)[offsets[0]:offsets[-1]]


def _wrap(text: pa.Array, prefix: str, suffix: str) -> Frag:
    """Text values (nulls allowed) -> fragments `prefix + text + suffix`, null -> `null`."""
    n = len(text)
    nulls = text.null_count
    if nulls == n:
        return Frag(n, None, NULL)
    if nulls == 0:
        return Frag(n, text, prefix, suffix)
    if prefix or suffix:
        text = pc.binary_join_element_wise(prefix, text, suffix, "")
    return Frag(n, pc.fill_null(text, NULL))


def escape(arr: pa.Array) -> pa.Array:
    """Text -> JSON string contents (without the quotes); nulls stay null."""
    arr = _strings(arr)
    raw = _bytes(arr)
    if not raw.size:
        return arr
    special = (raw < 0x20) | (raw == 0x22) | (raw == 0x5C)
    if not special.any():
        return arr
    original = arr
    present = set(raw[special].tolist())
    for old, new in _SIMPLE_ESCAPES:
        if ord(old) in present:
            arr = pc.replace_substring(arr, old, new)
    if present - {ord(c) for c, _ in _SIMPLE_ESCAPES}:  # other control characters
        odd = pc.match_substring_regex(arr, _CONTROL)
        mask = pc.fill_null(odd, False).to_pylist()
        pairs = zip(original.to_pylist(), mask, strict=True)
        fixed = [dumps(v)[1:-1] if m else None for v, m in pairs]
        arr = pc.if_else(odd, pa.array(fixed, pa.string()), arr)
    return arr


def quote(arr: pa.Array) -> Frag:
    """Text column -> JSON string fragments (null -> `null`)."""
    return _wrap(escape(arr), '"', '"')


def micros(arr: pa.Array) -> pa.Array:
    """Timestamp column (any unit, any tz, or naive = UTC) -> int64 microseconds since epoch."""
    t = arr.type
    if t.unit != "us":
        arr = pc.cast(arr, pa.timestamp("us", tz=t.tz), safe=False)
    return pc.cast(arr, pa.int64())


def iso_body(arr: pa.Array, min_unit: str = "s") -> pa.Array:
    """Timestamp column -> ISO-8601 UTC text *without* the trailing `Z` (nulls stay null).

    Uses the coarsest of s/ms/us that keeps every value of the array exact, but at least
    `min_unit` (HubSpot always shows milliseconds)."""
    us = micros(arr)
    if len(us) == 0:
        return pa.array([], pa.string())
    vals = pc.fill_null(us, 0).to_numpy()
    if min_unit == "s" and not np.any(vals % US_PER_S):
        unit = "s"
    elif min_unit in ("s", "ms") and not np.any(vals % 1000):
        unit = "ms"
    else:
        unit = "us"
    naive = pc.cast(pc.cast(us, pa.timestamp("us")), pa.timestamp(unit), safe=False)
    text = pc.cast(naive, pa.string())
    if vals.min() >= _YEAR_1000_US and vals.max() < _YEAR_10000_US:  # "YYYY-MM-DD hh:mm:ss"
        return pc.binary_replace_slice(text, 10, 11, "T")
    return pc.replace_substring(text, " ", "T", max_replacements=1)


def iso(arr: pa.Array, min_unit: str = "s") -> pa.Array:
    """Timestamp column -> ISO-8601 UTC text with `Z` (nulls stay null)."""
    body = iso_body(arr, min_unit)
    return pc.binary_join_element_wise(body, "Z", "") if len(body) else body


def _repeat(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), pa.string())


def _python(arr: pa.Array) -> pa.Array:
    return pa.array([NULL if v is None else dumps(v) for v in arr.to_pylist()], pa.string())


def _float_text(arr: pa.Array) -> pa.Array:
    """Float column -> shortest round-trip text; NaN/inf -> null."""
    text = pc.cast(arr, pa.string())
    if arr.null_count == len(arr):
        return text
    return pc.if_else(pc.is_finite(arr), text, pa.scalar(None, pa.string()))


def encode(arr: pa.Array, as_text: bool = False, ts_unit: str = "s") -> Frag:
    """Arrow column -> JSON fragments, one per value (null -> `null`).

    `as_text=True` renders every value as a JSON string (HubSpot: all property values are
    strings; lists are joined with `;` like HubSpot multi-checkbox values)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    n = len(arr)
    q = ('"', '"') if as_text else ("", "")
    if pa.types.is_null(t) or (n and arr.null_count == n):
        return Frag(n, None, NULL)
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return quote(arr)
    if pa.types.is_timestamp(t):
        return _wrap(iso_body(arr, ts_unit), '"', 'Z"')
    if pa.types.is_integer(t):
        return _wrap(pc.cast(arr, pa.string()), *q)
    if pa.types.is_floating(t):
        return _wrap(_float_text(arr), *q)
    if pa.types.is_boolean(t):
        return _wrap(pc.if_else(arr, "true", "false"), *q)
    if pa.types.is_date(t):
        return _wrap(pc.cast(arr, pa.string()), '"', '"')
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        flat = arr.flatten()
        offsets = pc.subtract(arr.offsets, arr.offsets[0])
        if pa.types.is_large_list(t):
            offsets = pc.cast(offsets, pa.int32())
        if as_text:
            inner = text_values(flat)
            joined = pc.binary_join(pa.ListArray.from_arrays(offsets, inner), ";")
            return quote(pc.if_else(arr.is_null(), pa.scalar(None, pa.string()), joined))
        inner = encode(flat, ts_unit=ts_unit).full()
        joined = pc.binary_join(pa.ListArray.from_arrays(offsets, inner), ",")
        if arr.null_count:
            joined = pc.if_else(arr.is_null(), pa.scalar(None, pa.string()), joined)
        return _wrap(joined, "[", "]")
    if as_text:
        return quote(pa.array([None if v is None else str(v) for v in arr.to_pylist()],
                              pa.string()))
    return Frag(n, _python(arr))


def text_values(arr: pa.Array, ts_unit: str = "s") -> pa.Array:
    """Arrow column -> plain text per value (nulls stay null): what a CSV cell holds."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return _strings(arr)
    if pa.types.is_timestamp(t):
        return iso(arr, ts_unit)
    if pa.types.is_floating(t):
        return _float_text(arr)
    if pa.types.is_boolean(t):
        return pc.if_else(arr, "true", "false")
    if pa.types.is_integer(t) or pa.types.is_date(t):
        return pc.cast(arr, pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(arr), pa.string())
    enc = encode(arr, ts_unit=ts_unit).full()  # lists, structs: JSON text
    return pc.if_else(arr.is_null(), pa.scalar(None, pa.string()), enc)


def fault_fragment(value: Any, as_text: bool = False) -> str:
    """A planted fault value -> JSON fragment."""
    if value is None:
        return NULL
    if as_text:
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        elif not isinstance(value, str):
            value = dumps(value)
        return dumps(value)
    return dumps(value)


def patch(frag: Frag, fixes: Mapping[int, str]) -> Frag:
    """Replace the fragments at the given row positions (planted faults)."""
    if not fixes:
        return frag
    values = frag.full().to_pylist()
    for pos, text in fixes.items():
        values[pos] = text
    return Frag(frag.n, pa.array(values, pa.string()))


def key_literal(name: str) -> str:
    return dumps(name) + ":"


def join_object(fields: Sequence[tuple[str, Any]], n: int, suffix: str = "") -> pa.Array:
    """[(key, Frag | literal str | nested field list)] -> one JSON object per row (+ suffix).

    A nested value is itself a list of (key, value) and becomes a nested object."""
    parts: list[Any] = []
    _object_parts(fields, parts)
    if suffix:
        parts.append(suffix)
    merged: list[Any] = []  # adjacent literals merged: fewer kernel arguments
    for p in parts:
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        elif not (isinstance(p, str) and not p):
            merged.append(p)
    if not any(isinstance(p, pa.Array) for p in merged):
        return _repeat("".join(merged), n)
    return pc.binary_join_element_wise(*merged, "")


def _object_parts(fields: Sequence[tuple[str, Any]], parts: list[Any]) -> None:
    parts.append("{")
    for i, (key, value) in enumerate(fields):
        parts.append(("," if i else "") + key_literal(key))
        if isinstance(value, list):
            _object_parts(value, parts)
        elif isinstance(value, Frag):
            parts.append(value.prefix)
            if value.values is not None:
                parts += [value.values, value.suffix]
        elif isinstance(value, pa.Array):
            parts.append(value)
        else:
            parts.append(str(value))
    parts.append("}")


def nest(flat: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Un-flatten dlt-style `a__b` names into nested field lists, keeping column order."""
    out: list[tuple[str, Any]] = []
    index: dict[str, list] = {}
    for name, value in flat:
        if "__" not in name:
            out.append((name, value))
            continue
        head, rest = name.split("__", 1)
        if head not in index:
            index[head] = []
            out.append((head, index[head]))
        index[head].append((rest, value))
    return [(k, nest(v) if isinstance(v, list) else v) for k, v in out]


def group_join(fragments: pa.Array, counts: np.ndarray) -> Frag:
    """Consecutive runs of `counts[i]` fragments -> one JSON array per run."""
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), fragments)
    return Frag(len(counts), pc.binary_join(lists, ","), "[", "]")
