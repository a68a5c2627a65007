"""Marketing file resources: ad spend, survey responses, experiment assignments (CSV files).

`{files_url}/ad_spend/*.csv` -> `ad_spend`, `{files_url}/surveys/*.csv` -> `survey_responses`,
`{files_url}/experiments/*.csv` -> `experiment_assignments` (docs/sources.md, `FILE_TABLES`).

Each folder is listed by dlt's `filesystem` resource, incremental on file modification time
(state kept per listing: `ad_spend_files`, ...), so a re-run reads no file and a new or
rewritten file is read alone. The CSVs of a run are read in one DuckDB query per batch with
every column as VARCHAR (header names as they are, files matched by column name), then cast
and checked by the table's spec in `validate`: a bad cell sends its row to `_quarantine` with
the reason and the file it came from, it does not fail the run. A file DuckDB cannot parse is
reported by name in `_quarantine` and skipped. Rows merge on the spec's primary key (dlt
`delete-insert`, which also dedupes within a load), so a re-delivered corrected file replaces
its rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.storages.fsspec_filesystem import FileItemDict
from dlt.sources import DltResource

from ingestion.common.duck import sql_list
from ingestion.common.emit import emit
from ingestion.common.files import (
    CSV_OPTIONS,
    batches,
    concat_quarantine,
    duckdb_connection,
    file_listing,
    join_url,
    landing_url,
    normalize_url,
    read_files,
    register_fs,
    validate_with_origin,
)
from ingestion.common.schema import TableSpec
from ingestion.common.validate import Validated
from ingestion.marketing.schema import FILE_TABLES

log = logging.getLogger(__name__)

SOURCE = "marketing"
DEFAULT_FILE_GLOB = "*.csv"
DEFAULT_BATCH_BYTES = 64 * 2**20
# the file each row came from; read by DuckDB, used as quarantine origin, not loaded
_ORIGIN = "__source_file"


def files_url_default() -> str:
    """`sources.marketing.files_url` from dlt config, else `$CXM_DATA_DIR/landing/marketing`."""
    configured = dlt.config.get("sources.marketing.files_url")
    return configured or landing_url("marketing")


def read_csv_files(con: Any, paths: Sequence[str]) -> pa.Table:
    """All rows of `paths` (CSV with header) as strings, columns matched by name, plus the
    source file in `__source_file`."""
    return con.sql(
        f"select * from read_csv({sql_list(paths)}, {CSV_OPTIONS}, filename='{_ORIGIN}')"
    ).to_arrow_table()


def _rows_from_files(items: list[FileItemDict], spec: TableSpec, batch_bytes: int
                     ) -> Iterator[Any]:
    files = [i for i in items if i.get("size_in_bytes") != 0]
    if not files:
        return
    con = duckdb_connection()
    register_fs(con, files[0].fsspec)
    n_rows = n_bad = 0
    try:
        for batch in batches(files, batch_bytes):
            tables, quarantine = read_files(
                batch, lambda paths: read_csv_files(con, paths), source=SOURCE,
                table_name=spec.name)
            tables = [t for t in tables if t.num_rows]
            good = spec.arrow_schema().empty_table()
            if tables:
                data = pa.concat_tables(tables, promote_options="permissive")
                v = validate_with_origin(data, spec, SOURCE, _ORIGIN)
                good = v.good
                quarantine.append(v.quarantine)
            q = concat_quarantine(quarantine)
            n_rows += good.num_rows
            n_bad += q.num_rows
            yield from emit(Validated(good, q), spec)
    finally:
        con.close()
    log.info("marketing.%s: read %d files, %d rows, %d quarantined",
             spec.name, len(files), n_rows, n_bad)


def file_resource(spec: TableSpec, files_url: str, file_glob: str = DEFAULT_FILE_GLOB,
                  credentials: Any = None, batch_bytes: int = DEFAULT_BATCH_BYTES
                  ) -> DltResource:
    """One table's resource: the incremental listing of its folder piped into the reader."""

    def read(items: list[FileItemDict]) -> Iterator[Any]:
        yield from _rows_from_files(items, spec, batch_bytes)

    folder = join_url(files_url, spec.extra["folder"])
    listing = file_listing(folder, file_glob, f"{spec.name}_files", credentials)
    return listing | dlt.transformer(name=spec.name)(read)


def file_resources(files_url: str | None = None, *, file_glob: str = DEFAULT_FILE_GLOB,
                   credentials: Any = None, batch_bytes: int = DEFAULT_BATCH_BYTES
                   ) -> list[DltResource]:
    """Resources `ad_spend`, `survey_responses`, `experiment_assignments` over the CSV folders
    under `files_url` (any fsspec URL; default `$CXM_DATA_DIR/landing/marketing`).
    A missing folder yields nothing."""
    url = normalize_url(files_url or files_url_default())
    return [file_resource(spec, url, file_glob, credentials, batch_bytes)
            for spec in FILE_TABLES.values()]


__all__ = ["file_resources", "file_resource", "read_csv_files"]
