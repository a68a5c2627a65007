"""The pandas baseline does the same work as the ceiling it is compared with: on the XS
company, the same customer per identifier, the same sessions, touchpoints per customer and
kind, and the same customer_360 orders, revenue and session counts."""

from __future__ import annotations

import pandas as pd

from benchmarks.pandas_baseline import run_pandas


def test_pandas_baseline_equals_the_ceiling(ceiling):
    seconds, out = run_pandas(ceiling.warehouse)
    assert list(seconds) == ["identity_records", "identity_nodes", "identity_edges",
                             "identity_components", "identity_identifiers", "web_sessions",
                             "touchpoints", "customer_360"]
    with ceiling.connect() as con:
        ids = con.sql("select identifier_type, identifier_value, customer_id "
                      "from identifiers").df()
        sessions = con.sql("select device_key, count(*) as n, sum(page_view_count) as pv, "
                           "count(*) filter (where is_bounce) as bounces, "
                           "count(customer_id) as with_customer, "
                           "count(distinct customer_id) as customers "
                           "from sessions group by device_key").df()
        touch = con.sql("select customer_id, kind, count(*) as n from touchpoints "
                        "group by all").df()
        c360 = con.sql("select customer_id, coalesce(order_count, 0) as orders, "
                       "coalesce(total_revenue, 0) as revenue, "
                       "coalesce(session_count, 0) as sessions from customer_360").df()

    mine = out["identifiers"][["identifier_type", "identifier_value", "customer_id"]]
    joined = ids.merge(mine.astype(object), on=["identifier_type", "identifier_value"],
                       how="outer", suffixes=("_sql", "_pd"), indicator=True)
    assert len(ids) > 1000
    assert (joined["_merge"] == "both").all()
    assert (joined["customer_id_sql"] == joined["customer_id_pd"]).all()

    s = out["sessions"].groupby("device_key").agg(
        n=("started_at", "size"), pv=("page_views", "sum"), bounces=("is_bounce", "sum"),
        with_customer=("customer_id", "count"), customers=("customer_id", "nunique"),
    ).reset_index()
    both = sessions.merge(s, on="device_key", how="outer", suffixes=("_sql", "_pd"))
    assert len(both) == len(sessions) > 100
    assert both["with_customer_sql"].sum() > 100
    for col in ("n", "pv", "bounces", "with_customer", "customers"):
        assert (both[f"{col}_sql"] == both[f"{col}_pd"]).all(), col

    t = out["touchpoints"].groupby(["customer_id", "kind"]).size().rename("n").reset_index()
    both = touch.merge(t, on=["customer_id", "kind"], how="outer", suffixes=("_sql", "_pd"))
    assert len(both) == len(touch) and touch["kind"].str.startswith("survey_").sum() > 10
    assert (both["n_sql"] == both["n_pd"]).all()

    p = out["customer_360"].assign(
        orders=lambda d: d["order_count"].fillna(0), revenue=lambda d: d["total_revenue"]
        .fillna(0), sessions=lambda d: d["session_count"].fillna(0))
    both = c360.merge(p[["customer_id", "orders", "revenue", "sessions"]], on="customer_id",
                      how="outer", suffixes=("_sql", "_pd"))
    assert len(both) == len(c360) and (both["orders_sql"] > 0).sum() > 100
    assert (both["orders_sql"] == both["orders_pd"]).all()
    assert (both["sessions_sql"] == both["sessions_pd"]).all()
    assert ((both["revenue_sql"] - both["revenue_pd"]).abs() < 0.005).all()
    assert pd.api.types.is_numeric_dtype(both["revenue_pd"])
