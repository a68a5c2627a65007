"""Right to erasure (`cxm erase`): remove one person from every layer and record the request
without personal data (docs/operations.md, "Erasure requests").

1. Resolve the request to a person with the identity mapping: the customer_id (a retired id
   resolves through int_identity__customer_id_history), every identifier of the person
   (int_identity__identifiers) and every customer_id ever issued to them.
2. Add the keys of the records the person owns (orders, deals, tickets: `RECORD_TYPES`),
   which child records (line items, stage history, ticket events, ratings) reference.
3. In one transaction on warehouse.duckdb: append the request (keyed hashes only) to the
   register, delete the person's rows from every raw table (the same hash predicate the
   ingestion filter uses, `ingestion.common.erasure`), from the `_quarantine` tables, from the
   models that keep history (incremental models, snapshots: `HISTORY`) and every table
   with a customer_id column; commit.
4. Rewrite the landing files that mention the person (orchestration/erase_landing.py).
5. The caller rebuilds the derived tables and republishes (`cxm erase` runs the Dagster job
   `rebuild`: dbt build + tests + publish).

One writer: the warehouse is opened read-write, which fails while a job writes it; then
nothing is changed and `WarehouseBusy` says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion import paths
from ingestion.common.erasure import (
    ERASED_TABLE,
    RECORD_TYPES,
    ErasureRequest,
    append_request,
    identifier_hash,
    key_check,
    load_key,
    matches_sql,
    normalize,
    raw_record_columns,
    spec_columns,
)
from ingestion.common.schema import TableSpec
from ingestion.common.validate import QUARANTINE_TABLE
from ingestion.lock import WarehouseBusy
from ingestion.pipeline import table_specs
from orchestration.erase_landing import (
    MIN_SUBSTRING,
    LandingReport,
    erase_landing,
    purge_loaded_jobs,
)

# dbt relations that keep history across runs (incremental models, snapshots): what of them
# names a person, column -> identifier type. tests/privacy checks that every incremental
# model and snapshot of the dbt project is listed here (tables with a customer_id column
# are cleaned by customer_id in addition).
HISTORY: dict[str, dict[str, str]] = {
    "int_web__sessions": {"anonymous_id": "anonymous_id", "app_user_id": "app_user_id"},
    "int_identity__web_identities": {"anonymous_id": "anonymous_id",
                                     "app_user_id": "app_user_id", "email": "email"},
    "int_identity__customer_id_history": {},  # cleaned by customer_id
    "crm_contacts_snapshot": {"contact_id": "crm_contact_id"},
}
CUSTOMER_ID_COLUMNS = ("customer_id", "current_customer_id")


class UnknownPerson(LookupError):
    pass


@dataclass
class Person:
    customer_id: str
    customer_ids: list[str]  # every id ever issued to the person (retired ones included)
    identifiers: list[tuple[str, str]]  # (identifier type, normalised value)

    def type_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t, _ in self.identifiers:
            counts[t] = counts.get(t, 0) + 1
        return dict(sorted(counts.items()))


@dataclass
class ErasureReport:
    request_id: str | None
    dry_run: bool
    identifiers: dict[str, int]  # identifier type -> how many (no values)
    customer_ids: int
    deleted: dict[str, int] = field(default_factory=dict)  # layer/table -> rows
    landing: LandingReport = field(default_factory=LandingReport)
    load_files: int = 0  # dlt job files of loaded packages removed (copies of raw rows)
    register: Path | None = None

    def render(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        ids = ", ".join(f"{n} {t}" for t, n in self.identifiers.items())
        lines = [f"erasure {'(dry run) ' if self.dry_run else ''}"
                 f"{self.request_id or ''}".rstrip(),
                 f"  person: {self.customer_ids} customer id(s); identifiers: {ids}"]
        for layer in ("raw", "quarantine", "history", "customer_id"):
            rows = {k.split(":", 1)[1]: n for k, n in self.deleted.items()
                    if k.startswith(layer + ":") and n}
            lines.append(f"  {layer:<13}{verb} {sum(rows.values()):>8,} rows"
                         + (f" ({', '.join(f'{k} {n:,}' for k, n in sorted(rows.items()))})"
                            if rows else ""))
        lines.append(f"  {'landing':<13}{verb} {self.landing.records_removed:>8,} records in "
                     f"{len(self.landing.files_rewritten)} of {self.landing.files_scanned} "
                     "files")
        lines.append(f"  {'dlt packages':<13}{verb} {self.load_files:>8,} job files of loaded "
                     "packages (copies of raw rows)")
        if self.register:
            lines.append(f"  recorded (keyed hashes only) in {self.register}")
        return "\n".join(lines)


def raw_specs() -> list[tuple[str, TableSpec]]:
    """(schema, spec) of every raw table the sources load, and of its copy in dlt's staging
    dataset (`raw_<source>_staging`: the rows of the last merge load)."""
    return [(schema, spec) for s, specs in table_specs().items() for spec in specs.values()
            for schema in (f"raw_{s}", f"raw_{s}_staging")]


def open_writer(base: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    db = paths.warehouse_path(base)
    if not db.exists():
        raise UnknownPerson(f"no warehouse at {db}: nothing loaded yet")
    try:
        return duckdb.connect(str(db))
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise WarehouseBusy(
                f"{db} is open by another process (a job writing it?): erasure writes the "
                "warehouse and DuckDB has one writer; run it again when the job finished. "
                "Nothing was changed.") from e
        raise


def _tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(schema, name) of every base table of the warehouse."""
    return {(s, n) for s, n in con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() and table_type = 'BASE TABLE'").fetchall()}


def _by_name(tables: set[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """table name -> (schema, name); the first schema in order wins a name."""
    out: dict[str, tuple[str, str]] = {}
    for schema, name in sorted(tables):
        out.setdefault(name, (schema, name))
    return out


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = "
        "current_database() and table_schema = ? and table_name = ?", [schema, table]).fetchall()]


def _rel(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def resolve(con: duckdb.DuckDBPyConnection, email: str | None = None,
            customer_id: str | None = None) -> Person:
    rels = _by_name(_tables(con))
    if "int_identity__identifiers" not in rels:
        raise UnknownPerson("the warehouse has no identity mapping yet: run the pipeline first")
    ids = _rel(*rels["int_identity__identifiers"])
    hist = _rel(*rels["int_identity__customer_id_history"]) \
        if "int_identity__customer_id_history" in rels else None
    if email is not None:
        found = con.execute(f"select customer_id from {ids} where identifier_type = 'email' "
                            "and identifier_value = ?", [normalize("email", email)]).fetchone()
        what = "email"
    else:
        cid = (customer_id or "").strip()
        found = con.execute(f"select customer_id from {ids} where customer_id = ? limit 1",
                            [cid]).fetchone()
        if found is None and hist:
            found = con.execute(f"select current_customer_id from {hist} where customer_id = ? "
                                "and current_customer_id is not null", [cid]).fetchone()
        what = "customer id"
    if found is None:
        raise UnknownPerson(f"no person with this {what} in the identity mapping; "
                            "nothing was changed")
    cid = found[0]
    identifiers = [(t, v) for t, v in con.execute(
        f"select identifier_type, identifier_value from {ids} where customer_id = ? "
        "order by 1, 2", [cid]).fetchall()]
    retired = [r[0] for r in con.execute(
        f"select customer_id from {hist} where current_customer_id = ? and customer_id <> ?",
        [cid, cid]).fetchall()] if hist else []
    return Person(cid, [cid, *sorted(retired)], identifiers)


class _Keys:
    """The person's keys (type, normalised value) and their hashes, registered on `con` as
    the relation the hash predicate reads."""

    def __init__(self, con: duckdb.DuckDBPyConnection, key: bytes,
                 keys: Iterable[tuple[str, str]]):
        self.con, self.key, self.keys = con, key, set(keys)
        self._register()

    def _register(self) -> None:
        self.con.register(ERASED_TABLE, pa.table({"hash": pa.array(
            sorted({identifier_hash(self.key, t, v) for t, v in self.keys}), pa.string())}))

    def add(self, keys: Iterable[tuple[str, str]]) -> bool:
        new = set(keys) - self.keys
        if new:
            self.keys |= new
            self._register()
        return bool(new)

    def values(self) -> dict[str, set[str]]:
        """identifier type -> the person's normalised values of it."""
        out: dict[str, set[str]] = {}
        for t, v in self.keys:
            out.setdefault(t, set()).add(v)
        return out

    def hashes(self) -> list[dict[str, str]]:
        return [{"type": t, "hash": identifier_hash(self.key, t, v) or ""}
                for t, v in sorted(self.keys)]


def _owned_records(con: duckdb.DuckDBPyConnection, keys: _Keys,
                   specs: list[tuple[str, TableSpec]], present: set[tuple[str, str]]) -> None:
    """Add the keys of the records the person owns (a table whose primary key is a record
    type, e.g. orders.id), until nothing new is found (orders -> line items etc.)."""
    for _ in range(5):
        found: set[tuple[str, str]] = set()
        for schema, spec in specs:
            pk = spec.primary_key[0]
            kind = spec.identifiers.get(pk)
            if kind not in RECORD_TYPES or (schema, spec.name) not in present:
                continue
            cols = spec_columns(spec, _columns(con, schema, spec.name))
            rel = _rel(schema, spec.name)
            found |= {(kind, normalize(kind, r[0])) for r in con.execute(
                f'select distinct "{pk}" from {rel} '
                f"where {matches_sql(cols, keys.key, rel)}").fetchall()}
        if not keys.add(found):
            return


def _delete(con: duckdb.DuckDBPyConnection, rel: str, where: str, dry_run: bool,
            params: list | None = None) -> int:
    """Delete the rows of `rel` matching `where` (count them on a dry run)."""
    sql = f"{'select count(*) from' if dry_run else 'delete from'} {rel} where {where}"
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row else 0


def _delete_raw(con: duckdb.DuckDBPyConnection, person: Person, keys: _Keys,
                specs: list[tuple[str, TableSpec]], present: set[tuple[str, str]],
                dry_run: bool) -> dict[str, int]:
    """The raw tables (the ingestion filter's predicate) and the `_quarantine` tables
    (identifier fields of the raw record, or a long identifier anywhere in its text)."""
    deleted: dict[str, int] = {}
    for schema, spec in specs:
        cols = spec_columns(spec, _columns(con, schema, spec.name)) \
            if (schema, spec.name) in present else {}
        if cols:
            rel = _rel(schema, spec.name)
            deleted[f"raw:{schema}.{spec.name}"] = _delete(
                con, rel, matches_sql(cols, keys.key, rel), dry_run)
    long_values = sorted({v.lower() for _, v in person.identifiers if len(v) >= MIN_SUBSTRING})
    for schema in sorted({s for s, _ in specs}):
        if (schema, QUARANTINE_TABLE) in present:
            rel = _rel(schema, QUARANTINE_TABLE)
            tests = [f"(table_name = '{spec.name}' and "
                     f"{matches_sql(raw_record_columns(spec), keys.key, rel)})"
                     for s, spec in specs if s == schema and spec.identifiers]
            tests.append("len(list_filter(?, lambda x: contains(lower(raw_record), x))) > 0")
            deleted[f"quarantine:{schema}"] = _delete(con, rel, " or ".join(tests), dry_run,
                                                      [long_values])
    return deleted


def _delete_derived(con: duckdb.DuckDBPyConnection, person: Person, keys: _Keys,
                    present: set[tuple[str, str]], dry_run: bool) -> dict[str, int]:
    """The relations that keep history (`HISTORY`: by the person's identifiers or customer
    ids) and every other table with a customer id column (the rebuild recomputes those;
    cleaning them now leaves no trace even if the rebuild fails). One statement per table,
    so a dry run counts each row once."""
    deleted: dict[str, int] = {}
    for schema, name in sorted(present):
        if schema.startswith("raw_"):
            continue
        rel = _rel(schema, name)
        cols = [c for c in _columns(con, schema, name) if c in CUSTOMER_ID_COLUMNS]
        tests = [f'"{c}" in (select unnest(?))' for c in cols]
        params = [person.customer_ids] * len(cols)
        if HISTORY.get(name):
            tests.insert(0, matches_sql({f'"{c}"': t for c, t in HISTORY[name].items()},
                                        keys.key, rel))
        if tests:
            key = f"history:{name}" if name in HISTORY else f"customer_id:{schema}.{name}"
            deleted[key] = _delete(con, rel, " or ".join(f"({t})" for t in tests), dry_run,
                                   params)
    return deleted


def erase(base: str | Path | None = None, email: str | None = None,
          customer_id: str | None = None, dry_run: bool = False) -> ErasureReport:
    """Remove the person named by `email` or `customer_id` from the warehouse and the landing
    files and record the request (see the module doc). Raises `UnknownPerson` or
    `WarehouseBusy` with nothing changed. The derived tables and published.duckdb still
    hold the person until the caller rebuilds (`cxm erase` does)."""
    if (email is None) == (customer_id is None):
        raise ValueError("give exactly one of email or customer_id")
    con = open_writer(base)
    try:
        person = resolve(con, email=email, customer_id=customer_id)
        key = load_key(base, create=not dry_run) or b"dry-run"
        keys = _Keys(con, key, person.identifiers)
        specs = raw_specs()
        present = _tables(con)
        _owned_records(con, keys, specs, present)
        report = ErasureReport(None if dry_run else uuid.uuid4().hex, dry_run,
                               person.type_counts(), len(person.customer_ids))
        # the files first: if the transaction fails, the person is still resolvable and a
        # second request completes the erasure
        from orchestration.automation import web_events_dir
        report.landing = erase_landing(paths.landing_dir(base), web_events_dir(base),
                                       keys.values(), dry_run)
        report.load_files = purge_loaded_jobs(paths.pipelines_dir(base), dry_run)
        con.execute("begin transaction")
        report.deleted = {**_delete_raw(con, person, keys, specs, present, dry_run),
                          **_delete_derived(con, person, keys, present, dry_run)}
        if not dry_run:
            counts = {k: v for k, v in report.deleted.items() if v}
            counts["landing:records"] = report.landing.records_removed
            report.register = append_request(ErasureRequest(
                report.request_id or "", datetime.now(UTC).isoformat(timespec="seconds"),
                keys.hashes(), counts, key_check(key)), base)
        con.execute("rollback" if dry_run else "commit")
    finally:
        con.close()
    return report
