"""Throughput of the stand-in: records/s a client walking every page receives.

    uv run python -m benchmarks.standin --records 200000 [--data-dir DIR]

Builds (or reuses) a synthetic vendor store with `--records` rows in contacts, tickets,
ticket_events (two child events each) and email_events, starts the server in a separate
process (like `cxm demo`: the pipeline runs elsewhere), and walks each endpoint from the
beginning with `requests` + JSON parsing, as a connector does, at page sizes 100 and 1000.
Every measurement uses a fresh server, so rows are rendered on the way (cold cache).
Besides end-to-end records/s (client-bound: `requests` + JSON parsing), it reports records
per CPU-second of the server process, which does not depend on what else runs on the box.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import requests

from ingestion.demo.standin.store import SPECS

TOKEN = "bench-token"
T0_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z
YEAR_US = 365 * 86_400 * 1_000_000


def _ts(rng: np.random.Generator, n: int) -> pa.Array:
    secs = np.sort(rng.integers(0, YEAR_US // 1_000_000, n))
    return pa.array(T0_US + secs * 1_000_000, pa.timestamp("us", tz="UTC"))


def _ids(prefix: str, n: int) -> pa.Array:
    return pa.array(np.char.add(prefix, np.arange(1, n + 1).astype(str)))


def _pick(rng: np.random.Generator, values: list[str], n: int) -> pa.Array:
    return pa.array(np.asarray(values, dtype=object)[rng.integers(0, len(values), n)],
                    pa.string())


def synthetic_store(data_dir: str | os.PathLike, n: int, seed: int = 0) -> Path:
    """A vendor store with n rows in the measured tables (a few in the others); vectorised."""
    rng = np.random.default_rng(seed)
    vendor = Path(data_dir) / "demo" / "vendor"
    small = min(n, 1000)
    ids = np.arange(1, n + 1)
    tables: dict[tuple[str, str], dict[str, pa.Array]] = {
        ("crm", "contacts"): {
            "id": _ids("", n), "created_at": _ts(rng, n), "updated_at": _ts(rng, n),
            "archived": pa.array(np.zeros(n, bool)),
            "email": pa.array(np.char.add(np.char.add("user", ids.astype(str)), "@example.com")),
            "firstname": _pick(rng, ["Ann", "Bob", "Cy", "Dee", "Ève"], n),
            "lastname": _pick(rng, ["Lee", "O'Neil", "Smith", "Müller"], n),
            "phone": _pick(rng, ["+1 555 0100", "+49 30 1234"], n),
            "associatedcompanyid": pa.array(rng.integers(1, 1000, n).astype(str)),
            "lifecyclestage": _pick(rng, ["lead", "customer", "subscriber", "opportunity"], n),
            "hubspot_owner_id": pa.array(rng.integers(1, 20, n).astype(str)),
            "hs_analytics_source": _pick(rng, ["ORGANIC_SEARCH", "PAID_SEARCH", "DIRECT_TRAFFIC"],
                                         n),
            "app_user_id": _ids("u", n),
            "hs_email_optout": pa.array(rng.random(n) < 0.1),
        },
        ("support", "tickets"): {
            "id": pa.array(ids), "requester_id": pa.array(rng.integers(1, 50_000, n)),
            "submitter_id": pa.array(rng.integers(1, 50_000, n)),
            "assignee_id": pa.array(rng.integers(1, 50, n)),
            "organization_id": pa.nulls(n, pa.int64()), "group_id": pa.array(rng.integers(1, 5, n)),
            "subject": _pick(rng, ["Where is my order?", "Broken item", "Refund \"please\""], n),
            "description": _pick(rng, ["Hello,\nmy order has not arrived.", "It broke.\tHelp"], n),
            "external_id": pa.nulls(n, pa.string()),
            "type": _pick(rng, ["question", "incident", "problem", "task"], n),
            "priority": _pick(rng, ["low", "normal", "high", "urgent"], n),
            "status": _pick(rng, ["new", "open", "pending", "solved", "closed"], n),
            "tags": pa.array([["shipping", "vip"], [], ["refund"]] * (n // 3) +
                             [["x"]] * (n % 3), pa.list_(pa.string())),
            "via__channel": _pick(rng, ["web", "email", "chat", "api"], n),
            "created_at": _ts(rng, n), "updated_at": _ts(rng, n),
        },
        ("support", "ticket_events"): {
            "id": pa.array(ids), "ticket_id": pa.array(rng.integers(1, n + 1, n)),
            "updater_id": pa.array(rng.integers(1, 50_000, n)),
            "via__channel": _pick(rng, ["web", "email"], n),
            "event_type": pa.array(np.full(n, "Audit", dtype=object), pa.string()),
            "created_at": _ts(rng, n),
        },
        ("support", "ticket_event_children"): {
            "id": pa.array(np.arange(1, 2 * n + 1)), "audit_id": pa.array(np.repeat(ids, 2)),
            "ticket_id": pa.array(np.repeat(rng.integers(1, n + 1, n), 2)),
            "author_id": pa.array(np.repeat(rng.integers(1, 50_000, n), 2)),
            "event_type": pa.array(np.tile(np.array(["Comment", "Change"], dtype=object), n),
                                   pa.string()),
            "public": pa.array(np.tile([True, None], n), pa.bool_()),
            "body": pa.array(np.tile(np.array(["Thanks, looking into it.", None], dtype=object),
                                     n), pa.string()),
            "field_name": pa.array(np.tile(np.array([None, "status"], dtype=object), n),
                                   pa.string()),
            "value": pa.array(np.tile(np.array([None, "open"], dtype=object), n), pa.string()),
            "previous_value": pa.array(np.tile(np.array([None, "new"], dtype=object), n),
                                       pa.string()),
            "created_at": pa.array(np.repeat(np.full(n, T0_US), 2),
                                   pa.timestamp("us", tz="UTC")),
        },
        ("marketing", "email_events"): {
            "id": _ids("ev", n), "profile_id": pa.array(np.char.add("p", rng.integers(
                1, 50_000, n).astype(str))),
            "campaign_id": pa.array(np.char.add("c", rng.integers(1, 50, n).astype(str))),
            "event_type": _pick(rng, ["sent", "opened", "clicked", "bounced"], n),
            "url": _pick(rng, ["https://shop.example/sale?utm_source=newsletter"], n),
            "datetime": (dt := _ts(rng, n)), "updated": dt,
        },
    }
    for (system, name), cols in tables.items():
        _write(vendor, system, name, pa.table(cols))
    for system, specs in SPECS.items():
        for name, spec in specs.items():
            if (system, name) in tables:
                continue
            schema = spec.arrow_schema()
            cols = {}
            for f in schema:
                if f.name == "id":
                    cols[f.name] = pa.array(np.arange(1, small + 1)).cast(f.type)
                elif pa.types.is_timestamp(f.type):
                    cols[f.name] = _ts(rng, small)
                else:
                    cols[f.name] = pa.nulls(small, f.type)
            _write(vendor, system, name, pa.table(cols, schema=schema))
    (vendor / "faults.json").write_text("[]")
    return Path(data_dir)


def _write(vendor: Path, system: str, name: str, table: pa.Table) -> None:
    schema = SPECS[system][name].arrow_schema()
    (vendor / system).mkdir(parents=True, exist_ok=True)
    pq.write_table(table.select(schema.names).cast(schema), vendor / system / f"{name}.parquet")


# -- measurement -------------------------------------------------------------------------------

def _walk(base: str, endpoint: str, size: int, session: requests.Session) -> int:
    h = {"Authorization": f"Bearer {TOKEN}"}
    n = 0
    if endpoint == "hubspot contacts search":
        body = {"limit": size, "filterGroups": [{"filters": [{
            "propertyName": "hs_lastmodifieddate", "operator": "GTE",
            "value": "2023-01-01T00:00:00.000Z"}]}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}]}
        while True:
            page = session.post(f"{base}/crm/v3/objects/contacts/search", json=body,
                                headers=h).json()
            n += len(page["results"])
            after = page.get("paging", {}).get("next", {}).get("after")
            if after is None:
                return n
            if int(after) >= 10_000:  # the cap: a new search from the last timestamp seen
                body.pop("after", None)
                body["filterGroups"][0]["filters"][0]["value"] = \
                    page["results"][-1]["properties"]["hs_lastmodifieddate"]
            else:
                body["after"] = after
    if endpoint == "zendesk tickets cursor":
        url = f"{base}/api/v2/incremental/tickets/cursor.json?start_time=0&per_page={size}"
        while True:
            page = session.get(url, headers=h).json()
            n += len(page["tickets"])
            if page["end_of_stream"]:
                return n
            url = page["after_url"]
    if endpoint == "zendesk ticket_events":
        url = f"{base}/api/v2/incremental/ticket_events.json?start_time=0&per_page={size}" \
              "&include=comment_events"
        while url:
            page = session.get(url, headers=h).json()
            n += len(page["ticket_events"])
            url = page["next_page"]
        return n
    url = f"{base}/api/email_events?page[size]={size}&filter=greater-or-equal(updated," \
          "2023-01-01T00:00:00Z)"
    while url:
        page = session.get(url, headers=h).json()
        n += len(page["data"])
        url = page["links"]["next"]
    return n


def _cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


_TAIL = {"zendesk tickets cursor": re.compile(rb'"after_url":"([^"]*)"'),
         "zendesk ticket_events": re.compile(rb'"next_page":"([^"]*)"'),
         "jsonapi email_events": re.compile(rb'"next":"([^"]*)"')}


def _walk_raw(base: str, endpoint: str, size: int) -> int:
    """Like `_walk`, but with http.client and no JSON parsing: what the server can push."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    conn = http.client.HTTPConnection(host, port)
    h = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    n = 0
    if endpoint == "hubspot contacts search":
        after, since = 0, "2023-01-01T00:00:00.000Z"
        while True:
            body = json.dumps({"limit": size, "after": str(after), "filterGroups": [{"filters": [
                {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since}]}]})
            conn.request("POST", "/crm/v3/objects/contacts/search", body, h)
            data = conn.getresponse().read()
            got = data.count(b'"archived":')
            n += got
            if b'"paging"' not in data[-200:]:
                return n
            after += size
            if after >= 10_000:
                since = re.findall(rb'"updatedAt":"([^"]*)"', data)[-1].decode()
                after = 0
    path = {"zendesk tickets cursor":
            f"/api/v2/incremental/tickets/cursor.json?start_time=0&per_page={size}",
            "zendesk ticket_events":
            f"/api/v2/incremental/ticket_events.json?start_time=0&per_page={size}"
            "&include=comment_events",
            "jsonapi email_events":
            f"/api/email_events?page[size]={size}&filter=greater-or-equal(updated,"
            "2023-01-01T00:00:00Z)"}[endpoint]
    marker = {"zendesk tickets cursor": b'"via":', "zendesk ticket_events": b'"child_events":',
              "jsonapi email_events": b'"attributes":'}[endpoint]
    while True:
        conn.request("GET", path, headers=h)
        data = conn.getresponse().read()
        n += data.count(marker)
        if b'"end_of_stream":true' in data[-300:]:
            return n
        m = _TAIL[endpoint].search(data, max(0, len(data) - 2000))
        if m is None:
            return n
        path = m.group(1).decode().split(base, 1)[1]


