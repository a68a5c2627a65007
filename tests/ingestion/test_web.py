"""Web source: gzip JSONL partitions -> raw_web.events (+ _quarantine) in a throwaway DuckDB."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import dlt
import duckdb
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ingestion.web as web
from ingestion.web import web_source

T0 = time.time() - 3600


def event(mid: str | None, **over) -> dict:
    e = {
        "messageId": mid, "type": "track", "event": "Product Viewed", "anonymousId": "anon-1",
        "userId": "user-1", "timestamp": "2024-03-01T10:00:00.123Z",
        "sentAt": "2024-03-01T10:00:01Z", "receivedAt": "2024-03-01T10:00:02Z",
        "properties": {"product_id": "p1", "order_id": "o1", "revenue": 12.5,
                       "experiment_id": "exp1", "variant": "treatment"},
        "traits": {"email": "A@Example.com"},
        "context": {"page": {"path": "/p/1", "url": "https://shop.example.com/p/1?utm_source=g",
                             "referrer": "https://google.com/", "title": "Product 1"},
                    "campaign": {"source": "google", "medium": "cpc", "name": "spring",
                                 "term": "shoes", "content": "ad1"},
                    "userAgent": "Mozilla/5.0", "device": {"type": "mobile"}},
    }
    if mid is None:
        del e["messageId"]
    e.update(over)
    return e


def write(bucket: Path, rel: str, lines: list, mtime: float | None = None) -> Path:
    """Write a gzip JSONL file; dicts are dumped, strings written as raw lines."""
    path = bucket / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines)
    path.write_bytes(gzip.compress(text.encode()))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A bucket, a pipeline into a throwaway DuckDB, and a log of the files parsed."""
    read: list[str] = []
    orig_many, orig_one = web.read_files_duckdb, web.read_file_python

    def many(con, paths):
        read.extend(paths)
        return orig_many(con, paths)

    def one(con, item, path):
        read.append(path)
        return orig_one(con, item, path)

    monkeypatch.setattr(web, "read_files_duckdb", many)
    monkeypatch.setattr(web, "read_file_python", one)
    db = str(tmp_path / "w.duckdb")
    pipeline = dlt.pipeline("t_web", destination=dlt.destinations.duckdb(db),
                            dataset_name="raw_web", pipelines_dir=str(tmp_path / "p"))

    class Env:
        bucket = tmp_path / "bucket"
        files_read = read

        def run(self, **kw):
            read.clear()
            kw.setdefault("bucket_url", str(self.bucket))
            pipeline.run(web_source(**kw))
            return set(read)

        def sql(self, q):
            with duckdb.connect(db, read_only=True) as con:
                return con.sql(q).fetchall()

    Env.bucket.mkdir()
    return Env()


def test_flattened_columns_match_contract(env):
    write(env.bucket, "dt=2024-03-01/part-0000.jsonl.gz", [event("m1")])
    env.run()
    cols = [c for c, in env.sql(
        "select column_name from information_schema.columns where table_schema = 'raw_web' "
        "and table_name = 'events' and column_name not like '\\_dlt%' escape '\\' "
        "order by ordinal_position")]
    assert cols == list(web.EVENTS.column_names)
    row = env.sql("select * exclude (_dlt_load_id, properties) from raw_web.events")[0]
    got = dict(zip([c for c in cols if c != "properties"], row, strict=True))
    assert got["message_id"] == "m1" and got["type"] == "track"
    assert got["event"] == "Product Viewed" and got["anonymous_id"] == "anon-1"
    assert got["user_id"] == "user-1"
    assert got["timestamp"].isoformat() == "2024-03-01T10:00:00.123000+00:00"
    assert got["sent_at"].isoformat() == "2024-03-01T10:00:01+00:00"
    assert got["page_path"] == "/p/1"
    assert got["page_url"] == "https://shop.example.com/p/1?utm_source=g"
    assert (got["page_referrer"], got["page_title"]) == ("https://google.com/", "Product 1")
    assert [got[k] for k in ("utm_source", "utm_medium", "utm_campaign", "utm_term",
                             "utm_content")] == ["google", "cpc", "spring", "shoes", "ad1"]
    assert (got["user_agent"], got["device_type"]) == ("Mozilla/5.0", "mobile")
    assert got["traits_email"] == "A@Example.com"
    assert (got["product_id"], got["order_id"]) == ("p1", "o1")
    assert (got["experiment_id"], got["variant"]) == ("exp1", "treatment")
    assert got["revenue"] == 12.5
    assert got["source_file"] == str(env.bucket / "dt=2024-03-01/part-0000.jsonl.gz")
    props = env.sql("select properties from raw_web.events")[0][0]
    assert json.loads(props)["revenue"] == 12.5
    types = dict(env.sql("select column_name, data_type from information_schema.columns "
                         "where table_schema = 'raw_web' and table_name = 'events'"))
    assert types["timestamp"] == "TIMESTAMP WITH TIME ZONE"
    assert types["revenue"] == "DOUBLE"
    assert types["properties"] == "JSON"
    assert "_dlt_load_id" in types


