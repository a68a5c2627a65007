"""Stand-in vendor APIs over the tiny store: auth, shapes, paging, filters, faults, log."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import requests
from conftest import TOKEN, h, make_tiny_store, tiny_table

from ingestion.demo.standin import StandInServer

H = {"Authorization": f"Bearer {TOKEN}"}
HUBSPOT_OBJECTS = ["contacts", "companies", "deals", "orders", "line_items", "products"]
MARKETING = ["campaigns", "profiles", "email_events", "coupons", "coupon_redemptions"]
PAGE_SIZES = [1, 2, 1000]


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def unix(dt: datetime) -> int:
    return int(dt.timestamp())


def ok(resp: requests.Response) -> dict:
    assert resp.status_code == 200, resp.text
    return resp.json()


# -- walkers: what a connector does -----------------------------------------------------------

def walk_hubspot(base, obj, limit, since=None, **extra):
    body = {"limit": limit, "sorts": [{"propertyName": "hs_lastmodifieddate",
                                       "direction": "ASCENDING"}], **extra}
    if since is not None:
        body["filterGroups"] = [{"filters": [{"propertyName": "hs_lastmodifieddate",
                                              "operator": "GTE", "value": since}]}]
    out, after = [], None
    for _ in range(1000):
        if after is not None:
            body["after"] = after
        page = ok(requests.post(f"{base}/crm/v3/objects/{obj}/search", json=body, headers=H))
        out += page["results"]
        after = page.get("paging", {}).get("next", {}).get("after")
        if after is None:
            return out
    raise AssertionError("paging did not end")


def walk_zendesk(base, name, per_page, start_time=0):
    url = f"{base}/api/v2/incremental/{name}/cursor.json?start_time={start_time}" \
          f"&per_page={per_page}"
    out = []
    for _ in range(1000):
        page = ok(requests.get(url, headers=H))
        out += page[name]
        if page["end_of_stream"]:
            return out, page
        url = page["after_url"]
    raise AssertionError("paging did not end")


def walk_events(base, per_page, start_time=0, include="comment_events"):
    url = f"{base}/api/v2/incremental/ticket_events.json?start_time={start_time}" \
          f"&per_page={per_page}&include={include}"
    out = []
    for _ in range(1000):
        page = ok(requests.get(url, headers=H))
        assert page["count"] == len(page["ticket_events"])
        out += page["ticket_events"]
        if page["end_of_stream"]:
            assert page["next_page"] is None
            return out
        url = page["next_page"]
    raise AssertionError("paging did not end")


def walk_ratings(base, size, start_time=0):
    url = f"{base}/api/v2/satisfaction_ratings?start_time={start_time}&page[size]={size}"
    out = []
    for _ in range(1000):
        page = ok(requests.get(url, headers=H))
        out += page["satisfaction_ratings"]
        if not page["meta"]["has_more"]:
            assert page["links"]["next"] is None
            return out
        url = page["links"]["next"]
    raise AssertionError("paging did not end")


def walk_jsonapi(base, resource, size, since=None):
    params = {"page[size]": size}
    if since is not None:
        params["filter"] = f"greater-or-equal(updated,{since})"
    url, out = f"{base}/api/{resource}", []
    for _ in range(1000):
        page = ok(requests.get(url, params=params, headers=H))
        params = None
        out += page["data"]
        if page["links"]["next"] is None:
            return out
        url = page["links"]["next"]
    raise AssertionError("paging did not end")


def store_ids(data_dir, system, name, cursor, since=None, key="id"):
    t = tiny_table(data_dir, system, name).to_pylist()
    return sorted(str(r[key]) for r in t if since is None or r[cursor] >= since)


# -- auth and binding -------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": TOKEN}])
def test_auth_required_everywhere(standin, headers):
    b = standin.base_url
    r = requests.post(f"{b}/crm/v3/objects/contacts/search", json={}, headers=headers)
    assert r.status_code == 401
    assert r.json()["status"] == "error" and r.json()["category"] == "INVALID_AUTHENTICATION"
    r = requests.get(f"{b}/api/v2/incremental/tickets/cursor.json?start_time=0", headers=headers)
    assert r.status_code == 401 and "error" in r.json()
    r = requests.get(f"{b}/api/profiles", headers=headers)
    assert r.status_code == 401 and r.json()["errors"][0]["status"] == 401


def test_binds_localhost_only(standin):
    assert urlsplit(standin.base_url).hostname == "127.0.0.1"
    assert standin._httpd.server_address[0] == "127.0.0.1"
    assert urlsplit(standin.base_url).port > 0


def test_keep_alive_and_stop(tiny_store):
    with StandInServer(tiny_store) as server, requests.Session() as s:
        for _ in range(3):
            ok(s.get(f"{server.base_url}/api/coupons", headers=H))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.base_url}/api/coupons", headers=H, timeout=2)


# -- shapes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("obj", HUBSPOT_OBJECTS)
def test_hubspot_record_shape(standin, tiny_store, obj):
    page = ok(requests.post(f"{standin.base_url}/crm/v3/objects/{obj}/search",
                            json={"limit": 100}, headers=H))
    flat = tiny_table(tiny_store, "crm", obj)
    assert page["total"] == flat.num_rows and "paging" not in page
    props = set(flat.column_names) - {"id", "created_at", "updated_at", "archived"}
    for rec in page["results"]:
        assert set(rec) == {"id", "properties", "createdAt", "updatedAt", "archived"}
        assert isinstance(rec["id"], str) and isinstance(rec["archived"], bool)
        assert set(rec["properties"]) == props | {"createdate", "hs_lastmodifieddate"}
        assert all(v is None or isinstance(v, str) for v in rec["properties"].values())
        assert rec["properties"]["hs_lastmodifieddate"] == rec["updatedAt"]
        assert rec["properties"]["createdate"] == rec["createdAt"]
        assert rec["updatedAt"].endswith("Z") and "T" in rec["updatedAt"]


def test_hubspot_values_and_requested_properties(standin):
    page = ok(requests.post(f"{standin.base_url}/crm/v3/objects/contacts/search",
                            json={"limit": 10, "properties": ["email", "hs_email_optout",
                                                              "nope"]}, headers=H))
    recs = {r["id"]: r for r in page["results"]}
    assert set(recs["1"]["properties"]) == {"email", "hs_email_optout", "createdate",
                                            "hs_lastmodifieddate"}
    assert recs["1"]["properties"]["email"] == "Ann@Example.com "
    assert recs["2"]["properties"]["hs_email_optout"] == "true"
    assert recs["4"]["properties"]["email"] is None
    assert recs["4"]["archived"] is True
    assert recs["5"]["updatedAt"] == "2024-01-01T05:00:00.250Z"
    companies = ok(requests.post(f"{standin.base_url}/crm/v3/objects/companies/search",
                                 json={}, headers=H))["results"]
    acme = next(c for c in companies if c["id"] == "101")["properties"]
    assert acme["numberofemployees"] == "120" and acme["annualrevenue"] == "1500000"
    # contacts "2" and "3" tie on updated_at: ordered by id
    order = [r["id"] for r in ok(requests.post(
        f"{standin.base_url}/crm/v3/objects/contacts/search", json={}, headers=H))["results"]]
    assert order == ["1", "2", "3", "4", "5"]


def test_hubspot_deal_stage_history(standin):
    page = ok(requests.post(f"{standin.base_url}/crm/v3/objects/deals/search",
                            json={"limit": 10, "properties": ["dealstage"],
                                  "propertiesWithHistory": ["dealstage"]}, headers=H))
    recs = {r["id"]: r for r in page["results"]}
    hist = recs["201"]["propertiesWithHistory"]["dealstage"]
    assert [x["value"] for x in hist] == ["closedwon", "contractsent", "appointmentscheduled"]
    assert set(hist[0]) == {"value", "timestamp", "sourceType"}
    assert hist[0]["timestamp"] == iso(h(2)) and hist[0]["sourceType"] == "API"
    assert recs["203"]["propertiesWithHistory"]["dealstage"] == []
    plain = ok(requests.post(f"{standin.base_url}/crm/v3/objects/deals/search",
                             json={"limit": 10}, headers=H))["results"]
    assert all("propertiesWithHistory" not in r for r in plain)


def test_hubspot_list_endpoint(standin):
    url = f"{standin.base_url}/crm/v3/objects/contacts?limit=2&properties=email,firstname"
    ids = []
    while url:
        page = ok(requests.get(url, headers=H))
        ids += [r["id"] for r in page["results"]]
        assert all(set(r["properties"]) == {"email", "firstname", "createdate",
                                            "hs_lastmodifieddate"} for r in page["results"])
        url = page.get("paging", {}).get("next", {}).get("link")
    assert sorted(ids) == ["1", "2", "3", "4", "5"]


def test_zendesk_shapes(standin):
    tickets, last = walk_zendesk(standin.base_url, "tickets", 1000)
    assert {"after_cursor", "after_url", "before_cursor", "end_of_stream"} <= set(last)
    assert isinstance(last["after_cursor"], str) and isinstance(last["after_url"], str)
    t1 = next(t for t in tickets if t["id"] == 1)
    assert isinstance(t1["id"], int) and isinstance(t1["requester_id"], int)
    assert t1["via"] == {"channel": "email"} and "via__channel" not in t1
    assert t1["tags"] == ["damage", "refund"]
    assert t1["description"] == 'It arrived "broken".\nPlease help\t!'
    assert t1["created_at"] == "2024-01-01T01:00:00Z"
    t2 = next(t for t in tickets if t["id"] == 2)
    assert t2["tags"] == [] and t2["description"] == "ctrl\x01char"
    assert t2["assignee_id"] is None
    users, _ = walk_zendesk(standin.base_url, "users", 1000)
    assert {u["id"] for u in users} == {1001, 1002, 1003}
    assert all(isinstance(u["id"], int) and u["updated_at"].endswith("Z") for u in users)


def test_zendesk_ticket_events_shape(standin):
    events = walk_events(standin.base_url, 1000)
    by_id = {e["id"]: e for e in events}
    a = by_id[501]
    assert isinstance(a["timestamp"], int) and a["timestamp"] == unix(h(1))
    assert a["created_at"].startswith("2024-01-01T01:00:00") and a["via"] == {"channel": "email"}
    assert a["child_events"] == [
        {"id": 9001, "type": "Comment", "author_id": 1001, "body": "My mug is broken",
         "public": True},
        {"id": 9002, "type": "Change", "author_id": 1001, "field_name": "status",
         "value": "new", "previous_value": None}]
    assert by_id[503]["child_events"] == []
    no_comments = {e["id"]: e for e in walk_events(standin.base_url, 1000, include="")}
    assert [c["type"] for c in no_comments[501]["child_events"]] == ["Change"]
    assert no_comments[505]["child_events"] == []


def test_satisfaction_ratings_shape(standin):
    page = ok(requests.get(f"{standin.base_url}/api/v2/satisfaction_ratings?page[size]=2",
                           headers=H))
    assert set(page) == {"satisfaction_ratings", "meta", "links"}
    assert page["meta"]["has_more"] is True and isinstance(page["meta"]["after_cursor"], str)
    assert page["links"]["next"]
    r = page["satisfaction_ratings"][0]
    assert isinstance(r["id"], int) and r["score"] in ("good", "bad")


@pytest.mark.parametrize("resource", MARKETING)
def test_jsonapi_shape(standin, tiny_store, resource):
    r = requests.get(f"{standin.base_url}/api/{resource}", headers=H)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/vnd.api")
    page = r.json()
    assert set(page) == {"data", "links"} and page["links"]["next"] is None
    assert page["links"]["self"].startswith(standin.base_url)
    cols = set(tiny_table(tiny_store, "marketing", resource).column_names) - {"id"}
    for rec in page["data"]:
        assert set(rec) == {"type", "id", "attributes"} and isinstance(rec["type"], str)
        assert set(rec["attributes"]) == cols
    if resource == "campaigns":
        c1 = next(c for c in page["data"] if c["id"] == "c1")["attributes"]
        assert c1["budget"] == 1000.0 and c1["send_time"] == "2024-01-01T01:00:00Z"


# -- paging: complete, exactly once ------------------------------------------------------------

@pytest.mark.parametrize("size", PAGE_SIZES)
def test_paging_exactly_once(standin, tiny_store, size):
    b, d = standin.base_url, tiny_store
    for obj in HUBSPOT_OBJECTS:
        got = [r["id"] for r in walk_hubspot(b, obj, size)]
        assert sorted(got) == store_ids(d, "crm", obj, "updated_at"), obj
    for name in ("tickets", "users"):
        got = [str(r["id"]) for r in walk_zendesk(b, name, size)[0]]
        assert sorted(got) == store_ids(d, "support", name, "updated_at"), name
    got = [str(e["id"]) for e in walk_events(b, size)]
    assert sorted(got) == store_ids(d, "support", "ticket_events", "created_at")
    got = [str(r["id"]) for r in walk_ratings(b, size)]
    assert sorted(got) == store_ids(d, "support", "satisfaction_ratings", "updated_at")
    for resource in MARKETING:
        got = [r["id"] for r in walk_jsonapi(b, resource, size)]
        expected = store_ids(d, "marketing", resource, "updated")
        if resource == "profiles":  # the planted fault removes p3's id
            expected = [None if i == "p3" else i for i in expected]
            assert sorted(got, key=str) == sorted(expected, key=str)
        else:
            assert sorted(got) == expected, resource


def test_records_come_in_cursor_order(standin):
    recs = walk_hubspot(standin.base_url, "deals", 1)
    keys = [(r["updatedAt"], r["id"]) for r in recs]
    assert keys == sorted(keys)
    events = walk_events(standin.base_url, 1)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)


# -- filters ----------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [1, 1000])
def test_filters_return_records_updated_at_or_after(standin, tiny_store, size):
    b, d = standin.base_url, tiny_store
    since = h(2)
    for value in (iso(since), str(int(since.timestamp() * 1000))):  # ISO or epoch millis
        got = sorted(r["id"] for r in walk_hubspot(b, "contacts", size, since=value))
        assert got == store_ids(d, "crm", "contacts", "updated_at", since) == ["2", "3", "4", "5"]
    got = sorted(str(r["id"]) for r in walk_zendesk(b, "tickets", size, unix(since))[0])
    assert got == store_ids(d, "support", "tickets", "updated_at", since) == ["1", "2", "3", "4"]
    got = sorted(str(e["id"]) for e in walk_events(b, size, unix(h(1, 1))))
    assert got == ["504", "505"]
    got = sorted(str(r["id"]) for r in walk_ratings(b, size, unix(h(4))))
    assert got == ["7002"]
    got = sorted(r["id"] for r in walk_jsonapi(b, "email_events", size,
                                               since="2024-01-01T01:01:00Z"))
    assert got == ["e3", "e4", "e5"]
    got = sorted(r["id"] for r in walk_jsonapi(b, "campaigns", size,
                                               since="2024-01-01T02:00:00+00:00"))
    assert got == ["c2"]


def test_hubspot_filter_with_total_and_empty_result(standin):
    body = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate",
                                           "operator": "GTE", "value": iso(h(100))}]}]}
    page = ok(requests.post(f"{standin.base_url}/crm/v3/objects/contacts/search", json=body,
                            headers=H))
    assert page == {"total": 0, "results": []}


def test_bad_requests_are_400_in_vendor_shape(standin):
    b = standin.base_url
    r = requests.post(f"{b}/crm/v3/objects/contacts/search", json={"limit": 5000}, headers=H)
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"
    r = requests.get(f"{b}/api/v2/incremental/tickets/cursor.json", headers=H)
    assert r.status_code == 400 and "error" in r.json()
    r = requests.get(f"{b}/api/v2/incremental/tickets/cursor.json?cursor=garbage", headers=H)
    assert r.status_code == 400
    r = requests.get(f"{b}/api/profiles?filter=equals(email,x)", headers=H)
    assert r.status_code == 400 and r.json()["errors"][0]["source"] == {"parameter": "filter"}
    r = requests.get(f"{b}/api/nothing", headers=H)
    assert r.status_code == 404
    r = requests.post(f"{b}/crm/v3/objects/widgets/search", json={}, headers=H)
    assert r.status_code == 404
    r = requests.post(f"{b}/crm/v3/objects/contacts/search", data=b"{nope", headers=H)
    assert r.status_code == 400


def test_cursor_of_another_table_is_rejected(standin):
    _, last = walk_zendesk(standin.base_url, "users", 1000)
    r = requests.get(f"{standin.base_url}/api/v2/incremental/tickets/cursor.json",
                     params={"cursor": last["after_cursor"]}, headers=H)
    assert r.status_code == 400


# -- the 10k cap --------------------------------------------------------------------------------

def test_hubspot_page_cap(tiny_store):
    with StandInServer(tiny_store, page_cap=3) as s:
        url = f"{s.base_url}/crm/v3/objects/contacts/search"
        page = ok(requests.post(url, json={"limit": 2, "after": "2"}, headers=H))
        assert page["paging"]["next"]["after"] == "4"
        r = requests.post(url, json={"limit": 2, "after": "4"}, headers=H)
        assert r.status_code == 400
        body = r.json()
        assert body["status"] == "error" and body["category"] == "VALIDATION_ERROR"
        assert {"message", "correlationId"} <= set(body)
        # the connector's way out: a new search from the last hs_lastmodifieddate seen
        last = page["results"][-1]["properties"]["hs_lastmodifieddate"]
        rest = walk_hubspot(s.base_url, "contacts", 2, since=last)
        assert rest[0]["properties"]["hs_lastmodifieddate"] == last


# -- faults ---------------------------------------------------------------------------------

def test_rate_limit_share_and_retry_after(tiny_store):
    with StandInServer(tiny_store, rate_limit_share=0.25, retry_after=7, seed=3) as s, \
            requests.Session() as session:
        statuses = []
        for _ in range(200):
            r = session.get(f"{s.base_url}/api/coupons", headers=H)
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert r.headers["Retry-After"] == "7"
                assert r.json()["errors"][0]["status"] == 429
        counts = Counter(statuses)
        assert set(counts) == {200, 429} and abs(counts[429] - 50) <= 1
        assert "429, 429" not in ", ".join(map(str, statuses))  # no streaks at this share
        assert sum(e.fault == "rate_limit" for e in s.requests) == counts[429]
        r = session.post(f"{s.base_url}/crm/v3/objects/contacts/search", json={}, headers=H)
        while r.status_code != 429:
            r = session.post(f"{s.base_url}/crm/v3/objects/contacts/search", json={}, headers=H)
        assert r.json()["category"] == "RATE_LIMITS"


def test_fault_sequence_is_deterministic(tiny_store):
    runs = []
    for _ in range(2):
        with StandInServer(tiny_store, rate_limit_share=0.1, error_share=0.1, seed=42) as s:
            runs.append([requests.get(f"{s.base_url}/api/coupons", headers=H).status_code
                         for _ in range(60)])
    assert runs[0] == runs[1]
    assert {500, 502, 503} & set(runs[0]) and 429 in runs[0]
    assert abs(sum(c >= 500 for c in runs[0]) - 6) <= 1


def test_error_burst_then_recovery(standin):
    url = f"{standin.base_url}/api/v2/incremental/users/cursor.json?start_time=0"
    standin.configure(error_burst=3)
    statuses = [requests.get(url, headers=H).status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]
    assert [e.fault for e in standin.requests[-5:]] == ["burst"] * 3 + [None] * 2
    seqs = [e.seq for e in standin.requests[-5:]]  # arrival order, for parallel clients
    assert seqs == list(range(seqs[0], seqs[0] + 5))


def test_down_and_up(standin):
    url = f"{standin.base_url}/crm/v3/objects/deals/search"
    standin.configure(down=True)
    for _ in range(3):
        r = requests.post(url, json={}, headers=H)
        assert r.status_code == 503 and r.json()["status"] == "error"
    assert requests.get(f"{standin.base_url}/api/coupons").status_code == 503  # before auth
    standin.configure(down=False)
    assert requests.post(url, json={}, headers=H).status_code == 200
    with pytest.raises(TypeError):
        standin.configure(nonsense=1)


def test_planted_faults_are_applied(standin):
    b = standin.base_url
    deals = {r["id"]: r for r in walk_hubspot(b, "deals", 1000)}
    assert deals["202"]["properties"]["amount"] == "abc"
    assert deals["201"]["properties"]["amount"] == "1500"
    only_name = walk_hubspot(b, "deals", 1000, properties=["dealname"])
    assert all("amount" not in r["properties"] for r in only_name)
    tickets = {r["id"]: r for r in walk_zendesk(b, "tickets", 1)[0]}
    assert tickets[3]["updated_at"] == "not-a-date"
    assert tickets[4]["updated_at"] == "2024-01-01T06:00:00Z"
    profiles = walk_jsonapi(b, "profiles", 1000)
    missing = [p for p in profiles if p["id"] is None]
    assert len(missing) == 1 and missing[0]["attributes"]["email"] == "cy@example.com"


def test_fault_on_child_events_and_history(tmp_path):
    faults = [
        {"system": "support", "table": "ticket_event_children", "id": 9004,
         "field": "previous_value", "value": 42, "reason": "wrong type"},
        {"system": "crm", "table": "deal_stage_history", "id": "202", "field": "changed_at",
         "value": "not-a-date", "reason": "bad timestamp"},
        {"system": "support", "table": "tickets", "id": 1, "field": "id", "value": None,
         "reason": "missing id"},
    ]
    d = make_tiny_store(tmp_path, faults)
    with StandInServer(d) as s:
        events = {e["id"]: e for e in walk_events(s.base_url, 1000)}
        change = events[502]["child_events"][1]
        assert change["id"] == 9004 and change["previous_value"] == 42
        deals = {r["id"]: r for r in walk_hubspot(s.base_url, "deals", 10,
                                                  propertiesWithHistory=["dealstage"])}
        assert deals["202"]["propertiesWithHistory"]["dealstage"][0]["timestamp"] == "not-a-date"
        tickets, _ = walk_zendesk(s.base_url, "tickets", 1000)
        assert [t["id"] for t in tickets].count(None) == 1


# -- request log, reload ----------------------------------------------------------------------

def test_request_log_records_queries(standin):
    b = standin.base_url
    walk_hubspot(b, "contacts", 2, since=iso(h(2)))
    search = [e for e in standin.requests if e.path.endswith("/contacts/search")]
    assert len(search) == 2 and all(e.method == "POST" and e.status == 200 for e in search)
    assert search[0].json["filterGroups"][0]["filters"][0]["value"] == iso(h(2))
    assert search[1].json["after"] == "2"
    assert [e.records for e in search] == [2, 2] and search[0].table == "contacts"
    walk_zendesk(b, "tickets", 3, start_time=123)
    zd = [e for e in standin.requests if e.path.endswith("tickets/cursor.json")]
    assert zd[0].query == {"start_time": "123", "per_page": "3"}
    assert "cursor" in zd[1].query and zd[1].system == "support"
    standin.clear_log()
    assert standin.requests == []


def test_reload_and_resume_from_saved_cursor(tiny_store):
    with StandInServer(tiny_store) as s:
        _, last = walk_zendesk(s.base_url, "tickets", 1000)
        saved = last["after_cursor"]
        path = tiny_store / "demo" / "vendor" / "support" / "tickets.parquet"
        t = pq.read_table(path)
        extra = pa.Table.from_pylist(
            [{"id": 5, "subject": "New", "status": "new", "via__channel": "web", "tags": [],
              "created_at": h(7), "updated_at": h(7)},
             {"id": 2, "subject": "Where is my order?", "status": "solved",
              "via__channel": "web", "tags": [], "created_at": h(2), "updated_at": h(8)}],
            schema=t.schema)
        updated = pa.concat_tables([t.filter(pc.not_equal(t["id"], 2)), extra])
        pq.write_table(updated, path)
        r = ok(requests.get(f"{s.base_url}/api/v2/incremental/tickets/cursor.json",
                            params={"cursor": saved}, headers=H))
        assert r["tickets"] == []  # still the old store
        s.reload()
        r = ok(requests.get(f"{s.base_url}/api/v2/incremental/tickets/cursor.json",
                            params={"cursor": saved}, headers=H))
        assert [t["id"] for t in r["tickets"]] == [5, 2] and r["end_of_stream"] is True


def test_concurrent_clients_each_get_everything(standin, tiny_store):
    from concurrent.futures import ThreadPoolExecutor

    expected = store_ids(tiny_store, "support", "tickets", "updated_at")

    def walk(_):
        with requests.Session():
            return sorted(str(r["id"]) for r in walk_zendesk(standin.base_url, "tickets", 1)[0])

    with ThreadPoolExecutor(6) as pool:
        assert all(got == expected for got in pool.map(walk, range(12)))


def test_fault_on_nested_field_and_property_aliases(tmp_path):
    faults = [{"system": "support", "table": "tickets", "id": 2, "field": "via__channel",
               "value": 7, "reason": "wrong type"}]
    with StandInServer(make_tiny_store(tmp_path, faults)) as s:
        tickets = {t["id"]: t for t in walk_zendesk(s.base_url, "tickets", 1000)[0]}
        assert tickets[2]["via"] == {"channel": 7} and tickets[1]["via"] == {"channel": "email"}
        recs = walk_hubspot(s.base_url, "contacts", 10, properties=["hs_object_id", "email"])
        assert all(r["properties"]["hs_object_id"] == r["id"] for r in recs)
