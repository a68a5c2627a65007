"""Write the demo vendor store as export folders (the connectors' export-folder transport).

`write_exports(data_dir, out_dir, fmt)` writes one file per raw table, `<out_dir>/<table>.<ext>`,
in flat-record columns (docs/sources.md) with the planted faults of `faults.json` applied —
the same records the stand-in APIs serve, as a team would get them from a vendor export:

- parquet: the store's Arrow types; a column that receives a fault value its type cannot
  hold (e.g. "abc" in a double column) is written as text for the whole file (ISO-8601
  timestamps, numbers as text, lists as JSON) so the bad value reaches the connector.
- csv: header row; timestamps ISO-8601 with `Z`, lists as JSON arrays, booleans
  `true`/`false`, null = empty unquoted field (an empty string is `""`).
- jsonl: one JSON object per line with native types, ISO timestamps and list arrays.

Table names are unique across systems, so one folder can serve every source; pass
`systems=("crm",)` to write one source's tables only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ingestion.demo.standin.jsonenc import dumps, text_values
from ingestion.demo.standin.shapes import CHUNK, flat_rows
from ingestion.demo.standin.store import (
    SPECS,
    TableData,
    fault_rows,
    read_faults,
    read_table,
    vendor_dir,
)

FORMATS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}


def write_exports(data_dir: str | os.PathLike, out_dir: str | os.PathLike,
                  fmt: str = "parquet", systems: Iterable[str] | None = None) -> dict[str, Path]:
    """Write every table of the vendor store under `data_dir` to `out_dir`; returns
    {table: path}."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {sorted(FORMATS)}")
    vdir = vendor_dir(data_dir)
    faults = read_faults(vdir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(systems) if systems is not None else set(SPECS)
    written: dict[str, Path] = {}
    for system, specs in SPECS.items():
        if system not in wanted:
            continue
        for name, spec in specs.items():
            table = read_table(vdir, system, name)
            mine = [f for f in faults if f["system"] == system and f["table"] == name]
            rows = fault_rows(table, spec.primary_key[0], mine)
            path = out / f"{name}.{FORMATS[fmt]}"
            tmp = path.with_name(path.name + ".tmp")
            if fmt == "jsonl":
                _write_jsonl(TableData(system, name, spec, table, None, rows), tmp)
            elif fmt == "csv":
                pacsv.write_csv(_csv_table(table, rows), tmp)
            else:
                pq.write_table(_typed_table(table, rows), tmp)
            tmp.replace(path)  # readers never see a half-written file
            written[name] = path
    return written


def _by_field(rows: dict[int, list]) -> dict[str, dict[int, Any]]:
    fields: dict[str, dict[int, Any]] = {}
    for pos, items in rows.items():
        for field, value in items:
            fields.setdefault(field, {})[pos] = value
    return fields


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return dumps(value)


def _set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, values)
    return table.append_column(name, values)


def _typed_table(table: pa.Table, rows: dict[int, list]) -> pa.Table:
    for field, fixes in _by_field(rows).items():
        col = table.column(field) if field in table.column_names else \
            pa.nulls(table.num_rows, pa.string())
        values = col.to_pylist()
        for pos, value in fixes.items():
            values[pos] = value
        try:
            new = pa.array(values, col.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            text = text_values(col).to_pylist()
            for pos, value in fixes.items():
                text[pos] = _as_text(value)
            new = pa.array(text, pa.string())
        table = _set_column(table, field, new)
    return table


def _csv_table(table: pa.Table, rows: dict[int, list]) -> pa.Table:
    fixes = _by_field(rows)
    for name in table.column_names:
        col = table.column(name)
        t = col.type
        if name in fixes or not (pa.types.is_integer(t) or pa.types.is_floating(t)
                                 or pa.types.is_boolean(t) or pa.types.is_string(t)):
            text = text_values(col)
            if name in fixes:
                values = text.to_pylist()
                for pos, value in fixes[name].items():
                    values[pos] = _as_text(value)
                text = pa.array(values, pa.string())
            table = _set_column(table, name, text)
    for name in fixes.keys() - set(table.column_names):
        values: list[Any] = [None] * table.num_rows
        for pos, value in fixes[name].items():
            values[pos] = _as_text(value)
        table = table.append_column(name, pa.array(values, pa.string()))
    return table


def _write_jsonl(t: TableData, path: Path) -> None:
    with open(path, "wb") as fh:
        for lo in range(0, t.n, CHUNK):
            rows = flat_rows(t, lo, min(t.n, lo + CHUNK))
            fh.write(("\n".join(rows.to_pylist()) + "\n").encode())
