"""Run the dlt sources into `raw_<source>` of the warehouse and report what happened.

Used by the CLI, the Dagster assets and the tests alike. Each source has its own dlt pipeline
(`cxm_<source>`, dataset `raw_<source>`) whose state — the incremental cursors — lives in
`$CXM_DATA_DIR/pipelines`. Sources run one after another: DuckDB has one writer per file.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ingestion import paths
from ingestion.common.erasure import honoured
from ingestion.common.schema import TableSpec
from ingestion.common.settings import configure_dlt
from ingestion.common.validate import QUARANTINE_TABLE

log = logging.getLogger(__name__)

SOURCES: tuple[str, ...] = ("crm", "support", "marketing", "web")


def source_factory(name: str) -> Callable[..., Any]:
    if name == "crm":
        from ingestion.crm import crm_source
        return crm_source
    if name == "support":
        from ingestion.support import support_source
        return support_source
    if name == "marketing":
        from ingestion.marketing import marketing_source
        return marketing_source
    if name == "web":
        from ingestion.web import web_source
        return web_source
    raise ValueError(f"unknown source {name!r}; known: {', '.join(SOURCES)}")


def table_specs() -> dict[str, dict[str, TableSpec]]:
    """source -> raw table -> its spec."""
    from ingestion.crm.schema import TABLES as CRM
    from ingestion.marketing.schema import TABLES as MARKETING
    from ingestion.support.schema import TABLES as SUPPORT
    from ingestion.web.schema import TABLES as WEB

    return {"crm": CRM, "support": SUPPORT, "marketing": MARKETING, "web": WEB}


def make_pipeline(name: str, base: str | Path | None = None) -> dlt.Pipeline:
    configure_dlt()
    return dlt.pipeline(
        pipeline_name=f"cxm_{name}",
        # insertion order of raw rows means nothing (every reader orders or keys them);
        # letting DuckDB drop it makes the large web inserts measurably cheaper
        destination=dlt.destinations.duckdb(DuckDbCredentials(
            str(paths.warehouse_path(base)),
            global_config={"preserve_insertion_order": False})),
        dataset_name=f"raw_{name}",
        pipelines_dir=str(paths.pipelines_dir(base)),
    )


@dataclass
class TableLoad:
    table: str
    extracted: int      # rows that passed validation and were loaded into the merge
    rows_before: int
    rows_after: int
    duplicates_dropped: int = 0  # duplicate deliveries removed by the source in this run
    erased: int = 0  # rows of erased people dropped before loading (erasure register)

    @property
    def new_rows(self) -> int:
        return self.rows_after - self.rows_before

    @property
    def merged(self) -> int:
        """Rows that replaced an existing key: duplicate deliveries or updated records."""
        return self.extracted - self.new_rows

    @property
    def deduplicated(self) -> int:
        """Deliveries that did not add a row: dropped by the source or merged."""
        return self.duplicates_dropped + self.merged


@dataclass
class SourceLoad:
    source: str
    seconds: float
    tables: dict[str, TableLoad] = field(default_factory=dict)
    quarantined: int = 0
    error: str | None = None
    erased: int = 0  # rows (data and quarantine) of erased people dropped before loading

    @property
    def rows(self) -> int:
        return sum(t.extracted for t in self.tables.values())


@dataclass
class IngestReport:
    sources: list[SourceLoad]

    @property
    def ok(self) -> bool:
        return all(s.error is None for s in self.sources)

    def table(self, source: str, table: str) -> TableLoad:
        return next(s for s in self.sources if s.source == source).tables[table]

    def render(self) -> str:
        lines = [f"{'table':<34}{'loaded':>10}{'new':>10}{'deduped':>9}{'total':>11}"]
        for s in self.sources:
            if s.error:
                lines.append(f"raw_{s.source}: FAILED after {s.seconds:.1f}s: {s.error}")
                continue
            for t in sorted(s.tables.values(), key=lambda t: t.table):
                lines.append(f"{'raw_' + s.source + '.' + t.table:<34}{t.extracted:>10,}"
                             f"{t.new_rows:>10,}{t.deduplicated:>9,}{t.rows_after:>11,}")
            rate = s.rows / s.seconds if s.seconds else 0.0
            lines.append(f"{'':<4}raw_{s.source}: {s.rows:,} rows in {s.seconds:.1f}s "
                         f"({rate:,.0f} rows/s), {s.quarantined:,} quarantined"
                         + (f", {s.erased:,} erased" if s.erased else ""))
        return "\n".join(lines)


class IngestError(RuntimeError):
    def __init__(self, report: IngestReport):
        failed = [f"{s.source}: {s.error}" for s in report.sources if s.error]
        super().__init__("ingestion failed for " + "; ".join(failed))
        self.report = report


def table_counts(base: str | Path | None, dataset: str) -> dict[str, int]:
    db = paths.warehouse_path(base)
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.sql(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_name not like '\\_dlt%' escape '\\'", params=[dataset]).fetchall()]
        return {n: con.sql(f'select count(*) from "{dataset}"."{n}"').fetchall()[0][0]
                for n in names}


def recover(pipeline: dlt.Pipeline) -> list[str]:
    """Clear what a killed run left in the pipeline's working folder, before a new run:
    an abandoned extract (a `normalize/<random id>` folder dlt only removes when the extract
    finishes) is deleted, and complete packages still pending (extracted or normalized, not
    loaded) are loaded now. Left alone, dlt 1.31's `run` in a new process discarded a
    pending normalized package (tests/ingestion/test_recover.py shows the case): harmless
    for a package never started (its cursor state goes with it and the data is fetched
    again), but a package killed mid-load would leave its loaded half behind, duplicated by
    the next append (the web events' first load). Safe because one run writes a data dir
    at a time (ingestion/lock.py, the `duckdb_writer` pool). Returns what was done, for the log."""
    done = []
    normalize = Path(pipeline.working_dir) / "normalize"
    for folder in sorted(normalize.iterdir()) if normalize.exists() else []:
        if folder.is_dir() and folder.name != "extracted":
            shutil.rmtree(folder)
            done.append(f"removed the abandoned extract {folder}")
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    pending = pipeline.list_normalized_load_packages()
    if pending:
        pipeline.load()
        done.append(f"loaded {len(pending)} pending load package(s) {', '.join(pending)}")
    for line in done:
        log.warning("%s: %s (left by an interrupted run)", pipeline.pipeline_name, line)
    return done


def ingest_source(name: str, base: str | Path | None = None, **kwargs: Any) -> SourceLoad:
    """Load one source; raises the source's own error after recording nothing partial."""
    pipeline = make_pipeline(name, base)
    recover(pipeline)
    before = table_counts(base, pipeline.dataset_name)
    started = time.perf_counter()
    if name == "web" and not kwargs.get("exports_path"):
        # nothing to merge with yet: the web reader appends its (deduplicated) events
        kwargs = {"first_load": before.get("events", 0) == 0, **kwargs}
    source = source_factory(name)(**kwargs)
    with honoured(base) as register:  # drop erased people's rows (ingestion.common.erasure)
        pipeline.run(source)
    erased = dict(register.dropped) if register else {}
    seconds = time.perf_counter() - started
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace \
        and pipeline.last_trace.last_normalize_info else {}
    after = table_counts(base, pipeline.dataset_name)
    load = SourceLoad(name, seconds, quarantined=int(counts.get(QUARANTINE_TABLE, 0)),
                      erased=sum(erased.values()))
    for table, rows in after.items():
        if table == QUARANTINE_TABLE or table.startswith("_dlt"):
            continue
        load.tables[table] = TableLoad(table, int(counts.get(table, 0)),
                                       before.get(table, 0), rows,
                                       _resource_state(pipeline, name, table)
                                       .get("duplicates_dropped", 0), erased.get(table, 0))
    return load


def _resource_state(pipeline: dlt.Pipeline, source: str, resource: str) -> dict[str, Any]:
    return pipeline.state.get("sources", {}).get(source, {}).get("resources", {}) \
        .get(resource, {})


def ingest(base: str | Path | None = None, sources: Iterable[str] = SOURCES,
           settings: dict[str, dict[str, Any]] | None = None,
           raise_on_error: bool = True) -> IngestReport:
    """Load each source in turn. A failing source does not stop the others; the error is
    raised at the end (after the others loaded) unless `raise_on_error` is False."""
    settings = settings or {}
    report = IngestReport([])
    for name in sources:
        started = time.perf_counter()
        try:
            report.sources.append(ingest_source(name, base, **settings.get(name, {})))
        except Exception as exc:  # recorded and re-raised below, after the other sources
            log.exception("source %s failed", name)
            report.sources.append(SourceLoad(name, time.perf_counter() - started,
                                             error=_root_message(exc)))
    if raise_on_error and not report.ok:
        raise IngestError(report)
    return report


def _root_message(exc: BaseException) -> str:
    """dlt wraps source errors in PipelineStepFailed; show the innermost cause's message."""
    seen: BaseException = exc
    for _ in range(10):
        inner = getattr(seen, "exception", None) or seen.__cause__
        if not isinstance(inner, BaseException) or inner is seen:
            break
        seen = inner
    return f"{type(seen).__name__}: {seen}"
