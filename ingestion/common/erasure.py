"""Right to erasure at the door: the register of erased people and the filter every load
applies (docs/operations.md, "Erasure requests"; docs/decisions.md 2026-12-02).

`cxm erase` (orchestration/erase.py) removes a person from the warehouse and appends a request
to `$CXM_DATA_DIR/privacy/erasure_requests.jsonl`: a request id, the time, and for each erased
identifier only a keyed hash, HMAC-SHA256 over `'<identifier type>:<normalised value>'` with a
per-installation key (`$CXM_ERASURE_KEY`, else `privacy/erasure.key`, generated once). No
personal data is kept, and without the key nobody can test an address against the register.

Every load honours the register: `drop_erased` runs in `ingestion.common.emit.emit`, the one
place every source (API pages, export files, web event files) passes its validated rows
through. A row whose declared identifier columns (`TableSpec.identifiers`) hash to an erased
value is dropped and counted as erased (not quarantined: quarantine would keep the personal
data). The hashing runs in DuckDB over the whole Arrow batch (HMAC from `sha256`), so the web
path stays vectorised; with an empty register nothing runs at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion import paths
from ingestion.common.duck import quote_ident as _q
from ingestion.common.duck import thread_connection
from ingestion.common.schema import TableSpec
from ingestion.common.validate import Validated

KEY_ENV = "CXM_ERASURE_KEY"
# identifier types of the identity graph (dbt macro identifier_types()) ...
IDENTITY_TYPES = ("crm_contact_id", "support_user_id", "marketing_profile_id", "app_user_id",
                  "email", "anonymous_id")
# ... and the keys of records a person owns, which child records reference
RECORD_TYPES = ("crm_order_id", "crm_deal_id", "support_ticket_id")
ERASED_TABLE = "__erased"


def privacy_dir(base: str | os.PathLike | None = None) -> Path:
    return paths.data_dir(base) / "privacy"


def register_path(base: str | os.PathLike | None = None) -> Path:
    return privacy_dir(base) / "erasure_requests.jsonl"


def load_key(base: str | os.PathLike | None = None, create: bool = False) -> bytes | None:
    """The installation's hashing key: `$CXM_ERASURE_KEY`, else `privacy/erasure.key` in the
    data dir (32 random bytes, hex, mode 0600), generated when `create` and missing."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = privacy_dir(base) / "erasure.key"
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip().encode()


# -- normalisation and hashing (Python for the request, SQL for the data) ----------------------

def normalize(id_type: str, value: object) -> str | None:
    """An identifier as the identity graph holds it: emails trimmed and lower-cased, ids
    trimmed (dbt macros normalize_email / clean_identifier); None when blank."""
    if value is None:
        return None
    text = str(value).strip()
    if id_type == "email":
        text = text.lower()
    return text or None


def identifier_hash(key: bytes, id_type: str, value: object) -> str | None:
    """HMAC-SHA256 (hex) of `'<type>:<normalised value>'`, or None for a blank value."""
    norm = normalize(id_type, value)
    if norm is None:
        return None
    return hmac.new(key, f"{id_type}:{norm}".encode(), hashlib.sha256).hexdigest()


def key_check(key: bytes) -> str:
    """A fingerprint of the key (an HMAC of a fixed text, short): a load with another key
    than the erasure's would silently match nothing, so `Register.load` compares them."""
    return hmac.new(key, b"cxm erasure key check", hashlib.sha256).hexdigest()[:16]


def normalized_sql(expr: str, id_type: str) -> str:
    """`normalize` in SQL (DuckDB)."""
    text = f"trim(cast({expr} as varchar))"
    return f"lower({text})" if id_type == "email" else text


def hash_sql(expr: str, id_type: str, key: bytes) -> str:
    """`identifier_hash` in SQL: HMAC-SHA256 built from DuckDB's `sha256` (RFC 2104, with
    the padded key blocks as constants). Null for a null or blank value."""
    block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    message = f"encode('{id_type}:' || nullif({normalized_sql(expr, id_type)}, ''))"
    return (f"sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || {message})))")


def matches_sql(columns: Mapping[str, str], key: bytes, source: str,
                erased: str = ERASED_TABLE) -> str:
    """A predicate over rows of `source` (a table name): true when any of `columns` (SQL
    expression -> identifier type) hashes to a value in `erased` (a relation with a column
    `hash`); false, never null, otherwise. Each column's distinct values are hashed once, in
    an uncorrelated subquery (an anonymous id recurs in every event of its device)."""
    if not columns:
        return "false"
    tests = [f"coalesce({expr} in (select __v from (select distinct {expr} as __v "
             f"from {source}) where {hash_sql('__v', t, key)} in (select hash from {erased})),"
             " false)" for expr, t in columns.items()]
    return "(" + " or ".join(tests) + ")"


