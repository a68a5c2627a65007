"""CRM source (HubSpot shape) against the stand-in over HTTP, loading into a throwaway DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.common.http import ApiError, AuthError, SourceError
from ingestion.common.incremental import iso_z
from ingestion.crm import crm_source
from ingestion.demo.exports import write_exports
from ingestion.demo.standin import StandInServer
from tests.demo.conftest import TINY_FAULTS, TOKEN, h, tiny_table
from tests.ingestion.test_http import (  # noqa: F401 - fast_backoff is an autouse fixture
    cause,
    counts,
    fast_backoff,
    make_pipeline,
    planted,
    query,
    rows_of_load,
    store_counts,
)

OBJECTS = ("contacts", "companies", "deals", "orders", "line_items", "products")


def source(server, **kw):
    return crm_source(base_url=server.base_url, access_token=TOKEN, **kw)


def expected(data) -> dict[str, int]:
    bad = planted(TINY_FAULTS, "crm")
    return {t: n - bad.get(t, 0) for t, n in store_counts(data, "crm").items()}


def search_filters(server, since: int = 0) -> dict[str, list[tuple[str, str]]]:
    """(operator, value) of every search per object, from the stand-in's request log."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in server.requests[since:]:
        if r.method == "POST" and r.status == 200 and r.json:
            f = r.json["filterGroups"][0]["filters"][0]
            if not r.json.get("after"):
                out.setdefault(r.path.split("/")[-2], []).append((f["operator"], f["value"]))
    return out


def max_updated(data, table: str) -> str:
    t = tiny_table(data, "crm", table)
    return iso_z(pc.max(t.column("updated_at")).as_py(), "ms")


def change_contacts(data) -> None:
    """Contact 2 changes (updated 07:00), contact 6 is new (08:00)."""
    path = data / "demo" / "vendor" / "crm" / "contacts.parquet"
    contacts = pq.read_table(path).to_pylist()
    for row in contacts:
        if row["id"] == "2":
            row["lastname"], row["updated_at"] = "Changed", h(7)
    contacts.append({**contacts[0], "id": "6", "email": "new@example.com", "created_at": h(8),
                     "updated_at": h(8)})
    pq.write_table(pa.Table.from_pylist(contacts, schema=pq.read_schema(path)), path)


def test_full_unchanged_failed_and_changed_runs(tmp_path, data, server, monkeypatch):
    pipeline = make_pipeline(tmp_path, "crm")
    # 1. full load: every row but the planted fault, which is quarantined with its reason
    pipeline.run(source(server))
    assert {k: v for k, v in counts(tmp_path, "raw_crm").items() if k != "_quarantine"} \
        == expected(data)
    q = query(tmp_path, "select source, table_name, record_key, field, reason, origin "
                        "from raw_crm._quarantine")
    assert q == [("crm", "deals", "202", "amount", "amount: value abc is not a valid double",
                  "POST /crm/v3/objects/deals/search")]
    first = search_filters(server)
    assert first == {o: [("GTE", "1970-01-01T00:00:00.000Z")] for o in OBJECTS}
    # flattened properties without prefix, typed by the spec
    assert query(tmp_path, "select id, email, hs_email_optout, archived, updated_at "
                           "from raw_crm.contacts where id = '1'") == \
        [("1", "Ann@Example.com ", False, False, h(1))]
    assert query(tmp_path, "select deal_id, dealstage, changed_at, source_type from "
                           "raw_crm.deal_stage_history where deal_id = '201' order by 3"
                 )[-1] == ("201", "closedwon", h(2), "API")

    # 2. nothing changed: no new rows, and every search starts at the saved cursor
    mark = len(server.requests)
    info = pipeline.run(source(server))
    assert rows_of_load(tmp_path, "raw_crm", info.loads_ids) == {}
    second = search_filters(server, mark)
    assert second == {o: [("GTE", max_updated(data, o))] for o in OBJECTS}
    assert second["contacts"] == [("GTE", "2024-01-01T05:00:00.250Z")]
    loaded = counts(tmp_path, "raw_crm")

    # 3. the API is down: a clear error naming the endpoint; nothing loaded is lost
    change_contacts(data)
    server.reload()
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "2")
    server.configure(down=True)
    with pytest.raises(PipelineStepFailed) as ei:
        pipeline.run(source(server))
    err = cause(ei.value, ApiError)
    assert err is not None and str(err).startswith("crm: POST /crm/v3/objects/")
    assert "/search failed with status 503 after retries ran out" in str(err)
    assert counts(tmp_path, "raw_crm") == loaded

    # 4. back up: only the changed and the new contact are requested and merged
    server.configure(down=False)
    mark = len(server.requests)
    info = pipeline.run(source(server))
    assert rows_of_load(tmp_path, "raw_crm", info.loads_ids) == {"contacts": 2}
    log = [r for r in server.requests[mark:] if r.path.endswith("/contacts/search")]
    assert [r.json["filterGroups"][0]["filters"][0]["value"] for r in log] == \
        ["2024-01-01T05:00:00.250Z"]
    # the API answers >= cursor: the boundary record (5), the changed (2) and the new (6)
    assert [r.records for r in log] == [3]
    assert counts(tmp_path, "raw_crm")["contacts"] == 6
    assert query(tmp_path, "select lastname from raw_crm.contacts where id = '2'") == \
        [("Changed",)]


