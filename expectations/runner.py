"""Run the raw-table suites (expectations/suites.py) against the warehouse.

Reads with DuckDB into pandas and validates with GX's pandas data source (dagster-ge pins
GX < 1.0, so it is not used). Only the rows of the latest load are validated — the new
data, so a check costs in proportion to the load, not to history — while the row-count
expectation sees the whole table's count.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd

from expectations.suites import expectation_columns, gx_context, raw_suite, suite_columns
from ingestion import paths
from ingestion.common.validate import QUARANTINE_TABLE


@dataclass
class Validation:
    suite: str
    success: bool
    rows_validated: int
    rows_total: int
    statistics: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # "expectation(column): detail"
    results: list[dict[str, Any]] = field(default_factory=list)  # JSON-able per expectation


# expectations judged on the column names alone, not on any row
_ON_COLUMN_NAMES = {"expect_table_columns_to_match_set",
                    "expect_table_columns_to_match_ordered_list", "expect_column_to_exist"}


@cache
def _batch_definition():
    asset = gx_context().data_sources.add_pandas("cxm_raw").add_dataframe_asset("raw_table")
    return asset.add_batch_definition_whole_dataframe("latest_load")


def _connect(db: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.ConnectionException:
        # this process already holds the file read-write (DuckDB refuses a second
        # configuration for one file in one process): share that configuration
        return duckdb.connect(str(db))


@contextmanager
def warehouse_reader(base: str | Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection reading the warehouse, for several suites in a row (a check step):
    opening the file costs more than validating a small table."""
    con = _connect(paths.warehouse_path(base))
    try:
        yield con
    finally:
        con.close()


