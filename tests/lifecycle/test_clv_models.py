"""CLV model functions (orchestration/clv) against published values, hand-worked cases, the
generative process and the fallbacks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy.special import beta as beta_fn
from scipy.special import gamma as gamma_fn

from orchestration.clv import bgnbd, gamma_gamma, score
from orchestration.clv.mle import Fit
from orchestration.clv.simulate import sample
from orchestration.clv.summary import summarise

# Fader, Hardie & Lee (2005), CDNOW sample: BG/NBD (Marketing Science 24(2), table/section 5)
# and Gamma-Gamma (JMR 42(4); Fader & Hardie 2013, note 025)
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_summary_counts_days_and_measures_in_weeks():
    # CDNOW customer 0001 (CDNOW_sample.txt): 1997-01-01, 01-18, 08-02, 12-12; calibration
    # ends 1997-09-30, so the December purchase is outside it
    purchases = pd.DataFrame({
        "customer_id": ["1"] * 4 + ["2"],
        "purchase_date": [date(1997, 1, 1), date(1997, 1, 18), date(1997, 8, 2),
                          date(1997, 12, 12), date(1997, 1, 1)],
        "purchase_value": [29.33, 29.73, 14.96, 26.48, 63.34]})
    s = summarise(purchases, date(1997, 9, 30), "week").set_index("customer_id")
    assert s.loc["1", "frequency"] == 2
    assert s.loc["1", "recency"] == pytest.approx(213 / 7)  # 30.43 weeks in the paper's data
    assert s.loc["1", "tenure"] == pytest.approx(272 / 7)  # 38.86
    assert s.loc["1", "monetary_value"] == pytest.approx((29.73 + 14.96) / 2)
    assert s.loc["1", "historical_value"] == pytest.approx(29.33 + 29.73 + 14.96)
    assert s.loc["1", "purchase_count"] == 3
    assert s.loc["2", "frequency"] == 0 and s.loc["2", "monetary_value"] == 0
    assert s.loc["2", "recency"] == 0


def direct_bgnbd_likelihood(r, alpha, a, b, x, t_x, T):
    """Paper eq. 6 written out with gamma and beta functions (small cases only)."""
    common = gamma_fn(r + x) * alpha ** r / gamma_fn(r)
    alive = beta_fn(a, b + x) / beta_fn(a, b) / (alpha + T) ** (r + x)
    dropped = beta_fn(a + 1, b + x - 1) / beta_fn(a, b) / (alpha + t_x) ** (r + x) \
        if x > 0 else 0.0
    return common * (alive + dropped)


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 10.0), (1, 2.5, 10.0), (4, 7.0, 9.0)])
def test_bgnbd_log_likelihood_matches_the_paper_formula(x, t_x, T):
    params = np.array([0.5, 3.0, 1.2, 2.5])
    got = bgnbd.log_likelihood(params, np.array([x], float), np.array([t_x]), np.array([T]))
    assert got[0] == pytest.approx(np.log(direct_bgnbd_likelihood(*params, x, t_x, T)))


def direct_gg_density(p, q, g, x, m):
    return (gamma_fn(p * x + q) / (gamma_fn(p * x) * gamma_fn(q)) * g ** q * x ** (p * x)
            * m ** (p * x - 1) / (g + x * m) ** (p * x + q))


def test_gamma_gamma_log_likelihood_matches_the_density():
    got = gamma_gamma.log_likelihood(np.array([6.0, 4.0, 50.0]), np.array([1.0, 3.0]),
                                     np.array([20.0, 35.0]))
    want = [np.log(direct_gg_density(6.0, 4.0, 50.0, x, m)) for x, m in ((1, 20), (3, 35))]
    assert got == pytest.approx(want)


def test_analytic_gradients_match_finite_differences():
    x = np.array([0.0, 1.0, 3.0, 7.0])
    t_x = np.array([0.0, 4.0, 9.0, 20.0])
    T = np.array([5.0, 12.0, 30.0, 21.0])
    m = np.array([1.0, 10.0, 25.0, 40.0])
    for fn, grad, params, args in (
            (bgnbd.log_likelihood, bgnbd.gradient, np.array([0.4, 5.0, 0.9, 2.2]), (x, t_x, T)),
            (gamma_gamma.log_likelihood, gamma_gamma.gradient, np.array([5.0, 3.0, 20.0]),
             (x[1:], m[1:]))):
        analytic = grad(params, *args).sum(axis=1)
        for i in range(len(params)):
            h = 1e-6 * params[i]
            up, down = params.copy(), params.copy()
            up[i] += h
            down[i] -= h
            numeric = (fn(up, *args).sum() - fn(down, *args).sum()) / (2 * h)
            assert analytic[i] == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_conditional_expectation_matches_hardie_spreadsheet():
    # Fader & Hardie's BG/NBD spreadsheet (as checked by lifetimes): x = 2, t_x = 30.43,
    # T = 38.86 weeks, next 39 weeks -> 1.226 expected purchases
    got = bgnbd.expected_purchases(CDNOW_BGNBD, 39.0, np.array([2.0]), np.array([30.43]),
                                   np.array([38.86]))
    assert got[0] == pytest.approx(1.226, abs=2e-3)


def test_p_alive_is_one_without_repeats_and_falls_with_time_since_last_purchase():
    x = np.array([0.0, 3.0, 3.0, 3.0])
    t_x = np.array([0.0, 30.0, 20.0, 5.0])
    T = np.full(4, 30.0)
    alive = bgnbd.p_alive(CDNOW_BGNBD, x, t_x, T)
    assert alive[0] == 1.0
    assert 1.0 > alive[1] > alive[2] > alive[3] > 0.0
    # hand-worked eq. 13 for the second customer: 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
    assert alive[1] == pytest.approx(1 / (1 + 0.793 / (2.426 + 2)))


def test_expected_spend_matches_hardie_spreadsheet():
    # Fader & Hardie (2013) note 025 spreadsheet, CDNOW customers 1-3: (x, mean repeat spend)
    got = gamma_gamma.expected_spend(CDNOW_GG, np.array([2.0, 1.0, 0.0]),
                                     np.array([22.35, 11.77, 0.0]))
    assert got == pytest.approx([24.65, 18.91, 35.17], abs=0.1)


def test_fit_recovers_the_parameters_of_the_generative_process():
    bg = {"r": 0.9, "alpha": 45.0, "a": 2.0, "b": 4.0}
    gg = {"p": 6.0, "q": 4.0, "gamma": 55.0}
    s = sample(8000, bg, gg, 730.0, np.random.default_rng(3))
    fit_bg = bgnbd.fit(s["frequency"], s["recency"], s["tenure"])
    rep = s[s["frequency"] > 0]
    fit_gg = gamma_gamma.fit(rep["frequency"], rep["monetary_value"])
    assert fit_bg.converged and fit_gg.converged
    # sampling error at this size: r, alpha, p, q, gamma within 10%, a and b within 30%
    for k in ("r", "alpha"):
        assert fit_bg.params[k] == pytest.approx(bg[k], rel=0.1)
    for k in ("a", "b"):
        assert fit_bg.params[k] == pytest.approx(bg[k], rel=0.3)
    for k in gg:
        assert fit_gg.params[k] == pytest.approx(gg[k], rel=0.1)


def summary_frame(rows: list[tuple[int, float, float, float, float]]) -> pd.DataFrame:
    """(frequency, recency, tenure, monetary_value, historical_value) per customer."""
    df = pd.DataFrame(rows, columns=["frequency", "recency", "tenure", "monetary_value",
                                     "historical_value"])
    df.insert(0, "customer_id", [f"c{i}" for i in range(len(df))])
    df["purchase_count"] = df["frequency"] + 1
    return df


def test_too_few_repeat_customers_falls_back_by_rule(caplog):
    # days; c0 bought 3 times, last 10 days ago; c1 once, 400 days ago; c2 once, 20 days ago
    s = summary_frame([(2, 90.0, 100.0, 30.0, 100.0), (0, 0.0, 400.0, 0.0, 50.0),
                       (0, 0.0, 20.0, 0.0, 80.0)])
    settings = score.Settings(unit_days=1.0, churn_days=180, min_repeat_customers=2,
                              monthly_discount_rate=0.0)
    bg, gg = score.fit_models(s, settings)
    assert (bg.status, gg.status) == ("too_few_repeat_customers", "too_few_repeat_customers")
    assert "fallback" in caplog.text
    out = score.score(s, bg, gg, settings).set_index("customer_id")
    assert set(out["purchase_model"]) == {score.FALLBACK_PURCHASES}
    assert set(out["spend_model"]) == {score.FALLBACK_SPEND}
    assert list(out["p_alive"]) == [1.0, 0.0, 1.0]
    # pooled repeat rate = 2 repeats / 520 days; shrunk rate (x + 1) / (T + 260)
    horizon = 365.25
    assert out.loc["c0", "expected_purchases_12m"] == pytest.approx(3 / 360 * horizon)
    assert out.loc["c1", "expected_purchases_12m"] == 0.0
    assert out.loc["c2", "expected_purchases_12m"] == pytest.approx(1 / 280 * horizon)
    # spend: the customer's own mean purchase value; no discounting at d = 0
    assert list(out["expected_purchase_value"]) == pytest.approx([100 / 3, 50.0, 80.0])
    assert out.loc["c0", "predicted_clv"] == pytest.approx(100 / 3 * 3 / 360 * horizon)
    assert list(out["historical_clv"]) == [100.0, 50.0, 80.0]


def test_unconverged_fits_fall_back_and_nothing_is_nan():
    s = summary_frame([(2, 90.0, 100.0, 30.0, 100.0), (5, 50.0, 60.0, 10.0, 70.0)])
    bad = Fit({"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}, -1.0, False, "did not converge")
    bad_gg = Fit({"p": 1.0, "q": 0.5, "gamma": 1.0}, -1.0, True, "ok")
    bg = score.ModelFit(score.BG_NBD, "not_converged", bad, 2, 2)
    gg = score.ModelFit(score.GAMMA_GAMMA, "invalid_parameters", bad_gg, 2, 2)
    out = score.score(s, bg, gg, score.Settings())
    assert set(out["purchase_model"]) == {score.FALLBACK_PURCHASES}
    assert set(out["spend_model"]) == {score.FALLBACK_SPEND}
    assert not out.select_dtypes("number").isna().any().any()


def test_a_non_finite_prediction_falls_back_for_that_customer_only():
    # an extreme customer (thousands of repeat purchases) next to ordinary ones
    s = summary_frame([(1, 5.0, 30.0, 20.0, 40.0), (5000, 100.0, 100.0, 20.0, 1e5),
                       (0, 0.0, 50.0, 0.0, 10.0)])
    bg = score.ModelFit(score.BG_NBD, "ok", Fit(CDNOW_BGNBD, -1.0, True, "ok"), 3, 2)
    gg = score.ModelFit(score.GAMMA_GAMMA, "ok", Fit(CDNOW_GG, -1.0, True, "ok"), 3, 2)
    out = score.score(s, bg, gg, score.Settings(unit_days=7.0))
    assert not out.select_dtypes("number").isna().any().any()
    assert np.isfinite(out.select_dtypes("number").to_numpy(float)).all()
    assert out.loc[0, "purchase_model"] == score.BG_NBD
    assert out.loc[1, "purchase_model"] == score.FALLBACK_PURCHASES  # hyp2f1 overflows
    assert out.loc[2, "purchase_model"] == score.BG_NBD
    assert ((out["p_alive"] >= 0) & (out["p_alive"] <= 1)).all()


def test_predicted_clv_discounts_each_month():
    s = summary_frame([(3, 50.0, 60.0, 20.0, 80.0)])
    bg = score.ModelFit(score.BG_NBD, "ok", Fit(CDNOW_BGNBD, -1.0, True, "ok"), 1, 1)
    gg = score.ModelFit(score.GAMMA_GAMMA, "ok", Fit(CDNOW_GG, -1.0, True, "ok"), 1, 1)
    d = 0.01
    out = score.score(s, bg, gg, score.Settings(unit_days=7.0, monthly_discount_rate=d))
    month = 365.25 / 12 / 7
    args = (np.array([3.0]), np.array([50.0]), np.array([60.0]))
    cum = [bgnbd.expected_purchases(CDNOW_BGNBD, m * month, *args)[0] for m in range(13)]
    want = sum((cum[m] - cum[m - 1]) / (1 + d) ** m for m in range(1, 13))
    assert out.loc[0, "discounted_expected_purchases_12m"] == pytest.approx(want)
    assert out.loc[0, "expected_purchases_12m"] == pytest.approx(cum[12])
    spend = 6.25 * (15.44 + 3 * 20.0) / (6.25 * 3 + 3.74 - 1)
    assert out.loc[0, "predicted_clv"] == pytest.approx(spend * want)


def test_fit_table_round_trips():
    s = sample(500, {"r": 0.9, "alpha": 45.0, "a": 2.0, "b": 4.0},
               {"p": 6.0, "q": 4.0, "gamma": 55.0}, 730.0, np.random.default_rng(1))
    fits = score.fit_models(s, score.Settings(min_repeat_customers=10))
    back = score.fits_from_table(score.fit_table(fits))
    assert back == fits
    unfitted = score.fit_models(s.head(3), score.Settings(min_repeat_customers=10))
    assert score.fits_from_table(score.fit_table(unfitted)) == unfitted
