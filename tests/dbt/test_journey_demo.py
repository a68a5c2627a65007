"""The journey marts on the generated demo company, against the generator's ground truth:
the true people behind the data (demo/truth/persons.parquet) for the funnel, and the campaign
the generator made most effective (model_params.json) for attribution."""

from __future__ import annotations

import json
import statistics

import pyarrow.parquet as pq
import pytest


@pytest.fixture(scope="module")
def persons(company) -> list[dict]:
    return pq.read_table(company.truth_dir / "persons.parquet").to_pylist()


@pytest.fixture(scope="module")
def best_campaign(company) -> str:
    params = json.loads((company.truth_dir / "model_params.json").read_text())
    return params["most_effective_campaign"]["utm_campaign"]


def _close(measured: float, truth: float, rel: float) -> bool:
    return abs(measured - truth) <= rel * truth


def test_funnel_stage_counts_match_the_true_people(company, persons):
    [(visitors, leads, customers, repeat)] = company.query(
        "select sum(visitors), sum(leads), sum(customers), sum(repeat_customers) "
        "from journey.journey_funnel")
    true_leads = sum(p["lead_at"] is not None for p in persons)
    true_customers = sum(p["n_orders"] >= 1 for p in persons)
    true_repeat = sum(p["n_orders"] >= 2 for p in persons)
    # a visitor is a resolved person: anonymous people on several never-linked devices count
    # once per device, so visitors may exceed the true people a little, never fall short
    assert len(persons) <= visitors <= 1.05 * len(persons)
    assert _close(leads, true_leads, 0.03), (leads, true_leads)
    assert _close(customers, true_customers, 0.03), (customers, true_customers)
    assert _close(repeat, true_repeat, 0.03), (repeat, true_repeat)


def test_median_time_to_first_order_matches_the_truth(company, persons):
    [(median_days,)] = company.query(
        "select median(epoch(first_order_at) - epoch(first_touch_at)) / 86400 "
        "from intermediate.int_journey__customer_milestones where first_order_at is not null")
    truth = statistics.median(
        (p["first_order_at"] - p["first_seen_at"]).total_seconds() / 86400
        for p in persons if p["first_order_at"] is not None)
    assert abs(median_days - truth) <= max(1.0, 0.1 * truth), (median_days, truth)


def test_planted_campaign_ranks_first_by_linear_attributed_revenue(company, best_campaign):
    rows = company.query(
        "select c.utm_campaign, a.attributed_revenue from journey.attribution_by_campaign a "
        "join core.dim_campaigns c using (campaign_id) "
        "where a.attribution_model = 'linear' order by a.attributed_revenue desc limit 2")
    assert rows[0][0] == best_campaign, rows
    # clearly first, not by a hair
    assert rows[0][1] >= 1.5 * rows[1][1], rows
    [(rank,)] = company.query(
        "select a.attributed_revenue_rank from journey.attribution_by_campaign a "
        "join core.dim_campaigns c using (campaign_id) "
        f"where a.attribution_model = 'linear' and c.utm_campaign = '{best_campaign}'")
    assert rank == 1


def test_planted_campaign_visits_lead_to_orders_more_often(company, best_campaign):
    rows = company.query(
        "select utm_campaign, count(*), sum(case when led_to_conversion then 1 else 0 end) "
        "from journey.journey_steps where touchpoint_type = 'web_session' "
        "and channel = 'Paid Search' and utm_campaign is not null group by utm_campaign")
    rates = {c: led / n for c, n, led in rows if n >= 100}
    assert best_campaign in rates, rows
    # the best rate of every campaign with enough visits, and well above the other
    # paid-search visits pooled
    assert rates[best_campaign] == max(rates.values()), rates
    n_other = sum(n for c, n, _ in rows if c != best_campaign)
    led_other = sum(led for c, _, led in rows if c != best_campaign)
    assert rates[best_campaign] > 1.5 * led_other / n_other, (rates, led_other, n_other)


def test_every_model_attributes_every_order_and_all_revenue(company):
    [(orders, revenue)] = company.query(
        "select count(*), sum(order_total) from core.fct_orders")
    rows = company.query(
        "select attribution_model, sum(attributed_conversions), sum(attributed_revenue) "
        "from journey.attribution_by_campaign group by attribution_model")
    assert {m for m, _, _ in rows} == {
        "first_touch", "last_touch", "linear", "position_based", "time_decay"}
    for model, conversions, attributed in rows:
        assert conversions == pytest.approx(orders), model
        assert attributed == pytest.approx(revenue), model
