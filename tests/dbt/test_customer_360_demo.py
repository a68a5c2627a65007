"""customer_360 and fct_touchpoints on the generated demo company, against the generator's
ground truth: the vendor store it served (orders) and the true person behind every
identifier (demo/truth/identifiers.parquet, persons.parquet)."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

# the generator's acquisition channels -> GA4 default channel groups (dim_channels)
GA4 = {
    "paid_search": {"Paid Search"},
    "organic_search": {"Organic Search"},
    "social": {"Organic Social", "Paid Social"},
    "paid_social": {"Paid Social"},
    "organic_social": {"Organic Social"},
    "email": {"Email"},
    "referral": {"Referral"},
    "direct": {"Direct"},
}


@pytest.fixture(scope="module")
def person_of_customer(company) -> dict[str, int]:
    return company.person_of_customer()


def test_build_is_green(company):
    assert company.build_failures == []


def test_orders_and_revenue_per_person_match_the_vendor_store(company, person_of_customer):
    orders = pq.read_table(company.base / "demo/vendor/crm/orders.parquet")
    faults = json.loads((company.base / "demo/vendor/faults.json").read_text())
    bad_orders = {f["id"] for f in faults if (f["system"], f["table"]) == ("crm", "orders")}
    bad_contacts = {f["id"] for f in faults if (f["system"], f["table"]) == ("crm", "contacts")}
    truth = pq.read_table(company.truth_dir / "identifiers.parquet")
    contact_person = dict(zip(
        pc.filter(truth, pc.equal(truth["identifier_type"], "crm_contact_id"))
        ["identifier_value"].to_pylist(),
        pc.filter(truth, pc.equal(truth["identifier_type"], "crm_contact_id"))
        ["person_id"].to_pylist(), strict=True))

    expected_orders: Counter = Counter()
    expected_revenue: Counter = Counter()
    for o in orders.to_pylist():
        if o["archived"] or o["id"] in bad_orders or o["contact_id"] in bad_contacts:
            continue
        p = contact_person[o["contact_id"]]
        expected_orders[p] += 1
        expected_revenue[p] += o["hs_total_price"]

    actual_orders: Counter = Counter()
    actual_revenue: Counter = Counter()
    for c, n, revenue in company.query(
            "select customer_id, order_count, total_revenue from customer.customer_360 "
            "where order_count > 0"):
        actual_orders[person_of_customer[c]] += n
        actual_revenue[person_of_customer[c]] += float(revenue)

    assert sum(expected_orders.values()) > 100
    assert actual_orders == expected_orders
    assert actual_revenue.keys() == expected_revenue.keys()
    for p, revenue in expected_revenue.items():
        assert actual_revenue[p] == pytest.approx(revenue, abs=0.01), p


def test_one_row_per_customer_and_touchpoints_cover_every_fact(company):
    [(rows, distinct, customers)] = company.query(
        "select count(*), count(distinct customer_id), "
        "(select count(*) from core.dim_customers) from customer.customer_360")
    assert rows == distinct == customers
    facts = {
        "web_session": "core.fct_web_sessions",
        "order": "core.fct_orders",
        "support_ticket": "core.fct_support_tickets",
    }
    for kind, table in facts.items():
        [(n_fact,)] = company.query(f"select count(*) from {table} where customer_id is not null")
        [(n_touch,)] = company.query(
            f"select count(*) from core.fct_touchpoints where touchpoint_type = '{kind}'")
        assert n_touch == n_fact > 0, kind


def test_acquisition_channel_matches_the_simulated_channel(company, person_of_customer):
    persons = {r["person_id"]: r["acquisition_channel"] for r in
               pq.read_table(company.truth_dir / "persons.parquet").to_pylist()}
    rows = company.query("select customer_id, acquisition_channel from customer.customer_360 "
                         "where session_count > 0 and is_identified")
    judged = [(persons[person_of_customer[c]], ch) for c, ch in rows
              if c in person_of_customer and persons[person_of_customer[c]] in GA4]
    agree = sum(ch in GA4[truth] for truth, ch in judged)
    assert len(judged) > 100
    assert agree / len(judged) >= 0.95, Counter(judged).most_common(10)