def test_bad_lines_are_quarantined_and_the_rest_of_the_file_loads(env):
    f = write(env.bucket, "dt=2024-03-01/part-0000.jsonl.gz", [
        event("good-1"),
        "this is not json",
        '{"messageId": "trunc", "type": ',
        "[1, 2, 3]",
        "",
        event(None),
        event("bad-ts", timestamp="yesterday-ish"),
        event("bad-rev", properties={"revenue": "lots"}),
        event("good-2", properties=None, context=None, traits=None),
    ])
    env.run()
    assert sorted(r[0] for r in env.sql("select message_id from raw_web.events")) == [
        "good-1", "good-2"]
    q = env.sql("select field, reason, raw_record, origin, source, table_name "
                "from raw_web._quarantine order by field, raw_record")
    assert {r[3] for r in q} == {str(f)}
    assert {(r[4], r[5]) for r in q} == {("web", "events")}
    by_field: dict[str, list] = {}
    for field, reason, raw, *_ in q:
        by_field.setdefault(field, []).append((reason, raw))
    assert sorted(raw for _, raw in by_field["line"]) == sorted(
        ['{"messageId": "trunc", "type": ', "[1, 2, 3]", "this is not json"])
    assert all("not a JSON object" in reason for reason, _ in by_field["line"])
    assert "missing required field" in by_field["message_id"][0][0]
    assert "not a valid timestamp" in by_field["timestamp"][0][0]
    assert json.loads(by_field["timestamp"][0][1])["message_id"] == "bad-ts"
    assert "not a valid double" in by_field["revenue"][0][0]


