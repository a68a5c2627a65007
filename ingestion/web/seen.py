"""`SeenIds`: the message ids one extract run has yielded, so each id is yielded once per load.

The merge can then skip deduplicating its staging table (the dominant cost of a delete-insert
on DuckDB: a window over every staged row; see `ingestion.web`).

Exact, and linear in the run's events. Each id is hashed to 64 bits (DuckDB's `hash`). Within
a batch, repeats are found by sorting the hashes; across batches, by looking the hashes up in
sorted numpy runs of the hashes kept so far (merged like a log-structured merge tree, so each
hash is moved O(log n) times). Only a hash that repeats (a duplicate delivery, ~0.5% of the
demo's events, or in rare cases a collision) has its id compared as text: against the ids of
its batch, or against the ids kept by earlier batches (each batch's kept ids are copied out
in the order of their sorted hashes, for the lookup). Earlier versions anti-joined every batch
against a table of all seen ids (quadratic: 17 s of a 10M-event load), then looked hash hits
up by scanning that table (2 s at M); a batch without repeats is returned as it is, one with
repeats is filtered with a mask (2.4x faster than Arrow's `take` on these wide batches).

Memory: ~50 bytes per event of the run (the id and its hash), so ~5 GB for a 100M-event
backfill in one run; split such a backfill with `file_glob` (e.g. a month per run).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa


@dataclass
class _Kept:
    hashes: np.ndarray  # the batch's kept rows' hashes, sorted
    ids: pa.ChunkedArray  # their ids, in the same order (a copy: a column of the batch
    # itself would keep the whole batch in memory, as DuckDB's Arrow export shares buffers)


class SeenIds:
    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.con.execute("set enable_progress_bar = false").fetchall()
        self.runs: list[np.ndarray] = []  # sorted hashes, each run shorter than the one before
        self.kept: list[_Kept] = []
        self.count = 0  # ids kept so far

    def first_delivery(self, good: pa.Table) -> pa.Table:
        """`good` without rows whose message id was seen before (in this batch or earlier)."""
        n = good.num_rows
        if not n:
            return good
        ids = good["message_id"]
        h = self._hash(ids)
        keep = self._first_in_batch(ids, h)
        rows = np.flatnonzero(keep)
        hit = self._contains(h[rows])
        if hit.any():
            candidates = rows[hit]
            keep[candidates[self._seen_before(ids, candidates, h[candidates])]] = False
            rows = np.flatnonzero(keep)
        kept = h[rows]
        order = np.argsort(kept, kind="stable")
        self.kept.append(_Kept(kept[order], ids.take(pa.array(rows[order]))))
        self._add(kept)
        self.count += len(rows)
        return good if len(rows) == n else good.filter(pa.array(keep))

    def _hash(self, ids: pa.ChunkedArray) -> np.ndarray:
        self.con.register("__ids", pa.table({"m": ids}))
        try:  # a projection over an Arrow scan keeps the row order
            return self.con.sql("select hash(m) as h from __ids").fetchnumpy()["h"]
        finally:
            self.con.unregister("__ids")

    @staticmethod
    def _first_in_batch(ids: pa.ChunkedArray, h: np.ndarray) -> np.ndarray:
        """Mask of each id's first row in the batch (repeated hashes compared as text)."""
        keep = np.ones(len(h), dtype=bool)
        order = np.argsort(h, kind="stable")
        hs = h[order]
        repeat = np.flatnonzero(hs[1:] == hs[:-1]) + 1
        if not repeat.size:
            return keep
        rows = np.sort(order[np.isin(hs, hs[repeat])])  # every row of a repeated hash
        first: set[str] = set()
        for row, value in zip(rows, ids.take(pa.array(rows)).to_pylist(), strict=True):
            if value in first:
                keep[row] = False
            else:
                first.add(value)
        return keep

    def _seen_before(self, ids: pa.ChunkedArray, rows: np.ndarray, h: np.ndarray
                     ) -> np.ndarray:
        """Of `rows` (whose hashes `h` were found in the runs), those whose id was kept by an
        earlier batch."""
        earlier: set[str] = set()
        needles = np.unique(h)
        for k in self.kept:
            lo = np.searchsorted(k.hashes, needles, side="left")
            hi = np.searchsorted(k.hashes, needles, side="right")
            found = hi > lo
            at = lo[found]
            # two kept ids of one batch sharing a hash (a collision): take every one of them
            wide = (hi - lo)[found] > 1
            if wide.any():
                at = np.concatenate([at, *(np.arange(a + 1, b) for a, b in
                                           zip(lo[found][wide], hi[found][wide], strict=True))])
            if at.size:
                earlier.update(k.ids.take(pa.array(at)).to_pylist())
        return np.array([v in earlier for v in ids.take(pa.array(rows)).to_pylist()],
                        dtype=bool)

    def _contains(self, h: np.ndarray) -> np.ndarray:
        # sorted needles: searchsorted then walks each run once instead of jumping at random
        order = np.argsort(h)
        needles = h[order]
        hit_sorted = np.zeros(len(h), dtype=bool)
        for run in self.runs:
            pos = np.minimum(np.searchsorted(run, needles), len(run) - 1)
            hit_sorted |= run[pos] == needles
        hit = np.empty(len(h), dtype=bool)
        hit[order] = hit_sorted
        return hit

    def _add(self, h: np.ndarray) -> None:
        run = np.sort(h)
        # a stable sort of two concatenated sorted runs is a linear merge (timsort)
        while self.runs and len(self.runs[-1]) <= len(run):
            run = np.sort(np.concatenate([self.runs.pop(), run]), kind="stable")
        self.runs.append(run)

    def close(self) -> None:
        self.kept.clear()
        self.runs.clear()
        self.con.close()
