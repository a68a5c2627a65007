"""The REST client (ingestion.common.http) against the stand-in over real HTTP: retries,
Retry-After, clear errors. Also holds the small helpers the REST source tests share."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from ingestion.common.http import (
    ApiError,
    AuthError,
    SourceConfigError,
    decode_page,
    make_client,
)
from ingestion.demo.standin import StandInServer
from tests.demo.conftest import TOKEN, make_tiny_store

# -- helpers shared by test_crm.py, test_support.py, test_marketing_api.py ------------------


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    """Exponential backoff of 10 ms, 20 ms, ... so retry tests stay fast (Retry-After is
    still honoured in full)."""
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "5")


def make_pipeline(tmp_path: Path, name: str) -> dlt.Pipeline:
    return dlt.pipeline(f"test_{name}", destination=dlt.destinations.duckdb(db_path(tmp_path)),
                        dataset_name=f"raw_{name}", pipelines_dir=str(tmp_path / "pipelines"))


def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "warehouse.duckdb")


def query(tmp_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(db_path(tmp_path), read_only=True) as con:
        return con.sql(sql).fetchall()


def counts(tmp_path: Path, dataset: str) -> dict[str, int]:
    with duckdb.connect(db_path(tmp_path), read_only=True) as con:
        names = [r[0] for r in con.sql(
            "select table_name from information_schema.tables where table_schema = "
            f"'{dataset}' and table_name not like '_dlt_%'").fetchall()]
        return {n: con.sql(f'select count(*) from {dataset}."{n}"').fetchall()[0][0]
                for n in names}


def rows_of_load(tmp_path: Path, dataset: str, load_ids: list[str]) -> dict[str, int]:
    """Rows per table written by the given loads."""
    if not load_ids:
        return {}
    ids = ", ".join(f"'{i}'" for i in load_ids)
    out = {}
    for table in counts(tmp_path, dataset):
        n = query(tmp_path, f'select count(*) from {dataset}."{table}" '
                            f"where _dlt_load_id in ({ids})")[0][0]
        if n:
            out[table] = n
    return out


def cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of type `kind` in the cause/context chain of `exc`."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def store_counts(data_dir: Path, system: str) -> dict[str, int]:
    from ingestion.demo.standin.store import SPECS, read_table, vendor_dir

    vdir = vendor_dir(data_dir)
    return {name: read_table(vdir, system, name).num_rows for name in SPECS[system]}


def planted(faults: list[dict[str, Any]], system: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in faults:
        if f["system"] == system:
            out[f["table"]] = out.get(f["table"], 0) + 1
    return out


# -- client tests ---------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path):
    with StandInServer(make_tiny_store(tmp_path / "data"), token=TOKEN) as srv:
        yield srv


SEARCH = "/crm/v3/objects/contacts/search"
BODY = {"limit": 2, "filterGroups": [], "sorts": [], "properties": ["email"]}


def test_429_storm_honours_retry_after(server):
    server.configure(rate_limit_share=0.5, retry_after=1)
    client = make_client("crm", server.base_url, TOKEN)
    t0 = time.perf_counter()
    for _ in range(2):
        page = client.page("POST", SEARCH, "results", json_body=BODY)
        assert page.num_records == 2
    elapsed = time.perf_counter() - t0
    limited = [r for r in server.requests if r.status == 429]
    assert limited, "the storm should have produced 429s"
    # each 429 waited its Retry-After (1 s), not the 10 ms exponential backoff
    assert elapsed >= len(limited) * 1.0 - 0.05
    assert [r.status for r in server.requests].count(200) == 2


def test_503_burst_recovers_with_backoff(server):
    server.configure(error_burst=3)
    client = make_client("crm", server.base_url, TOKEN)
    page = client.page("POST", SEARCH, "results", json_body=BODY)
    assert page.num_records == 2
    assert [r.status for r in server.requests] == [503, 503, 503, 200]


def test_down_fails_naming_endpoint_and_status(server):
    server.configure(down=True)
    client = make_client("crm", server.base_url, TOKEN, max_attempts=3)
    with pytest.raises(ApiError) as ei:
        client.page("POST", SEARCH, "results", json_body=BODY)
    msg = str(ei.value)
    assert msg.startswith("crm: POST /crm/v3/objects/contacts/search failed with status 503")
    assert "after retries ran out" in msg
    assert ei.value.status == 503
    assert len(server.requests) == 3  # the configured budget


def test_connection_refused_names_endpoint(tmp_path):
    with StandInServer(make_tiny_store(tmp_path / "data"), token=TOKEN) as srv:
        base = srv.base_url
    client = make_client("support", base, TOKEN, max_attempts=2)
    with pytest.raises(ApiError, match=r"support: GET /api/v2/satisfaction_ratings failed "
                                       r"with no response after retries ran out"):
        client.get("/api/v2/satisfaction_ratings")


def test_wrong_or_missing_token(server):
    with pytest.raises(AuthError) as ei:
        make_client("crm", server.base_url, "wrong").post(SEARCH, BODY)
    assert str(ei.value).startswith(
        "crm: the API token is missing or wrong (set sources.crm.access_token in "
        ".dlt/secrets.toml or SOURCES__CRM__ACCESS_TOKEN)")
    assert [r.status for r in server.requests] == [401]  # 401 is not retried
    with pytest.raises(AuthError, match="SOURCES__SUPPORT__ACCESS_TOKEN"):
        make_client("support", server.base_url, None).get("/api/v2/satisfaction_ratings")


def test_missing_base_url_is_a_config_error():
    with pytest.raises(SourceConfigError, match=r"marketing: no API base_url configured "
                                                r"\(set sources.marketing.base_url"):
        make_client("marketing", None, TOKEN)
    with pytest.raises(SourceConfigError, match="not an http"):
        make_client("marketing", "localhost:8000", TOKEN)


def test_source_reports_missing_base_url_when_it_runs(tmp_path, monkeypatch):
    from ingestion.crm import crm_source

    monkeypatch.delenv("SOURCES__CRM__BASE_URL", raising=False)
    source = crm_source(access_token=TOKEN)  # building the source never fails
    with pytest.raises(PipelineStepFailed) as ei:
        make_pipeline(tmp_path, "crm").run(source.with_resources("products"))
    err = cause(ei.value, SourceConfigError)
    assert err is not None and "SOURCES__CRM__BASE_URL" in str(err)


def test_decode_page_arrow_and_python_fallback():
    page = decode_page(b'{"data": [{"id": "1", "attributes": {"n": 1}}], '
                       b'"links": {"next": null}}', "data")
    assert page.table is not None and page.table.num_rows == 1
    assert page.envelope == {"links": {"next": None}}
    # a field with two JSON types cannot be one Arrow column: Python dicts instead
    mixed = decode_page(b'{"tickets": [{"id": 1}, {"id": "x"}], "end_of_stream": true}',
                        "tickets")
    assert mixed.table is None and mixed.records == [{"id": 1}, {"id": "x"}]
    assert mixed.envelope == {"end_of_stream": True}
    # pretty-printed bodies too
    pretty = decode_page(b'{\n  "results": [\n    {"id": "1"}\n  ]\n}\n', "results")
    assert pretty.num_records == 1
    empty = decode_page(b'{"results": []}', "results")
    assert empty.num_records == 0


def test_body_that_breaks_off_is_retried():
    """Bodies are streamed (read in one call), so a truncated body is retried by the client
    itself, like dlt retries a broken non-streamed one."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    calls = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - stdlib name
            calls.append(self.path)
            body = b'{"data": [{"id": "1"}], "links": {"next": null}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if len(calls) == 1:  # first answer: half the body, then the connection drops
                self.wfile.write(body[:10])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = make_client("marketing", f"http://127.0.0.1:{httpd.server_address[1]}", TOKEN)
        page = client.page("GET", "/api/campaigns", "data")
        assert page.num_records == 1 and len(calls) == 2
    finally:
        httpd.shutdown()
        httpd.server_close()
