"""customer_clv: per customer with a purchase in the calibration period, P(alive), expected
purchases and predicted CLV over the next 12 months (BG/NBD + Gamma-Gamma with the parameters
of customer_clv_fit, monthly discounting) and historical CLV; the documented fallback where a
model is not usable (columns purchase_model, spend_model). docs/metrics.md, "CLV"."""

import pandas as pd

from orchestration.clv import score
from orchestration.clv.summary import summarise, unit_days

COLUMNS = ["customer_id", "first_purchase_date", "last_purchase_date", "purchase_count",
           "frequency", "recency", "tenure", "time_unit", "monetary_value", "historical_clv",
           "p_alive", "expected_purchases_12m", "expected_purchase_value",
           "discounted_expected_purchases_12m", "predicted_clv", "purchase_model",
           "spend_model", "calibration_end_date"]


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit = dbt.config.get("clv_time_unit")
    settings = score.Settings(
        unit_days=unit_days(time_unit),
        monthly_discount_rate=float(dbt.config.get("clv_monthly_discount_rate")),
        min_repeat_customers=int(dbt.config.get("clv_min_repeat_customers")),
        churn_days=float(dbt.config.get("churn_days")))
    fits = score.fits_from_table(dbt.ref("customer_clv_fit").df())
    purchases = dbt.ref("int_clv__purchase_days").df()
    end = purchases["calibration_end_date"].max() if len(purchases) else pd.Timestamp(0)
    summary = summarise(purchases, pd.Timestamp(end).date(), time_unit)
    out = score.score(summary, *fits, settings)
    out["time_unit"] = time_unit
    out["calibration_end_date"] = pd.Timestamp(end).date()
    return out[COLUMNS]
