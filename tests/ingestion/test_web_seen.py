"""SeenIds: each message id passes once per run, first occurrence kept, across many batches."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ingestion.web.seen import SeenIds


def test_first_delivery_matches_a_python_set_over_many_batches():
    rng = np.random.default_rng(3)
    seen, ref = SeenIds(), set()
    for b in range(40):  # enough batches to merge the sorted hash runs several times
        ids = [f"m{x}" for x in rng.integers(0, 20_000, size=1_000)]
        batch = pa.table({"message_id": ids, "pos": list(range(len(ids)))})
        got = seen.first_delivery(batch)
        want = []
        for i, m in enumerate(ids):
            if m not in ref:
                ref.add(m)
                want.append(i)
        assert got["pos"].to_pylist() == want, f"batch {b}"
    assert len(seen.runs) <= 1 + int(np.log2(len(ref)))
    assert seen.count == len(ref)


def test_a_hash_hit_on_a_new_id_is_kept():
    """A 64-bit hash collision cannot be forced, so plant a foreign hash in the runs: an id
    whose hash is found but that was never seen still passes (exactness does not rest on
    the hash)."""
    seen = SeenIds()
    h = seen.con.sql("select hash('new-1')").fetchall()[0][0]
    seen.runs.append(np.array([h], dtype=np.uint64))
    got = seen.first_delivery(pa.table({"message_id": ["new-1", "new-1", "x"]}))
    assert got["message_id"].to_pylist() == ["new-1", "x"]
    again = seen.first_delivery(pa.table({"message_id": ["x", "new-1", "y"]}))
    assert again["message_id"].to_pylist() == ["y"]


def test_colliding_hashes_are_told_apart_by_the_ids():
    """Force every id onto one hash: within a batch and across batches only the text decides."""
    seen = SeenIds()
    seen._hash = lambda ids: np.full(len(ids), 7, dtype=np.uint64)  # type: ignore[method-assign]
    first = seen.first_delivery(pa.table({"message_id": ["a", "b", "a", "c", "b"]}))
    assert first["message_id"].to_pylist() == ["a", "b", "c"]
    second = seen.first_delivery(pa.table({"message_id": ["d", "b", "d", "e", "a"]}))
    assert second["message_id"].to_pylist() == ["d", "e"]
    assert seen.count == 5
