"""The code location loads and its asset graph runs unbroken from the raw tables to publish."""

import dagster as dg
import pytest

from orchestration import automation
from orchestration.dbt_models import (
    PUBLIC_SCHEMAS,
    exposure_specs,
    layer_of,
    manifest,
    model_keys_in_schemas,
    source_keys,
)
from orchestration.definitions import dbt_models, defs
from orchestration.raw_assets import raw_tables
from orchestration.report_asset import REPORT_KEY


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def test_every_dbt_source_has_a_producing_asset(graph):
    keys = source_keys()
    assert keys, "the dbt project declares sources"
    for uid, key in keys.items():
        assert graph.has(key), f"{uid} -> {key.to_user_string()} has no asset"
        assert graph.get(key).is_materializable, f"{key.to_user_string()} is not produced"
    # both `_quarantine` tables are distinct assets, keyed by the dbt source name
    assert {dg.AssetKey(["crm", "_quarantine"]), dg.AssetKey(["web", "_quarantine"])} \
        <= set(keys.values())


def test_every_dependency_resolves(graph):
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        for parent in node.parent_keys:
            assert graph.has(parent), f"{key.to_user_string()} depends on unknown {parent}"
            assert graph.get(parent).is_materializable, \
                f"{key.to_user_string()} depends on {parent.to_user_string()}: nothing makes it"


def test_lineage_runs_from_raw_tables_through_staging_to_published(graph):
    raw = {t.key for tables in raw_tables().values() for t in tables}
    assert raw <= set(graph.get_all_asset_keys())
    staging = [k for k in dbt_models.keys if k.path[0] == "staging"]
    assert staging
    for key in staging:
        assert graph.get(key).parent_keys & raw, f"{key.to_user_string()} has no raw parent"
    published = dg.AssetKey("published")
    upstream = dg.AssetSelection.assets(published).upstream().resolve(graph)
    marts = set(model_keys_in_schemas(PUBLIC_SCHEMAS))
    assert marts and marts <= graph.get(published).parent_keys
    # every public mart built from data reaches back to a raw table (static ones such as
    # dim_channels have no parents; staging models no mart reads yet, such as CRM deals, are
    # upstream of nothing published, and that is fine)
    for mart in (m for m in marts if graph.get(m).parent_keys):
        above = dg.AssetSelection.assets(mart).upstream().resolve(graph)
        assert above & raw, f"{mart.to_user_string()} has no raw table upstream"
    assert raw & upstream


def test_models_are_grouped_by_layer(graph):
    groups = {graph.get(k).group_name for k in dbt_models.keys}
    assert {"staging", "intermediate"} <= groups
    assert "default" not in groups and None not in groups, groups
    spec = graph.get(dg.AssetKey(["staging", "stg_crm__contacts"]))
    assert spec.owners and spec.tags.get("layer") == "staging"


def test_dbt_tests_are_asset_checks_and_error_tests_block(graph):
    checks = set(graph.asset_check_keys)
    contacts = dg.AssetKey(["staging", "stg_crm__contacts"])
    on_contacts = [c for c in checks if c.asset_key == contacts]
    assert on_contacts, "dbt tests of stg_crm__contacts appear as asset checks"
    specs = {s.key: s for a in defs.assets if isinstance(a, dg.AssetsDefinition)
             for s in a.check_specs}
    event_id_unique = next(s for k, s in specs.items()
                           if k.asset_key.path[-1] == "stg_web__events" and "unique" in k.name)
    assert event_id_unique.blocking, "ERROR-severity dbt tests block downstream"
    freshness = [c for c in checks if c.name == "freshness_check"]
    assert dg.AssetKey(["web", "events"]) in {c.asset_key for c in freshness}


