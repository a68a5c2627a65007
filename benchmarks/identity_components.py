"""Benchmark of the identity graph's connected components (not a test; run by hand).

    uv run python -m benchmarks.identity_components [--scale 1.0] [--data-dir DIR]

Builds a synthetic graph straight into `intermediate.int_identity__nodes` / `__edges` of a
throwaway warehouse — stars (one person, several identifiers), chains with random node
order (worst case for label propagation), one long chain and a dense random graph with a
giant component — then times `dbt run -s int_identity__components` (the
connected_components materialization) and `dbt test -s assert_identity_components_are_fixpoint`,
and checks the number of components against scipy.
At scale 1.0: ~10M nodes, ~18M edges.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tests.dbt.helpers import failures, run_dbt


def build_graph(warehouse: Path, scale: float) -> tuple[int, int]:
    stars, chains, chain_len = int(1_000_000 * scale), int(2_000 * scale), 500
    long_chain, rnd_nodes, rnd_edges = int(200_000 * scale), int(3_000_000 * scale), int(
        12_000_000 * scale)
    con = duckdb.connect(str(warehouse))
    con.execute("create schema if not exists intermediate")
    con.execute(f"""
        create or replace temp table raw_edges as
        select 's' || h as a, 's' || h || '_' || l as b from range({stars}) t(h), range(5) u(l)
        union all
        select 'c' || c || '_' || i, 'c' || c || '_' || (i + 1)
        from range({chains}) t(c), range({chain_len - 1}) u(i)
        union all
        select 'L' || i, 'L' || (i + 1) from range({long_chain - 1}) t(i)
        union all
        select 'r' || (hash(i) % {rnd_nodes}), 'r' || (hash(i * 7 + 3) % {rnd_nodes})
        from range({rnd_edges}) t(i)
    """)
    con.execute("""
        create or replace table intermediate.int_identity__nodes as
        select row_number() over (order by hash(v)) as node_id, 'anonymous_id' as identifier_type,
               v as identifier_value
        from (select a as v from raw_edges union select b from raw_edges)
    """)
    con.execute("""
        create or replace table intermediate.int_identity__edges as
        select distinct least(na.node_id, nb.node_id) as node_id_a,
               greatest(na.node_id, nb.node_id) as node_id_b
        from raw_edges e
        join intermediate.int_identity__nodes na on na.identifier_value = e.a
        join intermediate.int_identity__nodes nb on nb.identifier_value = e.b
        where na.node_id <> nb.node_id
    """)
    n = con.sql("select count(*) from intermediate.int_identity__nodes").fetchall()[0][0]
    m = con.sql("select count(*) from intermediate.int_identity__edges").fetchall()[0][0]
    con.close()
    return n, m


def scipy_components(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse))
    e = con.sql("select node_id_a, node_id_b from intermediate.int_identity__edges").fetchnumpy()
    n = con.sql("select max(node_id) from intermediate.int_identity__nodes").fetchall()[0][0]
    con.close()
    a, b = e["node_id_a"].astype(np.int64) - 1, e["node_id_b"].astype(np.int64) - 1
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cxm_cc_bench_"))
    data_dir.mkdir(parents=True, exist_ok=True)
    warehouse = data_dir / "warehouse.duckdb"

    t = time.perf_counter()
    n, m = build_graph(warehouse, args.scale)
    print(f"graph: {n:,} nodes, {m:,} edges (built in {time.perf_counter() - t:.1f}s)")

    t = time.perf_counter()
    result = run_dbt(["run", "--select", "int_identity__components"], data_dir,
                     data_dir / "target")
    assert result.success, failures(result)
    run_s = result.result.results[0].execution_time
    print(f"dbt run int_identity__components: {run_s:.1f}s model, "
          f"{time.perf_counter() - t:.1f}s with dbt start-up")

    result = run_dbt(["test", "--select", "assert_identity_components_are_fixpoint"],
                     data_dir, data_dir / "target")
    assert result.success, failures(result)
    print(f"fixpoint test: {result.result.results[0].execution_time:.1f}s")

    con = duckdb.connect(str(warehouse))
    ours = con.sql("select count(distinct component_node_id) "
                   "from intermediate.int_identity__components").fetchall()[0][0]
    con.close()
    expected = scipy_components(warehouse)
    print(f"components: {ours:,} (scipy: {expected:,})")
    assert ours == expected


if __name__ == "__main__":
    main()
