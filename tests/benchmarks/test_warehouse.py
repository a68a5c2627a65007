"""The warehouse benchmark's code paths at XS: the ceiling's identity equals dbt's, the
replicated graph has factor x the components, the report lists every stage, the appended
events are new events."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from benchmarks.append import append_web_events, new_events
from benchmarks.ceiling import IDENTITY_STEPS, run_ceiling
from benchmarks.replicate import replicate
from benchmarks.warehouse import (
    FROM_SCRATCH,
    SESSIONS,
    SUBSET,
    Timed,
    WarehouseRun,
    detail_rows,
    node_seconds,
    summary_rows,
)


def test_ceiling_identity_equals_dbt(ceiling):
    with ceiling.connect() as con:
        n, customers = con.sql("select count(*), count(distinct customer_id) "
                               "from wh.intermediate.int_identity__identifiers").fetchall()[0]
        mismatched = con.sql("""
            select count(*) from identifiers c
            full join wh.intermediate.int_identity__identifiers d
                using (identifier_type, identifier_value)
            where c.customer_id is distinct from d.customer_id
        """).fetchall()[0][0]
        ours = con.sql("select count(*), count(distinct customer_id) from identifiers"
                       ).fetchall()[0]
    assert n > 1000 and customers > 100
    assert ours == (n, customers)
    assert mismatched == 0


def test_ceiling_customer_360_orders_and_revenue_equal_dbt(ceiling):
    """The ceiling's customer_360 (a few of dbt's columns) agrees with dbt's per customer:
    orders, revenue, AOV, last order, web sessions, emails sent, tickets, first touch."""
    with ceiling.connect() as con:
        [(customers, with_orders, mismatched)] = con.sql("""
            select count(*), count(*) filter (where d.order_count > 0),
                   count(*) filter (where c.order_count is distinct from d.order_count
                       or abs(c.total_revenue - d.total_revenue) > 0.005
                       or abs(c.aov - d.average_order_value) > 0.005
                       or (c.aov is null) <> (d.average_order_value is null)
                       or c.session_count is distinct from d.session_count
                       or c.emails_sent is distinct from d.emails_sent
                       or c.ticket_count is distinct from d.ticket_count
                       or c.first_touch_at is distinct from d.first_touch_at
                       or c.first_touch_type is distinct from d.first_touch_type
                       or c.last_order_at is distinct from d.last_order_at)
            from (select * replace (coalesce(order_count, 0) as order_count,
                                    coalesce(total_revenue, 0) as total_revenue,
                                    coalesce(session_count, 0) as session_count,
                                    coalesce(emails_sent, 0) as emails_sent,
                                    coalesce(ticket_count, 0) as ticket_count)
                  from customer_360) c
            full join wh.customer.customer_360 d using (customer_id)
        """).fetchall()
    assert customers > 500 and with_orders > 100
    assert mismatched == 0


def test_ceiling_sessions_equal_dbt_fct_web_sessions(ceiling):
    """The ceiling's sessions are fct_web_sessions (without the channel grouping): the same
    rows and, column by column, the same values."""
    with ceiling.connect() as con:
        cols = [r[0] for r in con.sql("describe sessions").fetchall()]
        dbt_cols = [r[0] for r in con.sql("describe wh.core.fct_web_sessions").fetchall()]
        differs = " or ".join(f"c.{c} is distinct from d.{c}" for c in cols)
        [(n, customers, orders, mismatched)] = con.sql(f"""
            select count(*), count(d.customer_id), count(*) filter (where d.has_order),
                   count(*) filter (where {differs})
            from sessions c full join wh.core.fct_web_sessions d using (session_id)
        """).fetchall()
    assert set(dbt_cols) - set(cols) == {"traffic_source", "traffic_medium", "channel_group"}
    assert n > 1000 and customers > 500 and orders > 50
    assert mismatched == 0


def test_ceiling_touchpoints_are_dbt_fct_touchpoints(ceiling):
    """The ceiling's touchpoints are fct_touchpoints' rows: per customer, type and time the
    same number, with the same revenue (surveys resolve by contact, email, then requester)."""
    with ceiling.connect() as con:
        [(kinds, surveys, mismatched)] = con.sql("""
            with c as (select customer_id, kind, occurred_at,
                              coalesce(round(revenue, 2), -1) as revenue, count(*) as n
                       from touchpoints group by all),
            d as (select customer_id, touchpoint_type as kind, occurred_at,
                         coalesce(round(revenue, 2), -1) as revenue, count(*) as n
                  from wh.core.fct_touchpoints group by all)
            select count(distinct d.kind), sum(d.n) filter (where d.kind like 'survey_%'),
                   count(*) filter (where c.n is distinct from d.n)
            from c full join d using (customer_id, kind, occurred_at, revenue)
        """).fetchall()
    assert kinds >= 8 and surveys > 10
    assert mismatched == 0


def test_replicated_graph_has_factor_times_the_components(company, tmp_path):
    warehouse = company.copy_warehouse(tmp_path / "wh")
    replicate(warehouse, tmp_path / "x3.duckdb", 3)
    run_ceiling(warehouse, tmp_path / "c1.duckdb", IDENTITY_STEPS)
    run_ceiling(tmp_path / "x3.duckdb", tmp_path / "c3.duckdb", IDENTITY_STEPS)

    def counts(db: Path) -> tuple[int, int]:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.sql("select count(*), count(distinct customer_id) from identifiers"
                           ).fetchall()[0]

    n1, c1 = counts(tmp_path / "c1.duckdb")
    assert counts(tmp_path / "c3.duckdb") == (3 * n1, 3 * c1)


def test_report_has_every_row():
    t = Timed(10.0, 500.0, 1234)
    run = WarehouseRun(
        scale="S", raw_events=1000, full=Timed(100.0, 900.0, 5000),
        ceiling_all=Timed(40.0, 800.0, 4000), subset_build=Timed(30.0, 700.0, 50),
        subset_run=Timed(20.0, 600.0, 50), ceiling_identity=Timed(10.0, 300.0, 50),
        startup=Timed(5.0, 200.0), increment_ingest=Timed(3.0, 100.0, 10),
        increment_build=Timed(25.0, 900.0), prepare={"generate": t, "ingest web": t},
        models=[("stg_web__events", 1000, 1.5), ("int_identity__identifiers", 50, 2.0)],
        ceiling_steps=[("identity_records", 60, 1.0), ("web_sessions", 200, 3.0)])
    summary = "\n".join(summary_rows(run))
    for step in ("prepare: generate", "prepare: ingest web", "dbt build (full)",
                 "minus dbt start-up", f"dbt build {FROM_SCRATCH} --select {SUBSET}",
                 f"dbt run {FROM_SCRATCH} --select {SUBSET}", "dbt start-up", "ceiling: all steps",
                 "ceiling: identity steps", "new file + ingest web",
                 "dbt build after +1% web events"):
        assert step in summary, step
    assert "| 100.0 | 900 | 40.0 | 2.50 |" in summary  # full / ceiling
    assert "| 95.0 | 900 | 40.0 | 2.38 |" in summary  # (full - start-up) / ceiling
    assert "| 30.0 | 700 | 10.0 | 3.00 |" in summary  # identity subset / ceiling identity
    assert "(25% of full build)" in summary
    assert "node time" not in summary  # no per-node timings given
    assert SESSIONS not in summary  # not measured
    run.sessions_run, run.ceiling_sessions = Timed(12.0, 500.0), Timed(8.0, 400.0, 200)
    summary = "\n".join(summary_rows(run))
    assert f"| S | dbt run {FROM_SCRATCH} --select {SESSIONS} |  | 12.0 | 500 | 8.0 | 1.50 |" \
        in summary
    assert "| S | ceiling: identity and web_sessions steps | 200 | 8.0 | 400 |" in summary
    run.node_seconds = node_seconds([
        {"unique_id": "model.cxm.a", "seconds": 2.0},
        {"unique_id": "test.cxm.t1", "seconds": 0.5},
        {"unique_id": "test.cxm.t2", "seconds": 0.25},
        {"unique_id": "unit_test.cxm.a.u", "seconds": 1.0}])
    assert run.node_seconds == {"model": 2.0, "test": 0.75, "unit_test": 1.0}
    summary = "\n".join(summary_rows(run))
    assert "| S | dbt build (full): test nodes, summed node time |  | 0.8 |" in summary
    assert "| S | dbt build (full): model nodes, summed node time |  | 2.0 |" in summary
    detail = "\n".join(detail_rows(run))
    for name in ("stg_web__events", "int_identity__identifiers", "identity_records",
                 "web_sessions"):
        assert f"| {name} |" in detail


def test_new_events_are_new_and_a_week_later():
    lines = ['{"messageId":"m1","type":"page","timestamp":"2024-11-01T07:18:28.235Z",'
             '"sentAt":"2024-11-01T23:59:59.000Z"}', "not json", '{"type":"page"}']
    out = [json.loads(x) for x in new_events(lines, "t")]
    assert out == [{"messageId": "m1-t", "type": "page", "timestamp": "2024-11-08T07:18:28.235Z",
                    "sentAt": "2024-11-08T23:59:59.000Z"}]


def test_append_writes_one_percent_into_a_new_partition(tmp_path):
    day = tmp_path / "landing/web/events/dt=2024-11-02"
    day.mkdir(parents=True)
    with gzip.open(day / "part-0000.jsonl.gz", "wt") as f:
        f.write("\n".join(json.dumps({"messageId": f"m{i}", "timestamp":
                                      "2024-11-02T10:00:00.000Z"}) for i in range(300)))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("create schema raw_web; create table raw_web.events as "
                    "select i from range(300) t(i)")
    path, rows = append_web_events(tmp_path, 0.01)
    assert rows == 3
    assert path.parent.name == "dt=2024-11-10"
    with gzip.open(path, "rt") as f:
        ids = [json.loads(x)["messageId"] for x in f.read().splitlines()]
    assert ids == ["m297-bench0", "m298-bench0", "m299-bench0"]
