"""The core star schema on the hand-written raw rows (tests/dbt/raw_rows.py), worked out by hand.

Reads the marts as `dbt build` left them (the merge test in test_dbt_project.py later rebuilds
only the identity models, so ids are taken from `dbt_build.identities`)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest

from tests.dbt.helpers import Build, failures, query, run_dbt

pytestmark = pytest.mark.timeout(600)


def sha256(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def rows(build: Build, sql: str) -> list[dict]:
    con_rows = query(build.data_dir, f"select * from ({sql})")
    cols = [c for (c,) in query(build.data_dir, f"select column_name from (describe ({sql}))")]
    return [dict(zip(cols, r, strict=True)) for r in con_rows]


@pytest.fixture(scope="module")
def built(dbt_build: Build) -> Build:
    assert dbt_build.result.success, failures(dbt_build.result)
    return dbt_build


def test_orders_numbered_and_linked(built: Build):
    ids = built.identities
    alice, bob = ids[("crm_contact_id", "c1")], ids[("crm_contact_id", "c2")]
    orders = {r["order_id"]: r for r in rows(built, "select * from core.fct_orders")}
    assert set(orders) == {"o1", "o2"}
    o1, o2 = orders["o1"], orders["o2"]
    assert (o1["customer_id"], o1["company_id"], o1["coupon_code"], o1["coupon_campaign_id"],
            o1["order_total"], o1["net_revenue"], o1["item_count"], o1["order_date"],
            o1["customer_order_number"], o1["is_first_order"]) == (
        alice, "co1", "SPRING10", "cmp1", 90.0, 90.0, 2, date(2024, 1, 20), 1, True)
    # bob's refunded order: revenue as placed 50, net 0; no discount recorded -> 0
    assert (o2["customer_id"], o2["order_status"], o2["order_total"], o2["net_revenue"],
            o2["order_discount"], o2["customer_order_number"], o2["is_repeat_order"]) == (
        bob, "refunded", 50.0, 0.0, 0.0, 1, False)
    items = rows(built, "select line_item_id, customer_id, product_id, line_amount "
                        "from core.fct_order_items order by 1")
    assert items == [
        {"line_item_id": "li1", "customer_id": alice, "product_id": "p1", "line_amount": 100.0},
        {"line_item_id": "li2", "customer_id": bob, "product_id": "p1", "line_amount": 50.0}]


def test_ticket_timings_and_csat(built: Build):
    ids = built.identities
    tickets = {r["ticket_id"]: r for r in rows(built, "select * from core.fct_support_tickets")}
    t1, t2 = tickets[1], tickets[2]
    # created 08:00, agent 102's public reply and the solve at 09:30: 90 minutes each
    assert (t1["customer_id"], t1["first_reply_minutes"], t1["resolution_minutes"],
            t1["solve_count"], t1["reopen_count"], t1["csat_rating"], t1["csat_score"],
            t1["is_open"]) == (ids[("support_user_id", "101")], 90.0, 90.0, 1, 0, "good", 1,
                               False)
    assert t1["first_reply_at"] == datetime(2024, 1, 25, 9, 30, tzinfo=UTC)
    # bob's ticket: only his own comment, still open
    assert (t2["customer_id"], t2["first_reply_minutes"], t2["resolution_minutes"],
            t2["solve_count"], t2["csat_rating"], t2["is_open"], t2["channel"]) == (
        ids[("crm_contact_id", "c2")], None, None, 0, None, True, "email")


def test_survey_categories_and_customers(built: Build):
    ids = built.identities
    got = rows(built, "select survey_response_id, customer_id, survey_type, score_category, "
                      "is_promoter, is_detractor from core.fct_survey_responses order by 1")
    assert got == [
        {"survey_response_id": "s1", "customer_id": ids[("crm_contact_id", "c2")],
         "survey_type": "nps", "score_category": "promoter", "is_promoter": True,
         "is_detractor": False},
        {"survey_response_id": "s2", "customer_id": ids[("crm_contact_id", "c1")],
         "survey_type": "ces", "score_category": "easy", "is_promoter": None,
         "is_detractor": None}]


def test_survey_comments_are_redacted(built: Build):
    got = query(built.data_dir, "select survey_comment from core.fct_survey_responses "
                                "where survey_response_id = 's1'")
    assert got == [("great! call [phone] or [email]",)]


def test_a_trusted_target_gets_clear_values(built: Build):
    """`CXM_PUBLISH_PII=true` (var publish_pii) switches the masked columns to clear values;
    the hash stays. `dbt show` runs the models' SQL without replacing the built tables."""
    shown = {}
    for model in ("dim_customers", "fct_survey_responses"):
        result = run_dbt(["show", "--select", model, "--limit", "100", "--output", "json",
                          "--vars", "{publish_pii: true}"], built.data_dir, built.target)
        assert result.success, failures(result)
        table = result.result.results[0].agate_table
        shown[model] = [dict(zip(table.column_names, row, strict=True)) for row in table.rows]
    alice = next(r for r in shown["dim_customers"]
                 if r["customer_id"] == built.identities[("crm_contact_id", "c1")])
    assert (alice["email_hash"], alice["email"], alice["name_masked"], alice["full_name"]) == (
        sha256("alice@example.com"), "alice@example.com", "A. A.", "Alice A")
    s1 = next(r for r in shown["fct_survey_responses"] if r["survey_response_id"] == "s1")
    assert s1["survey_comment"] == "great! call +49 (170) 123-4567 or bob.b@example.co.uk"