def test_corrupt_gzip_is_reported_by_name_and_other_files_load(env, caplog):
    write(env.bucket, "dt=2024-03-01/part-0000.jsonl.gz", [event("a1"), event("a2")])
    bad = env.bucket / "dt=2024-03-01/part-0001.jsonl.gz"
    bad.write_bytes(b"this is not gzip at all")
    good = gzip.compress(b"".join(json.dumps(event(f"t{i}")).encode() + b"\n" for i in range(50)))
    truncated = env.bucket / "dt=2024-03-01/part-0002.jsonl.gz"
    truncated.write_bytes(good[: len(good) // 2])
    write(env.bucket, "dt=2024-03-02/part-0000.jsonl.gz", [event("b1")])
    (env.bucket / "dt=2024-03-02/part-0001.jsonl.gz").write_bytes(b"")  # empty: skipped
    with caplog.at_level("WARNING"):
        env.run()
    assert sorted(r[0] for r in env.sql("select message_id from raw_web.events")) == [
        "a1", "a2", "b1"]
    q = env.sql("select record_key, field, reason, origin from raw_web._quarantine "
                "order by record_key")
    assert [(r[0], r[1], r[3]) for r in q] == [
        (str(bad), "file", str(bad)), (str(truncated), "file", str(truncated))]
    assert all(r[2].startswith("unreadable file:") for r in q)
    assert str(bad) in caplog.text and str(truncated) in caplog.text


def test_non_utf8_line_is_quarantined_and_the_rest_of_the_file_loads(env):
    path = env.bucket / "dt=2024-03-01/part-0000.jsonl.gz"
    path.parent.mkdir(parents=True)
    body = (json.dumps(event("u1")).encode() + b"\n" + b'{"messageId": "\xff\xfe"}\n'
            + json.dumps(event("u2")).encode() + b"\r\n")
    path.write_bytes(gzip.compress(body))
    env.run()
    assert sorted(r[0] for r in env.sql("select message_id from raw_web.events")) == ["u1", "u2"]
    assert env.sql("select field, reason from raw_web._quarantine") == [
        ("line", "line is not valid UTF-8")]


def test_duplicates_are_merged_within_a_run_and_across_runs(env):
    write(env.bucket, "dt=2024-03-01/part-0000.jsonl.gz",
          [event("d1"), event("d2"), event("d1")], mtime=T0)
    write(env.bucket, "dt=2024-03-01/part-0001.jsonl.gz", [event("d2"), event("d3")], mtime=T0)
    # a tiny batch size puts the two files in different DuckDB queries
    env.run(batch_bytes=1)
    assert env.sql("select message_id, count(*) from raw_web.events group by 1 order by 1") == [
        ("d1", 1), ("d2", 1), ("d3", 1)]
    write(env.bucket, "dt=2024-03-02/part-0000.jsonl.gz", [event("d3"), event("d4")],
          mtime=T0 + 60)
    env.run()
    assert env.sql("select message_id, count(*) from raw_web.events group by 1 order by 1") == [
        ("d1", 1), ("d2", 1), ("d3", 1), ("d4", 1)]
    assert env.sql("select count(*) from information_schema.tables "
                   "where table_name = '_quarantine'") == [(0,)]


def test_first_load_appends_and_later_runs_still_merge(env):
    """Into an empty table the deduplicated events are appended (no staging table is made);
    the next run merges, so a re-delivered event still replaces its earlier copy."""
    write(env.bucket, "dt=2024-03-01/part-0000.jsonl.gz",
          [event("f1"), event("f2"), event("f1")], mtime=T0)
    env.run(batch_bytes=1, first_load=True)
    assert env.sql("select message_id, count(*) from raw_web.events group by 1 order by 1") == [
        ("f1", 1), ("f2", 1)]
    staged = "select count(*) from information_schema.tables " \
             "where table_schema = 'raw_web_staging' and table_name = 'events'"
    assert env.sql(staged) == [(0,)]
    write(env.bucket, "dt=2024-03-02/part-0000.jsonl.gz",
          [event("f2", event="Order Completed"), event("f3")], mtime=T0 + 60)
    env.run()
    assert env.sql(staged) == [(1,)]
    assert env.sql("select message_id, event from raw_web.events order by 1") == [
        ("f1", "Product Viewed"), ("f2", "Order Completed"), ("f3", "Product Viewed")]


def test_ingest_source_appends_only_into_an_empty_table(tmp_path):
    """`ingest_source` (the runner of the CLI and Dagster) decides first_load from the
    warehouse: the first run appends, the second merges a re-delivery."""
    from ingestion.pipeline import ingest_source

    bucket = tmp_path / "bucket"
    write(bucket, "dt=2024-03-01/part-0000.jsonl.gz", [event("g1"), event("g2")], mtime=T0)
    ingest_source("web", tmp_path, bucket_url=str(bucket))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.sql("select count(*) from information_schema.tables "
                       "where table_schema = 'raw_web_staging'").fetchall() == [(0,)]
    write(bucket, "dt=2024-03-02/part-0000.jsonl.gz", [event("g2"), event("g3")],
          mtime=T0 + 60)
    load = ingest_source("web", tmp_path, bucket_url=str(bucket))
    assert (load.tables["events"].new_rows, load.tables["events"].merged) == (1, 1)


def test_incremental_reads_only_new_files(env):
    p1 = write(env.bucket, "dt=2024-03-01/part-0000.jsonl.gz", [event("i1"), event("i2")],
               mtime=T0)
    p2 = write(env.bucket, "dt=2024-03-01/part-0001.jsonl.gz", [event("i3")], mtime=T0)
    assert env.run() == {str(p1), str(p2)}
    loads = env.sql("select count(*) from raw_web._dlt_loads")[0][0]

    assert env.run() == set()  # nothing new: no file is read, nothing is added
    assert env.sql("select count(*) from raw_web.events") == [(3,)]
    assert env.sql("select count(distinct _dlt_load_id) from raw_web.events") == [(1,)]

    # a new partition, holding a late event (timestamp long before the first partition)
    late = event("late-1", timestamp="2023-12-24T18:00:00Z")
    p3 = write(env.bucket, "dt=2024-03-02/part-0000.jsonl.gz", [late, event("i4")],
               mtime=T0 + 60)
    assert env.run() == {str(p3)}
    assert env.sql("select count(*) from raw_web.events") == [(5,)]
    assert env.sql("select cast(timestamp as varchar) from raw_web.events "
                   "where message_id = 'late-1'") == [("2023-12-24 18:00:00+00",)]
    assert env.sql("select count(*) from raw_web._dlt_loads")[0][0] > loads


def test_new_property_keys_flow_through_in_properties(env):
    e = event("n1", properties={"product_id": "p9", "coupon_code": "SPRING10",
                                "items": [{"sku": "a", "qty": 2}]})
    write(env.bucket, "dt=2024-03-01/part-0000.jsonl.gz", [e])
    env.run()
    (props, product_id, revenue), = env.sql(
        "select properties, product_id, revenue from raw_web.events")
    assert json.loads(props) == e["properties"]
    assert (product_id, revenue) == ("p9", None)
    assert env.sql("select properties->>'$.coupon_code' from raw_web.events") == [("SPRING10",)]


def test_remote_fsspec_bucket(env):
    fs = fsspec.filesystem("memory")
    root = f"/web-{os.getpid()}-{time.time_ns()}"
    body = "".join(json.dumps(event(f"r{i}")) + "\n" for i in range(3)).encode()
    fs.pipe(f"{root}/dt=2024-03-01/part-0000.jsonl.gz", gzip.compress(body))
    fs.pipe(f"{root}/dt=2024-03-01/part-0001.jsonl.gz", b"corrupt")
    try:
        read = env.run(bucket_url=f"memory://{root}")
        assert len(read) == 2
        assert env.sql("select count(*) from raw_web.events") == [(3,)]
        src, = {r[0] for r in env.sql("select source_file from raw_web.events")}
        assert src.startswith("memory://") and src.endswith("part-0000.jsonl.gz")
        assert [r[0] for r in env.sql("select field from raw_web._quarantine")] == ["file"]
        assert env.run(bucket_url=f"memory://{root}") == set()
    finally:
        fs.rm(root, recursive=True)


def test_events_from_an_export_folder(env, tmp_path):
    exports = tmp_path / "exports"
    exports.mkdir()
    pq.write_table(pa.table({
        "message_id": ["x1", "x2", "x2", None],
        "type": ["page"] * 4,
        "timestamp": ["2024-03-01T00:00:00Z"] * 4,
        "revenue": ["1.5", None, None, None],
        "properties": ['{"a": 1}', None, None, None],
    }), exports / "events.parquet")
    env.run(exports_path=str(exports))
    assert env.sql("select message_id, revenue from raw_web.events order by 1") == [
        ("x1", 1.5), ("x2", None)]
    assert env.sql("select field from raw_web._quarantine") == [("message_id",)]


def test_fast_and_tolerant_readers_flatten_alike(tmp_path):
    """The multi-file `read_json` fast path and the per-line fallback give the same rows."""
    lines = [
        event("s1"),
        event(7, userId=42, event={"nested": True}, properties={"revenue": "12.50"}),
        event("s3", context=None, traits=None, properties=None),
        event("s4", context={"page": None, "device": {}}, traits={}),
        {"messageId": "s5", "timestamp": "2024-03-01T00:00:00+02:00", "unknown_top": [1]},
        event("s6", properties={"revenue": 1e20, "product_id": None, "new": {"a": [1, 2]}}),
    ]
    path = write(tmp_path, "f.jsonl.gz", lines)
    con = duckdb.connect()
    fast = web.flatten_files_duckdb(con, [str(path)])
    slow, bad = web.read_file_lines(con, None, str(path))
    assert bad.num_rows == 0
    assert slow["__bad_line"].null_count == slow.num_rows
    slow = slow.drop_columns(["__bad_line"])
    assert fast.schema.names == slow.schema.names
    as_rows = [sorted(t.to_pylist(), key=lambda r: r["message_id"]) for t in (fast, slow)]
    for a, b in zip(*as_rows, strict=True):
        pa_, pb = a.pop("properties"), b.pop("properties")
        assert (json.loads(pa_) if pa_ else None) == (json.loads(pb) if pb else None)
        assert a == b
    row = next(r for r in as_rows[0] if r["message_id"] == "7")
    assert (row["user_id"], row["event"], row["revenue"]) == ("42", '{"nested":true}', "12.50")


def test_single_pass_read_validates_like_validate(tmp_path):
    """The fast path casts and checks in the read query itself; its good rows and quarantine
    rows are exactly what `validate` makes of the flattened rows (origins: the file)."""
    from ingestion.common.validate import split_checked, validate
    from ingestion.web.schema import EVENTS

    lines = [
        event("v1"),
        event(None),
        event("v3", timestamp="not a time"),
        event("v4", properties={"revenue": "abc"}),
        event("  "),
        event("v6", properties={"revenue": " 2 "}),
        event("v7", sentAt="2024-02-30T00:00:00Z"),
    ]
    path = write(tmp_path, "f.jsonl.gz", lines)
    con = duckdb.connect()
    got = split_checked(web.read_files_duckdb(con, [str(path)]), EVENTS, "web",
                        origin_column="source_file")
    ref = validate(web.flatten_files_duckdb(con, [str(path)]), EVENTS, "web",
                   origin=str(path))
    assert got.good.schema == ref.good.schema
    assert got.good.sort_by("message_id").equals(ref.good.sort_by("message_id"))
    assert got.good.num_rows == 2
    cols = ["source", "table_name", "record_key", "field", "reason", "raw_record", "origin"]
    key = [("record_key", "ascending"), ("field", "ascending")]
    assert got.quarantine.select(cols).sort_by(key).equals(
        ref.quarantine.select(cols).sort_by(key))
    assert sorted(got.quarantine["field"].to_pylist()) == [
        "message_id", "message_id", "revenue", "sent_at", "timestamp"]
