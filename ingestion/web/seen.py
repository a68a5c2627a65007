"""`SeenIds`: the message ids one extract run has yielded, so each id is yielded once per load.

The merge can then skip deduplicating its staging table (the dominant cost of a delete-insert
on DuckDB: a window over every staged row; see `ingestion.web`).

Exact, and linear in the run's events. A batch is first reduced to the first row of each id
(a DuckDB GROUP BY over the batch only). Whether an id came in an earlier batch is answered
by its 64-bit hash, looked up in sorted numpy runs of the hashes seen so far (merged like a
log-structured merge tree, so each hash is moved O(log n) times); only a hash hit (a repeat,
or in rare cases a collision) is checked against the ids themselves, kept in an in-memory
DuckDB table. An earlier version anti-joined every batch against that table, which rebuilt a
hash table of all seen ids per batch: quadratic in the run's size (17 s of a 10M-event load,
~100x that at 100M).

Memory: ~60 bytes per event of the run (the id and its hash), so ~6 GB for a 100M-event
backfill in one run; split such a backfill with `file_glob` (e.g. a month per run).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa


class SeenIds:
    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.con.execute("set enable_progress_bar = false").fetchall()
        self.con.execute("create table seen (h ubigint, message_id varchar)").fetchall()
        self.runs: list[np.ndarray] = []  # sorted hashes, each run shorter than the one before

    def first_delivery(self, good: pa.Table) -> pa.Table:
        """`good` without rows whose message id was seen before (in this batch or earlier)."""
        n = good.num_rows
        if not n:
            return good
        ids = pa.table({"message_id": good["message_id"],
                        "i": pa.array(np.arange(n, dtype=np.int64))})
        self.con.register("__ids", ids)
        try:
            firsts = self.con.sql("""
                select min(i) as i, any_value(hash(message_id)) as h, message_id
                from __ids group by message_id
            """).to_arrow_table()
        finally:
            self.con.unregister("__ids")
        hit = self._contains(firsts["h"].to_numpy())
        if hit.any():
            firsts = firsts.filter(pa.array(~self._seen(firsts.filter(pa.array(hit)), hit)))
        self.con.register("__new", firsts)
        try:
            self.con.execute("insert into seen select h, message_id from __new").fetchall()
        finally:
            self.con.unregister("__new")
        self._add(firsts["h"].to_numpy())
        if firsts.num_rows == n:
            return good
        return good.take(pa.array(np.sort(firsts["i"].to_numpy())))

    def _seen(self, candidates: pa.Table, hit: np.ndarray) -> np.ndarray:
        """Of the rows flagged in `hit`, those whose id (not only its hash) was seen: the
        mask over all rows, False where `hit` is False."""
        self.con.register("__cand", candidates)
        try:
            seen = {r[0] for r in self.con.sql(
                "select message_id from seen where h in (select h from __cand)").fetchall()}
        finally:
            self.con.unregister("__cand")
        out = np.zeros(len(hit), dtype=bool)
        out[np.flatnonzero(hit)] = [m in seen for m in candidates["message_id"].to_pylist()]
        return out

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
        self.con.close()
