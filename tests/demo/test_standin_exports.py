"""Export folders written from the vendor store (faults applied), and the stand-in CLI."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from conftest import TOKEN, tiny_table

from ingestion.demo.exports import write_exports
from ingestion.demo.standin.store import SPECS

ALL_TABLES = {name for specs in SPECS.values() for name in specs}


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_one_file_per_table_in_flat_columns(tiny_store, tmp_path, fmt):
    out = tmp_path / "exports"
    written = write_exports(tiny_store, out, fmt)
    assert set(written) == ALL_TABLES
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.{fmt}" for t in ALL_TABLES)
    for system, specs in SPECS.items():
        for name in specs:
            flat = tiny_table(tiny_store, system, name)
            path = out / f"{name}.{fmt}"
            if fmt == "parquet":
                cols, n = pq.read_table(path).column_names, pq.read_metadata(path).num_rows
            elif fmt == "csv":
                with open(path, newline="") as fh:
                    rows = list(csv.reader(fh))
                cols, n = rows[0], len(rows) - 1
            else:
                lines = [json.loads(x) for x in path.read_text().splitlines()]
                cols = list(lines[0]) if lines else flat.column_names
                n = len(lines)
            assert cols == flat.column_names, (name, fmt)
            assert n == flat.num_rows, (name, fmt)


def test_exports_apply_faults_and_keep_types(tiny_store, tmp_path):
    pqd = write_exports(tiny_store, tmp_path / "pq", "parquet")
    deals = pq.read_table(pqd["deals"]).to_pylist()
    amounts = {d["id"]: d["amount"] for d in deals}
    assert amounts["202"] == "abc" and amounts["201"] == "1500"  # column became text
    tickets = pq.read_table(pqd["tickets"])
    assert str(tickets.schema.field("updated_at").type) == "string"
    assert pa.types.is_list(tickets.schema.field("tags").type)
    profiles = pq.read_table(pqd["profiles"])
    assert profiles.column("id").null_count == 1
    assert str(profiles.schema.field("updated").type) == "timestamp[us, tz=UTC]"

    jl = write_exports(tiny_store, tmp_path / "jl", "jsonl", systems=["support"])
    assert set(jl) == set(SPECS["support"])
    tickets = {t["id"]: t for t in map(json.loads, jl["tickets"].read_text().splitlines())}
    assert tickets[3]["updated_at"] == "not-a-date"
    assert tickets[1]["tags"] == ["damage", "refund"] and tickets[1]["via__channel"] == "email"
    assert tickets[1]["updated_at"] == "2024-01-01T02:00:00Z" and tickets[3]["tags"] is None

    cs = write_exports(tiny_store, tmp_path / "csv", "csv")
    with open(cs["tickets"], newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    assert rows["3"]["updated_at"] == "not-a-date"
    assert json.loads(rows["1"]["tags"]) == ["damage", "refund"]
    assert rows["2"]["assignee_id"] == ""
    with open(cs["contacts"], newline="") as fh:
        contacts = {r["id"]: r for r in csv.DictReader(fh)}
    assert contacts["2"]["hs_email_optout"] == "true"
    assert contacts["2"]["firstname"] == 'Bob "B"'


def test_unknown_format(tiny_store, tmp_path):
    with pytest.raises(ValueError):
        write_exports(tiny_store, tmp_path, "xml")


def test_cli_prints_base_url_and_serves(tiny_store, monkeypatch, capsys):
    from ingestion.demo.standin import __main__ as cli
    from ingestion.demo.standin.server import StandInServer

    servers = []
    monkeypatch.setattr(StandInServer, "serve_forever",
                        lambda self: servers.append(self.start()))  # don't block
    assert cli.main(["--data-dir", str(tiny_store), "--token", "cli-token"]) == 0
    base = capsys.readouterr().out.strip()
    try:
        assert base.startswith("http://127.0.0.1:") and base == servers[0].base_url
        r = requests.get(f"{base}/api/coupons", headers={"Authorization": "Bearer cli-token"},
                         timeout=10)
        assert r.status_code == 200 and len(r.json()["data"]) == 2
        assert requests.get(f"{base}/api/coupons", headers={"Authorization": f"Bearer {TOKEN}"},
                            timeout=10).status_code == 401
    finally:
        servers[0].stop()


def test_cli_without_store_fails_clearly(tmp_path, capsys):
    from ingestion.demo.standin import __main__ as cli

    assert cli.main(["--data-dir", str(tmp_path / "missing")]) == 2
    assert "no vendor store" in capsys.readouterr().err
