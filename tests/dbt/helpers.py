"""Build a throwaway raw warehouse from the TableSpecs and run dbt on it in-process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
from dbt.cli.main import dbtRunner, dbtRunnerResult

from ingestion.common.schema import TableSpec
from ingestion.common.validate import QUARANTINE_SCHEMA, QUARANTINE_TABLE
from ingestion.crm.schema import TABLES as CRM_TABLES
from ingestion.marketing.schema import TABLES as MARKETING_TABLES
from ingestion.support.schema import TABLES as SUPPORT_TABLES
from ingestion.web.schema import TABLES as WEB_TABLES

REPO = Path(__file__).resolve().parents[2]
PROJECT_DIR = REPO / "dbt_project"

SPECS: dict[str, dict[str, TableSpec]] = {
    "crm": CRM_TABLES,
    "support": SUPPORT_TABLES,
    "marketing": MARKETING_TABLES,
    "web": WEB_TABLES,
}
DLT_COLUMNS = [pa.field("_dlt_load_id", pa.string()), pa.field("_dlt_id", pa.string())]


def raw_schema(spec: TableSpec) -> pa.Schema:
    """A raw table as dlt leaves it: the spec's columns plus `_dlt_load_id`, `_dlt_id`."""
    schema = spec.arrow_schema()
    for field in DLT_COLUMNS:
        schema = schema.append(field)
    return schema


def write_raw_tables(
    warehouse: Path,
    rows: Mapping[str, Mapping[str, list[dict]]],
    load_id: str,
    replace: bool = True,
) -> None:
    """Create every raw table of every source (empty unless `rows` has some) in `warehouse`.

    Rows may carry their own `_dlt_load_id`; others get `load_id`. With replace=False the
    rows are appended to the existing tables (a later load)."""
    con = duckdb.connect(str(warehouse))
    try:
        for source, specs in SPECS.items():
            con.execute(f"create schema if not exists raw_{source}").fetchall()
            tables = {name: raw_schema(spec) for name, spec in specs.items()}
            tables[QUARANTINE_TABLE] = QUARANTINE_SCHEMA
            for name, schema in tables.items():
                data = [dict(r) for r in rows.get(source, {}).get(name, [])]
                for i, r in enumerate(data):
                    if "_dlt_load_id" in schema.names:
                        r.setdefault("_dlt_load_id", load_id)
                        r.setdefault("_dlt_id", f"{name}-{load_id}-{i}")
                arrow = pa.Table.from_pylist(data, schema=schema)
                con.register("_rows", arrow)
                target = f'raw_{source}."{name}"'
                if replace:
                    con.execute(f"create or replace table {target} as select * from _rows")
                else:
                    con.execute(f"insert into {target} by name select * from _rows")
                con.unregister("_rows")
    finally:
        con.close()


def run_dbt(args: list[str], data_dir: Path, target_path: Path) -> dbtRunnerResult:
    """`dbt <args>` in-process against `$data_dir/warehouse.duckdb`."""
    previous = os.environ.get("CXM_DATA_DIR")
    os.environ["CXM_DATA_DIR"] = str(data_dir)
    try:
        return dbtRunner().invoke([
            *args,
            "--project-dir", str(PROJECT_DIR),
            "--profiles-dir", str(PROJECT_DIR),
            "--target-path", str(target_path),
            "--log-path", str(target_path / "logs"),
        ])
    finally:
        if previous is None:
            os.environ.pop("CXM_DATA_DIR", None)
        else:
            os.environ["CXM_DATA_DIR"] = previous


def failures(result: dbtRunnerResult) -> list[str]:
    """Names and messages of the nodes that did not succeed, for assertion messages."""
    out = []
    if result.exception is not None:
        out.append(repr(result.exception))
    for r in getattr(result.result, "results", None) or []:
        # exposures report "no-op": nothing to build, nothing failed
        if str(r.status) not in ("success", "pass", "warn", "skipped", "no-op"):
            out.append(f"{r.node.unique_id}: {r.status}: {r.message}")
    return out


def query(data_dir: Path, sql: str) -> list[tuple]:
    # not read_only: dbt-duckdb keeps its in-process database instance open after a run, and
    # DuckDB refuses a second connection to the same file with a different configuration
    con = duckdb.connect(str(data_dir / "warehouse.duckdb"))
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def resolved(data_dir: Path) -> dict[tuple[str, str], str]:
    """(identifier_type, identifier_value) -> customer_id, as the warehouse has it now."""
    rows = query(data_dir, "select identifier_type, identifier_value, customer_id "
                           "from intermediate.int_identity__identifiers")
    return {(t, v): c for t, v, c in rows}


@dataclass
class Build:
    result: dbtRunnerResult
    data_dir: Path
    target: Path
    identities: dict[tuple[str, str], str]  # right after the build (later tests may add data)
