"""report/shape.py on small hand-worked frames."""

import math

import pandas as pd
import pytest

from report import shape


def _daily(rows):
    cols = ["kpi_date", "nps_responses", "nps_promoters", "nps_detractors", "csat_responses",
            "csat_satisfied", "ces_responses", "ces_mean"]
    return pd.DataFrame(rows, columns=cols)


def test_monthly_scores_recompute_from_counts_not_from_daily_rates():
    daily = _daily([
        # January: day 1 has 1 response (a promoter), day 2 has 3 (1 promoter, 2 detractors)
        ("2026-01-01", 1, 1, 0, 2, 2, 1, 7.0),
        ("2026-01-02", 3, 1, 2, 2, 0, 3, 3.0),
        ("2026-02-10", 0, 0, 0, 0, 0, 0, None),
    ])
    m = shape.monthly_scores(daily)
    jan, feb = m.iloc[0], m.iloc[1]
    assert jan["month"] == pd.Timestamp("2026-01-01")
    # (2 promoters − 2 detractors) / 4 responses = 0, not the mean of 100 and −33
    assert jan["nps"] == pytest.approx(0.0)
    assert jan["csat_pct"] == pytest.approx(50.0)  # 2 satisfied of 4
    assert jan["ces_mean"] == pytest.approx((7 + 3 * 3) / 4)  # 4.0, weighted by responses
    assert jan["nps_responses"] == 4
    assert math.isnan(feb["nps"]) and math.isnan(feb["csat_pct"]) and math.isnan(feb["ces_mean"])


def test_funnel_steps_sum_cohorts_and_count_drop_off():
    rows = pd.DataFrame({"visitors": [60, 40], "leads": [30, 20], "customers": [10, 10],
                         "repeat_customers": [5, 0]})
    f = shape.funnel_steps(rows)
    assert f["people"].tolist() == [100, 50, 20, 5]
    assert f["share_of_previous"].tolist()[1:] == [0.5, 0.4, 0.25]
    assert f["dropped_before"].tolist()[1:] == [50, 30, 15]
    assert math.isnan(f["share_of_previous"][0])


def test_top_paths_most_journeys_first_ties_by_name():
    paths = pd.DataFrame({"channel_path": ["b", "a", "c", "d"], "journeys": [5, 5, 9, 1]})
    assert shape.top_paths(paths, n=3)["channel_path"].tolist() == ["c", "a", "b"]


def test_campaign_attribution_keeps_top_campaigns_by_best_model():
    rows = pd.DataFrame({
        "campaign_id": ["x", "x", "y", "y", "(no campaign)", "z", "z"],
        "campaign_name": ["X", "X", None, "Y", None, "Z", "Z"],
        "attribution_model": ["first_touch", "last_touch"] * 2 + ["linear"] + ["first_touch",
                                                                              "last_touch"],
        "attributed_revenue": [10.0, 50.0, 40.0, 45.0, 999.0, 1.0, 2.0],
        "spend": [10.0, 10.0, 0.0, 0.0, 0.0, 1.0, 1.0],
        "roas": [1.0, 5.0, None, None, None, 1.0, 2.0],
    })
    out = shape.campaign_attribution(rows, n=2)
    # x (best 50) then y (best 45); z and '(no campaign)' left out
    assert out["campaign_id"].tolist() == ["x", "x", "y", "y"]
    assert out["campaign"].tolist() == ["X", "X", "y", "Y"]  # name, else the id
    assert out["roas"].tolist()[:2] == [1.0, 5.0]


def test_retention_matrix_pivots_cohorts_by_month():
    rows = pd.DataFrame({
        "cohort_month": pd.to_datetime(["2026-02-01", "2026-01-01", "2026-01-01",
                                        "2026-02-01"]),
        "months_since_acquisition": [0, 1, 0, 1],
        "retention_rate": [1.0, 0.25, 1.0, 0.5]})
    m = shape.retention_matrix(rows)
    assert m.index.tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01")]
    assert m.to_numpy().tolist() == [[1.0, 0.25], [1.0, 0.5]]


def test_churn_by_support_one_column_per_group():
    rows = pd.DataFrame({"period_month": ["2026-01-01", "2026-01-01", "2026-02-01"],
                         "group_value": ["contacted_support", "no_support_contact",
                                         "contacted_support"],
                         "churn_rate": [0.2, 0.1, 0.3]})
    m = shape.churn_by_support(rows)
    assert m.loc["2026-01-01", "contacted_support"] == 0.2
    assert m.loc["2026-01-01", "no_support_contact"] == 0.1
    assert math.isnan(m.loc["2026-02-01", "no_support_contact"])


def test_clv_by_persona_counts_and_means():
    rows = pd.DataFrame({"persona": ["loyal", "loyal", "new", None],
                         "predicted_clv": [100.0, 300.0, 50.0, 10.0]})
    out = shape.clv_by_persona(rows)
    assert out.to_dict("records") == [
        {"persona": "loyal", "customers": 2, "mean_clv": 200.0, "median_clv": 200.0},
        {"persona": "new", "customers": 1, "mean_clv": 50.0, "median_clv": 50.0},
        {"persona": "(none)", "customers": 1, "mean_clv": 10.0, "median_clv": 10.0}]


def test_support_times_medians_in_hours_by_created_and_solved_month():
    rows = pd.DataFrame({
        "created_date": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-01-30",
                                        "2026-02-02"]),
        "first_reply_minutes": [60.0, 180.0, None, 30.0],
        "solved_date": pd.to_datetime(["2026-01-06", "2026-02-01", None, "2026-02-03"]),
        "resolution_minutes": [120.0, 600.0, None, 240.0]})
    t = shape.support_times(rows).set_index("month")
    assert t.loc["2026-01-01", "median_first_reply_hours"] == pytest.approx(2.0)  # 1 h, 3 h
    assert t.loc["2026-02-01", "median_first_reply_hours"] == pytest.approx(0.5)
    assert t.loc["2026-01-01", "median_resolution_hours"] == pytest.approx(2.0)
    assert t.loc["2026-02-01", "median_resolution_hours"] == pytest.approx(7.0)  # 10 h, 4 h


def test_experiment_lifts_drop_control_rows():
    rows = pd.DataFrame({
        "experiment_id": ["e1", "e1"], "experiment_name": ["Checkout", "Checkout"],
        "variant": ["control", "treatment"], "is_control": [True, False],
        "conversion_rate": [0.10, 0.12], "absolute_lift": [None, 0.02],
        "absolute_lift_ci_low": [None, 0.005], "absolute_lift_ci_high": [None, 0.035],
        "p_value": [None, 0.01], "is_significant": [None, True]})
    out = shape.experiment_lifts(rows)
    assert out["label"].tolist() == ["Checkout: treatment"]
    assert out.loc[0, "absolute_lift_ci_low"] == 0.005
