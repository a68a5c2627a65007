"""The vendor store as the stand-in sees it: sorted Arrow tables, numpy cursor keys, faults.

`<data_dir>/demo/vendor/<system>/<table>.parquet` (flat-record columns, docs/sources.md) and
`<data_dir>/demo/vendor/faults.json`. Each served table is sorted once by (cursor field, id)
and keeps its cursor field as an int64 numpy array of microseconds, so a filter is a
`searchsorted` and a page is a zero-copy slice. Sibling tables (deal stage history, ticket
event children) are grouped under their parent rows.
"""

from __future__ import annotations

import base64
import bisect
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.common.schema import TableSpec
from ingestion.crm.schema import TABLES as CRM_TABLES
from ingestion.demo.standin.jsonenc import micros
from ingestion.marketing.schema import API_TABLES as MARKETING_TABLES
from ingestion.support.schema import TABLES as SUPPORT_TABLES

SPECS: dict[str, dict[str, TableSpec]] = {
    "crm": CRM_TABLES,
    "support": SUPPORT_TABLES,
    "marketing": MARKETING_TABLES,
}
# sibling table -> (parent table, column holding the parent id, order within a parent)
SIBLINGS: dict[tuple[str, str], tuple[str, str, tuple[tuple[str, str], ...]]] = {
    ("crm", "deal_stage_history"): (
        "deals", "deal_id", (("changed_at", "descending"),)),  # HubSpot lists newest first
    ("support", "ticket_event_children"): ("ticket_events", "audit_id", (("id", "ascending"),)),
}
MAX_KEY = int(np.iinfo(np.int64).max)
MIN_KEY = int(np.iinfo(np.int64).min)
SYSTEMS = tuple(SPECS)


class CursorError(ValueError):
    """A cursor that this stand-in did not issue (or for another table)."""


def vendor_dir(data_dir: str | os.PathLike) -> Path:
    """Locate the vendor store: `<data_dir>/demo/vendor`, or the vendor folder itself."""
    root = Path(data_dir)
    for candidate in (root / "demo" / "vendor", root / "vendor", root):
        if any((candidate / s).is_dir() for s in SYSTEMS):
            return candidate
    raise FileNotFoundError(
        f"no vendor store under {root}: expected {root / 'demo' / 'vendor'}/<system>/<table>."
        "parquet (run the demo generator first)")


def read_faults(vdir: Path) -> list[dict[str, Any]]:
    path = vdir / "faults.json"
    if not path.exists():
        return []
    faults = json.loads(path.read_text())
    if not isinstance(faults, list):
        raise ValueError(f"{path}: expected a JSON list of faults")
    required = {"system", "table", "id", "field"}
    return [f for f in faults if isinstance(f, dict) and required <= f.keys()]


def read_table(vdir: Path, system: str, name: str) -> pa.Table:
    """One vendor table in flat-record columns; missing file/columns -> nulls of the spec type."""
    spec = SPECS[system][name]
    path = vdir / system / f"{name}.parquet"
    # ParquetFile, not pq.read_table: the dataset layer would import pandas (~2 s)
    table = pq.ParquetFile(path).read() if path.exists() else spec.arrow_schema().empty_table()
    for col in spec.columns:
        if col.name not in table.column_names:
            typ = spec.arrow_schema().field(col.name).type
            table = table.append_column(col.name, pa.nulls(table.num_rows, typ))
    return table.combine_chunks()


def fault_rows(table: pa.Table, key: str, faults: list[dict[str, Any]]) -> dict[int, list]:
    """Row position -> [(field, value)] for the faults whose id matches `key` of that row."""
    if not faults or table.num_rows == 0:
        return {}
    by_id: dict[str, list] = {}
    for f in faults:
        by_id.setdefault(str(f["id"]), []).append((f["field"], f.get("value")))
    ids = pc.cast(table.column(key), pa.string())
    hit = pc.is_in(ids, value_set=pa.array(list(by_id), pa.string()))
    positions = np.flatnonzero(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))
    ids_hit = ids.take(pa.array(positions)).to_pylist() if len(positions) else []
    return {int(p): by_id[i] for p, i in zip(positions, ids_hit, strict=True)}


def _clamp(us: int) -> np.int64:
    return np.int64(min(max(int(us), MIN_KEY), MAX_KEY))


