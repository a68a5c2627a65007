"""The lifecycle marts on the generated demo company, against the generator's ground truth
(persons.parquet: lifecycle stage at the cut, churned, planted behaviour changes).

Thresholds (docs/decisions.md, 2026-12-02): the warehouse applies the generator's own rule
(whole days since the last order: <= 90 active, <= 180 at risk, else churned), so what can
differ is the as-of time (latest touchpoint vs the generator's cut, minutes apart), orders
the pipeline rightly drops (archived, fault-injected records) and identity errors — each
well under 1% of customers. Measured: XS precision 1.000, recall 0.989 (90/91); S 1.000 and
0.999 (884/885). We assert 0.95 on both, i.e. at most ~5 of XS's ~90 churned persons wrong.
"""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

from benchmarks.lifecycle_scoring import EXPECTED_FLAG, LifecycleTruth
from cxm_cli.summary import PERSONA_ORDER, persona_counts, render_personas


@pytest.fixture(scope="module")
def truth(company) -> LifecycleTruth:
    return LifecycleTruth.load(company.base, company.query)


def test_churned_customers_are_found_with_high_precision_and_recall(truth):
    churn = truth.churn()
    assert churn.actual >= 50  # XS has ~90 churned persons: enough to measure
    assert churn.precision >= 0.95, churn
    assert churn.recall >= 0.95, churn


def test_current_stage_matches_the_generators_stage(truth):
    status = truth.current_status()
    pairs = Counter((truth.persons[p]["lifecycle_stage"], status[c])
                    for c, p in truth.person_of.items() if c in status)
    agree = sum(n for (t, s), n in pairs.items() if t == s)
    assert sum(pairs.values()) > 500
    assert agree / sum(pairs.values()) >= 0.98, pairs.most_common()


def test_cohort_sizes_match_the_generators_first_orders(truth, company):
    expected = Counter(p["first_order_at"].strftime("%Y-%m") for p in truth.persons.values()
                       if p["n_orders"] > 0)
    actual = Counter({m.strftime("%Y-%m"): n for m, n, r in company.query(
        "select cohort_month, cohort_customers, retention_rate from lifecycle.cohort_retention "
        "where months_since_acquisition = 0") if r == 1.0})
    assert sum(expected.values()) > 100
    # a customer whose only orders the pipeline drops (archived, faulty) has no cohort
    assert sum((expected & actual).values()) >= 0.97 * sum(expected.values()), (expected, actual)


def test_stage_history_is_gapless_with_one_current_spell(company):
    [(customers, with_history, current, gaps)] = company.query("""
        with h as (
            select *, lead(valid_from) over (partition by customer_id order by spell_number)
                as next_from
            from lifecycle.customer_lifecycle)
        select (select count(*) from core.dim_customers), count(distinct customer_id),
            count(*) filter (where is_current),
            count(*) filter (where next_from is not null and next_from <> valid_to)
        from h""")
    assert gaps == 0
    assert current == with_history
    assert with_history >= 0.99 * customers


def test_behaviour_changes_are_planted_where_the_data_can_show_them(truth):
    """The generator plants changes in customers who keep buying (>= 2 orders in the year
    before the change date and >= 2 after it, commerce.BEHAVIOUR), at least 3 per kind, so
    every planted change is observable: the customer has orders after the change date."""
    b = truth.behaviour()
    assert all(b.planted[kind] >= 3 for kind in EXPECTED_FLAG), b
    assert b.observable == b.planted, b


def test_behaviour_changes_find_the_planted_changes(truth):
    """Recall on the observable planted changes (flag of the planted kind). Measured
    (docs/decisions.md, 2026-12-02, mart defaults untouched): S (seed 11) 11 of 20 = 0.55
    (frequency 4/7, spend 4/7, category 3/6), XS 2 of 9 (1/3, 1/3, 0/3; XS seeds 3 and 7:
    4 of 9 each). We assert 0.2 on XS: with S's recall, 2 or more of 9 are found with
    probability 0.99 (binomial). Per kind is NOT asserted: 3 per kind at XS cannot separate a
    1/3 from a 2/3 detector."""
    b = truth.behaviour()
    assert sum(b.observable.values()) >= 9
    assert b.recall() >= 0.2, b


def test_behaviour_changes_flag_few_customers_without_a_planted_change(truth):
    """Customers without a planted change that the mart flags anyway, among those it can
    judge (an order in both windows): XS 3/15 = 0.20, S 28/236 = 0.12; we allow 0.25. XS
    judges 24 customers, 9 of them planted (the planted ones keep buying), hence >= 10."""
    b = truth.behaviour()
    assert b.unplanted_judged >= 10
    assert b.false_positive_rate <= 0.25, b


def test_persona_summary_counts_every_customer_with_orders(company):
    con = duckdb.connect(str(company.base / "warehouse.duckdb"))
    try:
        counts = persona_counts(con)
    finally:
        con.close()
    [(buyers,)] = company.query("select count(*) from customer.customer_360 where order_count > 0")
    assert sum(counts.values()) == buyers > 0
    assert set(counts) <= set(PERSONA_ORDER)
    text = render_personas(counts)
    assert f"{buyers:,} customers with orders" in text
    for persona, n in counts.items():
        assert f"{persona} {n:,}" in text


def test_customer_360_carries_stage_and_persona(company, truth):
    rows = company.query("select customer_id, order_count, lifecycle_stage, persona, rfm_segment "
                         "from customer.customer_360")
    assert all((n > 0) == (persona is not None) == (rfm is not None)
               for _, n, _, persona, rfm in rows)
    stage = {c: s for c, _, s, _, _ in rows}
    # the generator's churned persons are churned in customer_360 too (same rule as above)
    churned = [stage[c] == "churned" for c, p in truth.person_of.items()
               if c in stage and truth.persons[p]["churned"]]
    assert len(churned) >= 50 and sum(churned) >= 0.95 * len(churned)
