"""Marketing email API (JSON:API shape) against the stand-in over HTTP, into DuckDB."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.demo.exports import write_exports
from ingestion.marketing import marketing_source
from ingestion.marketing.api import RESOURCES
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


def source(tmp_path, **kw):
    # only the API resources: the file resources have their own tests
    return marketing_source(files_url=str(tmp_path / "landing"), **kw).with_resources(
        *RESOURCES)


def expected(data) -> dict[str, int]:
    bad = planted(TINY_FAULTS, "marketing")
    return {t: n - bad.get(t, 0) for t, n in store_counts(data, "marketing").items()}


def raw(tmp_path) -> dict[str, int]:
    return {k: v for k, v in counts(tmp_path, "raw_marketing").items()
            if k in RESOURCES}


def filters(server, since: int = 0) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in server.requests[since:]:
        if "filter" in r.query and r.status == 200 and "page[cursor]" not in r.query:
            out.setdefault(r.path.rsplit("/", 1)[-1], []).append(r.query["filter"])
    return out


def test_full_unchanged_and_changed_runs(tmp_path, data, server):
    pipeline = make_pipeline(tmp_path, "marketing")
    pipeline.run(source(tmp_path, base_url=server.base_url, access_token=TOKEN))
    assert raw(tmp_path) == expected(data)
    q = query(tmp_path, "select source, table_name, record_key, field, reason, origin, "
                        "raw_record like '%cy@example.com%' from raw_marketing._quarantine")
    assert q == [("marketing", "profiles", "<null>", "id", "id: missing required field",
                  "GET /api/profiles", True)]
    assert filters(server) == {
        n: ["greater-or-equal(updated,1970-01-01T00:00:00Z)"] for n in RESOURCES}
    # id + attributes without prefix, typed by the spec
    assert query(tmp_path, "select id, event_type, url, datetime from "
                           "raw_marketing.email_events where id = 'e4'") == \
        [("e4", "clicked", "https://shop.example/sale", h(1, 90))]

    # nothing changed, after a burst of 503s (recovered with backoff): no rows, and every
    # filter carries the saved cursor
    server.configure(error_burst=3)
    mark = len(server.requests)
    info = pipeline.run(source(tmp_path, base_url=server.base_url, access_token=TOKEN))
    # resources run in parallel: order by arrival, not by completion
    arrived = sorted(server.requests[mark:], key=lambda r: r.seq)
    assert [r.status for r in arrived[:4]] == [503, 503, 503, 200]
    assert rows_of_load(tmp_path, "raw_marketing", info.loads_ids) == {}
    saved = {"campaigns": h(2), "profiles": h(3), "email_events": h(1, 120),
             "coupons": h(1), "coupon_redemptions": h(1)}
    assert filters(server, mark) == {
        n: [f"greater-or-equal(updated,{t.strftime('%Y-%m-%dT%H:%M:%SZ')})"]
        for n, t in saved.items()}

    # a new email event and a changed campaign
    def events(rows):
        return [*rows, {**rows[0], "id": "e9", "event_type": "opened", "datetime": h(9),
                        "updated": h(9)}]

    def campaigns(rows):
        for r in rows:
            if r["id"] == "c1":
                r.update(name="Spring 2", updated=h(9))
        return rows

    vendor = data / "demo" / "vendor" / "marketing"
    for name, change in (("email_events", events), ("campaigns", campaigns)):
        path = vendor / f"{name}.parquet"
        table = pq.read_table(path)
        pq.write_table(pa.Table.from_pylist(change(table.to_pylist()), schema=table.schema),
                       path)
    server.reload()
    mark = len(server.requests)
    info = pipeline.run(source(tmp_path, base_url=server.base_url, access_token=TOKEN))
    assert rows_of_load(tmp_path, "raw_marketing", info.loads_ids) == {
        "email_events": 1, "campaigns": 1}
    events = [r for r in server.requests[mark:] if r.path == "/api/email_events"]
    assert [r.records for r in events] == [2]  # boundary event e5 + the new e9
    assert query(tmp_path, "select name from raw_marketing.campaigns where id = 'c1'") == \
        [("Spring 2",)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_folder_same_counts_as_api(tmp_path, data, fmt):
    out = tmp_path / "exports"
    write_exports(data, out, fmt, systems=("marketing",))
    pipeline = make_pipeline(tmp_path, "marketing")
    pipeline.run(source(tmp_path, exports_path=str(out)))
    assert raw(tmp_path) == expected(data)
    assert query(tmp_path, "select table_name, record_key, field "
                           "from raw_marketing._quarantine") == [("profiles", "<null>", "id")]
    if fmt == "csv":
        info = pipeline.run(source(tmp_path, exports_path=str(out)))
        assert rows_of_load(tmp_path, "raw_marketing", info.loads_ids) == {}


def test_source_has_api_and_file_resources(tmp_path):
    source = marketing_source(base_url="http://127.0.0.1:9", access_token=TOKEN,
                              files_url=str(tmp_path / "landing"))
    assert list(source.resources) == [*RESOURCES, "ad_spend", "survey_responses",
                                      "experiment_assignments"]