def spec_columns(spec: TableSpec, present: list[str]) -> dict[str, str]:
    """The spec's identifier columns present in a batch, as quoted SQL -> identifier type."""
    return {_q(c): t for c, t in spec.identifiers.items() if c in present}


def raw_record_columns(spec: TableSpec) -> dict[str, str]:
    """The spec's identifier columns read from a quarantine row's `raw_record` JSON."""
    return {f"try(json_extract_string(raw_record, '$.\"{c}\"'))": t
            for c, t in spec.identifiers.items()}


# -- the register -----------------------------------------------------------------------------

@dataclass
class ErasureRequest:
    """One line of the register: no personal data, only keyed hashes and counts."""
    request_id: str
    requested_at: str
    hashes: list[dict[str, str]]  # {"type": identifier type, "hash": HMAC hex}
    deleted: dict[str, int] = field(default_factory=dict)  # table or file set -> rows
    key_check: str = ""  # `key_check(key)` of the key the hashes were made with

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def read_register(base: str | os.PathLike | None = None) -> list[ErasureRequest]:
    path = register_path(base)
    if not path.exists():
        return []
    return [ErasureRequest(**json.loads(line))
            for line in path.read_text().splitlines() if line.strip()]


def append_request(request: ErasureRequest, base: str | os.PathLike | None = None) -> Path:
    """Append `request` to the register and fsync it (it must outlive the deletion)."""
    path = register_path(base)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(request.to_json() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


@dataclass
class Register:
    """The erased hashes a load filters on, and what it dropped (table -> rows)."""
    key: bytes
    hashes: frozenset[str]
    dropped: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, base: str | os.PathLike | None = None) -> Register | None:
        """The register of the data dir, or None when nobody was erased."""
        requests = read_register(base)
        key = load_key(base)
        if not requests:
            return None
        if key is None:
            raise RuntimeError(f"erasure register {register_path(base)} exists but its key "
                               f"does not (${KEY_ENV} or {privacy_dir(base) / 'erasure.key'}): "
                               "restore the key, or erased people come back on the next load")
        wrong = [r.request_id for r in requests if r.key_check != key_check(key)]
        if wrong:
            raise RuntimeError(f"erasure requests {', '.join(wrong)} were hashed with another "
                               f"key than the current one (${KEY_ENV} or "
                               f"{privacy_dir(base) / 'erasure.key'}): restore that key, or "
                               "erased people come back on the next load")
        return cls(key, frozenset(h["hash"] for r in requests for h in r.hashes))

    def table(self) -> pa.Table:
        return pa.table({"hash": pa.array(sorted(self.hashes), pa.string())})

    def mask(self, batch: pa.Table, columns: Mapping[str, str]) -> pa.Array:
        """True for the rows of `batch` whose `columns` match an erased hash."""
        con = thread_connection()
        numbered = batch.append_column("__row", pa.array(np.arange(batch.num_rows)))
        con.register("__erase_batch", numbered)
        con.register(ERASED_TABLE, self.table())
        try:
            rows = con.sql(f"select __row from __erase_batch where "
                           f"{matches_sql(columns, self.key, '__erase_batch')}").to_arrow_table()
        finally:
            con.unregister("__erase_batch")
            con.unregister(ERASED_TABLE)
        return pc.is_in(numbered["__row"], value_set=rows["__row"].combine_chunks())

    def filter(self, v: Validated, spec: TableSpec) -> Validated:
        """`v` without the rows (good or quarantined) of erased people; counts them."""
        good, quarantine = v.good, v.quarantine
        cols = spec_columns(spec, good.schema.names)
        if good.num_rows and cols:
            hit = self.mask(good, cols)
            if pc.any(hit).as_py():
                good = good.filter(pc.invert(hit))
        if quarantine.num_rows and spec.identifiers:
            hit = self.mask(quarantine, raw_record_columns(spec))
            if pc.any(hit).as_py():
                quarantine = quarantine.filter(pc.invert(hit))
        n = v.good.num_rows - good.num_rows + v.quarantine.num_rows - quarantine.num_rows
        if n:
            self.dropped[spec.name] = self.dropped.get(spec.name, 0) + n
            return Validated(good, quarantine)
        return v


_active: Register | None = None


@contextmanager
def honoured(base: str | os.PathLike | None = None) -> Iterator[Register | None]:
    """Within the block, `drop_erased` filters on the register of `base`'s data dir."""
    global _active
    previous, _active = _active, Register.load(base)
    try:
        yield _active
    finally:
        _active = previous


def drop_erased(v: Validated, spec: TableSpec) -> Validated:
    """`v` without erased people's rows when a register is active (see `honoured`)."""
    if _active is None or not spec.identifiers:
        return v
    return _active.filter(v, spec)
