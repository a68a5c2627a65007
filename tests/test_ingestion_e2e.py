"""The whole ingestion path on a generated company: generator -> stand-in APIs over HTTP and
event files -> the four dlt sources -> raw schemas of a real DuckDB file, measured against
the generator's ground truth (demo/truth/expected.json)."""

from __future__ import annotations

import json

import duckdb
import pytest

from cxm_cli.main import demo_settings
from ingestion.demo.generator import generate
from ingestion.demo.standin import StandInServer
from ingestion.paths import warehouse_path
from ingestion.pipeline import ingest

TOKEN = "e2e-token"


def _counts(base) -> dict[str, int]:
    with duckdb.connect(str(warehouse_path(base)), read_only=True) as con:
        tables = con.sql("select table_schema, table_name from information_schema.tables "
                         "where table_schema like 'raw\\_%' escape '\\' "
                         "and table_schema not like '%\\_staging' escape '\\' "
                         "and table_name not like '\\_%' escape '\\'").fetchall()
        return {f"{s.removeprefix('raw_')}.{t}":
                con.sql(f'select count(*) from "{s}"."{t}"').fetchall()[0][0]
                for s, t in tables}


def _served(requests) -> int:
    return sum(r.records for r in requests if r.status == 200)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    base = tmp_path_factory.mktemp("company")
    generate(base, scale="XS", seed=11)
    truth = json.loads((base / "demo/truth/expected.json").read_text())
    with StandInServer(base, token=TOKEN) as server:
        settings = demo_settings(server.base_url, base, token=TOKEN)
        first = ingest(base, settings=settings)
        first_requests = list(server.requests)
        first_counts = _counts(base)

        server.requests.clear()
        second = ingest(base, settings=settings)
        second_requests = list(server.requests)

        generate(base, scale="XS", seed=11, extend_days=1)
        truth_next = json.loads((base / "demo/truth/expected.json").read_text())
        server.reload()
        server.requests.clear()
        third = ingest(base, settings=settings)
        third_requests = list(server.requests)
    yield {
        "base": base, "truth": truth, "truth_next": truth_next,
        "runs": [first, second, third],
        "requests": [first_requests, second_requests, third_requests],
        "counts": [first_counts, None, _counts(base)],
    }


def test_every_raw_table_matches_the_generated_company(company):
    assert company["counts"][0] == company["truth"]["expected_rows"]


def test_planted_malformed_records_are_quarantined_with_their_field(company):
    with duckdb.connect(str(warehouse_path(company["base"])), read_only=True) as con:
        for key, planted in company["truth"]["malformed"].items():
            source, table = key.split(".")
            rows = con.sql(
                "select record_key, field, reason, origin "
                f"from raw_{source}._quarantine where table_name = ? and field <> 'file'",
                params=[table]).fetchall()
            assert len(rows) == len(planted), (key, rows)
            for p in planted:
                if "file" in p:  # a bad line of an event file: traced to its file
                    assert any(o.endswith(p["file"]) for *_, o in rows), (p, rows)
                    if p.get("message_id"):
                        assert any(k == p["message_id"] for k, *_ in rows), (p, rows)
                elif p["field"] == "id":  # missing primary key
                    assert any(f == "id" and "missing" in r for _, f, r, _ in rows), (p, rows)
                else:
                    assert any(k == str(p["id"]) and f == p["field"] for k, f, _, _ in rows), \
                        (p, rows)


def test_corrupt_event_file_is_reported_by_name_and_the_rest_loads(company):
    corrupt = [c["file"] for c in company["truth"]["corrupt_files"]]
    assert corrupt
    with duckdb.connect(str(warehouse_path(company["base"])), read_only=True) as con:
        reported = {r[0] for r in con.sql(
            "select record_key from raw_web._quarantine where field = 'file'").fetchall()}
    for name in corrupt:
        assert any(r.endswith(name) for r in reported), (name, reported)
    assert company["counts"][0]["web.events"] == company["truth"]["expected_rows"]["web.events"]


def test_duplicate_deliveries_are_merged_and_counted(company):
    first = company["runs"][0]
    dupes = company["truth"]["duplicates"]["web.events"]
    assert dupes > 0
    events = first.table("web", "events")
    assert events.rows_after == company["truth"]["expected_rows"]["web.events"]
    assert events.duplicates_dropped + events.merged == dupes == events.deduplicated


def test_second_run_without_new_data_adds_nothing_and_sends_the_saved_cursors(company):
    second = company["runs"][1]
    assert all(t.new_rows == 0 for s in second.sources for t in s.tables.values())
    first_served, second_served = (_served(r) for r in company["requests"][:2])
    # only the records at the saved cursor value (inclusive filters) come back
    assert second_served <= 0.01 * first_served
    searches = [r for r in company["requests"][1] if r.path.endswith("/search")]
    assert searches and all(
        r.json["filterGroups"][0]["filters"][0]["value"] not in ("0", "1970-01-01T00:00:00Z")
        for r in searches)
    zendesk = [r for r in company["requests"][1] if "start_time" in r.query]
    assert zendesk and all(int(r.query["start_time"]) > 0 for r in zendesk)


def test_one_more_day_loads_only_new_or_changed_records(company):
    truth_next = company["truth_next"]["expected_rows"]
    assert company["counts"][2] == truth_next
    grown = {k for k, v in truth_next.items() if v > company["truth"]["expected_rows"][k]}
    assert "web.events" in grown and "crm.contacts" in grown
    first_served, third_served = (_served(company["requests"][i]) for i in (0, 2))
    assert 0 < third_served < 0.05 * first_served
    web = company["runs"][2].table("web", "events")
    new_events = truth_next["web.events"] - company["truth"]["expected_rows"]["web.events"]
    assert web.new_rows == new_events
    assert web.extracted < 0.05 * company["runs"][0].table("web", "events").extracted
