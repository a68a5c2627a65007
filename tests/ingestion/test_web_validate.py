"""`validate_with_origin` (narrow validation of wide batches) gives exactly what `validate`
gives, plus per-row origins."""

from __future__ import annotations

import json

import pyarrow as pa

from ingestion.common.files import inert_columns, validate_with_origin
from ingestion.common.validate import validate
from ingestion.marketing.schema import FILE_TABLES
from ingestion.web.schema import EVENTS


def _batch() -> pa.Table:
    n = 8
    cols = {c: [f"{c}-{i}" for i in range(n)] for c in EVENTS.column_names}
    cols["message_id"] = ["m0", None, "m2", "  ", "m4", "m5", "m6", "m7"]
    cols["timestamp"] = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z", "nope",
                         "2024-01-01T00:00:00Z", "2024-01-01T00:00:00+02:00", None,
                         "2024-02-30T00:00:00Z", "2024-01-01 10:00:00"]
    cols["sent_at"] = [None, "x", None, None, None, None, None, "2024-01-01T00:00:00Z"]
    cols["revenue"] = ["1.5", None, "abc", None, " 2 ", "", None, "1e3"]
    cols["properties"] = ['{"a": 1}', None, "{}", None, None, '{"b": [1]}', None, None]
    cols["page_title"] = [None, "", "t", "t", "t", "t", "t", "t"]
    cols["source_file"] = [f"/bucket/f{i % 3}.jsonl.gz" for i in range(n)]
    cols["unknown_extra"] = [str(i) for i in range(n)]
    return pa.table(cols)


def _same(batch: pa.Table, spec, origin_column: str, drop_origin: bool) -> None:
    ref = validate(batch, spec, "web", origin="")
    got = validate_with_origin(batch, spec, "web", origin_column, drop_origin=drop_origin)
    ref_good = ref.good.drop_columns([origin_column]) if drop_origin else ref.good
    assert got.good.schema == ref_good.schema
    assert got.good.equals(ref_good)
    cols = ["source", "table_name", "record_key", "field", "reason", "raw_record"]
    assert got.quarantine.select(cols).equals(ref.quarantine.select(cols))
    origins = [json.loads(r)[origin_column] for r in ref.quarantine["raw_record"].to_pylist()]
    assert got.quarantine["origin"].to_pylist() == origins


def test_narrow_validation_equals_validate_on_events():
    batch = _batch()
    assert "page_title" in inert_columns(batch, EVENTS)
    assert "message_id" not in inert_columns(batch, EVENTS)
    assert "revenue" not in inert_columns(batch, EVENTS)
    _same(batch, EVENTS, "source_file", drop_origin=False)


def test_narrow_validation_all_good_and_non_string_columns():
    batch = _batch().slice(0, 1)
    _same(batch, EVENTS, "source_file", drop_origin=False)
    # a text column arriving typed (e.g. from parquet) is validated, not passed through
    typed = _batch().set_column(1, "type", pa.array(range(8), pa.int64()))
    assert "type" not in inert_columns(typed, EVENTS)
    _same(typed, EVENTS, "source_file", drop_origin=False)


def test_narrow_validation_with_an_extra_origin_column():
    spec = FILE_TABLES["survey_responses"]
    batch = pa.table({
        "response_id": ["r1", "r2", None], "survey": ["nps", "nps", "ces"],
        "email": ["a@x", None, "c@x"], "score": ["9", "ten", "3"],
        "comment": ["ok", "meh", None], "submitted_at": ["2024-01-01T00:00:00Z"] * 3,
        "__source_file": ["/f/a.csv", "/f/b.csv", "/f/b.csv"],
    })
    _same(batch, spec, "__source_file", drop_origin=True)
