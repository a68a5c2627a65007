"""The end-to-end benchmark's pure parts: the log-log slope, the split of a job into stages,
and the generated section of docs/benchmarks.md."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks.e2e import (
    MARK_END,
    MARK_START,
    ScaleRun,
    job_stages,
    main,
    slope,
    write_docs,
)
from benchmarks.measure import Measured


def test_slope_of_a_power_law_is_its_exponent():
    xs = [1e5, 1e6, 1e7]
    assert slope(xs, [3 * x ** 1.0 for x in xs]) == pytest.approx(1.0)
    assert slope(xs, [0.5 * x ** 0.8 for x in xs]) == pytest.approx(0.8)
    assert slope([1e6], [10.0]) is None


def test_job_is_split_into_stages_and_overhead():
    m = Measured(100.0, 900.0, {
        "seconds": 90.0, "load_seconds": 7.5,
        "steps": {"dlt_crm": 5.0, "dlt_web": 20.0, "dbt_models": 40.0, "gx_raw_web": 3.0,
                  "freshness_check_abc": 1.0, "gx_public_marts": 6.0, "published": 2.0,
                  "cx_report": 4.0},
        "raw_rows": {"crm/contacts": 10, "crm/orders": 5, "web/events": 1000}})
    run = ScaleRun("S")
    job_stages(run, m)
    assert run.stages["ingest crm"] == (5.0, 900.0, 15)
    assert run.stages["ingest web"] == (20.0, 900.0, 1000)
    assert run.seconds("dbt build") == 40.0
    assert run.seconds("checks (GX, freshness)") == 10.0
    assert run.seconds("publish") == 2.0
    assert run.seconds("CX report") == 4.0
    assert math.isclose(run.seconds("orchestration overhead"), 90.0 - 81.0)
    assert run.seconds("definitions load (imports, manifest)") == 7.5


def test_saved_scale_comes_back_equal_and_runs_report_in_size_order(tmp_path):
    run = ScaleRun("L", web_events=97_000_000, rows=106_000_000, job_seconds=[1500.0],
                   notes=["pandas baseline skipped"], size_mb={"warehouse.duckdb": 9000.0})
    run.add("generate", (369.0, 15_000.0), 106_000_000)
    run.add("dbt build", (600.0, 12_000.0))
    run.save(tmp_path / "scale_L.json")
    back = ScaleRun.load(tmp_path / "scale_L.json")
    assert back == run
    assert back.seconds("dbt build") == 600.0 and back.stages["generate"][2] == 106_000_000
    small = ScaleRun("M", web_events=9_600_000)
    small.add("dbt build", (60.0, 1500.0))
    assert main(["--scales", "", "--out", str(tmp_path / "out"), "--include",
                 str(tmp_path / "scale_L.json"), str(_saved(small, tmp_path))]) == 0
    report = (tmp_path / "out" / "e2e.md").read_text()
    assert report.index("| M | 9,600,000") < report.index("| L | 97,000,000")
    assert "dbt build 1.00" in report  # log-log slope: 60 s -> 600 s over 10.1x the events


def _saved(run: ScaleRun, tmp_path: Path) -> Path:
    path = tmp_path / f"scale_{run.scale}.json"
    run.save(path)
    return path


def test_docs_section_is_replaced_not_duplicated(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nhand-written text\n")
    write_docs("table one", docs)
    write_docs("table two", docs)
    body = docs.read_text()
    assert body.count(MARK_START) == 1 and body.count(MARK_END) == 1
    assert "table two" in body and "table one" not in body
    assert body.startswith("# Benchmarks\n\nhand-written text\n")