def test_jobs_schedule_and_sensors():
    nightly = defs.resolve_job_def("nightly")
    assert dg.AssetKey("published") in nightly.asset_layer.selected_asset_keys
    web = defs.resolve_job_def("web_incremental").asset_layer.selected_asset_keys
    assert dg.AssetKey(["web", "events"]) in web and dg.AssetKey(["crm", "contacts"]) not in web
    # the sensor's run refreshes the customer profile and publishes; journey marts wait
    assert {dg.AssetKey(["customer", "customer_360"]), dg.AssetKey(["core", "fct_web_sessions"]),
            dg.AssetKey(["intermediate", "int_identity__customer_id_history"]),
            dg.AssetKey("published")} <= web
    assert not {k for k in web if k.path[0] in ("journey", "cx")}, web
    assert dg.AssetKey(["lifecycle", "behavior_changes"]) not in web
    schedule = defs.resolve_schedule_def("nightly_at_0200")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == automation.schedule_timezone()
    assert defs.resolve_sensor_def("new_web_event_files")
    assert defs.resolve_sensor_def("alert_on_run_failure")


def test_schedule_timezone_comes_from_the_environment(monkeypatch):
    job = defs.resolve_job_def("nightly")
    monkeypatch.delenv(automation.TIMEZONE_ENV, raising=False)
    assert automation.nightly_schedule(job).execution_timezone == "UTC"
    monkeypatch.setenv(automation.TIMEZONE_ENV, "Europe/Berlin")
    assert automation.nightly_schedule(job).execution_timezone == "Europe/Berlin"


def test_writing_assets_share_one_duckdb_pool():
    for a in defs.assets:
        if isinstance(a, dg.AssetsDefinition) and a.is_executable \
                and REPORT_KEY not in a.keys:
            assert a.op.pool == "duckdb_writer", a.op.name


def test_the_cx_report_exposure_is_the_materialised_report_asset(graph):
    node = graph.get(REPORT_KEY)
    assert node.is_materializable and node.group_name == "exposures"
    # lineage marts -> published -> report, from the exposure's depends_on
    assert {dg.AssetKey("published"), dg.AssetKey(["cx", "experiment_results"]),
            dg.AssetKey(["journey", "journey_funnel"]),
            dg.AssetKey(["lifecycle", "cohort_retention"])} <= node.parent_keys
    assert REPORT_KEY in defs.resolve_job_def("nightly").asset_layer.selected_asset_keys
    # web_incremental leaves the journey and cx marts to the nightly run: so does the report
    assert REPORT_KEY not in \
        defs.resolve_job_def("web_incremental").asset_layer.selected_asset_keys
    # the other exposures stay external dashboards
    assert not graph.get(dg.AssetKey(["exposures", "cx_dashboard"])).is_materializable
    # no reader of published.duckdb holds the writers' pool
    report_def = next(a for a in defs.assets
                      if isinstance(a, dg.AssetsDefinition) and REPORT_KEY in a.keys)
    assert report_def.op.pool is None


def test_layer_of():
    assert layer_of({"resource_type": "model", "config": {"schema": "staging"}}) == "staging"
    assert layer_of({"resource_type": "model", "config": {}, "schema": "main",
                     "fqn": ["cxm", "marts", "journey", "journey_steps"]}) == "journey"
    assert layer_of({"resource_type": "source", "config": {}}) is None
    assert layer_of({"resource_type": "snapshot", "config": {"schema": "snapshots"},
                     "fqn": ["cxm", "crm_contacts_snapshot", "crm_contacts_snapshot"]}
                    ) == "snapshots"


def test_exposures_become_downstream_assets():
    mf = dict(manifest())
    model = next(uid for uid in mf["nodes"] if uid.startswith("model."))
    mf["exposures"] = {"exposure.cxm.cx_dashboard": {
        "name": "cx_dashboard", "type": "dashboard", "owner": {"email": "bi@example.com"},
        "depends_on": {"nodes": [model]}, "description": "CX dashboard"}}
    (spec,) = exposure_specs(mf)
    assert spec.key == dg.AssetKey(["exposures", "cx_dashboard"])
    assert {d.asset_key for d in spec.deps} >= {dg.AssetKey("published")}
    assert len(spec.deps) == 2
