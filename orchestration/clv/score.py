"""Fit both models on a customer summary and score every customer, with the fallbacks.

Fallbacks (docs/metrics.md, "CLV"): when a model cannot be trusted — fewer repeat customers
than `min_repeat_customers`, no convergence, a degenerate optimum, or (Gamma-Gamma) q <= 1 —
its predictions are replaced and the columns `purchase_model` / `spend_model` say so:
- purchases: P(alive) = 1 if the last purchase lies within `churn_units` of the calibration
  end, else 0 (the project's churn rule); expected purchases = P(alive) x horizon x a shrunk
  repeat rate (frequency + 1) / (tenure + 1 / pooled_rate), pooled_rate = sum of repeat
  purchases / sum of tenure (0 when nobody repeated);
- spend: the customer's own mean purchase value (historical_value / purchase_count).
A single non-finite prediction of a fitted model (e.g. hyp2f1 overflow) falls back the same
way for that customer only. Nothing returned is NaN.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.clv import bgnbd, gamma_gamma
from orchestration.clv.mle import Fit

log = logging.getLogger(__name__)

DAYS_PER_MONTH = 365.25 / 12
BG_NBD, GAMMA_GAMMA = "bg_nbd", "gamma_gamma"
FALLBACK_PURCHASES, FALLBACK_SPEND = "fallback_recency_rule", "fallback_historical_mean"
NAMES = {BG_NBD: bgnbd.NAMES, GAMMA_GAMMA: gamma_gamma.NAMES}


@dataclass(frozen=True)
class Settings:
    unit_days: float = 1.0  # days per time unit of recency/tenure
    monthly_discount_rate: float = 0.01
    horizon_months: int = 12
    min_repeat_customers: int = 30
    churn_days: float = 180.0


@dataclass(frozen=True)
class ModelFit:
    model: str
    status: str  # ok | too_few_repeat_customers | not_converged | invalid_parameters
    fit: Fit | None
    n_customers: int
    n_repeat_customers: int

    @property
    def usable(self) -> bool:
        return self.status == "ok"


def fit_models(summary: pd.DataFrame, settings: Settings) -> tuple[ModelFit, ModelFit]:
    x = summary["frequency"].to_numpy(float)
    n, n_rep = len(x), int((x > 0).sum())
    rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    fits = []
    for model, n_fit in ((BG_NBD, n_rep), (GAMMA_GAMMA, len(rep))):
        if n_fit < settings.min_repeat_customers:
            fits.append(ModelFit(model, "too_few_repeat_customers", None, n, n_fit))
            continue
        if model == BG_NBD:
            f = bgnbd.fit(x, summary["recency"].to_numpy(float), summary["tenure"].to_numpy(float))
        else:
            f = gamma_gamma.fit(rep["frequency"].to_numpy(float),
                                rep["monetary_value"].to_numpy(float))
        status = "ok" if f.converged else "not_converged"
        if status == "ok" and model == GAMMA_GAMMA and f.params["q"] <= 1:
            status = "invalid_parameters"  # the expected spend needs q > 1
        fits.append(ModelFit(model, status, f, n, n_fit))
    for mf in fits:
        if not mf.usable:
            log.warning("customer_clv: %s not used (%s: %s, %d repeat customers, minimum %d); "
                        "predictions use the documented fallback", mf.model, mf.status,
                        mf.fit.message if mf.fit else "not fitted", mf.n_repeat_customers,
                        settings.min_repeat_customers)
    return fits[0], fits[1]


def fallback_purchases(summary: pd.DataFrame, horizon: float, settings: Settings
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(P(alive), expected purchases in the horizon) by the recency rule."""
    x = summary["frequency"].to_numpy(float)
    tenure = summary["tenure"].to_numpy(float)
    since_last = tenure - summary["recency"].to_numpy(float)
    alive = (since_last * settings.unit_days <= settings.churn_days).astype(float)
    exposure = tenure.sum()
    pooled = x.sum() / exposure if exposure > 0 else 0.0
    rate = (x + 1) / (tenure + 1 / pooled) if pooled > 0 else np.zeros_like(x)
    return alive, alive * rate * horizon


