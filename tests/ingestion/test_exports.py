"""Export-folder transport: parquet / csv / jsonl / json / gz / folder forms read back alike."""

from __future__ import annotations

import gzip
import json
import os
import time

import fsspec
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ingestion.common.exports import find_export, read_export

ROWS = [
    {"id": "1", "email": "a@example.com", "amount": "12.5", "tags": '["a","b"]'},
    {"id": "2", "email": None, "amount": "7", "tags": None},
    {"id": "3", "email": "c@example.com", "amount": None, "tags": "[]"},
]


def as_strings(tables) -> list[dict]:
    rows = [r for t in tables for r in t.to_pylist()]
    return sorted(rows, key=lambda r: r["id"])


def write_jsonl(path, rows, gz=False):
    text = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(text) if gz else text)


def test_parquet_keeps_types(tmp_path):
    t = pa.table({"id": [1, 2, 3], "amount": [1.5, None, 3.0], "tags": [["a"], [], None]})
    pq.write_table(t, tmp_path / "orders.parquet")
    out = list(read_export(str(tmp_path), "orders"))
    assert len(out) == 1
    assert out[0].schema.field("id").type == pa.int64()
    assert out[0].to_pylist() == t.to_pylist()


@pytest.mark.parametrize("form", ["csv", "csv.gz", "jsonl", "jsonl.gz", "json", "folder"])
def test_text_forms_read_back_the_same_rows_as_strings(tmp_path, form):
    if form.startswith("csv"):
        path = tmp_path / f"contacts.{form}"
        pacsv.write_csv(pa.Table.from_pylist(ROWS), tmp_path / "x.csv")
        data = (tmp_path / "x.csv").read_bytes()
        (tmp_path / "x.csv").unlink()
        path.write_bytes(gzip.compress(data) if form.endswith("gz") else data)
    elif form.startswith("jsonl"):
        write_jsonl(tmp_path / f"contacts.{form}", ROWS, gz=form.endswith("gz"))
    elif form == "json":
        (tmp_path / "contacts.json").write_text(json.dumps(ROWS))
    else:
        folder = tmp_path / "contacts" / "2024"
        folder.mkdir(parents=True)
        write_jsonl(folder / "part-0.jsonl", ROWS[:2])
        pacsv.write_csv(pa.Table.from_pylist(ROWS[2:]), tmp_path / "contacts" / "part-1.csv")
    # neighbours that are not this table's export
    (tmp_path / "contacts_old.csv").write_text("id\n99\n")
    (tmp_path / "contacts.csv.bak").write_text("id\n98\n")
    out = list(read_export(str(tmp_path), "contacts"))
    assert all(pa.types.is_string(f.type) for t in out for f in t.schema)
    got = as_strings(out)
    if form.startswith("csv") or form == "folder":
        # CSV has no null vs empty distinction for strings: empty cells read as null
        assert [r["id"] for r in got] == ["1", "2", "3"]
    assert got == ROWS


def test_nested_json_values_come_back_as_json_text(tmp_path):
    write_jsonl(tmp_path / "tickets.jsonl", [
        {"id": 1, "tags": ["a", "b"], "via": {"channel": "web"}, "ok": True, "n": 1.5}])
    (row,) = as_strings(read_export(str(tmp_path), "tickets"))
    assert row == {"id": "1", "tags": '["a","b"]', "via": '{"channel":"web"}', "ok": "true",
                   "n": "1.5"}


def test_batches_and_missing_table(tmp_path, caplog):
    pq.write_table(pa.table({"id": list(range(25))}), tmp_path / "big.parquet")
    out = list(read_export(str(tmp_path), "big", batch_rows=10))
    assert [t.num_rows for t in out] == [10, 10, 5]
    assert sum((t["id"].to_pylist() for t in out), []) == list(range(25))
    with caplog.at_level("DEBUG", logger="ingestion.common.exports"):
        assert list(read_export(str(tmp_path), "nothing_here")) == []
    assert "no export" in caplog.text
    assert list(read_export(str(tmp_path / "does-not-exist"), "big")) == []


def test_fsspec_url(tmp_path):
    fs = fsspec.filesystem("memory")
    root = f"/exports-{os.getpid()}-{time.time_ns()}"
    fs.pipe(f"{root}/users.jsonl", b'{"id": "1"}\n{"id": "2"}\n')
    with fs.open(f"{root}/orders/part-0.parquet", "wb") as f:
        pq.write_table(pa.table({"id": [1, 2]}), f)
    try:
        groups, _ = find_export(f"memory://{root}", "orders")
        assert list(groups) == ["parquet"]
        assert [r["id"] for r in as_strings(read_export(f"memory://{root}", "users"))] == [
            "1", "2"]
        assert sum(t.num_rows for t in read_export(f"memory://{root}", "orders")) == 2
    finally:
        fs.rm(root, recursive=True)
