"""The CX report built by `cxm report` from a real published.duckdb (the demo company), opened
in headless Chromium: every chart rendered, no console error, no network request, a
screenshot saved (test-artifacts/cx_report.png); the plotted numbers equal direct queries of
the marts and the generator's ground truth."""

from __future__ import annotations

import json
import re

import duckdb
import plotly.offline
import pytest

from cxm_cli.main import main
from ingestion import paths
from report.build import CHARTS, report_path
from tests.report.browser import artifacts_dir, ensure_chromium

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(published):
    assert main(["--data-dir", str(published), "report"]) == 0
    return report_path(published)


@pytest.fixture(scope="module")
def page(report):
    from playwright.sync_api import sync_playwright

    chromium, install_seconds = ensure_chromium()
    print(f"chromium: {chromium} (installed in {install_seconds:.0f}s)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium),
                                     args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        network: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def _offline(route):
            network.append(route.request.url)
            route.abort()

        page.route("http*://**", _offline)
        page.goto(report.as_uri(), wait_until="load")
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {len(CHARTS)}",
            timeout=30_000)
        page.screenshot(path=str(artifacts_dir() / "cx_report.png"), full_page=True)
        yield {"page": page, "errors": errors, "network": network}
        browser.close()


def _plotted(page, chart_id: str) -> list[dict]:
    return page.evaluate(f"document.getElementById('chart-{chart_id}').data")


def _query(base, sql: str) -> list[tuple]:
    con = duckdb.connect(str(paths.published_path(base)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_page_is_self_contained(report):
    library = plotly.offline.get_plotlyjs()
    text = report.read_text()
    assert text.count(library) == 1  # inlined once
    page = text.replace(library, "")
    assert not re.search(r"<script[^>]*\bsrc=|<link[^>]*\bhref=|https?://", page)


def test_every_chart_renders_without_console_errors(page):
    p = page["page"]
    charts = p.evaluate("""() => {
        const marks = '.trace, .point, .bars path, .hm image, .funnellayer path';
        return [...document.querySelectorAll('.js-plotly-plot')].map(el => {
            const svg = el.querySelector('.main-svg').getBoundingClientRect();
            return {id: el.id, width: svg.width, height: svg.height,
                    traces: el.data.length, marks: el.querySelectorAll(marks).length};
        });
    }""")
    assert [c["id"] for c in charts] == [f"chart-{c.id}" for c in CHARTS]
    for c in charts:
        assert c["width"] > 300 and c["height"] > 200, c
        assert c["traces"] >= 1 and c["marks"] >= 1, c
    assert page["errors"] == []
    assert page["network"] == []
    assert (artifacts_dir() / "cx_report.png").stat().st_size > 10_000


def test_funnel_equals_the_mart(page, published):
    (trace,) = _plotted(page["page"], "funnel")
    (expected,) = _query(published, "select sum(visitors), sum(leads), sum(customers), "
                                    "sum(repeat_customers) from journey.journey_funnel")
    assert trace["x"] == [int(v) for v in expected]
    assert expected[0] > expected[1] > expected[2] > expected[3] > 0


def test_monthly_nps_equals_the_survey_answers(page, published):
    nps = _plotted(page["page"], "scores")[0]
    by_month = dict(zip(nps["x"], nps["y"], strict=True))
    rows = _query(published, """
        select strftime(response_date, '%Y-%m') as month,
               100.0 * (count(*) filter (where is_promoter) - count(*) filter (where is_detractor))
               / count(*) as nps
        from core.fct_survey_responses
        where survey_type = 'nps'
        group by 1""")
    assert len(rows) >= 6
    for month, value in rows:
        assert by_month[month] == pytest.approx(value), month


def test_experiment_lift_and_interval_equal_the_generator_truth(page, published, company):
    truth = json.loads((company.truth_dir / "experiment.json").read_text())
    v = truth["variants"]
    lift = (v["treatment"]["conversions"] / v["treatment"]["exposures"]
            - v["control"]["conversions"] / v["control"]["exposures"])
    (trace,) = _plotted(page["page"], "experiments")
    assert trace["y"] == [f"{truth['experiment_name']}: treatment"]
    assert trace["x"][0] == pytest.approx(lift, rel=1e-9)
    (low, high), = _query(published, "select absolute_lift_ci_low, absolute_lift_ci_high "
                                     "from cx.experiment_results where variant = 'treatment'")
    assert trace["x"][0] - trace["error_x"]["arrayminus"][0] == pytest.approx(low)
    assert trace["x"][0] + trace["error_x"]["array"][0] == pytest.approx(high)
    assert low < lift < high


def test_top_path_and_retention_equal_the_marts(page, published):
    top = _plotted(page["page"], "paths")[0]["y"][-1]  # horizontal bars: the first is last
    (expected,), = _query(published, "select channel_path from journey.journey_paths "
                                     "order by journeys desc, channel_path limit 1")
    assert top == expected
    (heat,) = _plotted(page["page"], "retention")
    assert all(row[0] == 1.0 for row in heat["z"])  # month 0: the whole cohort
    (cohorts,), = _query(published, "select count(distinct cohort_month) "
                                    "from lifecycle.cohort_retention")
    assert len(heat["y"]) == cohorts
