"""The pure parts of the right to erasure: normalisation, the keyed hash (Python and its DuckDB
twin), the register, the ingestion filter and the landing-file line filter, on hand-made
cases; and that every dbt model that keeps history is covered by the erasure."""

import gzip
import hashlib
import hmac
import json

import duckdb
import pyarrow as pa
import pytest

from ingestion.common import erasure
from ingestion.common.emit import emit
from ingestion.common.erasure import (
    ErasureRequest,
    Register,
    append_request,
    hash_sql,
    honoured,
    identifier_hash,
    key_check,
    load_key,
    normalize,
    read_register,
)
from ingestion.common.validate import validate
from ingestion.crm.schema import TABLES as CRM
from ingestion.web.schema import EVENTS
from orchestration.erase import HISTORY
from orchestration.erase_landing import erase_csv_file, erase_web_file, keep_line
from orchestration.project import ensure_manifest

KEY = b"unit-test-key"


def test_normalize_matches_the_identity_graph():
    assert normalize("email", "  Ann.Lee@Example.COM ") == "ann.lee@example.com"
    assert normalize("crm_contact_id", " 00123 ") == "00123"  # ids keep case and zeros
    assert normalize("anonymous_id", "AbC") == "AbC"
    assert normalize("support_user_id", 42) == "42"
    assert normalize("email", "   ") is None and normalize("email", None) is None


def test_identifier_hash_is_hmac_sha256_of_type_and_normalised_value():
    expected = hmac.new(KEY, b"email:ann@example.com", hashlib.sha256).hexdigest()
    assert identifier_hash(KEY, "email", " ANN@example.com") == expected
    # the type is part of the message: the same digits as another type hash differently
    assert identifier_hash(KEY, "crm_contact_id", "7") != \
        identifier_hash(KEY, "support_user_id", "7")
    assert identifier_hash(b"other key", "email", "ann@example.com") != expected
    assert identifier_hash(KEY, "email", "") is None


@pytest.mark.parametrize("key", [KEY, b"k" * 64, b"a much longer key than one block " * 4])
def test_the_sql_hash_equals_the_python_hash(key):
    values = ["Ann@Example.com ", "x", None, "", "ümlaut@example.de"]
    con = duckdb.connect()
    got = [r[0] for r in con.execute(
        f"select {hash_sql('v', 'email', key)} from unnest(?) as t(v)", [values]).fetchall()]
    assert got == [identifier_hash(key, "email", v) for v in values]


