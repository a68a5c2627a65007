"""`cxm erase` end to end on a generated company (a copy of the session's `company`: real
ingestion over HTTP, real dbt build), published: the real CLI erases a person with
identifiers in all four sources (found in the generator's ground truth) and rebuilds with the
Dagster job `rebuild`; then no trace of them is left anywhere, the other people are
untouched, and a full reload from the stand-in API (which still serves the person) and their
re-landed web events does not bring them back."""

import json
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from cxm_cli.main import demo_settings, main
from ingestion import paths
from ingestion.common.erasure import read_register
from ingestion.demo.standin import StandInServer
from ingestion.pipeline import ingest
from orchestration.erase import erase
from orchestration.erase_landing import read_gzip_prefix
from orchestration.publish import publish

pytestmark = pytest.mark.slow
TOKEN = "erase-token"
TYPES = {"crm_contact_id", "support_user_id", "marketing_profile_id", "app_user_id", "email",
         "anonymous_id"}


def pick_person(base: Path) -> tuple[int, list[tuple[str, str]]]:
    """From the ground truth: a person known to all four sources with two emails and the
    most devices."""
    ids: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for r in pq.read_table(base / "demo/truth/identifiers.parquet").to_pylist():
        ids[r["person_id"]].append((r["identifier_type"], r["identifier_value"]))
    full = [(p, v) for p, v in ids.items() if {t for t, _ in v} >= TYPES
            and sum(t == "email" for t, _ in v) >= 2]
    return max(full, key=lambda pv: (sum(t == "anonymous_id" for t, _ in pv[1]), -pv[0]))


def _hit_sql(column: str, value: str) -> str:
    """`column` mentions `value`: digits as a whole number, anything else as a substring."""
    col = f'lower(cast("{column}" as varchar))'
    if value.isdigit():
        return f"regexp_matches({col}, '(^|[^0-9]){value}([^0-9]|$)')"
    return f"contains({col}, '{value.lower()}')"


def find_traces(db: Path, values: list[str]) -> dict[str, int]:
    """`schema.table.column` -> rows whose text mentions one of `values`, over every text
    and JSON column of every table and view of `db`."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = current_database() and (data_type in ('VARCHAR', 'JSON') "
            "or data_type like '%[]')").fetchall()
        hits = {}
        for schema, table, column in cols:
            where = " or ".join(_hit_sql(column, v) for v in values)
            n = con.execute(f'select count(*) from "{schema}"."{table}" where {where}'
                            ).fetchone()[0]
            if n:
                hits[f"{schema}.{table}.{column}"] = n
        return hits
    finally:
        con.close()


def file_traces(folder: Path, values: list[str]) -> list[str]:
    """Files under `folder` (gzip decompressed) whose text mentions one of `values`."""
    found = []
    patterns = [re.compile(rf"(?<![0-9]){v}(?![0-9])") if v.isdigit()
                else re.compile(re.escape(v.lower())) for v in values]
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = read_gzip_prefix(path) if path.suffix == ".gz" else path.read_bytes()
        text = raw.decode("utf-8", errors="replace").lower()
        if any(p.search(text) for p in patterns):
            found.append(str(path.relative_to(folder)))
    return found


def customer_rows(db: Path, customer_ids: list[str]) -> dict[str, tuple[int, int]]:
    """table -> (rows, rows of `customer_ids`) for every table with a customer_id column."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.columns "
            "where table_catalog = current_database() and column_name = 'customer_id'"
        ).fetchall()
        return {f"{s}.{t}": tuple(con.execute(
            f'select count(*), count(*) filter (where customer_id in (select unnest(?))) '
            f'from "{s}"."{t}"', [customer_ids]).fetchone()) for s, t in tables}
    finally:
        con.close()


def person_events(landing: Path, ids: list[tuple[str, str]]) -> set[str]:
    """messageIds of the person's web events in the landing files (read independently)."""
    anon = {v for t, v in ids if t == "anonymous_id"}
    users = {v for t, v in ids if t == "app_user_id"}
    emails = {v for t, v in ids if t == "email"}
    found = set()
    for path in (landing / "web/events").rglob("*.jsonl.gz"):
        for line in read_gzip_prefix(path).decode("utf-8", errors="replace").splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if not isinstance(e, dict):
                continue
            email = ((e.get("traits") or {}).get("email") or "").strip().lower()
            if e.get("anonymousId") in anon or e.get("userId") in users or email in emails:
                found.add(e.get("messageId"))
    return found


