"""Pure data shaping for the report's charts: mart rows (DataFrame) in, the chart's table out.
Formulas follow docs/metrics.md; monthly figures are recomputed from the daily counts (never
an average of daily rates)."""

from __future__ import annotations

import pandas as pd

FUNNEL_STEPS: tuple[tuple[str, str], ...] = (
    ("visitors", "Visitors"), ("leads", "Leads"), ("customers", "Customers"),
    ("repeat_customers", "Repeat customers"))


def _month(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where den is 0."""
    return num.astype(float).div(den.astype(float).where(den != 0))


def monthly_scores(daily: pd.DataFrame) -> pd.DataFrame:
    """NPS, CSAT % and mean CES per month from cx_kpis_daily's daily counts: NPS = 100 ×
    (promoters − detractors) / responses, CSAT % = 100 × satisfied / responses, CES = the
    response-weighted mean of the daily means."""
    d = daily.assign(month=_month(daily["kpi_date"]),
                     ces_sum=daily["ces_mean"].fillna(0) * daily["ces_responses"])
    m = d.groupby("month", as_index=False)[
        ["nps_responses", "nps_promoters", "nps_detractors", "csat_responses",
         "csat_satisfied", "ces_responses", "ces_sum"]].sum()
    return pd.DataFrame({
        "month": m["month"],
        "nps": 100 * _ratio(m["nps_promoters"] - m["nps_detractors"], m["nps_responses"]),
        "csat_pct": 100 * _ratio(m["csat_satisfied"], m["csat_responses"]),
        "ces_mean": _ratio(m["ces_sum"], m["ces_responses"]),
        "nps_responses": m["nps_responses"], "csat_responses": m["csat_responses"],
        "ces_responses": m["ces_responses"],
    })


def funnel_steps(funnel: pd.DataFrame) -> pd.DataFrame:
    """The funnel over all cohorts and channels: people per step, the share of the previous
    step that reached it and the number who dropped off before it."""
    counts = [int(funnel[col].sum()) for col, _ in FUNNEL_STEPS]
    previous = [None, *counts[:-1]]
    return pd.DataFrame({
        "step": [label for _, label in FUNNEL_STEPS],
        "people": counts,
        "share_of_previous": [None if p is None else (c / p if p else None)
                              for c, p in zip(counts, previous, strict=True)],
        "dropped_before": [None if p is None else p - c
                           for c, p in zip(counts, previous, strict=True)],
    })


def top_paths(paths: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The n paths with the most journeys (ties by path name), most common first."""
    return (paths.sort_values(["journeys", "channel_path"], ascending=[False, True])
            .head(n).reset_index(drop=True))


def campaign_attribution(rows: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Attributed revenue and ROAS per campaign and model for the n campaigns with the most
    attributed revenue under any model ('(no campaign)' left out); long format."""
    named = rows[rows["campaign_id"] != "(no campaign)"]
    best = (named.groupby("campaign_id")["attributed_revenue"].max()
            .sort_values(ascending=False, kind="stable").head(n).index)
    out = named[named["campaign_id"].isin(best)].copy()
    out["campaign"] = out["campaign_name"].fillna(out["campaign_id"])
    order = {c: i for i, c in enumerate(best)}
    out["_order"] = out["campaign_id"].map(order)
    return (out.sort_values(["_order", "attribution_model"])
            [["campaign_id", "campaign", "attribution_model", "attributed_revenue", "spend",
              "roas"]].reset_index(drop=True))


def retention_matrix(cohorts: pd.DataFrame) -> pd.DataFrame:
    """Retention rate with acquisition cohorts as rows and months since acquisition as
    columns (NaN where a cohort is too young)."""
    m = cohorts.pivot(index="cohort_month", columns="months_since_acquisition",
                      values="retention_rate")
    return m.sort_index().sort_index(axis=1)


def churn_by_support(rows: pd.DataFrame) -> pd.DataFrame:
    """Monthly churn rate of customers who contacted support vs those who did not."""
    return (rows.pivot(index="period_month", columns="group_value", values="churn_rate")
            .sort_index())


def clv_by_persona(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers, mean and median predicted CLV per persona, highest mean first."""
    g = customers.assign(persona=customers["persona"].fillna("(none)")).groupby("persona")
    out = g["predicted_clv"].agg(customers="count", mean_clv="mean", median_clv="median")
    return out.sort_values("mean_clv", ascending=False).reset_index()


def support_times(tickets: pd.DataFrame) -> pd.DataFrame:
    """Median first reply (by month created) and median resolution (by month solved) in
    hours."""
    reply = (tickets.dropna(subset=["first_reply_minutes"])
             .assign(month=lambda t: _month(t["created_date"]))
             .groupby("month")["first_reply_minutes"].median() / 60)
    solved = (tickets.dropna(subset=["resolution_minutes", "solved_date"])
              .assign(month=lambda t: _month(t["solved_date"]))
              .groupby("month")["resolution_minutes"].median() / 60)
    out = pd.concat({"median_first_reply_hours": reply,
                     "median_resolution_hours": solved}, axis=1).sort_index()
    return out.rename_axis("month").reset_index()


def experiment_lifts(results: pd.DataFrame) -> pd.DataFrame:
    """One row per non-control variant: absolute lift with its 95% interval."""
    t = results[~results["is_control"].astype(bool)].copy()
    t["label"] = t["experiment_name"].fillna(t["experiment_id"]) + ": " + t["variant"]
    return (t.sort_values(["experiment_id", "variant"])
            [["label", "conversion_rate", "absolute_lift", "absolute_lift_ci_low",
              "absolute_lift_ci_high", "p_value", "is_significant"]].reset_index(drop=True))
