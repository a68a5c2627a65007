"""Plotly figures of the report, one per chart, from the shaped tables of report/shape.py."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

# one colour per attribution model in both panels (plotly's default sequence)
_COLORS = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3")


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, height=height, template="plotly_white",
                      margin={"l": 60, "r": 30, "t": 60, "b": 50},
                      legend={"orientation": "h", "y": -0.15})
    if not fig.data:
        fig.add_annotation(text="no data in the published marts", showarrow=False,
                           xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def _values(series: pd.Series) -> list:
    """Plain Python values (None for NaN) so the page's JSON is exact and portable."""
    return [None if pd.isna(v) else v for v in series.tolist()]


def scores(m: pd.DataFrame) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = m["month"].dt.strftime("%Y-%m").tolist()
    fig.add_trace(go.Scatter(x=x, y=_values(m["nps"]), name="NPS (−100…100)",
                             mode="lines+markers", connectgaps=True), secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=_values(m["csat_pct"]), name="CSAT %",
                             mode="lines+markers", connectgaps=True), secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=_values(m["ces_mean"]), name="CES (1–7, right axis)",
                             mode="lines+markers", line={"dash": "dot"},
                             connectgaps=True), secondary_y=True)
    fig.update_yaxes(title_text="NPS / CSAT %", secondary_y=False)
    fig.update_yaxes(title_text="CES", range=[1, 7], dtick=1, showgrid=False,
                     secondary_y=True)
    return _layout(fig, "NPS, CSAT and CES by month")


def funnel(steps: pd.DataFrame) -> go.Figure:
    text = [f"{p:,}" if s is None or pd.isna(s) else f"{p:,} ({s:.0%} of previous; "
            f"{int(d):,} dropped)"
            for p, s, d in zip(steps["people"], steps["share_of_previous"],
                               steps["dropped_before"], strict=True)]
    fig = go.Figure(go.Funnel(y=steps["step"].tolist(), x=steps["people"].tolist(),
                              text=text, textinfo="text"))
    return _layout(fig, "Funnel: visitor → lead → customer → repeat, with drop-off")


def paths(top: pd.DataFrame) -> go.Figure:
    y = top["channel_path"].tolist()[::-1]
    fig = go.Figure([
        go.Bar(y=y, x=top["conversions"].tolist()[::-1], name="converted", orientation="h"),
        go.Bar(y=y, x=top["drop_offs"].tolist()[::-1], name="dropped off", orientation="h"),
    ])
    fig.update_layout(barmode="stack", yaxis={"automargin": True})
    return _layout(fig, "Top journey paths (channels up to the first order)", 480)


def attribution(rows: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("Attributed revenue", "ROAS (revenue / ad spend)"))
    for i, (model, r) in enumerate(rows.groupby("attribution_model", sort=True)):
        style = {"legendgroup": model, "marker_color": _COLORS[i % len(_COLORS)]}
        fig.add_trace(go.Bar(x=r["campaign"].tolist(), y=_values(r["attributed_revenue"]),
                             name=model, **style), row=1, col=1)
        fig.add_trace(go.Bar(x=r["campaign"].tolist(), y=_values(r["roas"]), name=model,
                             showlegend=False, **style), row=2, col=1)
    fig.update_layout(barmode="group")
    return _layout(fig, "Attribution by campaign and model", 620)


def retention(matrix: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    if not matrix.empty:
        z = [[None if pd.isna(v) else round(float(v), 4) for v in row]
             for row in matrix.to_numpy()]
        fig.add_trace(go.Heatmap(
            z=z, x=[int(c) for c in matrix.columns],
            y=[pd.Timestamp(i).strftime("%Y-%m") for i in matrix.index],
            colorscale="Blues", zmin=0, zmax=1, colorbar={"title": "retained"},
            hovertemplate="cohort %{y}, month %{x}: %{z:.1%}<extra></extra>"))
        fig.update_yaxes(autorange="reversed", title_text="first-order cohort")
        fig.update_xaxes(title_text="months since acquisition")
    return _layout(fig, "Cohort retention", 560)


def churn(matrix: pd.DataFrame) -> go.Figure:
    x = [pd.Timestamp(i).strftime("%Y-%m") for i in matrix.index]
    fig = go.Figure([go.Scatter(x=x, y=_values(matrix[c]), name=str(c), mode="lines+markers")
                     for c in matrix.columns])
    fig.update_yaxes(title_text="monthly churn rate", tickformat=".0%")
    return _layout(fig, "Churn: customers who contacted support vs not")


def clv(customers: pd.DataFrame, personas: pd.DataFrame) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "Predicted 12-month CLV per customer", "Mean predicted CLV by persona"))
    fig.add_trace(go.Histogram(x=customers["predicted_clv"].tolist(), nbinsx=40,
                               name="customers", showlegend=False), row=1, col=1)
    fig.add_trace(go.Bar(x=personas["persona"].tolist(), y=_values(personas["mean_clv"]),
                         text=[f"{n:,} customers" for n in personas["customers"]],
                         name="mean CLV", showlegend=False), row=1, col=2)
    return _layout(fig, "Customer lifetime value: distribution and segments")


def support(times: pd.DataFrame) -> go.Figure:
    x = times["month"].dt.strftime("%Y-%m").tolist()
    fig = go.Figure([
        go.Scatter(x=x, y=_values(times["median_first_reply_hours"]), mode="lines+markers",
                   name="median first reply (h, by month created)"),
        go.Scatter(x=x, y=_values(times["median_resolution_hours"]), mode="lines+markers",
                   name="median resolution (h, by month solved)"),
    ])
    fig.update_yaxes(title_text="hours")
    return _layout(fig, "Support response and resolution times")


def experiments(lifts: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    if not lifts.empty:
        lift = lifts["absolute_lift"]
        fig.add_trace(go.Scatter(
            x=_values(lift), y=lifts["label"].tolist(), mode="markers", name="absolute lift",
            marker={"size": 12},
            error_x={"type": "data", "symmetric": False,
                     "array": _values(lifts["absolute_lift_ci_high"] - lift),
                     "arrayminus": _values(lift - lifts["absolute_lift_ci_low"])},
            text=[f"p = {p:.3g}" for p in lifts["p_value"]]))
        fig.add_vline(x=0, line_dash="dash")
        fig.update_xaxes(title_text="conversion rate lift vs control (95% CI)",
                         tickformat=".1%")
        fig.update_yaxes(automargin=True)
    return _layout(fig, "Experiments: lift with 95% confidence interval", 320)

