"""Every dlt resource (raw table) as a Dagster asset keyed exactly like the dbt source that
reads it, so lineage runs API → raw table → staging → marts without a gap.

One multi-asset per dlt source calls `ingestion.pipeline.ingest_source` (the same runner the
CLI and the tests use) and reports one materialisation per raw table, `_quarantine` included.
The table list and the keys come from the dbt manifest: every dbt source table whose
`meta.dlt_source` names the dlt source. See docs/decisions.md (2026-12-01) for why this is not
dagster-dlt's `@dlt_assets`.
"""

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg

from ingestion.pipeline import SOURCES, ingest_source, table_counts
from orchestration.dbt_models import OWNERS, POOL, TRANSLATOR, manifest
from orchestration.project import dbt_project

# ingestion calls remote APIs: retry transient failures with exponential backoff
# (15 s, 30 s, 60 s, each ±jitter); a run that still fails leaves the raw tables as they were.
# CXM_INGEST_RETRIES / CXM_INGEST_RETRY_DELAY (seconds) change the budget (the fault tests
# shorten it; docs/operations.md)
INGEST_RETRY = dg.RetryPolicy(max_retries=int(os.environ.get("CXM_INGEST_RETRIES", "3")),
                              delay=float(os.environ.get("CXM_INGEST_RETRY_DELAY", "15")),
                              backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


@dataclass(frozen=True)
class RawTable:
    dlt_source: str
    table: str  # dlt resource / raw table name
    key: dg.AssetKey
    description: str
    dataset: str


def raw_tables(mf: Mapping[str, Any] | None = None) -> dict[str, list[RawTable]]:
    """dlt source name → its raw tables, from the dbt sources' `meta.dlt_*`."""
    mf = mf or manifest()
    out: dict[str, list[RawTable]] = {name: [] for name in SOURCES}
    for uid, props in sorted(mf["sources"].items()):
        meta = {**(props.get("meta") or {}), **((props.get("config") or {}).get("meta") or {})}
        dlt_source = meta.get("dlt_source")
        if dlt_source is None:
            continue
        out.setdefault(dlt_source, []).append(RawTable(
            dlt_source=dlt_source,
            table=meta.get("dlt_resource") or props["name"],
            key=TRANSLATOR.get_asset_spec(mf, uid, dbt_project()).key,
            description=(props.get("description") or "").strip(),
            dataset=meta.get("dlt_dataset") or props.get("schema") or f"raw_{dlt_source}",
        ))
    return out


def _spec(t: RawTable) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=t.key,
        description=t.description or f"{t.dataset}.{t.table}, loaded by dlt source {t.dlt_source}",
        group_name="raw",
        kinds={"dlt", "duckdb"},
        owners=OWNERS["raw"],
        tags={"layer": "raw", "dlt_source": t.dlt_source},
        metadata={"dagster/table_name": f"warehouse.{t.dataset}.{t.table}",
                  "dlt_pipeline": f"cxm_{t.dlt_source}"},
        skippable=True,
    )


def _source_assets(name: str, tables: list[RawTable]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"dlt_{name}",
        specs=[_spec(t) for t in tables],
        retry_policy=INGEST_RETRY,
        pool=POOL,
        op_tags={"cxm/stage": "ingest"},
        description=f"dlt source `{name}` → schema raw_{name} (incremental, merge on keys).",
    )
    def _assets(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        load = ingest_source(name)
        context.log.info(f"raw_{name}: {load.rows:,} rows loaded, "
                         f"{load.quarantined:,} quarantined, {load.erased:,} erased "
                         f"in {load.seconds:.1f}s")
        dataset = tables[0].dataset if tables else f"raw_{name}"
        totals = table_counts(None, dataset)
        for t in tables:
            tl = load.tables.get(t.table)
            if t.table == "_quarantine":
                loaded, new = load.quarantined, load.quarantined
            else:
                loaded, new = (tl.extracted, tl.new_rows) if tl else (0, 0)
            yield dg.MaterializeResult(asset_key=t.key, metadata={
                "rows_loaded": loaded,
                "rows_new": new,
                # rows of people erased by `cxm erase`, dropped before loading
                "rows_erased": tl.erased if tl else 0,
                "dagster/row_count": totals.get(t.table, 0),
                "seconds": round(load.seconds, 2),
            })

    return _assets


def build_ingestion_assets() -> list[dg.AssetsDefinition]:
    return [_source_assets(name, tables) for name, tables in raw_tables().items() if tables]