def test_dim_customers_masks_pii_and_reads_consent(built: Build):
    ids = built.identities
    customers = {r["customer_id"]: r for r in rows(built, "select * from core.dim_customers")}
    assert set(customers) == set(ids.values())
    alice = customers[ids[("crm_contact_id", "c1")]]
    assert (alice["email_hash"], alice["email"], alice["name_masked"], alice["full_name"],
            alice["company_id"], alice["country"], alice["lifecycle_stage"],
            alice["support_user_id"], alice["is_in_web"]) == (
        sha256("alice@example.com"), "a***@example.com", "A. A.", "A. A.", "co1", "DE",
        "customer", "101", True)
    carol = customers[ids[("crm_contact_id", "c4")]]
    assert (carol["email_hash"], carol["lifecycle_stage"], carol["email_consent_status"],
            carol["is_email_opted_out"]) == (sha256("carol@example.com"), "customer",
                                             "subscribed", False)
    junk = customers[ids[("crm_contact_id", "c3")]]  # email "NULL", CRM opt-out
    assert (junk["email_hash"], junk["name_masked"], junk["email_consent_status"],
            junk["is_email_opted_out"]) == (None, None, "no_profile", True)
    kate = customers[ids[("marketing_profile_id", "mp3")]]  # no CRM contact: profile name
    assert (kate["name_masked"], kate["crm_contact_id"], kate["app_user_id"],
            kate["email_consent_status"]) == ("K. K.", None, "k-user", "never_subscribed")
    visitor = customers[ids[("anonymous_id", "v1")]]
    assert (visitor["is_identified"], visitor["email_hash"], visitor["created_at"]) == (
        False, None, None)
    # no clear email anywhere in the core schema (masked ones are `x***@domain`)
    text_cols = query(built.data_dir, "select table_name, column_name from "
                                      "information_schema.columns where table_schema = 'core' "
                                      "and data_type = 'VARCHAR'")
    for table, col in text_cols:
        hits = query(built.data_dir, f'select count(*) from core."{table}" '
                                     f"where \"{col}\" like '%@%' "
                                     f"and \"{col}\" not like '_***@%'")
        assert hits == [(0,)], (table, col)


def test_dim_date_spans_the_data(built: Build):
    (first, last, n, weekends), = query(
        built.data_dir, "select min(date_day), max(date_day), count(*), "
                        "sum(case when is_weekend then 1 else 0 end) from core.dim_date")
    # earliest data: alice's first visit 2023-12-01; latest: the visitor on 2024-07-01
    assert (first, last) == (date(2023, 1, 1), date(2025, 12, 31))
    assert n == 365 + 366 + 365
    assert weekends == 105 + 104 + 104  # 2023 starts and ends on a Sunday
    row = rows(built, "select * from core.dim_date where date_day = date '2024-02-29'")[0]
    assert (row["day_of_week"], row["week_start"], row["month_start"], row["quarter_start"],
            row["month_end"], row["is_weekend"], row["year_quarter"]) == (
        4, date(2024, 2, 26), date(2024, 2, 1), date(2024, 1, 1), date(2024, 2, 29), False,
        "2024-Q1")