ENDPOINTS = ("hubspot contacts search", "zendesk tickets cursor", "zendesk ticket_events",
             "jsonapi email_events")


def measure(data_dir: Path, sizes=(100, 1000), in_process: bool = False,
            raw: bool = False) -> list[dict]:
    results = []
    for endpoint in ENDPOINTS:
        for size in sizes:
            if in_process:
                from ingestion.demo.standin import StandInServer

                server = StandInServer(data_dir, token=TOKEN).start()
                base, proc = server.base_url, None
            else:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "ingestion.demo.standin", "--data-dir",
                     str(data_dir), "--token", TOKEN],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                base = proc.stdout.readline().strip()
            pid = proc.pid if proc is not None else os.getpid()
            try:
                with requests.Session() as session:
                    c0, t0 = _cpu_seconds(pid), time.perf_counter()
                    n = _walk_raw(base, endpoint, size) if raw else \
                        _walk(base, endpoint, size, session)
                    dt, dc = time.perf_counter() - t0, _cpu_seconds(pid) - c0
            finally:
                if proc is not None:
                    proc.terminate()
                    proc.wait()
                else:
                    server.stop()
            results.append({"endpoint": endpoint, "page_size": size, "records": n,
                            "seconds": dt, "records_per_s": n / dt,
                            "server_cpu_s": dc, "records_per_server_cpu_s": n / max(dc, 1e-9)})
            print(f"{endpoint:24s} page {size:5d}: {n:7d} records in {dt:6.2f}s = "
                  f"{n / dt:9,.0f} records/s at the client; server CPU {dc:5.2f}s = "
                  f"{n / max(dc, 1e-9):10,.0f} records per server CPU-second", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.standin",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=200_000)
    p.add_argument("--data-dir", help="existing data dir to serve (default: synthetic store)")
    p.add_argument("--in-process", action="store_true",
                   help="run the server in this process (shares the GIL with the client)")
    p.add_argument("--raw", action="store_true",
                   help="client: http.client without JSON parsing (server-bound numbers)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else None
        if data_dir is None:
            t0 = time.perf_counter()
            data_dir = synthetic_store(tmp, args.records)
            print(f"synthetic store with {args.records:,} records per measured table in "
                  f"{time.perf_counter() - t0:.1f}s", flush=True)
        measure(data_dir, in_process=args.in_process, raw=args.raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