@pytest.fixture(scope="module")
def erased(company, tmp_path_factory):
    """A copy of the session's company (generated, ingested over HTTP, built by dbt:
    tests/company.py), published; then `cxm erase` (which runs the Dagster job `rebuild`),
    then a full reload."""
    base = tmp_path_factory.mktemp("erase") / "data"
    shutil.copytree(company.base, base)
    publish(base)
    person, ids = pick_person(base)
    landing = paths.landing_dir(base)
    web_files = {p: p.read_bytes() for p in (landing / "web/events").rglob("*.jsonl.gz")}
    warehouse, published = paths.warehouse_path(base), paths.published_path(base)
    with pytest.MonkeyPatch.context() as mp, StandInServer(base, token=TOKEN) as server:
        mp.delenv("DAGSTER_HOME", raising=False)
        mp.delenv("CXM_ERASURE_KEY", raising=False)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            [(customer_id,)] = con.execute(
                "select distinct customer_id from intermediate.int_identity__identifiers "
                "where identifier_type = 'email' and identifier_value = ?",
                [next(v for t, v in ids if t == "email")]).fetchall() or [(None,)]
            raw_events = con.execute("select count(*) from raw_web.events").fetchone()[0]
        before = {"warehouse": customer_rows(warehouse, [customer_id]),
                  "published": customer_rows(published, [customer_id]),
                  "events": raw_events, "person_events": person_events(landing, ids)}
        # a dry run counts and changes nothing
        dry = erase(base, email=next(v for t, v in ids if t == "email"), dry_run=True)
        assert customer_rows(warehouse, [customer_id]) == before["warehouse"]
        assert not (base / "privacy").exists()
        # the CLI, by the person's second email, in another case and with blanks
        email = [v for t, v in ids if t == "email"][1]
        started = time.perf_counter()
        assert main(["erase", "--email", f"  {email.upper()} ", "--data-dir", str(base)]) == 0
        seconds = time.perf_counter() - started
        after = {"warehouse": customer_rows(warehouse, [customer_id]),
                 "published": customer_rows(published, [customer_id])}
        with duckdb.connect(str(warehouse), read_only=True) as con:
            after["events"] = con.execute("select count(*) from raw_web.events").fetchone()[0]
        after["landing"] = file_traces(landing, [v for _, v in ids] + [customer_id])
        # a later full load: fresh cursors (no local dlt state, none restored from the
        # warehouse) against the API that still serves the person, and the person's web
        # event files landed again as they first came
        shutil.rmtree(paths.pipelines_dir(base))
        mp.setenv("RESTORE_FROM_DESTINATION", "false")
        relanded = [p for p, data in web_files.items() if data != p.read_bytes()]
        for p in relanded:
            p.write_bytes(web_files[p])
        report = ingest(base, settings=demo_settings(server.base_url, base, TOKEN))
        yield {"base": base, "ids": ids, "customer_id": customer_id, "before": before, "dry": dry,
               "after": after, "reload": report, "relanded": relanded, "seconds": seconds}


def test_person_was_found_through_the_identity_mapping(erased):
    assert erased["customer_id"] is not None
    [request] = read_register(erased["base"])
    # the register holds keyed hashes of every identifier, never a value
    assert {h["type"] for h in request.hashes} >= TYPES
    text = json.dumps(request.__dict__).lower()
    assert not [v for _, v in erased["ids"] if v.lower() in text]
    assert erased["customer_id"] not in text


def test_dry_run_counted_what_the_erasure_deleted(erased):
    [request] = read_register(erased["base"])
    dry = erased["dry"]
    assert {k: n for k, n in dry.deleted.items() if n} == \
        {k: n for k, n in request.deleted.items() if k != "landing:records"}
    assert dry.landing.records_removed == request.deleted["landing:records"] > 0
    assert dry.deleted["raw:raw_crm.contacts"] >= 1 and dry.deleted["raw:raw_web.events"] > 0


def test_no_trace_left_in_warehouse_published_and_landing(erased):
    base, values = erased["base"], [v for _, v in erased["ids"]] + [erased["customer_id"]]
    # read after the reload, which only adds rows: a trace left by the erasure would show
    assert find_traces(paths.warehouse_path(base), values) == {}
    assert find_traces(paths.published_path(base), values) == {}
    assert erased["after"]["landing"] == []  # (before the reload test lands them again)
    # dlt keeps no copy of loaded rows under pipelines/ (state and schemas only)
    assert file_traces(paths.pipelines_dir(base), values) == []
    assert not list(paths.pipelines_dir(base).glob("*/load/loaded/*/completed_jobs/*"))


def test_other_people_are_untouched(erased):
    before, after = erased["before"], erased["after"]
    for db in ("warehouse", "published"):
        assert set(after[db]) == set(before[db])
        for table, (rows, person_rows) in before[db].items():
            assert after[db][table] == (rows - person_rows, 0), table
    assert before["published"]["customer.customer_360"][1] == 1
    # raw web events: exactly the person's events (read from the landing files) are gone
    assert before["person_events"]
    assert before["events"] - after["events"] == len(before["person_events"])


def test_a_full_reload_does_not_bring_the_person_back(erased):
    report = erased["reload"]
    assert report.ok, report.render()
    erased_by = {s.source: s.erased for s in report.sources}
    assert all(erased_by[s] > 0 for s in ("crm", "support", "marketing", "web")), erased_by
    assert erased["relanded"]  # the person's files were put back as they first landed
    assert report.table("web", "events").erased >= len(erased["before"]["person_events"])
    values = [v for _, v in erased["ids"]]
    assert find_traces(paths.warehouse_path(erased["base"]), values) == {}


def test_unknown_person_changes_nothing(erased, capsys):
    base = erased["base"]
    register = paths.data_dir(base) / "privacy" / "erasure_requests.jsonl"
    size = register.stat().st_size
    assert main(["erase", "--email", "nobody@nowhere.example", "--data-dir", str(base)]) == 2
    assert "no person with this email" in capsys.readouterr().err
    assert register.stat().st_size == size


def test_busy_warehouse_is_refused(erased):
    """While another process writes the warehouse (here: this one holds it open), erase
    refuses and changes nothing."""
    base = erased["base"]
    register = paths.data_dir(base) / "privacy" / "erasure_requests.jsonl"
    size = register.stat().st_size
    holder = duckdb.connect(str(paths.warehouse_path(base)))
    try:
        email = [v for t, v in erased["ids"] if t == "email"][0]
        done = subprocess.run(
            [sys.executable, "-m", "cxm_cli.main", "erase", "--email", email,
             "--data-dir", str(base)], capture_output=True, text=True, timeout=300,
            cwd=Path(__file__).resolve().parents[2])
    finally:
        holder.close()
    assert done.returncode == 2, done.stderr
    assert "open by another process" in done.stderr
    assert register.stat().st_size == size
