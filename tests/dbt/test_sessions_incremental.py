"""Incremental web sessions equal a full refresh.

Web events arrive in four loads on a throwaway warehouse (dlt-shaped raw tables, the other
sources from raw_rows.py): late events inside, before and between stored sessions (one
bridges two sessions into one), a gap of exactly 30 minutes and one of 30 min + 1 s across
loads, an order arriving late, a device keyed by its app user id, and a new device.
`dbt build --select +fct_web_sessions` runs incrementally after each load (hand-worked
session counts are checked on the way); at the end `--full-refresh` must give identical rows,
every column, for int_web__sessions and fct_web_sessions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbt.helpers import failures, query, run_dbt, write_raw_tables
from tests.dbt.raw_rows import LOAD_1, RAW, _event

pytestmark = pytest.mark.timeout(900)

DAY_S = 86_400
LOADS = [f"{1_733_000_000 + i * DAY_S}.5" for i in range(4)]
# load 4 comes 2 h after load 3: with a 6 h lookback load 3 is reprocessed too (with 0, not)
LOADS[3] = f"{1_733_000_000 + 2 * DAY_S + 7_200}.5"


def ev(mid, at, anon="dA", typ="page", **kw):
    kw.setdefault("page_path", f"/{mid}")
    return _event(mid, typ, f"2024-05-01T{at}", anon=anon, **kw)


BATCHES = [
    [  # load 1
        ev("a1", "10:00:00"), ev("a2", "10:10:00"),  # dA session 1
        ev("a4", "11:00:00"), ev("a5", "11:05:00"),  # dA session 2 (50 min gap)
        ev("b2", "09:00:00", anon="dB", referrer="https://www.google.com/"),
        ev("e1", "10:00:00", anon="dE"),
        ev("f1", "12:00:00", anon="dF", utm_source="newsletter", utm_medium="email",
           utm_campaign="spring_sale"),
        # no later events: their stored sessions change only through a new campaign (dG)
        # and an identity merge (dH's user u-h joins bob in load 4)
        ev("g1", "12:00:00", anon="dG", utm_source="newsletter", utm_medium="email",
           utm_campaign="autumn_sale"),
        ev("h0", "12:30:00", anon="dH", typ="identify", user="u-h", page_path=None),
        ev("h1", "12:31:00", anon="dH"),
    ],
    [  # load 2
        ev("a3", "10:35:00"),  # late: 25 min after session 1, 25 min before session 2 -> merge
        ev("b3", "09:20:00", anon="dB"),  # appends to dB's session
        ev("e2", "10:30:00", anon="dE"),  # exactly 30 min after e1: same session
        ev("u1", "15:00:00", anon=None, user="u-only"),  # keyed by the app user id
    ],
    [  # load 3
        ev("b1", "08:40:00", anon="dB", utm_source="google", utm_medium="cpc"),  # before start
        ev("b4", "12:00:00", anon="dB"),  # a new session of dB
        ev("e3", "11:00:01", anon="dE"),  # 30 min 1 s after e2: new session
        ev("c1", "13:00:00", anon="dC"),  # a new device
        ev("a6", "10:50:00", typ="track", event="Order Completed", order_id="o1", revenue=90.0,
           page_path=None),  # a late order inside dA's merged session
    ],
    [  # load 4 (2 h later)
        ev("f0", "11:45:00", anon="dF", typ="identify", user="u-f", page_path=None),
        ev("u2", "15:10:00", anon=None, user="u-only", typ="track", event="Product Viewed",
           page_path=None),
        # another device of user u-h identifies with bob's email: dH's person is bob's now
        ev("k1", "16:00:00", anon="dK", typ="identify", user="u-h", email="bob@example.com",
           page_path=None),
    ],
]

# (device_key -> sessions) after each load, worked out by hand
EXPECTED_SESSIONS = [
    {"anonymous_id:dA": 2, "anonymous_id:dB": 1, "anonymous_id:dE": 1, "anonymous_id:dF": 1},
    {"anonymous_id:dA": 1, "anonymous_id:dB": 1, "anonymous_id:dE": 1, "anonymous_id:dF": 1,
     "app_user_id:u-only": 1},
    {"anonymous_id:dA": 1, "anonymous_id:dB": 2, "anonymous_id:dE": 2, "anonymous_id:dF": 1,
     "app_user_id:u-only": 1, "anonymous_id:dC": 1},
    {"anonymous_id:dA": 1, "anonymous_id:dB": 2, "anonymous_id:dE": 2, "anonymous_id:dF": 1,
     "app_user_id:u-only": 1, "anonymous_id:dC": 1},
]
# load 4 also brings the campaign that dG's utm_campaign names
AUTUMN = {**RAW["marketing"]["campaigns"][0], "id": "cmp-autumn", "name": "Autumn sale",
          "utm_campaign": "Autumn_Sale"}
MINE = "device_key similar to '(anonymous_id:d[A-F]|app_user_id:u-only)'"


def _build(data_dir: Path, target: Path, lookback: int, *extra: str):
    result = run_dbt(["build", "--select", "+fct_web_sessions", "int_identity__web_identities",
                      "--indirect-selection",
                      "cautious", "--vars", f"{{session_lookback_hours: {lookback}}}", *extra],
                     data_dir, target)
    assert result.success, failures(result)


def _rows(data_dir: Path, relation: str) -> list[tuple]:
    key = "web_identity_key" if "identities" in relation else "session_id"
    return query(data_dir, f"select * from {relation} order by {key}")


@pytest.mark.parametrize("lookback", [0, 6])
def test_incremental_sessions_equal_full_refresh(tmp_path: Path, lookback: int):
    data_dir, target = tmp_path / "data", tmp_path / "target"
    data_dir.mkdir()
    warehouse = data_dir / "warehouse.duckdb"
    write_raw_tables(warehouse, {**RAW, "web": {"events": RAW["web"]["events"]}}, LOAD_1)
    compiled = target / "compiled/cxm/models/intermediate/web/int_web__sessions.sql"
    for i, batch in enumerate(BATCHES):
        marketing = {"campaigns": [AUTUMN]} if i == 3 else {}
        write_raw_tables(warehouse, {"web": {"events": batch}, "marketing": marketing},
                         LOADS[i], replace=False)
        _build(data_dir, target, lookback)
        assert ("touched_devices" in compiled.read_text()) == (i > 0)  # incremental after load 1
        counts = dict(query(data_dir, f"select device_key, count(*) from "
                                      f"intermediate.int_web__sessions where {MINE} group by 1"))
        assert counts == EXPECTED_SESSIONS[i], i
        # web identities merge seen_at with the stored one: a3 (load 2) is later than dA's
        # first event and keeps it; b1 (load 3) is earlier than dB's and moves it back
        seen = dict(query(data_dir, "select anonymous_id, seen_at::varchar from "
                                    "intermediate.int_identity__web_identities where "
                                    "anonymous_id in ('dA', 'dB') and app_user_id is null"))
        assert seen == {"dA": "2024-05-01 10:00:00+00",
                        "dB": "2024-05-01 08:40:00+00" if i >= 2 else "2024-05-01 09:00:00+00"}
        # sessions without new events follow a new campaign and an identity merge
        g, h = (query(data_dir, "select campaign_id, customer_id from core.fct_web_sessions "
                                f"where device_key = 'anonymous_id:d{d}'")[0] for d in "GH")
        bob = query(data_dir, "select customer_id from intermediate.int_identity__identifiers "
                              "where identifier_type = 'crm_contact_id' and "
                              "identifier_value = 'c2'")[0][0]
        assert g[0] == ("cmp-autumn" if i == 3 else None)
        assert (h[1] == bob) == (i == 3), (h, bob)

    # hand-worked end state
    a = query(data_dir, "select session_start_at::varchar, session_end_at::varchar, event_count, "
                        "first_event_id, has_order, revenue from core.fct_web_sessions "
                        "where device_key = 'anonymous_id:dA'")
    assert a == [("2024-05-01 10:00:00+00", "2024-05-01 11:05:00+00", 6, "a1", True, 90.0)]
    b = query(data_dir, "select first_event_id, event_count, channel_group from "
                        "core.fct_web_sessions where device_key = 'anonymous_id:dB' "
                        "order by session_start_at")
    assert b == [("b1", 3, "Paid Search"), ("b4", 1, "Direct")]
    f = query(data_dir, "select first_event_id, app_user_id, channel_group, campaign_id "
                        "from core.fct_web_sessions where device_key = 'anonymous_id:dF'")
    assert f == [("f0", "u-f", "Direct", None)]  # the identify at 11:45 is now the first event
    assert query(data_dir, "select event_count, is_bounce from core.fct_web_sessions "
                           "where device_key = 'app_user_id:u-only'") == [(2, False)]

    incremental = {r: _rows(data_dir, r) for r in ("intermediate.int_web__sessions",
                                                   "core.fct_web_sessions",
                                                   "intermediate.int_identity__web_identities")}
    _build(data_dir, target, lookback, "--full-refresh")
    assert "touched_devices" not in compiled.read_text()
    assert "cxm_chunks" not in compiled.read_text()  # a small table: one part
    for relation, rows in incremental.items():
        full = _rows(data_dir, relation)
        assert len(full) == len(rows)
        assert full == rows, relation

    # a full refresh in parts of the devices (as at scale L) gives the same rows again
    events = query(data_dir, "select count(*) from raw_web.events")[0][0]
    per_part = events // 3
    n = -(-events // per_part)
    _build(data_dir, target, lookback, "--full-refresh", "--vars",
           f"{{session_lookback_hours: {lookback}, sessions_chunk_events: {per_part}}}")
    assert f"/* cxm_chunks={n} */" in compiled.read_text() and n >= 3
    parts = query(data_dir, f"select count(distinct hash(coalesce(anonymous_id, app_user_id)) "
                            f"% {n}) from intermediate.int_web__sessions")[0][0]
    assert parts > 1  # sessions outside part 0: the post-hook inserted the other parts
    for relation, rows in incremental.items():
        assert _rows(data_dir, relation) == rows, relation