def fallback_spend(summary: pd.DataFrame) -> np.ndarray:
    return (summary["historical_value"].to_numpy(float)
            / np.maximum(summary["purchase_count"].to_numpy(float), 1))


def score(summary: pd.DataFrame, bg: ModelFit, gg: ModelFit, settings: Settings
          ) -> pd.DataFrame:
    """Per customer: p_alive, expected_purchases_12m (the horizon), expected_purchase_value,
    predicted_clv (discounted monthly), historical_clv and which model gave what."""
    x = summary["frequency"].to_numpy(float)
    t_x = summary["recency"].to_numpy(float)
    T = summary["tenure"].to_numpy(float)
    month = DAYS_PER_MONTH / settings.unit_days
    months = np.arange(settings.horizon_months + 1)
    fb_alive, fb_horizon = fallback_purchases(summary, month * settings.horizon_months, settings)
    # cumulative expected purchases at the end of each month, shape (months, customers)
    if bg.usable:
        cum = np.vstack([bgnbd.expected_purchases(bg.fit.params, m * month, x, t_x, T)
                         for m in months])
        alive = bgnbd.p_alive(bg.fit.params, x, t_x, T)
        ok = np.all(np.isfinite(cum), axis=0) & np.isfinite(alive) & np.all(cum >= -1e-9, axis=0)
    else:
        cum = np.zeros((len(months), len(x)))
        alive = fb_alive
        ok = np.zeros(len(x), bool)
    fb_cum = np.outer(months / settings.horizon_months, fb_horizon)
    cum = np.where(ok, np.clip(cum, 0, None), fb_cum)
    alive = np.clip(np.where(ok, alive, fb_alive), 0, 1)
    if gg.usable:
        spend = gamma_gamma.expected_spend(gg.fit.params, x, summary["monetary_value"]
                                           .to_numpy(float))
        spend_ok = np.isfinite(spend) & (spend >= 0)
    else:
        spend = np.zeros(len(x))
        spend_ok = np.zeros(len(x), bool)
    spend = np.where(spend_ok, spend, fallback_spend(summary))
    discount = (1 + settings.monthly_discount_rate) ** -months[1:]
    discounted = discount @ np.diff(cum, axis=0)
    out = summary.copy()
    out["p_alive"] = alive
    out["expected_purchases_12m"] = cum[-1]
    out["expected_purchase_value"] = spend
    out["discounted_expected_purchases_12m"] = discounted
    out["predicted_clv"] = spend * discounted
    out["historical_clv"] = summary["historical_value"].to_numpy(float)
    out["purchase_model"] = np.where(ok, BG_NBD, FALLBACK_PURCHASES)
    out["spend_model"] = np.where(spend_ok, GAMMA_GAMMA, FALLBACK_SPEND)
    return out


def fit_table(fits: tuple[ModelFit, ...]) -> pd.DataFrame:
    """One row per model and parameter; the values are null when the model was not fitted."""
    rows = []
    for mf in fits:
        base = {"model": mf.model, "fit_status": mf.status, "converged": bool(
                    mf.fit and mf.fit.converged), "n_customers": mf.n_customers,
                "n_repeat_customers": mf.n_repeat_customers,
                "log_likelihood": mf.fit.log_likelihood if mf.fit else None,
                "message": mf.fit.message if mf.fit else "not fitted"}
        params = mf.fit.params.items() if mf.fit else [(k, None) for k in NAMES[mf.model]]
        rows += [{**base, "parameter": k, "value": v} for k, v in params]
    return pd.DataFrame(rows)


def fits_from_table(table: pd.DataFrame) -> tuple[ModelFit, ModelFit]:
    """The two fits back from `fit_table` rows (customer_clv reads customer_clv_fit)."""
    out = []
    for model in (BG_NBD, GAMMA_GAMMA):
        rows = table[table["model"] == model]
        first = rows.iloc[0]
        fit = None
        if rows["value"].notna().all():
            fit = Fit({str(k): float(v) for k, v in zip(rows["parameter"], rows["value"],
                                                        strict=True)},
                      float(first["log_likelihood"]), bool(first["converged"]),
                      str(first["message"]))
        out.append(ModelFit(model, str(first["fit_status"]), fit, int(first["n_customers"]),
                            int(first["n_repeat_customers"])))
    return out[0], out[1]