def test_key_is_generated_once_private_and_env_wins(tmp_path, monkeypatch):
    monkeypatch.delenv(erasure.KEY_ENV, raising=False)
    assert load_key(tmp_path) is None
    key = load_key(tmp_path, create=True)
    assert len(key) == 64 and load_key(tmp_path, create=True) == key
    assert (erasure.privacy_dir(tmp_path) / "erasure.key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(erasure.KEY_ENV, "from-env")
    assert load_key(tmp_path) == b"from-env"


def test_register_holds_hashes_not_values(tmp_path, monkeypatch):
    monkeypatch.delenv(erasure.KEY_ENV, raising=False)
    assert Register.load(tmp_path) is None  # nobody erased: ingestion does nothing
    key = load_key(tmp_path, create=True)
    h = identifier_hash(key, "email", "ann@example.com")
    append_request(ErasureRequest("r1", "2026-12-02T00:00:00+00:00",
                                  [{"type": "email", "hash": h}], {"raw:x": 3},
                                  key_check(key)), tmp_path)
    assert "ann" not in erasure.register_path(tmp_path).read_text()
    assert [r.request_id for r in read_register(tmp_path)] == ["r1"]
    assert Register.load(tmp_path).hashes == {h}
    # another key would match nothing: refused, as is a missing key
    monkeypatch.setenv(erasure.KEY_ENV, "another key")
    with pytest.raises(RuntimeError, match="another key"):
        Register.load(tmp_path)
    monkeypatch.delenv(erasure.KEY_ENV)
    (erasure.privacy_dir(tmp_path) / "erasure.key").unlink()
    with pytest.raises(RuntimeError, match="key"):
        Register.load(tmp_path)


def _contacts() -> pa.Table:
    return pa.table({
        "id": ["1", "2", "3", "4"],
        "email": [" ANN@example.com", "bob@example.com", None, "carl@example.com"],
        "app_user_id": [None, None, "u-9", None],
        "updated_at": ["2026-01-01T00:00:00Z"] * 4,
    })


def test_filter_drops_every_row_naming_an_erased_identifier_and_counts_them():
    register = Register(KEY, frozenset({identifier_hash(KEY, "email", "ann@example.com"),
                                        identifier_hash(KEY, "app_user_id", "u-9")}))
    v = validate(_contacts(), CRM["contacts"], "crm")
    out = register.filter(v, CRM["contacts"])
    assert out.good["id"].to_pylist() == ["2", "4"]
    assert register.dropped == {"contacts": 2}
    # a table without identifier columns passes untouched
    products = validate(pa.table({"id": ["p"], "updated_at": ["2026-01-01T00:00:00Z"]}),
                        CRM["products"], "crm")
    assert register.filter(products, CRM["products"]) is products


def test_filter_drops_quarantined_rows_of_erased_people():
    """A row quarantined for another field still carries the person: it is dropped too."""
    register = Register(KEY, frozenset({identifier_hash(KEY, "email", "ann@example.com")}))
    bad = _contacts().set_column(3, "updated_at", pa.array(["not a time"] * 4))
    v = validate(bad, CRM["contacts"], "crm")
    assert v.quarantine.num_rows == 4
    out = register.filter(v, CRM["contacts"])
    assert out.quarantine["record_key"].to_pylist() == ["2", "3", "4"]
    assert register.dropped == {"contacts": 1}


def test_emit_applies_the_active_register(tmp_path, monkeypatch):
    monkeypatch.setenv(erasure.KEY_ENV, KEY.decode())
    append_request(ErasureRequest("r", "t", [
        {"type": "anonymous_id", "hash": identifier_hash(KEY, "anonymous_id", "dev-1")}],
        key_check=key_check(KEY)), tmp_path)
    events = pa.table({"message_id": ["m1", "m2"], "anonymous_id": ["dev-1", "dev-2"],
                       "timestamp": ["2026-01-01T00:00:00Z"] * 2})
    v = validate(events, EVENTS, "web")
    assert sum(i.data.num_rows for i in emit(v, EVENTS)) == 2  # no register active
    with honoured(tmp_path) as register:
        items = list(emit(v, EVENTS))
    assert [i.data["message_id"].to_pylist() for i in items] == [["m2"]]
    assert register.dropped == {"events": 1}
    assert erasure._active is None


def test_landing_line_filter():
    paths = {"$.anonymousId": "anonymous_id", "$.traits.email": "email"}
    values = {"email": {"ann@example.com"}, "anonymous_id": {"dev-000001"}}
    assert not keep_line(json.dumps({"anonymousId": "dev-000001"}), paths, values)
    assert not keep_line(json.dumps({"traits": {"email": " Ann@Example.com"}}), paths, values)
    assert keep_line(json.dumps({"traits": {"email": "joann@example.com"}}), paths, values)
    assert keep_line(json.dumps({"anonymousId": "dev-0000012"}), paths, values)
    assert not keep_line('{"anonymousId": "dev-000001", broken', paths, values)
    assert keep_line("garbage without the person", paths, values)


def test_landing_files_lose_only_the_persons_records(tmp_path):
    lines = [{"messageId": "a", "anonymousId": "dev-1x", "traits": {"email": "ANN@example.com"}},
             {"messageId": "b", "anonymousId": "dev-2x"},
             {"messageId": "c", "anonymousId": "dev-1x"}]
    web = tmp_path / "part-0000.jsonl.gz"
    web.write_bytes(gzip.compress("\n".join(json.dumps(x) for x in lines).encode()))
    other = tmp_path / "part-0001.jsonl.gz"
    other.write_bytes(gzip.compress(json.dumps(lines[1]).encode()))
    mtime = other.stat().st_mtime_ns
    values = {"email": {"ann@example.com"}, "anonymous_id": {"dev-1x"}}
    assert erase_web_file(web, values, dry_run=True) == 2
    assert erase_web_file(web, values, dry_run=False) == 2
    assert [json.loads(x)["messageId"] for x in gzip.decompress(web.read_bytes()).splitlines()] \
        == ["b"]
    assert erase_web_file(other, values, dry_run=False) == 0
    assert other.stat().st_mtime_ns == mtime  # untouched
    from ingestion.marketing.schema import FILE_TABLES
    survey = tmp_path / "2026-01.csv"
    survey.write_text("response_id,email,contact_id,score\n1,Ann@example.com,,9\n2,b@x.io,7,3\n")
    assert erase_csv_file(survey, FILE_TABLES["survey_responses"], values, False) == 1
    assert survey.read_text() == "response_id,email,contact_id,score\n2,b@x.io,7,3\n"


def test_every_model_that_keeps_history_is_erased():
    """Incremental models and snapshots keep rows a rebuild does not recompute: each must be
    listed in orchestration.erase.HISTORY (or the erasure would leave the person there)."""
    manifest = json.loads(ensure_manifest().read_text())
    keeping = {n["name"] for n in manifest["nodes"].values()
               if n["resource_type"] == "snapshot"
               or n["config"].get("materialized") == "incremental"}
    assert keeping and keeping <= set(HISTORY), sorted(keeping - set(HISTORY))



def _identity_db(path):
    con = duckdb.connect(str(path))
    con.execute("create schema intermediate")
    con.execute("create table intermediate.int_identity__identifiers as select * from (values "
                "('email', 'ann@example.com', 'c1'), ('email', 'ann@work.example', 'c1'), "
                "('anonymous_id', 'dev-1', 'c1'), ('email', 'bob@example.com', 'c2')) "
                "as t(identifier_type, identifier_value, customer_id)")
    # c0 was Ann's id until her two components merged into c1
    con.execute("create table intermediate.int_identity__customer_id_history as select * from "
                "(values ('c1', 'c1'), ('c0', 'c1'), ('c2', 'c2'), ('c9', null)) "
                "as t(customer_id, current_customer_id)")
    return con


def test_resolve_by_any_email_or_customer_id_even_retired(tmp_path):
    from orchestration.erase import UnknownPerson, resolve

    con = _identity_db(tmp_path / "w.duckdb")
    by_email = resolve(con, email="  ANN@Work.example ")
    assert by_email.customer_id == "c1" and by_email.customer_ids == ["c1", "c0"]
    assert sorted(by_email.identifiers) == [("anonymous_id", "dev-1"),
                                           ("email", "ann@example.com"),
                                           ("email", "ann@work.example")]
    assert resolve(con, customer_id="c0") == by_email  # the retired id resolves
    assert resolve(con, customer_id="c2").identifiers == [("email", "bob@example.com")]
    for kwargs in ({"email": "nobody@example.com"}, {"customer_id": "c9"},
                   {"customer_id": "zz"}):
        with pytest.raises(UnknownPerson, match="nothing was changed"):
            resolve(con, **kwargs)