def _keys(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if not pa.types.is_timestamp(col.type):
        col = pc.cast(col, pa.timestamp("us", tz="UTC"))
    return pc.fill_null(micros(col), MAX_KEY).to_numpy().astype(np.int64, copy=False)


@dataclass
class TableData:
    """One table of the store, sorted for serving."""

    system: str
    name: str
    spec: TableSpec
    table: pa.Table
    keys: np.ndarray | None  # cursor field, µs, ascending (served tables only)
    faults: dict[int, list]  # sorted row position -> [(field, value)]

    def __post_init__(self) -> None:
        self.n = self.table.num_rows
        self.ids = self.table.column(self.spec.primary_key[0]).combine_chunks()

    def lower(self, us: int) -> int:
        """First row whose cursor field is >= us."""
        return int(np.searchsorted(self.keys, _clamp(us), "left"))

    def upper(self, us: int) -> int:
        """First row whose cursor field is > us."""
        return int(np.searchsorted(self.keys, _clamp(us), "right"))

    def after(self, us: int, last_id: Any) -> int:
        """First row whose (cursor field, id) is > (us, last_id); last_id None = any id."""
        hi = self.upper(us)
        if last_id is None:
            return hi
        lo = self.lower(us)
        tied = self.ids.slice(lo, hi - lo).to_pylist()
        try:
            return lo + bisect.bisect_right(tied, last_id)
        except TypeError:
            return lo + bisect.bisect_right([str(t) for t in tied], str(last_id))

    def faults_in(self, lo: int, hi: int) -> dict[int, list]:
        if not self.faults:
            return {}
        return {p - lo: f for p, f in self.faults.items() if lo <= p < hi}


@dataclass
class Group:
    """Sibling rows (child) grouped under the sorted rows of their parent."""

    child: TableData
    parent_codes: np.ndarray  # per parent row
    child_codes: np.ndarray  # per child row, ascending

    def rows_for(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Child row positions for parent rows lo..hi (in order) and the count per parent."""
        codes = self.parent_codes[lo:hi]
        starts = np.searchsorted(self.child_codes, codes, "left")
        counts = np.searchsorted(self.child_codes, codes, "right") - starts
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64), counts
        run_starts = np.cumsum(counts) - counts
        idx = np.arange(total) - np.repeat(run_starts, counts) + np.repeat(starts, counts)
        return idx.astype(np.int64), counts


class Store:
    """The whole vendor store, immutable once loaded (reload = build a new Store)."""

    def __init__(self, data_dir: str | os.PathLike):
        self.vdir = vendor_dir(data_dir)
        self.generation = uuid.uuid4().hex[:12]
        self.faults = read_faults(self.vdir)
        faults_by_table: dict[tuple[str, str], list] = {}
        for f in self.faults:
            faults_by_table.setdefault((f["system"], f["table"]), []).append(f)
        self.tables: dict[tuple[str, str], TableData] = {}
        self.groups: dict[tuple[str, str], Group] = {}
        for system, specs in SPECS.items():
            for name, spec in specs.items():
                if (system, name) in SIBLINGS:
                    continue
                table = read_table(self.vdir, system, name)
                keys = _keys(table.column(spec.cursor))
                order = pc.sort_indices(
                    pa.table({"k": keys, "id": table.column(spec.primary_key[0])}),
                    sort_keys=[("k", "ascending"), ("id", "ascending")])
                table = table.take(order).combine_chunks()
                keys = keys[order.to_numpy()]
                self.tables[system, name] = TableData(
                    system, name, spec, table, keys,
                    fault_rows(table, spec.primary_key[0], faults_by_table.get((system, name), [])))
        for (system, name), (parent_name, parent_col, order_by) in SIBLINGS.items():
            spec = SPECS[system][name]
            parent = self.tables[system, parent_name]
            table = read_table(self.vdir, system, name)
            uniq = pc.unique(pc.cast(parent.ids, pa.string()))
            parent_codes = pc.index_in(pc.cast(parent.ids, pa.string()), value_set=uniq)
            codes = pc.fill_null(
                pc.index_in(pc.cast(table.column(parent_col), pa.string()), value_set=uniq), -1)
            keyed = table.append_column("__code", pc.cast(codes, pa.int64()))
            order = pc.sort_indices(keyed, sort_keys=[("__code", "ascending"), *order_by])
            table = table.take(order).combine_chunks()
            child_codes = pc.cast(codes, pa.int64()).to_numpy()[order.to_numpy()]
            child = TableData(
                system, name, spec, table, None,
                fault_rows(table, spec.primary_key[0], faults_by_table.get((system, name), [])))
            self.tables[system, name] = child
            parent_codes = pc.cast(parent_codes, pa.int64()).to_numpy(zero_copy_only=False)
            self.groups[system, parent_name] = Group(child, parent_codes, child_codes)

    def table(self, system: str, name: str) -> TableData:
        return self.tables[system, name]

    # -- cursors ---------------------------------------------------------------------------

    def make_cursor(self, t: TableData, pos: int, floor_us: int | None = None) -> str:
        """Opaque cursor for "continue at row `pos`" (see `resolve_cursor`)."""
        c: dict[str, Any] = {"t": f"{t.system}.{t.name}", "g": self.generation, "p": pos}
        if pos > 0:
            c["u"] = int(t.keys[pos - 1])
            c["i"] = t.ids[pos - 1].as_py()
        if floor_us is not None:
            c["f"] = int(floor_us)
        raw = json.dumps(c, separators=(",", ":"), default=str).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def resolve_cursor(self, t: TableData, token: str) -> tuple[int, int | None]:
        """(row position a cursor continues at, the original filter floor in µs or None).

        Same store generation: the exact position; after a reload: the first row after the
        last one returned (keyset), never before the original filter."""
        try:
            pad = "=" * (-len(token) % 4)
            c = json.loads(base64.urlsafe_b64decode(token + pad))
            table_name, pos = c["t"], int(c["p"])
        except Exception as exc:  # any garbage is a client error
            raise CursorError(f"invalid cursor {token!r}") from exc
        if table_name != f"{t.system}.{t.name}":
            raise CursorError(f"cursor {token!r} belongs to {table_name}, not {t.name}")
        floor = int(c["f"]) if "f" in c else None
        if c.get("g") == self.generation:
            return max(0, min(pos, t.n)), floor
        start = t.after(int(c["u"]), c.get("i")) if "u" in c else 0
        if floor is not None:
            start = max(start, t.lower(floor))
        return start, floor
