"""Holdout check: fit on purchases up to `calibration_end`, predict each calibration customer's
purchases in the following `holdout_days`, and compare with the purchases that happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from orchestration.clv import bgnbd, score
from orchestration.clv.summary import summarise


@dataclass(frozen=True)
class Holdout:
    customers: int
    repeat_customers: int
    predicted: float  # sum over customers of the expected holdout purchases
    actual: int  # purchases (customer days) in the holdout
    mae: float  # mean absolute error per customer
    purchase_model: str  # bg_nbd, or the fallback when BG/NBD was not usable
    params: dict[str, float]

    @property
    def aggregate_error(self) -> float:
        """(predicted - actual) / actual."""
        return (self.predicted - self.actual) / self.actual if self.actual else float("nan")


def holdout_check(purchases: pd.DataFrame, calibration_end: date, holdout_days: int,
                  settings: score.Settings) -> Holdout:
    """`purchases`: customer_id, purchase_date, purchase_value (one row per customer and day);
    time unit days."""
    summary = summarise(purchases, calibration_end, "day")
    bg, _ = score.fit_models(summary, settings)
    x, t_x, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "tenure"))
    if bg.usable:
        predicted = bgnbd.expected_purchases(bg.fit.params, float(holdout_days), x, t_x, T)
        model = score.BG_NBD
    else:
        predicted = score.fallback_purchases(summary, float(holdout_days), settings)[1]
        model = score.FALLBACK_PURCHASES
    dates = pd.to_datetime(purchases["purchase_date"])
    start, end = pd.Timestamp(calibration_end), pd.Timestamp(
        calibration_end + timedelta(days=holdout_days))
    later = purchases[(dates > start) & (dates <= end)]
    actual = (later.groupby("customer_id").size()
              .reindex(summary["customer_id"], fill_value=0).to_numpy())
    return Holdout(len(summary), bg.n_repeat_customers, float(predicted.sum()),
                   int(actual.sum()), float(np.mean(np.abs(predicted - actual))), model,
                   bg.fit.params if bg.fit else {})