def test_wrong_token(tmp_path, server):
    with pytest.raises(PipelineStepFailed) as ei:
        make_pipeline(tmp_path, "crm").run(
            crm_source(base_url=server.base_url, access_token="nope").with_resources("deals"))
    err = cause(ei.value, AuthError)
    assert err is not None and str(err).startswith(
        "crm: the API token is missing or wrong (set sources.crm.access_token in "
        ".dlt/secrets.toml or SOURCES__CRM__ACCESS_TOKEN)")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_folder_same_counts_as_api(tmp_path, data, fmt):
    out = tmp_path / "exports"
    write_exports(data, out, fmt, systems=("crm",))
    pipeline = make_pipeline(tmp_path, "crm")
    pipeline.run(crm_source(exports_path=str(out)))
    got = counts(tmp_path, "raw_crm")
    assert {k: v for k, v in got.items() if k != "_quarantine"} == expected(data)
    assert query(tmp_path, "select table_name, record_key, field from raw_crm._quarantine") \
        == [("deals", "202", "amount")]
    if fmt == "csv":  # the same exports again: the cursor filter lets nothing through
        info = pipeline.run(crm_source(exports_path=str(out)))
        assert rows_of_load(tmp_path, "raw_crm", info.loads_ids) == {}
        assert counts(tmp_path, "raw_crm") == got


def test_search_cap_restarts_and_returns_everything_once(tmp_path, data):
    # page_cap=2 with one record per page: every search stops after two records, and the
    # tiny store has ties (contacts 2+3 at 02:00, deals 202+203 at 03:00)
    with StandInServer(data, token=TOKEN, page_cap=2) as srv:
        pipeline = make_pipeline(tmp_path, "crm")
        pipeline.run(source(srv, page_size=1))
        rows = pipeline.last_trace.last_normalize_info.row_counts
        exp = expected(data)
        for table in ("contacts", "companies", "orders", "line_items", "products"):
            assert rows[table] == exp[table], table  # extracted exactly once, not merged away
        assert rows["deals"] == exp["deals"]
        assert rows["deal_stage_history"] == exp["deal_stage_history"]
        assert {k: v for k, v in counts(tmp_path, "raw_crm").items() if k != "_quarantine"} \
            == exp
        assert any(r.status == 400 for r in srv.requests)
        ops = [op for op, _ in search_filters(srv)["contacts"]]
        assert ops == ["GTE", "GTE", "EQ", "GT"]


def test_more_ties_than_the_cap_fail_clearly(tmp_path, data):
    with StandInServer(data, token=TOKEN, page_cap=1) as srv, \
            pytest.raises(PipelineStepFailed) as ei:
        make_pipeline(tmp_path, "crm").run(
            source(srv, page_size=1).with_resources("contacts"))
    err = cause(ei.value, SourceError)
    assert err is not None
    assert str(err).startswith(
        "crm: POST /crm/v3/objects/contacts/search: more contacts share hs_lastmodifieddate = "
        "2024-01-01T02:00:00.000Z than one search can page through")


def test_start_date_bounds_the_first_run(tmp_path, server):
    pipeline = make_pipeline(tmp_path, "crm")
    pipeline.run(source(server, start_date="2024-01-01T03:00:00Z").with_resources("contacts"))
    assert query(tmp_path, "select id from raw_crm.contacts order by id") == [("4",), ("5",)]
