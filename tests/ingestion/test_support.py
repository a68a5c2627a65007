"""Support source (Zendesk shape) against the stand-in over HTTP, into a throwaway DuckDB."""

from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.demo.exports import write_exports
from ingestion.support import support_source
from tests.demo.conftest import TINY_FAULTS, TOKEN, h
from tests.ingestion.test_http import (  # noqa: F401 - fast_backoff is an autouse fixture
    counts,
    fast_backoff,
    make_pipeline,
    planted,
    query,
    rows_of_load,
    store_counts,
)

PATHS = {"tickets": "/api/v2/incremental/tickets/cursor.json",
         "users": "/api/v2/incremental/users/cursor.json",
         "ticket_events": "/api/v2/incremental/ticket_events.json",
         "satisfaction_ratings": "/api/v2/satisfaction_ratings"}


def expected(data) -> dict[str, int]:
    bad = planted(TINY_FAULTS, "support")
    return {t: n - bad.get(t, 0) for t, n in store_counts(data, "support").items()}


def raw(tmp_path) -> dict[str, int]:
    return {k: v for k, v in counts(tmp_path, "raw_support").items() if k != "_quarantine"}


def start_times(server, since: int = 0) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in server.requests[since:]:
        if "start_time" in r.query and r.status == 200:
            name = next(n for n, p in PATHS.items() if r.path == p)
            out.setdefault(name, []).append(r.query["start_time"])
    return out


def unix(dt) -> str:
    return str(int(dt.timestamp()))


def test_full_unchanged_and_changed_runs(tmp_path, data, server):
    pipeline = make_pipeline(tmp_path, "support")
    source = support_source(base_url=server.base_url, access_token=TOKEN)
    pipeline.run(source)
    assert raw(tmp_path) == expected(data)
    assert query(tmp_path, "select source, table_name, record_key, field, reason, origin "
                           "from raw_support._quarantine") == [
        ("support", "tickets", "3", "updated_at",
         "updated_at: value not-a-date is not a valid timestamp",
         "GET /api/v2/incremental/tickets/cursor.json")]
    assert start_times(server) == {n: ["0"] for n in PATHS}
    # nested via.channel -> via__channel; tags stay a list; child events keep their audit
    assert query(tmp_path, "select via__channel, tags from raw_support.tickets where id = 1") \
        == [("email", '["damage","refund"]')]
    assert query(tmp_path, "select audit_id, ticket_id, event_type, public, body, created_at "
                           "from raw_support.ticket_event_children where id = 9003") == \
        [(502, 1, "Comment", False, "internal note", h(1, 0.5))]
    assert query(tmp_path, "select via__channel, event_type from raw_support.ticket_events "
                           "where id = 505") == [("api", "Audit")]
    cols = {r[0] for r in query(tmp_path, "select column_name from information_schema.columns "
                                          "where table_name = 'ticket_events'")}
    assert "timestamp" not in cols and "child_events" not in cols

    # nothing changed, in a 429 storm: the run waits out every Retry-After and succeeds;
    # no rows, and the start_time of every endpoint is the saved cursor
    server.configure(rate_limit_share=0.5, retry_after=1)
    mark = len(server.requests)
    t0 = time.perf_counter()
    info = pipeline.run(support_source(base_url=server.base_url, access_token=TOKEN))
    elapsed = time.perf_counter() - t0
    limited = sum(r.status == 429 for r in server.requests[mark:])
    # resources run in parallel, so their waits overlap: at least one full Retry-After
    assert limited >= 1 and elapsed >= 1.0
    server.configure(rate_limit_share=0.0)
    assert rows_of_load(tmp_path, "raw_support", info.loads_ids) == {}
    assert start_times(server, mark) == {n: [unix(h(6))] for n in PATHS}

    # ticket 2 is solved at 07:00 (now with two fields outside the spec), with a new audit
    # and its child event; ticket 4 changes without a new updated_at (same second as the
    # saved cursor): the boundary is deduplicated by content, so it is loaded too
    def tickets(rows):
        for r in rows:
            r["url"] = r["via__source__rel"] = None
            if r["id"] == 2:
                r.update(status="solved", updated_at=h(7), url="u2",
                         via__source__rel="follow_up")
            if r["id"] == 4:  # changed within the same second as the saved cursor
                r["subject"] = "Thanks again"
        return rows

    def audits(rows):
        return [*rows, {**rows[0], "id": 506, "ticket_id": 2, "created_at": h(7)}]

    def children(rows):
        return [*rows, {**rows[1], "id": 9007, "audit_id": 506, "ticket_id": 2,
                        "value": "solved", "previous_value": "open", "created_at": h(7)}]

    vendor = data / "demo" / "vendor" / "support"
    for name, change in (("tickets", tickets), ("ticket_events", audits),
                         ("ticket_event_children", children)):
        path = vendor / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist(change(pq.read_table(path).to_pylist())), path)
    server.reload()
    mark = len(server.requests)
    info = pipeline.run(support_source(base_url=server.base_url, access_token=TOKEN))
    assert rows_of_load(tmp_path, "raw_support", info.loads_ids) == {
        "tickets": 2, "ticket_events": 1, "ticket_event_children": 1}
    tickets = [r for r in server.requests[mark:] if r.path == PATHS["tickets"]]
    assert [(r.query.get("start_time"), r.records) for r in tickets] == [(unix(h(6)), 2)]
    # fields outside the spec flow through as new columns (nested ones flattened with __)
    assert query(tmp_path, "select status, url, via__source__rel from raw_support.tickets "
                           "where id = 2") == [("solved", "u2", "follow_up")]
    assert query(tmp_path, "select subject from raw_support.tickets where id = 4") == \
        [("Thanks again",)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_folder_same_counts_as_api(tmp_path, data, fmt):
    out = tmp_path / "exports"
    write_exports(data, out, fmt, systems=("support",))
    pipeline = make_pipeline(tmp_path, "support")
    pipeline.run(support_source(exports_path=str(out)))
    assert raw(tmp_path) == expected(data)
    assert query(tmp_path, "select table_name, record_key, field from raw_support._quarantine"
                 ) == [("tickets", "3", "updated_at")]
    if fmt == "parquet":  # re-reading the same exports adds nothing
        info = pipeline.run(support_source(exports_path=str(out)))
        assert rows_of_load(tmp_path, "raw_support", info.loads_ids) == {}
