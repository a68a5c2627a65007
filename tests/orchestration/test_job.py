"""The real Dagster job end to end, once per module: an XS demo company served by the HTTP
stand-ins, `nightly` executed in process on a real DuckDB file, then a planted failing
ERROR-severity dbt test that must stop publishing."""

import json
import logging
import os
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from cxm_cli.main import DEMO_TOKEN, demo_env
from ingestion import paths
from ingestion.demo.generator import generate
from ingestion.demo.standin import StandInServer
from orchestration.dbt_models import PUBLIC_SCHEMAS
from orchestration.definitions import defs
from orchestration.project import dbt_project
from orchestration.report_asset import REPORT_KEY
from orchestration.run import run_job, summarize

pytestmark = pytest.mark.slow
DBT_TARGET = dbt_project().project_dir / "target"
TOKEN = DEMO_TOKEN


class _Keep(logging.Handler):
    """Every log record of the run, formatted with its arguments: what any log sink would get."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    base = tmp_path_factory.mktemp("dagster_job")
    generate(base, scale="XS", seed=11)
    with pytest.MonkeyPatch.context() as mp, StandInServer(base, token=TOKEN) as server, \
            dg.instance_for_test() as instance:
        for name, value in demo_env(server.base_url, base, TOKEN).items():
            mp.setenv(name, value)
        mp.delenv("DAGSTER_HOME", raising=False)
        mp.setenv("RUNTIME__LOG_LEVEL", "DEBUG")  # dlt logs everything it would log
        keep, root = _Keep(), logging.getLogger()
        level = root.level
        root.addHandler(keep)
        root.setLevel(logging.DEBUG)
        try:
            result = run_job("nightly", instance=instance)
        finally:
            root.removeHandler(keep)
            root.setLevel(level)
        yield {"base": base, "result": result, "summary": summarize(result),
               "instance": instance, "env": dict(os.environ), "log_lines": keep.lines}


def _schemas(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute(
            "select schema_name from information_schema.schemata "
            "where catalog_name = current_database()").fetchall()}
    finally:
        con.close()


def test_nightly_materialises_every_asset(pipeline):
    result, summary = pipeline["result"], pipeline["summary"]
    assert result.success, summary.render()
    expected = {k.to_user_string()
                for k in defs.resolve_job_def("nightly").asset_layer.selected_asset_keys}
    assert set(summary.materialized) == expected
    assert summary.raw_rows["crm/contacts"] > 0 and summary.raw_rows["web/events"] > 0


def test_checks_ran_and_error_checks_passed(pipeline):
    summary = pipeline["summary"]
    assert summary.checks_passed > 50
    gx = [e.asset_check_evaluation_data for e in pipeline["result"].all_events
          if e.event_type_value == "ASSET_CHECK_EVALUATION"
          and e.asset_check_evaluation_data.check_name == "gx_suite"]
    assert {g.asset_key for g in gx} >= {dg.AssetKey(["crm", "contacts"]),
                                         dg.AssetKey(["web", "events"]),
                                         dg.AssetKey(["customer", "customer_360"]),
                                         dg.AssetKey(["core", "fct_touchpoints"])}
    assert all(g.passed for g in gx), [g.asset_key for g in gx if not g.passed]
    assert "results" in gx[0].metadata
    assert not [c for c in summary.checks_failed if c.endswith("(ERROR)")], summary.checks_failed


def test_the_job_runs_data_tests_but_leaves_unit_tests_to_ci(pipeline):
    """Production runs exclude dbt unit tests (BUILD_ARGS); the data tests still run."""
    run_id = pipeline["result"].run_id
    [results] = DBT_TARGET.glob(f"dbt_models-{run_id[:7]}-*/run_results.json")
    kinds = Counter(r["unique_id"].split(".")[0]
                    for r in json.loads(results.read_text())["results"])
    assert kinds["unit_test"] == 0, kinds
    assert kinds["test"] > 300 and kinds["model"] > 50, kinds


def test_the_run_leaves_its_dbt_state_for_the_next_one(pipeline):
    """The project's partial_parse.msgpack, which dagster-dbt seeds each run's target folder
    with, is the one this run's `dbt build` saved for this data dir's profile."""
    run_id = pipeline["result"].run_id
    [saved] = DBT_TARGET.glob(f"dbt_models-{run_id[:7]}-*/partial_parse.msgpack")
    assert (DBT_TARGET / "partial_parse.msgpack").read_bytes() == saved.read_bytes()


def test_published_has_the_public_schemas_and_nothing_else(pipeline):
    base = pipeline["base"]
    published = paths.published_path(base)
    assert published.exists()
    warehouse_public = _schemas(paths.warehouse_path(base)) & set(PUBLIC_SCHEMAS)
    in_published = _schemas(published) - {"main", "information_schema", "pg_catalog"}
    assert in_published == warehouse_public
    assert not [s for s in in_published if s.startswith("raw_")]
    assert not in_published & {"staging", "intermediate"}
    assert pipeline["summary"].published["path"] == str(published)


def test_a_failing_blocking_check_stops_publishing(pipeline):
    base, instance = pipeline["base"], pipeline["instance"]
    published = paths.published_path(base)
    before = published.stat()
    # plant a duplicate event behind the loader's back, dated to an old load (the GX suite
    # validates the latest load only): stg_web__events' `unique` test on event_id (severity
    # ERROR) fails
    con = duckdb.connect(str(paths.warehouse_path(base)))
    try:
        con.execute("insert into raw_web.events select * replace "
                    "('0' as _dlt_load_id) from raw_web.events limit 1")
    finally:
        con.close()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in pipeline["env"].items():
            if name.startswith("SOURCES__") or name == "CXM_DATA_DIR":
                mp.setenv(name, value)
        result = run_job("web_incremental", instance=instance)
    summary = summarize(result)
    assert not result.success
    assert any("stg_web__events" in c and "unique" in c for c in summary.checks_failed), \
        summary.checks_failed
    assert "published" not in summary.materialized
    # dbt build skips what is downstream of the failed test: no web mart was rebuilt
    assert not {"intermediate/int_web__sessions", "core/fct_web_sessions",
                "core/fct_touchpoints", "customer/customer_360"} & set(summary.materialized), \
        summary.materialized
    assert "staging/stg_web__events" in summary.materialized  # the run did get that far
    after = published.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == \
        (before.st_ino, before.st_mtime_ns, before.st_size)
    # the second run in this data dir started from the dbt state the first one left: dbt
    # parsed no more than what changed (no full parse for a "changed" profile)
    [log] = DBT_TARGET.glob(f"dbt_models-{result.run_id[:7]}-*/dbt.log")
    assert "Unable to do partial parsing" not in log.read_text()


def test_nightly_writes_the_cx_report(pipeline):
    from report.build import CHARTS, report_path

    path = report_path(pipeline["base"])
    text = path.read_text()
    assert all(f'id="chart-{c.id}"' in text for c in CHARTS)
    (mat,) = [e.materialization for e in pipeline["result"].get_asset_materialization_events()
              if e.asset_key == REPORT_KEY]
    assert mat.metadata["path"].value == str(path)
    assert mat.metadata["rows_read"].value["funnel"] > 0


def _files(*roots: Path):
    for root in roots:
        yield from (p for p in root.rglob("*") if p.is_file())


def test_the_token_is_never_logged_or_stored(pipeline):
    """The connectors' token (the demo's, from the environment like a deployment's) appears
    in no log record (Python logging at DEBUG, dlt at DEBUG), no Dagster event, no dbt log
    and no file the run left in the data dir, the Dagster instance or dbt's target."""
    assert pipeline["env"]["SOURCES__CRM__ACCESS_TOKEN"] == TOKEN  # the run did use it
    lines = pipeline["log_lines"]
    assert len(lines) > 100
    assert [line for line in lines if TOKEN in line] == []
    instance, run_id = pipeline["instance"], pipeline["result"].run_id
    events = [str(e) for e in instance.all_logs(run_id)]
    assert len(events) > 100 and [e for e in events if TOKEN in e] == []
    run_target = next(DBT_TARGET.glob(f"dbt_models-{run_id[:7]}-*"))
    roots = (pipeline["base"], Path(instance.root_directory), run_target)
    token = TOKEN.encode()
    scanned = list(_files(*roots))
    assert len(scanned) > 20
    assert [str(p) for p in scanned if token in p.read_bytes()] == []
