"""Write-audit-publish on a real DuckDB file: only public schemas, atomic swap, readers keep
their snapshot, clear-text PII refused."""

import subprocess
import sys
import textwrap

import duckdb
import pytest

from ingestion import paths
from orchestration.publish import PublishError, publish


def _warehouse(base, value: int, email: str = "a1b2c3d4e5f60718") -> None:
    con = duckdb.connect(str(paths.warehouse_path(base)))
    try:
        for schema in ("raw_crm", "staging", "intermediate", "core", "customer"):
            con.execute(f"create schema if not exists {schema}")
        con.execute("create or replace table raw_crm.contacts as select 'x@y.com' as email")
        con.execute("create or replace table core.fct_orders as select ? as v", [value])
        con.execute("create or replace view core.v_orders as select v * 10 as v10 "
                    "from core.fct_orders")
        con.execute("create or replace table customer.customer_360 as "
                    "select 'c1' as customer_id, ? as email_hash", [email])
        con.execute("create or replace view staging.stg as select 1 as s")
    finally:
        con.close()


def _read(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_publish_copies_only_public_schemas(tmp_path):
    _warehouse(tmp_path, 1)
    crashed = paths.published_path(tmp_path).with_name("published.duckdb.tmp-crashed-run")
    crashed.write_bytes(b"half a file")
    report = publish(tmp_path, run_id="r1")
    assert report.path == paths.published_path(tmp_path)
    assert sorted(report.schemas) == ["core", "customer"]
    schemas = {r[0] for r in _read(report.path, "select schema_name from "
                                                 "information_schema.schemata")}
    assert {"core", "customer"} <= schemas
    assert not schemas & {"raw_crm", "staging", "intermediate"}
    # views are materialised: the published file stands on its own
    assert _read(report.path, "select v10 from core.v_orders") == [(10,)]
    assert not list(tmp_path.glob("published.duckdb.tmp-*"))


def test_clear_text_pii_is_not_published(tmp_path):
    _warehouse(tmp_path, 1)
    publish(tmp_path, run_id="good")
    before = paths.published_path(tmp_path).stat()
    con = duckdb.connect(str(paths.warehouse_path(tmp_path)))
    con.execute("create or replace table customer.customer_360 as "
                "select 'c1' as customer_id, 'Alice@Example.com' as email")
    con.close()
    with pytest.raises(PublishError, match="customer.customer_360.email"):
        publish(tmp_path, run_id="bad")
    after = paths.published_path(tmp_path).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not list(tmp_path.glob("published.duckdb.tmp-*"))
    assert publish(tmp_path, run_id="opt-in", allow_pii=True).tables == 3


READER = textwrap.dedent("""
    import sys, duckdb
    path = sys.argv[1]
    con = duckdb.connect(path, read_only=True)
    print(con.execute("select v from core.fct_orders").fetchone()[0], flush=True)
    sys.stdin.readline()  # the writer publishes a new version meanwhile
    old = con.execute("select v from core.fct_orders").fetchone()[0]
    con.close()  # DuckDB shares one instance per file within a process: reconnect to refresh
    new = duckdb.connect(path, read_only=True).execute("select v from core.fct_orders")
    print(old, new.fetchone()[0], flush=True)
""")


def test_a_reader_holding_the_old_file_keeps_its_snapshot(tmp_path):
    _warehouse(tmp_path, 1)
    publish(tmp_path, run_id="v1")
    reader = subprocess.Popen([sys.executable, "-c", READER, str(paths.published_path(tmp_path))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "1"
        _warehouse(tmp_path, 2)
        publish(tmp_path, run_id="v2")  # does not wait for (or break) the open reader
        # a new connection elsewhere sees the new version at once
        assert _read(paths.published_path(tmp_path), "select v from core.fct_orders") == [(2,)]
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().split() == ["1", "2"]
        assert reader.wait(timeout=60) == 0
    finally:
        reader.kill()


def test_a_partial_publish_copies_only_the_rebuilt_tables_and_swaps_atomically(tmp_path):
    """`only`: the new file starts as a copy of the published one; the rebuilt tables are
    copied again, new ones added, dropped ones removed, the rest kept as published."""
    _warehouse(tmp_path, 1)
    publish(tmp_path, run_id="full")
    before = paths.published_path(tmp_path).stat()
    _warehouse(tmp_path, 2, email="ffffffffffffffff")
    con = duckdb.connect(str(paths.warehouse_path(tmp_path)))
    try:
        con.execute("create table core.dim_new as select 7 as n")
        con.execute("drop view core.v_orders")
    finally:
        con.close()
    report = publish(tmp_path, run_id="partial", only=["customer.customer_360"])
    published = paths.published_path(tmp_path)
    assert published.stat().st_ino != before.st_ino  # a new file swapped in
    assert _read(published, "select email_hash from customer.customer_360") == \
        [("ffffffffffffffff",)]  # rebuilt: copied again
    assert _read(published, "select v from core.fct_orders") == [(1,)]  # not rebuilt: kept
    assert _read(published, "select n from core.dim_new") == [(7,)]  # new in the warehouse
    tables = {r[0] for r in _read(published, "select table_name from information_schema.tables")}
    assert "v_orders" not in tables and report.tables == 3
    assert not list(tmp_path.glob("published.duckdb.tmp-*"))


def test_rebuilt_marts_is_none_when_a_run_rebuilds_every_mart():
    from orchestration.dbt_models import PUBLIC_SCHEMAS, mart_relations
    from orchestration.definitions import defs, rebuilt_marts

    nightly = defs.resolve_job_def("nightly").asset_layer.selected_asset_keys
    assert rebuilt_marts(nightly) is None
    web = defs.resolve_job_def("web_incremental").asset_layer.selected_asset_keys
    partial = rebuilt_marts(web)
    assert "customer.customer_360" in partial and "core.fct_web_sessions" in partial
    assert not [r for r in partial if r.startswith(("journey.", "cx."))]
    assert len(partial) < len(mart_relations(PUBLIC_SCHEMAS))
