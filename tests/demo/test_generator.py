"""Tests of the demo company generator (ingestion/demo/generator) at scale XS.

The expected schemas below are copied from docs/sources.md (the data contract); if the contract
changes, change both.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import shutil
import zlib
from datetime import UTC, date, datetime, time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from ingestion.demo.generator import generate, parse_scale
from ingestion.demo.generator._util import DAY
from ingestion.demo.generator.commerce import BEHAVIOUR, BEHAVIOUR_KINDS, plant_behaviour_change
from ingestion.demo.generator.config import Config

TS = pa.timestamp("us", tz="UTC")
S, INT, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
JUNK = {"0", "null", "anonymous", ""}
END = date(2026, 11, 1)


def _crm(**props):
    return {"id": S, "created_at": TS, "updated_at": TS, "archived": B, **props}


CONTRACT = {
    "crm/contacts": _crm(email=S, firstname=S, lastname=S, phone=S, associatedcompanyid=S,
                         lifecyclestage=S, hubspot_owner_id=S, hs_analytics_source=S,
                         app_user_id=S, hs_email_optout=B),
    "crm/companies": _crm(name=S, domain=S, industry=S, country=S, numberofemployees=INT,
                          annualrevenue=F),
    "crm/deals": _crm(dealname=S, amount=F, dealstage=S, pipeline=S, closedate=TS,
                      hubspot_owner_id=S, contact_id=S, company_id=S),
    "crm/deal_stage_history": {"deal_id": S, "dealstage": S, "changed_at": TS, "source_type": S},
    "crm/orders": _crm(hs_order_name=S, hs_currency_code=S, hs_subtotal_price=F,
                       hs_order_discount=F, hs_total_price=F, hs_pipeline_stage=S,
                       hs_external_created_date=TS, contact_id=S, coupon_code=S),
    "crm/line_items": _crm(order_id=S, hs_product_id=S, name=S, quantity=INT, price=F, amount=F),
    "crm/products": _crm(name=S, hs_sku=S, category=S, price=F),
    "support/tickets": {"id": INT, "requester_id": INT, "submitter_id": INT, "assignee_id": INT,
                        "organization_id": INT, "group_id": INT, "subject": S, "description": S,
                        "external_id": S, "type": S, "priority": S, "status": S,
                        "tags": pa.list_(S), "via__channel": S, "created_at": TS,
                        "updated_at": TS},
    "support/users": {"id": INT, "name": S, "email": S, "phone": S, "time_zone": S, "role": S,
                      "external_id": S, "created_at": TS, "updated_at": TS},
    "support/ticket_events": {"id": INT, "ticket_id": INT, "updater_id": INT, "via__channel": S,
                              "event_type": S, "created_at": TS},
    "support/ticket_event_children": {"id": INT, "audit_id": INT, "ticket_id": INT,
                                      "author_id": INT, "event_type": S, "public": B,
                                      "body": S, "field_name": S, "value": S,
                                      "previous_value": S, "created_at": TS},
    "support/satisfaction_ratings": {"id": INT, "ticket_id": INT, "requester_id": INT,
                                     "assignee_id": INT, "score": S, "comment": S, "reason": S,
                                     "created_at": TS, "updated_at": TS},
    "marketing/campaigns": {"id": S, "name": S, "channel": S, "utm_source": S, "utm_medium": S,
                            "utm_campaign": S, "subject": S, "send_time": TS, "start_date": TS,
                            "end_date": TS, "budget": F, "created": TS, "updated": TS},
    "marketing/profiles": {"id": S, "email": S, "first_name": S, "last_name": S,
                           "external_id": S, "consent": S, "consent_updated_at": TS,
                           "created": TS, "updated": TS},
    "marketing/email_events": {"id": S, "profile_id": S, "campaign_id": S, "event_type": S,
                               "url": S, "datetime": TS, "updated": TS},
    "marketing/coupons": {"id": S, "code": S, "campaign_id": S, "discount_type": S,
                          "discount_value": F, "valid_from": TS, "valid_to": TS, "created": TS,
                          "updated": TS},
    "marketing/coupon_redemptions": {"id": S, "coupon_id": S, "code": S, "order_id": S,
                                     "profile_id": S, "email": S, "redeemed_at": TS,
                                     "updated": TS},
}
KEYS = {"crm/deal_stage_history": ["deal_id", "changed_at"]}
CSV = {
    "ad_spend": ["date", "platform", "campaign_id", "utm_campaign", "impressions", "clicks",
                 "spend", "currency"],
    "surveys": ["response_id", "survey", "email", "contact_id", "score", "comment", "trigger",
                "ticket_id", "submitted_at"],
    "experiments": ["experiment_id", "experiment_name", "variant", "anonymous_id", "user_id",
                    "assigned_at"],
}
WEB_TOP = {"messageId", "type", "event", "anonymousId", "userId", "timestamp", "sentAt",
           "receivedAt", "properties", "traits", "context"}
WEB_CONTEXT = {"page", "campaign", "userAgent", "device"}
WEB_PAGE = {"path", "url", "referrer", "title"}
WEB_CAMPAIGN = {"source", "medium", "name", "term", "content"}
TRACK = {"Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Signed Up",
         "Newsletter Subscribed", "Experiment Viewed"}


# --- fixtures: one XS company, generated a few ways ------------------------------------------
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("gen")
    a = generate(base / "a", scale="XS", seed=42)
    b = generate(base / "b", scale="XS", seed=42)
    c = generate(base / "c", scale="XS", seed=7)
    shutil.copytree(base / "a", base / "ext")  # copy2 keeps mtimes
    before = {p.relative_to(base / "ext").as_posix(): p.stat().st_mtime_ns
              for p in (base / "ext").rglob("*.jsonl.gz")}
    ext = generate(base / "ext", scale="XS", seed=42, extend_days=1)
    return {"dir": base, "a": a, "b": b, "c": c, "ext": ext, "mtimes_before": before}


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _web_files(root: Path, expected: dict):
    bad = {m["file"] for m in expected["malformed"].get("web.events", [])}
    bad |= {c["file"] for c in expected["corrupt_files"]}
    files = sorted((root / "landing/web/events").rglob("*.jsonl.gz"))
    return [f for f in files if f.relative_to(root).as_posix() not in bad]


_WEB: dict[Path, duckdb.DuckDBPyConnection] = {}


def _web(root: Path, expected: dict) -> duckdb.DuckDBPyConnection:
    """DuckDB with every line of the readable event files: table ``raw(json, filename)`` and
    view ``ev`` with the fields the tests need (JSON parsed by DuckDB: fast)."""
    if root not in _WEB:
        files = [str(f) for f in _web_files(root, expected)]
        con = duckdb.connect()
        con.execute(f"create table raw as select json, filename "
                    f"from read_ndjson_objects({files!r}, filename=true)")
        con.execute("""
            create view ev as select
                json->>'$.messageId' as message_id, json->>'$.type' as type,
                json->>'$.event' as event, json->>'$.anonymousId' as anonymous_id,
                json->>'$.userId' as user_id, json->>'$.traits.email' as email,
                json->>'$.properties.order_id' as order_id,
                strptime(json->>'$.timestamp', '%Y-%m-%dT%H:%M:%S.%gZ') as ts,
                strptime(json->>'$.sentAt', '%Y-%m-%dT%H:%M:%S.%gZ') as sent,
                strptime(json->>'$.receivedAt', '%Y-%m-%dT%H:%M:%S.%gZ') as recv,
                json->>'$.receivedAt' as recv_text,
                regexp_extract(filename, 'dt=([0-9-]+)', 1) as dt, json
            from raw""")
        _WEB[root] = con
    return _WEB[root]


def _one(con, sql: str):
    return con.execute(sql).fetchall()[0][0]


def _keys(con, path: str) -> set[str]:
    return {r[0] for r in con.execute(
        f"select distinct unnest(json_keys(json, '{path}')) from raw").fetchall()}


def _expected(root: Path) -> dict:
    return json.loads((root / "demo/truth/expected.json").read_text())


# --- tests -----------------------------------------------------------------------------------
def test_parse_scale():
    assert parse_scale("XS") == 0.1
    assert parse_scale("s") == 1
    assert parse_scale("M") == 10
    assert parse_scale("L") == 100
    assert parse_scale(2.5) == 2.5
    assert parse_scale("0.5") == 0.5
    with pytest.raises(ValueError):
        parse_scale("XXL")
    with pytest.raises(ValueError):
        parse_scale(0)


def test_summary_and_people(runs):
    a = runs["a"]
    assert a.people == 1000
    assert a.seconds > 0
    exp = _expected(runs["dir"] / "a")
    assert exp["people"] == 1000 and "seconds" not in exp
    assert exp["expected_rows"] == a.expected_rows
    assert set(a.files_written) == set(a.files)  # fresh directory: everything written


def test_deterministic(runs):
    ha, hb, hc = (_hashes(runs["dir"] / k) for k in ("a", "b", "c"))
    assert ha == hb
    common = set(ha) & set(hc)
    assert "demo/vendor/crm/contacts.parquet" in common
    for rel in ("demo/vendor/crm/contacts.parquet", "demo/vendor/marketing/profiles.parquet",
                "demo/truth/identifiers.parquet"):
        assert ha[rel] != hc[rel]
    web = [r for r in common if r.endswith("part-0000.jsonl.gz")]
    assert sum(ha[r] != hc[r] for r in web) > 0.9 * len(web)


def test_vendor_tables_match_contract(runs):
    root = runs["dir"] / "a"
    vendor = root / "demo/vendor"
    found = {p.relative_to(vendor).with_suffix("").as_posix() for p in vendor.rglob("*.parquet")}
    assert found == set(CONTRACT)
    for name, cols in CONTRACT.items():
        t = pq.read_table(vendor / f"{name}.parquet")
        assert dict(zip(t.schema.names, t.schema.types, strict=True)) == cols, name
        assert t.num_rows > 0, name
        key = KEYS.get(name, ["id"])
        assert t.select(key).drop_null().num_rows == t.num_rows, f"{name}: null key"
        assert t.group_by(key).aggregate([]).num_rows == t.num_rows, f"{name}: duplicate key"
        if "archived" in cols:
            assert not any(t["archived"].to_pylist())
    contacts = pq.read_table(vendor / "crm/contacts.parquet")
    assert all(v.isdigit() for v in contacts["id"].to_pylist())
    profiles = pq.read_table(vendor / "marketing/profiles.parquet")
    assert all(len(v) <= 30 for v in profiles["id"].to_pylist())


def test_landing_csv_files(runs):
    root = runs["dir"] / "a"
    for folder, cols in CSV.items():
        files = sorted((root / "landing/marketing" / folder).glob("*.csv"))
        assert files, folder
        for f in files:
            t = pcsv.read_csv(f)
            assert t.column_names == cols, f
    spend = pcsv.read_csv(root / "landing/marketing/ad_spend" / "2026-10.csv")
    assert set(spend["platform"].to_pylist()) <= {"google_ads", "meta_ads", "linkedin_ads"}
    assert min(spend["clicks"].to_pylist()) >= 0


def test_web_events_follow_contract(runs):
    root = runs["dir"] / "a"
    exp = _expected(root)
    con = _web(root, exp)
    assert _one(con, "select count(*) from raw where not json_valid(json)") == 0
    assert _one(con, "select count(*) from raw") == exp["rows"]["web.events"]
    n_ids = _one(con, "select count(distinct message_id) from ev")
    assert n_ids == exp["expected_rows"]["web.events"]
    assert exp["rows"]["web.events"] - n_ids == exp["duplicates"]["web.events"] > 0
    # keys: exactly the contract's (every one of them used somewhere)
    assert _keys(con, "$") == WEB_TOP
    assert _keys(con, "$.context") == WEB_CONTEXT
    assert _keys(con, "$.context.page") == WEB_PAGE
    assert _keys(con, "$.context.campaign") == WEB_CAMPAIGN
    for key in ("message_id", "type", "ts", "sent", "recv"):
        assert _one(con, f"select count(*) from ev where {key} is null") == 0, key
    kinds = set(con.execute("select distinct type, event from ev").fetchall())
    assert {t for t, _ in kinds} == {"page", "track", "identify"}
    assert {e for t, e in kinds if t == "track"} == TRACK
    assert {e for t, e in kinds if t != "track"} == {None}
    assert _one(con, "select count(*) from ev where anonymous_id is null and user_id is null") == 0
    assert _one(con, "select count(*) from ev where type = 'identify' and user_id is null "
                     "and email is null") == 0
    # partitions are the received day; late events land in a later partition
    assert _one(con, "select count(*) from ev where left(recv_text, 10) <> dt") == 0
    assert _one(con, "select count(*) from ev where sent < ts or recv < sent") == 0
    late = _one(con, """select count(*) from (select message_id, min(recv - ts) as delay
                        from ev group by all) where delay >= interval 1 day""")
    assert late == exp["late_events"] > 0
    # a full Python parse of one busy partition, too
    f = max(_web_files(root, exp), key=lambda p: p.stat().st_size)
    with gzip.open(f, "rt") as fh:
        assert all(set(json.loads(line)) <= WEB_TOP for line in fh)
    # Order Completed carries the CRM order ids
    orders = set(pq.read_table(root / "demo/vendor/crm/orders.parquet")["id"].to_pylist())
    completed = {r[0] for r in con.execute(
        "select distinct order_id from ev where event = 'Order Completed'").fetchall()}
    lost = {e["properties"]["order_id"] for e in _corrupt_events(root, exp)
            if e.get("event") == "Order Completed"}
    assert completed <= orders
    # orders without an event can only be those whose event sat in the corrupt file (its
    # readable head is parsed above; the truncated tail is bounded by the file's line count)
    assert len(orders - completed - lost) <= exp["corrupt_files"][0]["lines"] - len(
        _corrupt_events(root, exp))


def _corrupt_events(root, exp):
    out = []
    for c in exp["corrupt_files"]:
        raw = (root / c["file"]).read_bytes()
        text = zlib.decompressobj(31).decompress(raw).decode(errors="ignore")
        for line in text.splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
    return out


def test_planted_web_faults(runs):
    root = runs["dir"] / "a"
    exp = _expected(root)
    assert len(exp["corrupt_files"]) == 1
    corrupt = root / exp["corrupt_files"][0]["file"]
    with pytest.raises((EOFError, OSError, zlib.error)):
        gzip.decompress(corrupt.read_bytes())
    bad = exp["malformed"]["web.events"]
    assert {m["reason"] for m in bad} == {"not_json", "missing_message_id",
                                          "unparsable_timestamp"}
    with gzip.open(root / bad[0]["file"], "rt") as fh:
        lines = fh.read().splitlines()
    assert len(lines) == len(bad)
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            parsed.append(None)
    assert sum(p is None for p in parsed) == 2
    assert any(p and "messageId" not in p for p in parsed)


def test_vendor_faults_and_expected_counts(runs):
    root = runs["dir"] / "a"
    exp = _expected(root)
    faults = json.loads((root / "demo/vendor/faults.json").read_text())
    assert faults
    per_source: dict[str, int] = {}
    for f in faults:
        assert set(f) == {"system", "table", "id", "field", "value", "reason"}
        per_source[f["system"]] = per_source.get(f["system"], 0) + 1
        t = pq.read_table(root / f"demo/vendor/{f['system']}/{f['table']}.parquet")
        assert f["id"] in t["id"].to_pylist()
    assert max(per_source.values()) <= 5
    for name, n in exp["rows"].items():
        n_faults = sum(1 for f in faults if f"{f['system']}.{f['table']}" == name)
        if name == "web.events":
            continue
        assert exp["expected_rows"][name] == n - n_faults, name


def test_truth_identifiers_cover_the_data(runs):
    root = runs["dir"] / "a"
    exp = _expected(root)
    truth = pq.read_table(root / "demo/truth/identifiers.parquet")
    # every (type, value) belongs to exactly one person
    assert truth.group_by(["identifier_type", "identifier_value"]).aggregate(
        []).num_rows == truth.num_rows
    kinds = set(truth["identifier_type"].to_pylist())
    assert kinds == {"crm_contact_id", "email", "app_user_id", "anonymous_id", "support_user_id",
                     "marketing_profile_id"}  # the names docs/sources.md fixes
    known: dict[str, set] = {}
    for t, v in zip(truth["identifier_type"].to_pylist(), truth["identifier_value"].to_pylist(),
                    strict=True):
        known.setdefault(t, set()).add(v)

    def norm(e):
        return e.strip().lower()

    need: dict[str, set] = {k: set() for k in known}
    vendor = root / "demo/vendor"
    c = pq.read_table(vendor / "crm/contacts.parquet").to_pydict()
    need["crm_contact_id"] |= set(c["id"])
    need["email"] |= {norm(e) for e in c["email"]}
    need["app_user_id"] |= set(c["app_user_id"])
    u = pq.read_table(vendor / "support/users.parquet").to_pydict()
    end = [i for i, r in enumerate(u["role"]) if r == "end-user"]
    need["support_user_id"] |= {str(u["id"][i]) for i in end}
    need["email"] |= {norm(u["email"][i]) for i in end}
    need["crm_contact_id"] |= {u["external_id"][i] for i in end}
    p = pq.read_table(vendor / "marketing/profiles.parquet").to_pydict()
    need["marketing_profile_id"] |= set(p["id"])
    need["email"] |= {norm(e) for e in p["email"]}
    need["app_user_id"] |= set(p["external_id"])
    r = pq.read_table(vendor / "marketing/coupon_redemptions.parquet").to_pydict()
    need["email"] |= {norm(e) for e in r["email"]}
    con = _web(root, exp)
    need["anonymous_id"] |= {r[0] for r in con.execute(
        "select distinct anonymous_id from ev").fetchall()}
    need["app_user_id"] |= {r[0] for r in con.execute(
        "select distinct user_id from ev").fetchall()}
    need["email"] |= {norm(r[0]) for r in con.execute(
        "select distinct email from ev where email is not null").fetchall()}
    for f in (root / "landing/marketing/experiments").glob("*.csv"):
        need["anonymous_id"] |= set(pcsv.read_csv(f)["anonymous_id"].to_pylist())
    for f in (root / "landing/marketing/surveys").glob("*.csv"):
        t = pcsv.read_csv(f, convert_options=pcsv.ConvertOptions(
            column_types={"email": S, "contact_id": S}))
        need["email"] |= {norm(e) for e in t["email"].to_pylist() if e is not None}
        need["crm_contact_id"] |= set(t["contact_id"].to_pylist())
    for kind, values in need.items():
        values = {v for v in values if v is not None and v not in JUNK}
        missing = values - known[kind]
        assert not missing, (kind, sorted(missing)[:5])
    # junk identifiers are planted somewhere, but never in the truth
    for kind in known:
        assert not (known[kind] & JUNK)


def test_persons_truth(runs):
    root = runs["dir"] / "a"
    persons = pq.read_table(root / "demo/truth/persons.parquet").to_pydict()
    assert len(persons["person_id"]) == 1000
    kinds = persons["kind"]
    assert 0.4 < kinds.count("visitor") / len(kinds) < 0.7
    assert kinds.count("customer") > 50
    stages = set(persons["lifecycle_stage"])
    assert stages <= {"visitor", "lead", "active", "at_risk", "churned"}
    assert {"active", "churned"} <= stages
    contacts = pq.read_table(root / "demo/vendor/crm/contacts.parquet")
    assert contacts.num_rows == sum(v is not None for v in persons["signup_at"])
    assert any(persons["behaviour_change"])
    params = json.loads((root / "demo/truth/model_params.json").read_text())
    lo, hi = params["behaviour_change"]["change_days_before_end"]
    end = datetime.combine(END, time(0), tzinfo=UTC)
    for on, at, kind in zip(persons["behaviour_change"], persons["behaviour_change_at"],
                            persons["behaviour_change_kind"], strict=True):
        assert on == (at is not None) == (kind is not None)
        if on:
            assert lo <= (end - at).total_seconds() / 86400 <= hi
            assert kind in params["behaviour_change"]["kinds"]
    assert {"r", "alpha", "a", "b"} <= set(params["btyd"])
    assert {"p", "q", "gamma"} <= set(params["gamma_gamma"])


def test_experiment_truth(runs):
    root = runs["dir"] / "a"
    truth = json.loads((root / "demo/truth/experiment.json").read_text())
    v = truth["variants"]
    assert v["treatment"]["rate"] > v["control"]["rate"]
    assert truth["true_rates"]["treatment"] > truth["true_rates"]["control"]
    n = sum(pcsv.read_csv(f).num_rows for f in (root / "landing/marketing/experiments").glob(
        "*.csv"))
    assert n == v["treatment"]["exposures"] + v["control"]["exposures"]
    exp = _expected(root)
    viewed = _one(_web(root, exp),
                  "select count(distinct message_id) from ev where event = 'Experiment Viewed'")
    assert n - exp["corrupt_files"][0]["lines"] <= viewed <= n  # one event per assignment


def test_extend_one_day(runs):
    base = runs["dir"]
    old, new = base / "a", base / "ext"
    ext = runs["ext"]
    assert ext.cut.startswith("2026-11-02")
    # existing partitions are untouched, a new received day appears
    for rel, mtime in runs["mtimes_before"].items():
        p = new / rel
        assert p.exists(), rel
        assert p.stat().st_mtime_ns == mtime, rel
        assert p.read_bytes() == (old / rel).read_bytes()
    assert (new / "landing/web/events/dt=2026-11-01/part-0000.jsonl.gz").exists()
    assert not any(r.startswith("landing/web/events/dt=2026-10") for r in ext.files_written)
    # every earlier record is identical or was updated later; some records are new
    con = duckdb.connect()
    grew = 0
    for name, cols in CONTRACT.items():
        key = KEYS.get(name, ["id"])
        upd = next((c for c in ("updated_at", "updated") if c in cols), None)
        a = pq.read_table(old / "demo/vendor" / f"{name}.parquet")
        b = pq.read_table(new / "demo/vendor" / f"{name}.parquet")
        con.register("a", a)
        con.register("b", b)
        on = " and ".join(f"a.{k} = b.{k}" for k in key)
        missing = con.execute(f"select count(*) from a anti join b on {on}").fetchall()[0][0]
        assert missing == 0, name
        differs = " or ".join(f"a.{c} is distinct from b.{c}" for c in cols)
        changed = con.execute(f"select a.*, b.{upd or key[0]} as new_upd from a join b on {on} "
                              f"where {differs}").to_arrow_table()
        if changed.num_rows:
            assert upd is not None, f"{name}: rows changed without an updated column"
            con.register("changed", changed)
            sql = f"select count(*) from changed where new_upd <= {upd}"
            bad = con.execute(sql).fetchall()[0][0]
            assert bad == 0, name
        grew += b.num_rows > a.num_rows
    assert grew >= 3
    assert ext.people >= runs["a"].people


def test_behaviour_change_is_planted_in_customers_who_keep_buying():
    """plant_behaviour_change on hand-made order times: only customers with >= 2 orders in the
    year before their change date and >= 2 from it to end_date are chosen; at least 3 per kind
    (all eligible when fewer), 25% of the eligible when more; smaller baskets go to the largest
    expected baskets (smallest nu), x3 frequency to the most purchases left."""
    cfg = Config(seed=5, factor=0.1, end_date=END)
    e = cfg.t_end
    # days before end of each customer's orders (change dates lie 121-135 days before end)
    plans = [[400, 300, 100, 50], [300, 200, 60, 30], [250, 200, 90, 10, -30, -40, -50],
             [350, 150, 100, 20], [400, 300, 20], [600, 520, 100, 50], [200, 110, 100, -5],
             [140, 100, 50]]
    plans += [[380 - i, 200 - i, 80 - i, 40 - i] for i in range(40)]
    owner = np.repeat(np.arange(len(plans)), [len(p) for p in plans])
    t = e - np.concatenate([np.array(p) * DAY for p in plans]).astype(np.int64)
    nu = np.linspace(0.2, 0.01, len(plans))
    eligible = {0, 1, 2, 3} | set(range(8, len(plans)))  # 4: 1 after; 5-7: < 2 before
    chosen, at, kind = plant_behaviour_change(cfg, owner, t, nu)
    assert set(chosen) <= eligible
    assert len(chosen) == max(9, round(BEHAVIOUR["share_of_eligible"] * len(eligible))) == 11
    assert np.all((e - at >= 121 * DAY) & (e - at <= 135 * DAY))
    counts = np.bincount(kind, minlength=3)
    assert sorted(counts) == [3, 4, 4] and counts.min() >= BEHAVIOUR["min_per_kind"]
    spend = kind == BEHAVIOUR_KINDS.index("spend_x0.3")
    assert nu[chosen][spend].max() <= nu[chosen][~spend].min()
    few = plant_behaviour_change(cfg, owner[owner < 4], t[owner < 4], nu[:4])[0]
    assert sorted(few) == [0, 1, 2, 3]  # fewer eligible than 9: all of them
