"""Declarative table specs: the contract of docs/sources.md in code.

A `TableSpec` says which columns a raw table has, their types, its primary key and its
incremental cursor. The validator casts incoming Arrow batches to these types and quarantines
rows that do not fit; the dlt resources take their column hints from the same spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

# spec type -> (arrow type, dlt data_type, duckdb type used for TRY_CAST)
TYPES: dict[str, tuple[pa.DataType, str, str]] = {
    "text": (pa.string(), "text", "VARCHAR"),
    "bigint": (pa.int64(), "bigint", "BIGINT"),
    "double": (pa.float64(), "double", "DOUBLE"),
    "bool": (pa.bool_(), "bool", "BOOLEAN"),
    "timestamp": (pa.timestamp("us", tz="UTC"), "timestamp", "TIMESTAMPTZ"),
    "date": (pa.date32(), "date", "DATE"),
    "text[]": (pa.list_(pa.string()), "json", "VARCHAR[]"),
    "json": (pa.string(), "json", "JSON"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    required: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name!r}: unknown type {self.type!r}")


@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    cursor: str | None = None
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # column -> identifier type (ingestion.common.erasure) of the columns that name a person
    # or a record a person owns: what an erasure request deletes and later loads drop
    identifiers: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        missing = [k for k in (*self.primary_key, *([self.cursor] if self.cursor else []))
                   if k not in names]
        if missing:
            raise ValueError(f"table {self.name!r}: key/cursor columns {missing} not declared")
        unknown = [c for c in self.identifiers if c not in names]
        if unknown:
            raise ValueError(f"table {self.name!r}: identifier columns {unknown} not declared")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def required(self) -> list[str]:
        """Columns that must be present and non-null: the primary key, the cursor, and
        columns declared required."""
        req = list(self.primary_key)
        if self.cursor and self.cursor not in req:
            req.append(self.cursor)
        req += [c.name for c in self.columns if c.required and c.name not in req]
        return req

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, TYPES[c.type][0]) for c in self.columns])

    def dlt_columns(self) -> dict[str, dict]:
        """Column hints for `@dlt.resource(columns=...)`."""
        hints: dict[str, dict] = {}
        for c in self.columns:
            hint: dict = {"name": c.name, "data_type": TYPES[c.type][1],
                          "nullable": c.name not in self.primary_key}
            if c.type == "timestamp":
                hint["timezone"] = True
            if c.name in self.primary_key:
                hint["primary_key"] = True
            hints[c.name] = hint
        return hints


def cols(spec: str) -> tuple[Column, ...]:
    """Compact column declaration: "id:bigint! name email created_at:timestamp".

    `name:type` (default text); a trailing `!` marks the column required."""
    out = []
    for token in spec.split():
        required = token.endswith("!")
        token = token.rstrip("!")
        name, _, typ = token.partition(":")
        out.append(Column(name, typ or "text", required))
    return tuple(out)
