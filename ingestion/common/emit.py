"""Yield validated batches into dlt: good rows to the spec's table, bad rows to `_quarantine`.

Both are yielded as table variants with their own hints, and the resource itself carries no
column or key hints: a `_quarantine` variant would otherwise inherit the data table's
non-nullable primary key (checked on dlt 1.31).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
import pyarrow as pa

from ingestion.common.erasure import drop_erased
from ingestion.common.faultpoint import fault_point
from ingestion.common.schema import TableSpec
from ingestion.common.validate import QUARANTINE_TABLE, Validated, validate

# Known columns keep their type (a change is an error naming table and column); new tables
# and columns evolve so vendor additions flow through.
SCHEMA_CONTRACT = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


def table_hints(spec: TableSpec, write_disposition: str = "merge") -> Any:
    return dlt.mark.make_hints(
        table_name=spec.name,
        write_disposition=write_disposition,
        primary_key=list(spec.primary_key),
        columns=spec.dlt_columns(),
        schema_contract=SCHEMA_CONTRACT,
    )


def emit(v: Validated, spec: TableSpec, write_disposition: str = "merge") -> Iterator[Any]:
    """The one exit of every source: rows of erased people are dropped here (and counted by
    the active register, ingestion.common.erasure), the rest yielded to dlt."""
    v = drop_erased(v, spec)
    if v.good.num_rows:
        yield dlt.mark.with_hints(v.good, table_hints(spec, write_disposition),
                                  create_table_variant=True)
        fault_point(f"ingest:{spec.name}")  # test hook, off by default
    if v.quarantine.num_rows:
        yield dlt.mark.with_hints(
            v.quarantine,
            dlt.mark.make_hints(table_name=QUARANTINE_TABLE, write_disposition="append"),
            create_table_variant=True)


def validated(batch: pa.Table, spec: TableSpec, source: str, origin: str = "",
              write_disposition: str = "merge") -> Iterator[Any]:
    """Validate `batch` against `spec` and yield the dlt items for both outcomes."""
    yield from emit(validate(batch, spec, source, origin), spec, write_disposition)
