"""Build `$CXM_DATA_DIR/reports/cx_report.html` from published.duckdb (read-only): one page,
plotly.js inlined once, no network at view time (docs/decisions.md)."""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from ingestion import paths
from report import figures, queries, shape


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    note: str
    sql: str
    figure: Callable[[pd.DataFrame], go.Figure]


CHARTS: tuple[Chart, ...] = (
    Chart("scores", "NPS, CSAT and CES", "Monthly, from cx.cx_kpis_daily (all channels and "
          "segments); formulas in docs/metrics.md.", queries.SCORES,
          lambda d: figures.scores(shape.monthly_scores(d))),
    Chart("funnel", "Funnel and drop-off", "All first-touch cohorts and channels, "
          "journey.journey_funnel.", queries.FUNNEL,
          lambda d: figures.funnel(shape.funnel_steps(d))),
    Chart("paths", "Top journey paths", "The ten most common channel paths, "
          "journey.journey_paths.", queries.PATHS,
          lambda d: figures.paths(shape.top_paths(d))),
    Chart("attribution", "Attribution and ROAS", "Top ten campaigns by attributed revenue "
          "under each model, journey.attribution_by_campaign.", queries.ATTRIBUTION,
          lambda d: figures.attribution(shape.campaign_attribution(d))),
    Chart("retention", "Cohort retention", "Share of each first-order cohort ordering again "
          "n months later, lifecycle.cohort_retention.", queries.RETENTION,
          lambda d: figures.retention(shape.retention_matrix(d))),
    Chart("churn", "Churn vs support contact", "lifecycle.churn_expansion, group_type "
          "support_contact.", queries.CHURN,
          lambda d: figures.churn(shape.churn_by_support(d))),
    Chart("clv", "Customer lifetime value", "BG/NBD × Gamma-Gamma predicted CLV, "
          "customer.customer_360.", queries.CLV,
          lambda d: figures.clv(d, shape.clv_by_persona(d))),
    Chart("support", "Support times", "Medians from core.fct_support_tickets.",
          queries.SUPPORT, lambda d: figures.support(shape.support_times(d))),
    Chart("experiments", "Experiments", "Non-control variants with the 95% Wald interval, "
          "cx.experiment_results.", queries.EXPERIMENTS,
          lambda d: figures.experiments(shape.experiment_lifts(d))),
)


@dataclass
class ReportResult:
    path: Path
    figures: dict[str, go.Figure] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # chart id -> mart rows read


def report_path(base: str | os.PathLike | None = None) -> Path:
    return paths.data_dir(base) / "reports" / "cx_report.html"


def read_charts(published: Path) -> dict[str, pd.DataFrame]:
    """Each chart's mart rows, through one read-only connection to published.duckdb."""
    if not published.exists():
        raise FileNotFoundError(f"cx report: no published marts at {published}; run the "
                                "`nightly` job (or `cxm demo`) first")
    con = duckdb.connect(str(published), read_only=True)
    try:
        return {c.id: con.execute(c.sql).df() for c in CHARTS}
    finally:
        con.close()


def build_report(base: str | os.PathLike | None = None,
                 out: Path | None = None) -> ReportResult:
    published = paths.published_path(base)
    data = read_charts(published)
    result = ReportResult(out or report_path(base))
    for chart in CHARTS:
        result.figures[chart.id] = chart.figure(data[chart.id])
        result.rows[chart.id] = len(data[chart.id])
    result.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = result.path.with_name(result.path.name + ".tmp")
    tmp.write_text(render(result.figures, published), encoding="utf-8")
    os.replace(tmp, result.path)
    return result


def render(figs: dict[str, go.Figure], source: Path) -> str:
    sections = []
    for chart in CHARTS:
        div = figs[chart.id].to_html(full_html=False, include_plotlyjs=False,
                                     div_id=f"chart-{chart.id}",
                                     config={"displaylogo": False, "responsive": True})
        sections.append(f'<section><h2>{html.escape(chart.title)}</h2>'
                        f'<p class="note">{html.escape(chart.note)}</p>{div}</section>')
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CX report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
section{{margin-bottom:2.5em}} .note{{color:#666;font-size:.9em}}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script></head>
<body><h1>CX report</h1>
<p class="note">Generated {generated} from {html.escape(str(source))} (read-only).</p>
{''.join(sections)}
</body></html>
"""
