"""Vectorised validation: cast an Arrow batch to its TableSpec, quarantine rows that do not fit.

Runs in DuckDB over the Arrow batch (zero-copy), so a page of an API or a whole event file is
checked in one query, not row by row. A row is quarantined when a required field (primary
key, cursor, declared-required column) is missing or blank, or when a present value cannot be
cast to its declared type (wrong type, unparsable timestamp). Columns the spec does not know
pass through unchanged, so new vendor fields flow into the raw tables (schema evolution).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.duck import quote_ident as _q
from ingestion.common.duck import quote_literal as _lit
from ingestion.common.duck import thread_connection
from ingestion.common.schema import TYPES, TableSpec

QUARANTINE_TABLE = "_quarantine"
QUARANTINE_SCHEMA = pa.schema([
    ("source", pa.string()),
    ("table_name", pa.string()),
    ("record_key", pa.string()),
    ("field", pa.string()),
    ("reason", pa.string()),
    ("raw_record", pa.string()),
    ("origin", pa.string()),
    ("quarantined_at", pa.timestamp("us", tz="UTC")),
])

@dataclass
class Validated:
    good: pa.Table
    quarantine: pa.Table


def _cast_expr(name: str, spec_type: str, arrow_type: pa.DataType) -> tuple[str, str | None]:
    """(cast expression, failure condition or None) for one declared column."""
    col = _q(name)
    duck = TYPES[spec_type][2]
    if spec_type == "text":
        if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
            return col, None
        return f"cast({col} as varchar)", None
    if spec_type == "json":
        if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
            return col, None
        return f"cast(to_json({col}) as varchar)", None
    source = col
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        source = f"nullif(trim({col}), '')"
    if spec_type == "timestamp" and pa.types.is_timestamp(arrow_type):
        return f"cast({col} as timestamptz)", None
    cast = f"try_cast({source} as {duck})"
    return cast, f"{source} is not null and {cast} is null"


def validate(batch: pa.Table, spec: TableSpec, source: str, origin: str = "") -> Validated:
    """Split `batch` into rows cast to `spec` and quarantined rows with their reasons.

    `source` names the source system, `origin` where the batch came from (endpoint, file) so
    a quarantined row can be traced back."""
    if batch.num_rows == 0:
        return Validated(_empty_good(spec, batch), QUARANTINE_SCHEMA.empty_table())
    return split_checked(check_table(thread_connection(), batch, spec), spec, source, origin=origin)


def check_table(con: duckdb.DuckDBPyConnection, table: pa.Table, spec: TableSpec) -> pa.Table:
    """`checked_sql` run over an Arrow table on `con` (for `split_checked`)."""
    con.register("__batch", table)
    try:
        return con.sql(checked_sql(spec, table.schema, "__batch")).to_arrow_table()
    finally:
        con.unregister("__batch")


def checked_sql(spec: TableSpec, present: pa.Schema, src: str) -> str:
    """One query over `src` (a table name or a parenthesised subquery whose columns have the
    types of `present`) that casts and checks every row in a single pass: the spec's columns
    cast (missing ones null), the columns the spec does not know as they came, then
    `__errors` (one 'field|message' per failed check; empty for a good row) and, for failed
    rows only, `__key` (the primary key as text) and `__raw` (the input row as JSON).
    `split_checked` turns its result into good rows and quarantine rows."""
    types = {f.name: f.type for f in present}
    select, errors = [], []
    for c in spec.columns:
        if c.name in types:
            expr, fail = _cast_expr(c.name, c.type, types[c.name])
            if fail:
                errors.append(
                    f"case when {fail} then {_lit(c.name)} || '|' || 'value '"
                    f" || left(cast({_q(c.name)} as varchar), 80)"
                    f" || ' is not a valid {c.type}' end")
        else:
            expr = f"cast(null as {TYPES[c.type][2]})"
        select.append(f"{expr} as {_q(c.name)}")
    for name in spec.required():
        if name in types:
            blank = (f" or trim(cast({_q(name)} as varchar)) = ''"
                     if not pa.types.is_list(types[name]) else "")
            errors.insert(0, f"case when {_q(name)} is null{blank} then "
                             f"{_lit(name)} || '|missing required field' end")
        else:
            errors.insert(0, f"{_lit(name)} || '|missing required field'")
    select += [_q(n) for n in types if n not in spec.column_names]
    err_list = "list_filter([" + ", ".join(errors or ["cast(null as varchar)"]) + \
        "], lambda e: e is not null)"
    key_expr = " || '/' || ".join(
        f"coalesce(cast({_q(k)} as varchar), '<null>')" if k in types else "'<null>'"
        for k in spec.primary_key)
    # the raw record as JSON only for failing rows (CASE evaluates it for those rows only):
    # to_json over every row cost ~2/3 of a clean batch's validation time
    raw_expr = "cast(to_json({" + ", ".join(
        f"{_lit(n)}: {_q(n)}" for n in types) + "}) as varchar)"
    return f"""
        select {', '.join(select)}, __errors,
               case when len(__errors) > 0 then {key_expr} end as __key,
               case when len(__errors) > 0 then {raw_expr} end as __raw
        from (select *, {err_list} as __errors from {src}) as __b
    """


_CHECK_COLUMNS = ["__errors", "__key", "__raw"]


def split_checked(checked: pa.Table, spec: TableSpec, source: str, origin: str = "",
                  origin_column: str | None = None) -> Validated:
    """The result of `checked_sql` as (good rows conformed to the spec, quarantine rows).
    A quarantined row's origin is `origin`, or its own `origin_column` value if given.
    Copies nothing when every row passed (the common case)."""
    extra = [n for n in checked.schema.names
             if n not in spec.column_names and n not in _CHECK_COLUMNS]
    failed = pc.greater(pc.list_value_length(checked["__errors"]), 0)
    if not pc.any(failed).as_py():
        good, bad = checked, checked.slice(0, 0)
    else:
        good, bad = checked.filter(pc.invert(failed)), checked.filter(failed)
    good = _conform(good.drop_columns(_CHECK_COLUMNS), spec, extra)
    errors = bad["__errors"].to_pylist()
    origins = bad[origin_column].to_pylist() if origin_column else [origin] * bad.num_rows
    n = bad.num_rows
    quarantine = pa.table({
        "source": pa.array([source] * n, pa.string()),
        "table_name": pa.array([spec.name] * n, pa.string()),
        "record_key": bad["__key"].cast(pa.string()),
        "field": pa.array([e[0].split("|")[0] for e in errors], pa.string()),
        "reason": pa.array(["; ".join(": ".join(_field_message(x)) for x in e)
                            for e in errors], pa.string()),
        "raw_record": bad["__raw"].cast(pa.string()),
        "origin": pa.array([str(o or "") for o in origins], pa.string()),
        "quarantined_at": pa.array([datetime.now(UTC)] * n, pa.timestamp("us", tz="UTC")),
    }, schema=QUARANTINE_SCHEMA)
    return Validated(good, quarantine)


def _field_message(error: str) -> tuple[str, str]:
    """'field|message' -> (field, message), as SQL's split_part(e, '|', 1 and 2) did."""
    parts = error.split("|")
    return parts[0], parts[1] if len(parts) > 1 else ""


def _conform(table: pa.Table, spec: TableSpec, extra: list[str]) -> pa.Table:
    """Give declared columns exactly their spec's Arrow types (DuckDB may hand back e.g.
    timestamp[us, tz=UTC] vs [ns]), primary-key columns non-nullable as the dlt hints say
    (validation removed null keys); extras stay as they came."""
    fields = [pa.field(c.name, TYPES[c.type][0], nullable=c.name not in spec.primary_key)
              for c in spec.columns]
    fields += [table.schema.field(n) for n in extra]
    return table.cast(pa.schema(fields))


def _empty_good(spec: TableSpec, batch: pa.Table) -> pa.Table:
    schema = spec.arrow_schema()
    for f in batch.schema:
        if f.name not in spec.column_names:
            schema = schema.append(f)
    return schema.empty_table()
