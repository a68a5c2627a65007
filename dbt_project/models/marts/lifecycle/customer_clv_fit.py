"""customer_clv_fit: maximum-likelihood BG/NBD and Gamma-Gamma parameters on the purchase days
of the calibration period (orchestration/clv; docs/metrics.md, "CLV"). One row per model and
parameter. A model that cannot be fitted (too few repeat customers) has null values; one that is
not usable (no convergence, degenerate) keeps its values; both get their fit_status and a
warning in the dbt log."""

import pandas as pd
from dbt.adapters.events.logging import AdapterLogger

from orchestration.clv import score
from orchestration.clv.summary import summarise, unit_days

COLUMNS = {"model": "string", "parameter": "string", "value": "float64",
           "log_likelihood": "float64", "converged": "boolean", "fit_status": "string",
           "message": "string", "n_customers": "int64", "n_repeat_customers": "int64",
           "calibration_end_date": "datetime64[s]", "time_unit": "string"}


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit = dbt.config.get("clv_time_unit")
    settings = score.Settings(unit_days=unit_days(time_unit),
                              min_repeat_customers=int(dbt.config.get("clv_min_repeat_customers")))
    purchases = dbt.ref("int_clv__purchase_days").df()
    end = purchases["calibration_end_date"].max() if len(purchases) else pd.Timestamp(0)
    summary = summarise(purchases, pd.Timestamp(end).date(), time_unit)
    fits = score.fit_models(summary, settings)
    for mf in fits:
        if not mf.usable:
            reason = mf.fit.message if mf.fit else "not fitted"
            AdapterLogger("customer_clv").warning(
                f"customer_clv_fit: {mf.model} not used ({mf.status}: {reason}; "
                f"{mf.n_repeat_customers} repeat customers); customer_clv uses the documented "
                "fallback (docs/metrics.md, CLV)")
    table = score.fit_table(fits)
    table["calibration_end_date"] = pd.Timestamp(end)
    table["time_unit"] = time_unit
    return table.astype(COLUMNS)[list(COLUMNS)]