@contextmanager
def _reading(con: duckdb.DuckDBPyConnection | None,
             base: str | Path | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """`con` when given (the caller closes it), else a connection of its own."""
    if con is not None:
        yield con
        return
    with warehouse_reader(base) as own:
        yield own


def validate_raw_table(source: str, table: str, previous_rows: int | None = None,
                       base: str | Path | None = None,
                       con: duckdb.DuckDBPyConnection | None = None) -> Validation:
    """The raw suite on the latest load, reading only the columns its row expectations use
    (the column-set expectation is judged on the table's column names): at M the first load
    of web events is ~10M rows of ~30 columns, which read whole took 8.5 GB and 45 s.
    `con`: a `warehouse_reader` to read through (else one is opened for this table)."""
    dataset = f"raw_{source}"
    suite = raw_suite(source, table, previous_rows)
    with _reading(con, base) as con:
        exists = con.execute("select count(*) from information_schema.tables where "
                             "table_schema = ? and table_name = ?", [dataset, table]).fetchone()[0]
        if not exists:
            # no `_quarantine` table means nothing was ever quarantined; any other table
            # missing after a load is a failure
            ok = table == QUARANTINE_TABLE
            return Validation(f"{dataset}.{table}", ok, 0, 0,
                              failures=[] if ok else [f"table {dataset}.{table} is missing"])
        total = con.execute(f'select count(*) from {dataset}."{table}"').fetchone()[0]
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? "
            "and table_name = ? order by ordinal_position", [dataset, table]).fetchall()]
        where = ""
        if "_dlt_load_id" in columns:
            where = (f' where _dlt_load_id = (select max(_dlt_load_id) '
                     f'from {dataset}."{table}")')
        # a missing column stays missing, so its expectations fail as they should
        read = [c for c in suite_columns(suite) if c in columns] or columns[:1]
        select = ", ".join(f'"{c}"' for c in read)
        query = f'select {select} from {dataset}."{table}"{where}'
        # the latest load is part of the table: count it only when the table is large
        latest = total if total <= CHUNK_ROWS else \
            con.execute(f"select count(*) from ({query})").fetchall()[0][0]
        parts = -(-latest // CHUNK_ROWS)
        key = [c for c in _unique_columns(suite) if c in read]
        if parts <= 1 or not key:
            df = con.sql(query).to_arrow_table().to_pandas()
            return validate_frame(df, suite, total, column_names=columns)
        # too many rows for one frame: split by a hash of the key, so that every copy of a key
        # lands in the same part and uniqueness is still judged on all of them together
        keyed = " || '|' || ".join(f'coalesce(cast("{c}" as varchar), \'\')' for c in key)
        done = [validate_frame(con.sql(f"select * from ({query}) where "
                                       f"hash({keyed}) % {parts} = {i}").to_arrow_table()
                               .to_pandas(), suite, total, column_names=columns)
                for i in range(parts)]
    return merge_validations(done)


# rows of the latest load validated in one pandas frame; beyond it the load is validated in
# parts (a first load of L's ~100M web events would need ~40 GB as one frame)
CHUNK_ROWS = 5_000_000
_UNIQUE = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")


def _unique_columns(suite: gx.ExpectationSuite) -> list[str]:
    return next((expectation_columns(e) for e in suite.expectations
                 if e.expectation_type in _UNIQUE), [])


def merge_validations(parts: list[Validation]) -> Validation:
    """One suite's validations of disjoint parts of a load (`validate_raw_table`'s hash
    split) as the validation of the whole: counts summed, an expectation with `mostly`
    judged on the summed counts, any other failing if it failed in a part; expectations on
    the column set or the table's row count are the same in every part."""
    first = parts[0]
    out = Validation(first.suite, True, sum(p.rows_validated for p in parts), first.rows_total,
                     {"evaluated_expectations": len(first.results)})
    for i, r in enumerate(first.results):
        same = [p.results[i] for p in parts]
        detail = dict(r["result"])
        for k in ("unexpected_count", "element_count", "missing_count"):
            if all(k in s["result"] for s in same):
                detail[k] = sum(s["result"][k] for s in same)
        unexpected = [v for s in same for v in s["result"].get("partial_unexpected_list", [])]
        if unexpected:
            detail["partial_unexpected_list"] = unexpected[:20]
        success = all(s["success"] for s in same)
        if "unexpected_count" in detail and "element_count" in detail:
            judged = detail["element_count"] - detail.get("missing_count", 0)
            share = detail["unexpected_count"] / judged if judged else 0.0
            detail["unexpected_percent"] = 100 * share
            mostly = r["kwargs"].get("mostly")
            if mostly is not None:  # a share: judged on the whole load, not per part
                success = share <= 1 - mostly
        _record(out, r["expectation"], r["kwargs"], success, detail)
    out.statistics["parts"] = len(parts)
    return _finished(out)


def _record(out: Validation, expectation: str, kwargs: dict[str, Any], success: bool,
            detail: dict[str, Any]) -> None:
    out.results.append({"expectation": expectation, "kwargs": kwargs, "success": success,
                        "result": detail})
    if not success:
        column = kwargs.get("column") or kwargs.get("column_list") or ""
        out.failures.append(f"{expectation}({column}): {detail}")


def _finished(out: Validation) -> Validation:
    out.success = not out.failures
    out.statistics["successful_expectations"] = sum(r["success"] for r in out.results)
    out.statistics["unsuccessful_expectations"] = len(out.failures)
    return out


def validate_frame(df: pd.DataFrame, suite: gx.ExpectationSuite, total: int | None = None,
                   column_names: list[str] | None = None) -> Validation:
    """Validate `df` against `suite`. `total`: the whole table's row count when `df` is only
    part of it (the latest load); a row-count expectation is judged on it. `column_names`:
    the table's columns when `df` holds only some of them; expectations on the column set
    are then judged on an empty frame with exactly those columns."""
    total = len(df) if total is None else total
    parts = [(df, list(suite.expectations))]
    if column_names is not None:
        on_names = [e for e in suite.expectations if e.expectation_type in _ON_COLUMN_NAMES]
        parts = [(pd.DataFrame({c: pd.Series(dtype=object) for c in column_names}), on_names),
                 (df, [e for e in suite.expectations if e not in on_names])]
    results = []
    for frame, expectations in parts:
        if not expectations:
            continue
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        part = gx.ExpectationSuite(name=suite.name, meta=dict(suite.meta or {}),
                                   expectations=[e.copy(deep=True) for e in expectations])
        results.extend(batch.validate(part).results)
    out = Validation(suite.name, True, len(df), total, {"evaluated_expectations": len(results)})
    for r in results:
        config = r.expectation_config
        kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
        # the row count bound is about the table, not the latest load: judge it on `total`
        success = bool(r.success)
        if config.type == "expect_table_row_count_to_be_between":
            success = total >= (kwargs.get("min_value") or 0)
        detail = {k: _plain(v) for k, v in dict(r.result or {}).items()
                  if k in ("observed_value", "element_count", "missing_count",
                           "unexpected_count", "unexpected_percent",
                           "partial_unexpected_list")}
        if config.type == "expect_table_row_count_to_be_between":
            detail["observed_value"] = total
        missing = ((r.result or {}).get("details") or {}).get("mismatched", {}).get("missing")
        if missing:  # a missing column matters more than the list of those present
            detail = {"missing_columns": list(missing)}
        if r.exception_info and r.exception_info.get("raised_exception"):
            detail["exception"] = r.exception_info.get("exception_message")
        _record(out, config.type, kwargs, success, detail)
    return _finished(out)


def validate_mart(relation: str, base: str | Path | None = None,
                  con: duckdb.DuckDBPyConnection | None = None) -> Validation:
    """The contract suite of a public mart (`schema.model`, expectations/marts.py), on the
    whole mart: only the columns the suite reads, or just the row count for an aggregate
    check's query. `con`: as for `validate_raw_table`."""
    from expectations.marts import MARTS

    mart = MARTS[relation]
    suite = mart.suite(relation)
    with _reading(con, base) as con:
        if mart.query:
            df = con.sql(mart.query).to_arrow_table().to_pandas()
        else:
            cols = ", ".join(f'"{c}"' for c in suite_columns(suite))
            df = con.sql(f"select {cols} from {relation}").to_arrow_table().to_pandas()
    return validate_frame(df, suite)


def _plain(v: Any) -> Any:
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
