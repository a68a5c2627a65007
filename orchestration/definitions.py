"""Dagster code location of the CX warehouse.

For now one asset per source, each running that source's dlt pipeline into `raw_<source>`
(the same `ingestion.pipeline` the CLI uses). The dbt models, checks, schedule, sensors and
publishing join this graph in later steps.
"""

import dagster as dg

from ingestion.pipeline import SOURCES, ingest_source


def _source_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=f"raw_{name}",
        group_name="ingestion",
        kinds={"dlt", "duckdb"},
        description=f"dlt source `{name}` loaded into schema raw_{name} of the warehouse.",
        retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
        pool="duckdb_writer",
    )
    def _asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        load = ingest_source(name)
        context.log.info(f"raw_{name}: {load.rows:,} rows, {load.quarantined:,} quarantined")
        return dg.MaterializeResult(metadata={
            "rows_loaded": load.rows,
            "rows_quarantined": load.quarantined,
            "seconds": round(load.seconds, 2),
            **{f"rows/{t}": tl.rows_after for t, tl in load.tables.items()},
        })

    return _asset


ingestion_assets = [_source_asset(name) for name in SOURCES]

ingest_job = dg.define_asset_job("ingest", selection=dg.AssetSelection.groups("ingestion"))

defs = dg.Definitions(assets=ingestion_assets, jobs=[ingest_job])
