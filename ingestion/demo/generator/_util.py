"""Vectorised helpers: random streams, time units, identifier formatting, Arrow conversion.

Internal time unit is **milliseconds since the Unix epoch (UTC)** in int64 arrays; ``NEVER``
marks "does not happen (within the simulated horizon)".
"""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime, time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SEC = 1_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
NEVER = np.iinfo(np.int64).max

TS = pa.timestamp("us", tz="UTC")

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per component, so components do not shift each other."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def day_ms(d: date) -> int:
    return int(datetime.combine(d, time(0), tzinfo=UTC).timestamp() * 1000)


def mix64(x: np.ndarray, key: int = 0) -> np.ndarray:
    """splitmix64 finaliser of (x + key*golden): a bijection on uint64 (distinct in -> out)."""
    salt = np.uint64((key * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
    z = np.asarray(x).astype(np.uint64) + salt
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _strings(mat: np.ndarray) -> pa.StringArray:
    """Fixed-width uint8 matrix (n, w) of ASCII -> Arrow string array (zero copy)."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, w = mat.shape
    offsets = (np.arange(n + 1, dtype=np.int32) * w).astype(np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(mat.reshape(-1)))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_B32 = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)  # Crockford
_B36 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _hex_mat(x: np.ndarray) -> np.ndarray:
    b = np.asarray(x, dtype=np.uint64).astype(">u8").view(np.uint8).reshape(-1, 8)
    out = np.empty((b.shape[0], 16), np.uint8)
    out[:, 0::2] = _HEX[b >> 4]
    out[:, 1::2] = _HEX[b & 15]
    return out


def hex16(x: np.ndarray) -> pa.StringArray:
    return _strings(_hex_mat(x))


def prefixed_hex(prefix: str, x: np.ndarray, width: int = 16) -> pa.StringArray:
    m = _hex_mat(x)[:, 16 - width:]
    p = np.frombuffer(prefix.encode(), np.uint8)
    return _strings(np.concatenate([np.broadcast_to(p, (m.shape[0], p.size)), m], axis=1))


def uuid4(a: np.ndarray, b: np.ndarray) -> pa.StringArray:
    """UUID-v4-looking strings from two uint64 arrays (distinct a -> distinct uuid)."""
    ha, hb = _hex_mat(a), _hex_mat(b)
    ha[:, 12] = ord("4")  # version 4
    hb[:, 0] = np.frombuffer(b"89ab", np.uint8)[hb[:, 1] % 4]  # RFC 4122 variant
    dash = np.full((ha.shape[0], 1), ord("-"), np.uint8)
    m = np.concatenate([ha[:, :8], dash, ha[:, 8:12], dash, ha[:, 12:16], dash, hb[:, :4], dash,
                        hb[:, 4:16]], axis=1)
    return _strings(m)


def ulid(ts_ms: np.ndarray, rnd: np.ndarray) -> pa.StringArray:
    """ULID-like ids (26 chars Crockford base32): 48-bit time + 80 bits from a uint64 + salt."""
    t = np.asarray(ts_ms, dtype=np.int64).astype(np.uint64)
    r = np.asarray(rnd, dtype=np.uint64)
    r2 = mix64(r, 7)
    n = t.shape[0]
    out = np.empty((n, 26), np.uint8)
    for i in range(10):  # time: 50 bits, most significant first
        out[:, i] = _B32[((t >> np.uint64(5 * (9 - i))) & np.uint64(31)).astype(np.intp)]
    for i in range(13):  # 65 bits of r (64) ...
        out[:, 10 + i] = _B32[((r >> np.uint64(min(5 * (12 - i), 63))) & np.uint64(31)).astype(
            np.intp)]
    for i in range(3):  # ... + 15 bits of r2
        out[:, 23 + i] = _B32[((r2 >> np.uint64(5 * i)) & np.uint64(31)).astype(np.intp)]
    return _strings(out)


def base36(x: np.ndarray, width: int, prefix: str = "") -> pa.StringArray:
    v = np.asarray(x, dtype=np.uint64).copy()
    out = np.empty((v.shape[0], width), np.uint8)
    for i in range(width - 1, -1, -1):
        out[:, i] = _B36[(v % np.uint64(36)).astype(np.intp)]
        v //= np.uint64(36)
    p = np.frombuffer(prefix.encode(), np.uint8)
    if p.size:
        out = np.concatenate([np.broadcast_to(p, (out.shape[0], p.size)), out], axis=1)
    return _strings(out)


def scramble40(idx: np.ndarray, key: int) -> np.ndarray:
    """Bijection on [0, 2**40): odd multiply, add, xor-shift, all modulo 2**40."""
    m = np.uint64((1 << 40) - 1)
    v = np.asarray(idx, dtype=np.uint64)
    v = (v * np.uint64(0x5DEECE66D | 1) + np.uint64(key & 0xFFFFFFFFFF)) & m
    v = v ^ (v >> np.uint64(17))
    v = (v * np.uint64(0x2545F4914F6CDD1D & 0xFFFFFFFFFF | 1)) & m
    return v ^ (v >> np.uint64(13))


def num_str(x: np.ndarray) -> pa.StringArray:
    return pa.array(np.asarray(x, dtype=np.int64)).cast(pa.string())


def ts_arr(ms: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """int64 ms -> timestamp[us, UTC]; NEVER (or ``mask`` False) -> null."""
    ms = np.asarray(ms, dtype=np.int64)
    valid = ms != NEVER if mask is None else (mask & (ms != NEVER))
    us = np.where(valid, ms, 0) * 1000
    return pa.array(us.astype("datetime64[us]"), type=TS, mask=~valid)


def take(values, idx: np.ndarray) -> pa.Array:
    """values[idx] with idx < 0 -> null. ``values`` is a list or Arrow array."""
    arr = values if isinstance(values, pa.Array) else pa.array(values)
    idx = np.asarray(idx)
    return arr.take(pa.array(idx.astype(np.int64), mask=idx < 0))


def join(*parts, skip_nulls: bool = False) -> pa.Array:
    """Element-wise concatenation of string arrays/scalars; null if any part is null
    (or, with ``skip_nulls``, nulls are treated as empty)."""
    handling = "skip" if skip_nulls else "emit_null"
    return pc.binary_join_element_wise(*parts, "", null_handling=handling)


def where(mask: np.ndarray, a, b) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)


def choice_idx(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(size), side="right").clip(
        0, len(w) - 1)


def group_starts(keys: np.ndarray) -> np.ndarray:
    """For a sorted key array: boolean mask of the first row of each run."""
    first = np.ones(keys.shape[0], dtype=bool)
    if keys.shape[0]:
        first[1:] = keys[1:] != keys[:-1]
    return first


def rank_within(keys: np.ndarray) -> np.ndarray:
    """For a sorted key array: 0-based position of each row inside its run."""
    n = keys.shape[0]
    first = group_starts(keys)
    start_pos = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    return np.arange(n) - start_pos


def segment_cummax(values: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Running maximum within runs of a sorted ``keys`` array (int64 values with |v| < 2**38
    relative to the run's first value)."""
    n = values.shape[0]
    if n == 0:
        return values.copy()
    first = group_starts(keys)
    run = np.cumsum(first) - 1
    base = values[np.maximum.accumulate(np.where(first, np.arange(n), 0))]
    shifted = (values - base) + run.astype(np.int64) * (1 << 40)
    return np.maximum.accumulate(shifted) - run.astype(np.int64) * (1 << 40) + base


def hour_of_day_ms(rng: np.random.Generator, size: int, profile: str = "web") -> np.ndarray:
    """Random time of day (ms) following a daily activity profile."""
    if profile == "web":
        w = np.array([1, .6, .4, .3, .3, .5, 1.2, 2.2, 3, 3.4, 3.6, 3.8, 4.2, 4, 3.8, 3.8, 4,
                      4.4, 5, 5.6, 5.8, 5, 3.4, 2])
    else:  # office hours
        w = np.array([.2, .1, .1, .1, .1, .3, .8, 2.5, 5, 6, 6, 5.5, 4.5, 5.5, 6, 5.5, 4.5, 3,
                      1.5, 1, .8, .6, .4, .3])
    h = choice_idx(rng, w, size)
    return h * HOUR + rng.integers(0, HOUR, size)


def fmt_iso(ms: np.ndarray) -> pa.Array:
    """ISO-8601 with Z, second precision (for CSV)."""
    return pc.strftime(ts_arr(ms), format="%Y-%m-%dT%H:%M:%SZ")


def sort_key(*cols: tuple[np.ndarray, int]) -> np.ndarray:
    """Pack non-negative integer columns (most significant first) with their bit widths into
    one int64 sort key; use ``np.argsort(key, kind="stable")`` instead of a slow lexsort."""
    key = np.zeros(np.asarray(cols[0][0]).shape, np.int64)
    total = 0
    for values, bits in cols:
        v = np.asarray(values).astype(np.int64)
        if v.size and (v.min() < 0 or v.max() >= (1 << bits)):
            raise ValueError("sort_key: value out of range")
        key = (key << bits) | v
        total += bits
    if total > 63:
        raise ValueError("sort_key: more than 63 bits")
    return key


_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def _put_iso(out: np.ndarray, col: int, ms: np.ndarray) -> None:
    """Write ``YYYY-MM-DDTHH:MM:SS.mmmZ`` of int64 ms into ``out[:, col:col + 24]``."""
    day = ms // DAY
    d0, d1 = (int(day.min()), int(day.max())) if ms.size else (0, 0)
    lut = np.frombuffer(np.datetime_as_string(np.arange(d0, d1 + 1).astype("datetime64[D]"))
                        .astype("S10").tobytes(), np.uint8).reshape(-1, 10)
    out[:, col:col + 10] = lut[day - d0]
    rem = (ms - day * DAY).astype(np.int32)  # ms of the day fits in int32
    zero = np.int32(48)
    for pos, div, mod in ((11, HOUR * 10, 10), (12, HOUR, 10), (14, MIN * 10, 6), (15, MIN, 10),
                          (17, SEC * 10, 6), (18, SEC, 10), (20, 100, 10), (21, 10, 10),
                          (22, 1, 10)):
        out[:, col + pos] = (rem // np.int32(div)) % np.int32(mod) + zero
    out[:, col + 10] = ord("T")
    out[:, col + 13] = out[:, col + 16] = ord(":")
    out[:, col + 19] = ord(".")
    out[:, col + 23] = ord("Z")


def iso_mat(ms: np.ndarray) -> np.ndarray:
    """int64 ms -> (n, 24) uint8 matrix of ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (vectorised)."""
    ms = np.asarray(ms, dtype=np.int64)
    out = np.empty((ms.size, 24), np.uint8)
    _put_iso(out, 0, ms)
    return out


def fixed_concat(*parts) -> pa.StringArray:
    """Concatenate, column-wise, byte literals, (n, w) uint8 matrices and ``("iso", ms)``
    timestamps (rendered in place) into one fixed-width string array."""
    n = next((p.shape[0] if isinstance(p, np.ndarray) else p[1].size)
             for p in parts if not isinstance(p, bytes))
    width = sum(len(p) if isinstance(p, bytes) else 24 if isinstance(p, tuple) else p.shape[1]
                for p in parts)
    out = np.empty((n, width), np.uint8)
    col = 0
    for p in parts:
        if isinstance(p, bytes):
            out[:, col:col + len(p)] = np.frombuffer(p, np.uint8)
            col += len(p)
        elif isinstance(p, tuple):
            _put_iso(out, col, np.asarray(p[1], dtype=np.int64))
            col += 24
        else:
            out[:, col:col + p.shape[1]] = p
            col += p.shape[1]
    return _strings(out)


def hex_mat(x: np.ndarray) -> np.ndarray:
    return _hex_mat(x)


def uniq_int(x: np.ndarray) -> np.ndarray:
    """Sorted unique values of an integer array (sort based; faster than np.unique here)."""
    if not x.size:
        return x.copy()
    s = np.sort(x)
    return s[np.r_[True, s[1:] != s[:-1]]]
