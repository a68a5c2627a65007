"""Great Expectations suites as blocking Dagster asset checks.

One multi-asset check per dlt source validates each of its raw tables after the load, and one
validates every public mart after dbt built it (expectations/runner.py); the validation
results are the check metadata. A failing suite blocks what reads the table (staging → marts
→ published): a broken mart is never published."""

from collections.abc import Iterator

import dagster as dg

from orchestration.dbt_models import POOL
from orchestration.raw_assets import RawTable

CHECK_NAME = "gx_suite"


def _previous_rows(context: dg.AssetCheckExecutionContext, key: dg.AssetKey) -> int | None:
    """Row count after the last load made by another run (None if there was none)."""
    records = context.instance.fetch_materializations(key, limit=5).records
    for record in records:
        if record.run_id == context.op_execution_context.run_id:
            continue
        value = record.asset_materialization.metadata.get("dagster/row_count")
        return int(value.value) if value is not None else None
    return None


def _result(key: dg.AssetKey, v) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=key, check_name=CHECK_NAME, passed=v.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(v.failures)[:1000] or None,
        metadata={"suite": v.suite, "rows_validated": v.rows_validated,
                  "rows_total": v.rows_total,
                  "statistics": dg.MetadataValue.json(v.statistics),
                  "results": dg.MetadataValue.json(v.results)})


def gx_mart_checks(relations: dict[dg.AssetKey, str]) -> dg.AssetChecksDefinition:
    """The contract suites (keys, metric ranges) of the public marts in `relations`."""
    specs = [dg.AssetCheckSpec(CHECK_NAME, asset=key, blocking=True,
                               description=f"Great Expectations contract suite of {rel}: "
                                           "key not null and unique, metric ranges.")
             for key, rel in relations.items()]

    # subsettable: a job that builds only some marts (web_incremental) runs only their suites
    @dg.multi_asset_check(name="gx_public_marts", specs=specs, pool=POOL, can_subset=True,
                          description="Great Expectations contract suites of the public marts.")
    def _check(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        from expectations.runner import validate_mart, warehouse_reader

        selected = {k.asset_key for k in context.selected_asset_check_keys}
        with warehouse_reader() as con:
            for key, rel in relations.items():
                if key in selected:
                    yield _result(key, validate_mart(rel, con=con))

    return _check


def gx_checks(source: str, tables: list[RawTable]) -> dg.AssetChecksDefinition:
    specs = [dg.AssetCheckSpec(CHECK_NAME, asset=t.key, blocking=True,
                               description=f"Great Expectations suite raw_{source}.{t.table}: "
                                           "columns, non-null keys, unique key, ranges, "
                                           "row count never below the previous load.")
             for t in tables]

    @dg.multi_asset_check(name=f"gx_raw_{source}", specs=specs, pool=POOL,
                          description=f"Great Expectations suites of raw_{source}.")
    def _check(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
        from expectations.runner import validate_raw_table, warehouse_reader

        with warehouse_reader() as con:
            for t in tables:
                yield _result(t.key, validate_raw_table(source, t.table,
                                                        _previous_rows(context, t.key), con=con))

    return _check
