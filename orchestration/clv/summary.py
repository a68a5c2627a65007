"""Purchase days -> the per-customer summary the models read (frequency, recency, T, mean
repeat spend), as lifetimes' `summary_data_from_transaction_data` and the papers build it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

UNIT_DAYS = {"day": 1.0, "week": 7.0}


def unit_days(time_unit: str) -> float:
    try:
        return UNIT_DAYS[time_unit]
    except KeyError:
        raise ValueError(f"clv_time_unit must be one of {sorted(UNIT_DAYS)}, "
                         f"not {time_unit!r}") from None


def summarise(purchases: pd.DataFrame, calibration_end: date, time_unit: str) -> pd.DataFrame:
    """One row per customer with a purchase on or before `calibration_end`.

    `purchases`: customer_id, purchase_date (one row per customer and day; several orders of
    one day are one purchase), purchase_value. Returns customer_id, first/last_purchase_date,
    purchase_count (days incl. the first), frequency (repeat purchases), recency (first to last
    purchase), tenure (first purchase to calibration_end; recency and tenure in `time_unit`),
    monetary_value (mean value of the repeat purchases; 0 without any) and historical_value
    (value of every purchase, the first included)."""
    step = unit_days(time_unit)
    end = pd.Timestamp(calibration_end)
    df = purchases.loc[:, ["customer_id", "purchase_date", "purchase_value"]].copy()
    df["purchase_date"] = pd.to_datetime(df["purchase_date"])
    df = df[df["purchase_date"] <= end].sort_values(["customer_id", "purchase_date"])
    df["purchase_value"] = df["purchase_value"].astype(float)
    g = df.groupby("customer_id", sort=True)
    first = g["purchase_date"].min()
    last = g["purchase_date"].max()
    count = g.size()
    total = g["purchase_value"].sum()
    first_value = g["purchase_value"].first()
    out = pd.DataFrame({
        "customer_id": first.index,
        "first_purchase_date": first.dt.date.to_numpy(),
        "last_purchase_date": last.dt.date.to_numpy(),
        "purchase_count": count.to_numpy(np.int64),
        "frequency": (count - 1).to_numpy(np.int64),
        "recency": ((last - first).dt.days / step).to_numpy(float),
        "tenure": ((end - first).dt.days / step).to_numpy(float),
        "historical_value": total.to_numpy(float),
    })
    repeat_total = (total - first_value).to_numpy(float)
    freq = out["frequency"].to_numpy()
    out["monetary_value"] = np.where(freq > 0, repeat_total / np.maximum(freq, 1), 0.0)
    return out.reset_index(drop=True)
