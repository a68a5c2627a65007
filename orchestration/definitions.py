"""Dagster code location of the CX warehouse: one asset graph from every dlt resource through
every dbt model to the published marts.

    dlt sources (orchestration/raw_assets.py)   raw tables, keyed like the dbt sources
      → dbt models (orchestration/dbt_models.py)      `dbt build`; dbt tests = asset checks
      → published (orchestration/publish.py)   atomic copy of the public marts for BI
      → exposures                              BI dashboards from dbt's exposures; the
                                               `cx_report` one is built (report/)

Jobs run in one process (in-process executor): DuckDB allows one writer per file, and every
writing step also sits in the `duckdb_writer` pool for runs that overlap (see README).
"""


import warnings
from collections.abc import Iterable
from datetime import timedelta

import dagster as dg

from orchestration.automation import (
    alert_on_run_failure,
    build_jobs,
    nightly_schedule,
    web_events_sensor,
)
from orchestration.dbt_models import (
    POOL,
    PUBLIC_SCHEMAS,
    dbt_models,
    exposure_specs,
    manifest,
    mart_relations,
    model_keys_in_schemas,
    source_keys,
)
from orchestration.gx_checks import gx_checks, gx_mart_checks
from orchestration.project import dbt_cli
from orchestration.publish import publish
from orchestration.raw_assets import build_ingestion_assets, raw_tables
from orchestration.report_asset import split_report

PERIODS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


def _public_mart_keys() -> list[dg.AssetKey]:
    return model_keys_in_schemas(PUBLIC_SCHEMAS)


def _publish_deps() -> list[dg.AssetKey]:
    """The public marts; before any exist, every dbt model (publish still runs last)."""
    return _public_mart_keys() or list(dbt_models.keys)


@dg.asset(
    key="published",
    deps=_publish_deps(),
    group_name="published",
    kinds={"duckdb"},
    owners=["team:data-engineering"],
    pool=POOL,
    tags={"layer": "published"},
    description="$CXM_DATA_DIR/published.duckdb: the public mart schemas (core, customer, "
                "journey, lifecycle, cx), copied after the checks passed and swapped in "
                "atomically. What BI tools read (read-only).",
)
def published(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    only = rebuilt_marts(context.run.asset_selection
                         or context.job_def.asset_layer.selected_asset_keys)
    report = publish(run_id=context.run.run_id, only=only)
    context.log.info(f"published {report.tables} tables of {sorted(report.schemas)} "
                     f"to {report.path} in {report.seconds:.1f}s"
                     + (f" (copied again: {', '.join(only)})" if only is not None else ""))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(report.path)),
        "schemas": sorted(report.schemas),
        "tables": report.tables,
        "rows": dg.MetadataValue.json(report.rows),
        "seconds": round(report.seconds, 2),
    })


def rebuilt_marts(selected: Iterable[dg.AssetKey]) -> list[str] | None:
    """`schema.table` of the public marts a run rebuilds, or None when it rebuilds all of
    them (then publish copies everything into a fresh file)."""
    selected = set(selected)
    if set(_mart_relations) <= selected:
        return None
    return sorted(rel for key, rel in _mart_relations.items() if key in selected)


def _freshness_checks(ingestion: list[dg.AssetsDefinition]) -> list[dg.AssetChecksDefinition]:
    """dbt source freshness (`warn_after`/`error_after` in the sources YAML) as Dagster
    freshness checks on the raw assets: a raw table whose last load is older than the bound
    fails the check (ERROR when `error_after` is set, else WARN)."""
    mf = manifest()
    produced = {k for a in ingestion for k in a.keys}
    by_bound: dict[tuple[timedelta, dg.AssetCheckSeverity], list[dg.AssetKey]] = {}
    for uid, key in source_keys(mf).items():
        freshness = mf["sources"][uid].get("freshness") or {}
        for level, severity in (("error_after", dg.AssetCheckSeverity.ERROR),
                                ("warn_after", dg.AssetCheckSeverity.WARN)):
            bound = freshness.get(level) or {}
            if key in produced and bound.get("count") and bound.get("period"):
                delta = bound["count"] * PERIODS[bound["period"]]
                by_bound.setdefault((delta, severity), []).append(key)
                break
    checks: list[dg.AssetChecksDefinition] = []
    with warnings.catch_warnings():
        # superseded by FreshnessPolicy, which has no warn-only level and produces no check
        # result; see docs/decisions.md
        warnings.simplefilter("ignore", category=dg.SupersessionWarning)
        for (delta, severity), asset_keys in sorted(by_bound.items(),
                                                    key=lambda kv: str(kv[0])):
            checks.extend(dg.build_last_update_freshness_checks(
                assets=asset_keys, lower_bound_delta=delta, severity=severity))
    return checks


ingestion_assets = build_ingestion_assets()
freshness_checks = _freshness_checks(ingestion_assets)
expectation_checks = [gx_checks(source, tables) for source, tables in raw_tables().items()
                      if tables]
_mart_relations = mart_relations(PUBLIC_SCHEMAS)
if _mart_relations:
    expectation_checks.append(gx_mart_checks(_mart_relations))
# the `cx_report` exposure is materialised (the HTML report); the others are external
report, exposures = split_report(exposure_specs())
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=dg.SupersessionWarning)
    _freshness_sensor = dg.build_sensor_for_freshness_checks(
        freshness_checks=freshness_checks, name="raw_freshness_checks",
        default_status=dg.DefaultSensorStatus.STOPPED)

_raw_keys = [k for a in ingestion_assets for k in a.keys]
_web_keys = [t.key for t in raw_tables().get("web", [])]
_all_keys = [*_raw_keys, *dbt_models.keys, published.key, *(report.keys if report else [])]
_profile_keys = [k for k in dbt_models.keys
                 if k.path[-1] in ("customer_360", "int_identity__customer_id_history")]
jobs = build_jobs(_all_keys, _web_keys, _raw_keys, _profile_keys, published.key)

defs = dg.Definitions(
    assets=[*ingestion_assets, dbt_models, published, *([report] if report else []),
            *exposures],
    asset_checks=[*freshness_checks, *expectation_checks],
    jobs=list(jobs.values()),
    schedules=[nightly_schedule(jobs["nightly"])],
    sensors=[
        web_events_sensor(jobs["web_incremental"]),
        alert_on_run_failure,
        _freshness_sensor,
    ],
    resources={"dbt": dbt_cli()},
    executor=dg.in_process_executor,
)
