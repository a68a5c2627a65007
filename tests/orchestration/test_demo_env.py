"""`cxm demo` hands the connector settings to the Dagster job as a deployment would: through
dlt's environment variables."""

from pathlib import Path

import dlt
import duckdb

from cxm_cli.main import demo_env
from orchestration.run import RunSummary


def test_demo_settings_become_dlt_environment_variables(tmp_path: Path, monkeypatch):
    env = demo_env("http://127.0.0.1:9999", tmp_path, token="tok")
    assert env["CXM_DATA_DIR"] == str(tmp_path)
    assert env["SOURCES__CRM__BASE_URL"] == "http://127.0.0.1:9999"
    assert env["SOURCES__SUPPORT__ACCESS_TOKEN"] == "tok"
    assert env["SOURCES__WEB__BUCKET_URL"].endswith("landing/web/events")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert dlt.config["sources.crm.base_url"] == "http://127.0.0.1:9999"
    assert dlt.config["sources.marketing.page_size"] in (1000, "1000")


def test_run_summary_renders_failures_and_publish_state():
    summary = RunSummary(False, "0123456789", raw_rows={"crm/contacts": 12},
                         materialized=["crm/contacts", "staging/stg_crm__contacts"],
                         checks_passed=3,
                         checks_failed=["web/events:gx_suite (ERROR)", "x:y (WARN)"],
                         failed_steps=["gx_raw_web"])
    text = summary.render()
    assert "FAILED" in text and "1 failed, 1 warned" in text
    assert "crm/contacts" in text and "previous published.duckdb stays" in text


def test_run_summary_counts_neither_publish_nor_the_report_as_dbt_models():
    summary = RunSummary(True, "0123456789", raw_rows={"crm/contacts": 12},
                         materialized=["crm/contacts", "staging/stg_crm__contacts",
                                       "published", "exposures/cx_report"])
    assert "dbt models built: 1;" in summary.render()


def test_persona_summary_reads_the_published_file(tmp_path: Path):
    from cxm_cli.summary import published_personas

    path = tmp_path / "published.duckdb"
    assert published_personas(path) == "Personas: lifecycle.customer_segments not published"
    with duckdb.connect(str(path)) as con:
        con.sql("create schema lifecycle")
        con.sql("create table lifecycle.customer_segments as select * from (values "
                "('a', 'hibernating'), ('b', 'champions'), ('c', 'hibernating'), "
                "('d', 'someday')) as t(customer_id, persona)")
    assert published_personas(path) == (
        "Personas (4 customers with orders): champions 1, hibernating 2, someday 1")


def test_the_demo_defaults_to_the_smallest_company():
    """XS: 111 s on 2 cores with a parsed project, S 134 s (docs/benchmarks.md)."""
    from cxm_cli.main import DEMO_SCALE, build_parser

    assert build_parser().parse_args(["demo"]).scale == DEMO_SCALE == "XS"
    assert build_parser().parse_args(["generate"]).scale == "S"


def test_every_ui_command_we_print_or_document_binds_to_loopback():
    """`dagster dev` as the README, the docs and `cxm demo` tell users to start it listens on
    127.0.0.1 only (DESIGN.md, security)."""
    import re

    import cxm_cli.main

    root = Path(__file__).resolve().parents[2]
    texts = [p.read_text() for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))]]
    texts.append(Path(cxm_cli.main.__file__).read_text())
    commands = [m.group(0) for t in texts for m in re.finditer(r"dagster dev[^`\"\n]*", t)
                if "uv run" in t[max(0, m.start() - 20):m.start()]]
    assert len(commands) >= 3
    assert [c for c in commands if "-h 127.0.0.1" not in c] == []

def test_a_failed_step_shows_its_innermost_error():
    from dagster._utils.error import SerializableErrorInfo

    from orchestration.run import root_error

    inner = SerializableErrorInfo(
        "ingestion.common.http.ApiError: crm: POST /crm/v3/objects/contacts/search failed "
        "with status 503 after retries ran out: {...}\n", [], "ApiError")
    outer = SerializableErrorInfo("dlt.pipeline.exceptions.PipelineStepFailed: Pipeline "
                                  "execution failed at stage extract\n", [],
                                  "PipelineStepFailed", cause=inner)
    assert root_error(outer) == ("ApiError: crm: POST /crm/v3/objects/contacts/search failed "
                                 "with status 503 after retries ran out: {...}")
    assert root_error(SerializableErrorInfo("", [], "KeyError")) == "KeyError"
    summary = RunSummary(False, "0123456789", failed_steps=["dlt_crm"],
                         step_errors={"dlt_crm": root_error(outer)})
    assert "    dlt_crm: ApiError: crm: POST /crm/v3/objects/contacts/search failed with " \
        "status 503" in summary.render()
