"""Run a Great Expectations 1.x suite on a table of the warehouse.

GX has no DuckDB data source, so the table (only the columns the suite looks at) is read
with duckdb into pandas and validated through an ephemeral context's pandas data source.
The outcome is a small, JSON-able summary for Dagster check metadata and for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig


@dataclass(frozen=True)
class Failure:
    expectation: str
    column: str | None
    observed: object
    unexpected_count: int | None = None
    examples: list = field(default_factory=list)

    def __str__(self) -> str:
        where = f" on {self.column}" if self.column else ""
        extra = f", {self.unexpected_count} unexpected" if self.unexpected_count else ""
        ex = f", e.g. {self.examples[:3]}" if self.examples else ""
        return f"{self.expectation}{where}: observed {self.observed!r}{extra}{ex}"


@dataclass(frozen=True)
class Outcome:
    suite: str
    table: str
    rows: int
    evaluated: int
    failures: tuple[Failure, ...]

    @property
    def success(self) -> bool:
        return not self.failures

    def metadata(self) -> dict:
        return {
            "suite": self.suite,
            "table": self.table,
            "rows_validated": self.rows,
            "expectations_evaluated": self.evaluated,
            "expectations_failed": len(self.failures),
            "failures": [str(f) for f in self.failures],
        }


@cache
def _batch_definition():
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("cxm").add_dataframe_asset("table")
    return asset.add_batch_definition_whole_dataframe("whole")


def suite_columns(suite: gx.ExpectationSuite) -> list[str]:
    """Columns the suite's expectations read (so only those are loaded)."""
    cols: list[str] = []
    for e in suite.expectations:
        for name in ("column", "column_A", "column_B"):
            c = getattr(e, name, None)
            if c and c not in cols:
                cols.append(c)
        for c in getattr(e, "column_list", None) or []:
            if c not in cols:
                cols.append(c)
    return cols


def validate_frame(frame: pd.DataFrame, suite: gx.ExpectationSuite,
                   table: str = "frame") -> Outcome:
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format="SUMMARY")
    failures = []
    for r in result.results:
        if r.success:
            continue
        cfg = r.expectation_config
        res = r.result or {}
        failures.append(Failure(
            expectation=cfg.type,
            column=cfg.kwargs.get("column") or cfg.kwargs.get("column_list"),
            observed=res.get("observed_value", res.get("unexpected_percent")),
            unexpected_count=res.get("unexpected_count"),
            examples=[_plain(v) for v in (res.get("partial_unexpected_list") or [])][:5],
        ))
        if r.exception_info and r.exception_info.get("raised_exception"):
            failures[-1] = Failure(cfg.type, cfg.kwargs.get("column"),
                                   r.exception_info.get("exception_message"))
    return Outcome(suite.name, table, len(frame), len(result.results), tuple(failures))


def read_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[str],
               where: str | None = None) -> pd.DataFrame:
    """The columns of `table` the suite reads (those the table has: a missing one fails the
    suite's column-exists expectation). With no columns, a frame of the table's row count
    and no data (a RangeIndex costs nothing), for table-level expectations."""
    filt = f" where {where}" if where else ""
    present = {r[0] for r in con.sql(f"describe {table}").fetchall()}
    cols = [c for c in columns if c in present]
    if not cols:
        [(n,)] = con.sql(f"select count(*) from {table}{filt}").fetchall()
        return pd.DataFrame(index=pd.RangeIndex(n))
    select = ", ".join(f'"{c}"' for c in cols)
    frame = con.sql(f"select {select} from {table}{filt}").df()
    # Arrow-backed strings (pandas 3) trip some GX type checks: plain objects are safest
    return frame.astype({c: object for c in frame.columns if frame[c].dtype == "string"})


def validate_table(con: duckdb.DuckDBPyConnection, table: str, suite: gx.ExpectationSuite,
                   where: str | None = None) -> Outcome:
    frame = read_table(con, table, suite_columns(suite), where)
    return validate_frame(frame, suite, table)


def _plain(v: object) -> object:
    return v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
