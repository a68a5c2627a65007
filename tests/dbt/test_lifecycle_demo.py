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

import math
from collections import Counter, defaultdict

import duckdb
import pytest
import yaml

from benchmarks.lifecycle_scoring import EXPECTED_FLAG, LifecycleTruth
from cxm_cli.summary import PERSONA_ORDER, persona_counts, render_personas
from tests.dbt.helpers import PROJECT_DIR


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
    """Recall on the observable planted changes (flag of the planted kind), with the
    per-customer tests at p <= 0.05 (docs/decisions.md, 2026-12-02 "Behaviour changes:
    per-customer tests"). Measured: S seed 5 (held out, where the defaults were chosen) 16 of
    26 = 0.62 (frequency 3/9, spend 8/9, category 5/8); S seed 7 15 of 24 = 0.62 (3/8, 6/8,
    6/8); S seed 11 10 of 20 = 0.50 (4/7, 5/7, 1/6); XS seed 11 (this company) 4 of 9 (1/3,
    2/3, 1/3). Over the three S seeds a planted change is found with probability ~0.59 (41 of
    70); at that rate 3 or more of XS's 9 are found with probability 0.97 (binomial; 4 or
    more: 0.88), so we assert recall >= 1/3 (the ratio rules before found 2 of 9). Per kind
    is not asserted: 3 per kind at XS cannot tell 1/3 from 2/3."""
    b = truth.behaviour()
    assert sum(b.observable.values()) >= 9
    assert b.recall() >= 1 / 3, b


def test_behaviour_changes_flag_few_customers_without_a_planted_change(truth):
    """Customers without a planted change that the mart flags anyway, among those it can
    judge (an order in both windows). Each flag is a test at level 0.05 (the spend test is
    calibrated: 4-7% of unplanted S customers per order-count class; the exact frequency and
    category tests are conservative at small counts, ~1%), so a customer is flagged by chance
    with probability ~0.08: measured S seeds 5, 7, 11 19/240, 21/253, 19/236 (59/729 = 0.081),
    XS 1/15 (the ratio rules before: XS 3/15, S 28/236). XS judges ~24 customers, 9 of them
    planted, hence >= 10 unplanted; at 0.081, 3 or fewer of 15 are flagged with probability
    0.97, so we allow 0.2."""
    b = truth.behaviour()
    assert b.unplanted_judged >= 10
    assert b.false_positive_rate <= 0.2, b


def test_behaviour_frequency_p_values_are_the_exact_binomial_mid_p(company):
    """frequency_p_value is the one-sided mid-p of the binomial split: n = baseline repeat
    orders + recent orders, each recent with probability recent days / (recent + baseline
    days) — recomputed here with scipy for every judged customer (the recent window's length
    from the mart's own recent_orders_per_30_days)."""
    from scipy.stats import binom

    rows = company.query(
        "select baseline_repeat_orders, recent_orders, baseline_days, "
        "30.0 * recent_orders / recent_orders_per_30_days, frequency_p_value "
        "from lifecycle.behavior_changes where has_both_windows")
    assert len(rows) >= 10
    for baseline, recent, baseline_days, recent_days, p_value in rows:
        n, share = baseline + recent, recent_days / (recent_days + baseline_days)
        expected = binom.sf(recent, n, share) + 0.5 * binom.pmf(recent, n, share)
        assert p_value == pytest.approx(expected, rel=1e-9, abs=1e-12)


def behaviour_windows(company, select: str, tail: str = "") -> list[tuple]:
    """`select ... from o <tail>` over the orders in the behavior_changes windows (o.time_window:
    'recent', 'baseline'), the windows cut here again from the project's vars."""
    var = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    recent, baseline = var["behavior_recent_days"], var["behavior_baseline_days"]
    return company.query(f"""
        with as_of as (select max(as_of_at) as as_of_at from lifecycle.behavior_changes),
        o as (
            select orders.*, case
                when ordered_at > as_of_at - interval {recent} day then 'recent'
                when ordered_at > as_of_at - interval {recent + baseline} day then 'baseline'
            end as time_window
            from core.fct_orders as orders, as_of
            where customer_id is not null and ordered_at <= as_of_at)
        select {select} from (select * from o where time_window is not null) as o {tail}""")


def judged_customers(company, column: str) -> dict[str, float | None]:
    return dict(company.query(f"select customer_id, {column} from lifecycle.behavior_changes "
                              "where has_both_windows"))


def test_behaviour_spend_p_values_are_the_pooled_z_test(company):
    """spend_p_value = Φ(z) on the mean log order value, the spread pooled over every
    customer's windows — recomputed here from the orders (erfc fit: relative error < 1e-6)."""
    from scipy.stats import norm

    logs: dict[tuple[str, str], list[float]] = defaultdict(list)
    for customer, window, total in behaviour_windows(
            company, "o.customer_id, o.time_window, o.order_total"):
        if total > 0:
            logs[customer, window].append(math.log(total))
    mean = {k: sum(v) / len(v) for k, v in logs.items()}
    squares = sum((x - mean[k]) ** 2 for k, v in logs.items() for x in v)
    sd = math.sqrt(squares / sum(len(v) - 1 for v in logs.values()))
    mart = judged_customers(company, "spend_p_value")
    tested = 0
    for customer, p_value in mart.items():
        r, b = logs.get((customer, "recent")), logs.get((customer, "baseline"))
        if not (r and b):
            assert p_value is None
            continue
        z = (mean[customer, "recent"] - mean[customer, "baseline"]) / (
            sd * math.sqrt(1 / len(r) + 1 / len(b)))
        assert p_value == pytest.approx(norm.cdf(z), rel=1e-6, abs=1e-9), customer
        tested += 1
    assert tested >= 10


def test_behaviour_category_p_values_are_fishers_mid_p(company):
    """category_p_value = two-sided mid-p of Fisher's exact test on the line items in / out of
    the customer's main category (most lines over both windows, ties by name), baseline vs
    recent — recomputed here with scipy's hypergeometric distribution."""
    from scipy.stats import hypergeom

    lines: dict[str, Counter] = defaultdict(Counter)
    for customer, window, category, n in behaviour_windows(
            company, "o.customer_id, o.time_window, coalesce(p.category, '(unknown)'), count(*)",
            "join core.fct_order_items as i on i.order_id = o.order_id "
            "left join core.dim_products as p on p.product_id = i.product_id "
            "group by all"):
        lines[customer][window, category] += n
    mart = judged_customers(company, "category_p_value")
    main_of = judged_customers(company, "main_category")
    tested = 0
    for customer, p_value in mart.items():
        by = lines.get(customer, Counter())
        per_category = Counter()
        for (_, category), n in by.items():
            per_category[category] += n
        recent = sum(n for (w, _), n in by.items() if w == "recent")
        total = sum(per_category.values())
        if not 0 < recent < total:
            assert p_value is None, customer
            continue
        main = min(per_category, key=lambda c: (-per_category[c], c))
        assert main_of[customer] == main
        dist = hypergeom(total, per_category[main], recent)
        observed = dist.pmf(by["recent", main])
        support = range(max(0, recent - (total - per_category[main])),
                        min(per_category[main], recent) + 1)
        pmf = [dist.pmf(k) for k in support]
        expected = (sum(p for p in pmf if p < observed * (1 - 1e-7))
                    + 0.5 * sum(p for p in pmf if abs(p - observed) <= observed * 1e-7))
        assert p_value == pytest.approx(expected, rel=1e-9, abs=1e-12), customer
        tested += 1
    assert tested >= 10


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
