"""The ceiling's sessions on hand-worked edge cases the demo data does not contain: a gap of
exactly 30 minutes, events at the same instant, an order tracked twice, a variant without
its experiment, junk ids, a device known only by its user id. (The demo data holds the
ceiling equal to dbt's fct_web_sessions: tests/benchmarks/test_warehouse.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb

from benchmarks.ceiling import web_sessions

T0 = datetime(2024, 11, 1, 23, 50, tzinfo=UTC)
COLS = ("message_id", "anonymous_id", "user_id", "timestamp", "type", "event", "page_path",
        "page_referrer", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
        "device_type", "order_id", "revenue", "experiment_id", "variant")


def ev(mid: str, anon: str | None, minutes: float, type_: str = "page", **kw) -> tuple:
    row = {"message_id": mid, "anonymous_id": anon, "user_id": None,
           "timestamp": T0 + timedelta(minutes=minutes), "type": type_, **kw}
    return tuple(row.get(c) for c in COLS)


EVENTS = [
    # device a: e1 and e2 at the same instant (e1 first by id), e3 exactly 30 min later (same
    # session, across midnight), e4 30 min + 1 s after e3 (new session)
    ev("e2", "a", 0, page_path="/second"),
    ev("e1", " a ", 0, page_path="/first", page_referrer="https://www.google.com/",
       utm_source=" Google ", utm_campaign="Spring", device_type="Mobile"),
    ev("e3", "a", 30, "track", event="Order Completed", order_id="o1", revenue=10.0,
       user_id="u1", experiment_id=None, variant="treatment"),
    ev("e3b", "a", 30, "track", event="purchase", order_id="o1", revenue=12.0),
    ev("e4", "a", 60 + 1 / 60, page_path=None, experiment_id="x1", variant="Control"),
    # device known only by its user id (junk anonymous id), one page view: a bounce
    ev("e5", "null", 5, user_id="u2", page_path="/only"),
    # no usable id at all: no session
    ev("e6", "none", 5, user_id="0"),
]


def run(tmp_path) -> dict[str, dict]:
    with duckdb.connect(str(tmp_path / "raw.duckdb")) as con:
        con.execute("create schema raw_web; create schema raw_marketing")
        con.execute("create table raw_web.events (message_id varchar, anonymous_id varchar, "
                    "user_id varchar, \"timestamp\" timestamptz, type varchar, event varchar, "
                    "page_path varchar, page_referrer varchar, utm_source varchar, "
                    "utm_medium varchar, utm_campaign varchar, utm_content varchar, "
                    "utm_term varchar, device_type varchar, order_id varchar, "
                    "revenue double, experiment_id varchar, variant varchar)")
        con.executemany(f"insert into raw_web.events values ({', '.join('?' * len(COLS))})",
                        EVENTS)
        con.execute("create table raw_marketing.campaigns as select * from (values "
                    "('c2', 'spring', '2024-10-02'::timestamptz, '1700000000.1'), "
                    "('c1', 'Spring ', '2024-10-01'::timestamptz, '1700000000.1'), "
                    "('c1', 'old', '2024-09-01'::timestamptz, '1700000000.1')) "
                    "t(id, utm_campaign, updated, _dlt_load_id)")
    with duckdb.connect(str(tmp_path / "ceiling.duckdb")) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{tmp_path / 'raw.duckdb'}' as wh (read_only)")
        con.execute("create table identifiers as select * from (values "
                    "('anonymous_id', 'a', 'cust-a'), ('app_user_id', 'u2', 'cust-u2')) "
                    "t(identifier_type, identifier_value, customer_id)")
        web_sessions(con)
        cur = con.execute("select * from sessions order by session_start_at, device_key")
        names = [d[0] for d in cur.description]
        return {r[names.index("first_event_id")]: dict(zip(names, r, strict=True))
                for r in cur.fetchall()}


def test_ceiling_sessions_on_hand_worked_edge_cases(tmp_path):
    s = run(tmp_path)
    assert sorted(s) == ["e1", "e4", "e5"]  # e6 has no usable id

    a1 = s["e1"]
    assert (a1["device_key"], a1["customer_id"], a1["app_user_id"]) == \
        ("anonymous_id:a", "cust-a", "u1")
    assert (a1["event_count"], a1["page_view_count"], a1["last_event_id"]) == (4, 2, "e3b")
    assert a1["duration_seconds"] == 30 * 60 and a1["session_date"].isoformat() == "2024-11-01"
    assert (a1["landing_page_path"], a1["exit_page_path"]) == ("/first", "/second")
    assert (a1["referrer"], a1["utm_source"], a1["utm_campaign"]) == \
        ("https://www.google.com/", "google", "spring")
    assert a1["campaign_id"] == "c1"  # the smallest id among the latest versions
    assert a1["device_type"] == "mobile"
    # o1 tracked twice counts once, with the larger revenue
    assert (a1["has_order"], a1["order_count"], a1["revenue"]) == (True, 1, 12.0)
    assert (a1["experiment_id"], a1["variant"], a1["is_bounce"]) == (None, None, False)

    a2 = s["e4"]
    assert (a2["event_count"], a2["order_count"], a2["revenue"]) == (1, 0, 0)
    # a page view without a path: no landing page, yet one page view and a bounce
    assert (a2["landing_page_path"], a2["page_view_count"], a2["is_bounce"]) == (None, 1, True)
    assert (a2["experiment_id"], a2["variant"]) == ("x1", "control")
    assert a2["session_date"].isoformat() == "2024-11-02"

    u = s["e5"]
    assert (u["device_key"], u["anonymous_id"], u["customer_id"]) == \
        ("app_user_id:u2", None, "cust-u2")
    assert (u["landing_page_path"], u["is_bounce"]) == ("/only", True)
