import pyarrow as pa

from ingestion.common.schema import TableSpec, cols
from ingestion.common.validate import validate

SPEC = TableSpec("orders", ("id",), cols(
    "id! amount:double qty:bigint placed_at:timestamp! paid:bool tags:text[] note"),
    cursor="placed_at")


def test_casts_good_rows_and_quarantines_each_bad_one_with_its_reason():
    batch = pa.table({
        "id": ["1", "2", None, "4", "5", "  "],
        "amount": ["10.5", "abc", "3", "4", None, "1"],
        "qty": ["1", "2", "3", "4", "5", "6"],
        "placed_at": ["2024-01-01T10:00:00Z", "2024-01-02T00:00:00Z",
                      "2024-01-03T00:00:00Z", "not-a-date", "2024-01-05T00:00:00.123Z",
                      "2024-01-06T00:00:00Z"],
        "paid": ["true", "false", "true", "true", "false", "true"],
        "new_field": ["x", "y", "z", "w", "v", "u"],
    })
    v = validate(batch, SPEC, "crm", origin="POST /crm/v3/objects/orders/search")
    assert v.good["id"].to_pylist() == ["1", "5"]
    assert v.good["amount"].to_pylist() == [10.5, None]
    assert v.good.schema.field("placed_at").type == pa.timestamp("us", tz="UTC")
    assert v.good["placed_at"][1].as_py().microsecond == 123000
    assert v.good["new_field"].to_pylist() == ["x", "v"]  # unknown columns flow through
    assert v.good["tags"].null_count == 2  # declared but absent -> typed nulls
    q = {r["record_key"]: r for r in v.quarantine.to_pylist()}
    assert set(q) == {"2", "<null>", "4", "  "}
    assert q["2"]["field"] == "amount" and "abc" in q["2"]["reason"]
    assert q["<null>"]["field"] == "id" and "missing required" in q["<null>"]["reason"]
    assert q["4"]["field"] == "placed_at" and "not-a-date" in q["4"]["reason"]
    assert q["  "]["field"] == "id"
    assert all(r["source"] == "crm" and r["table_name"] == "orders" for r in q.values())
    assert '"amount":"abc"' in q["2"]["raw_record"]
    assert q["2"]["origin"].startswith("POST")


def test_missing_required_column_quarantines_every_row():
    v = validate(pa.table({"id": ["1"]}), SPEC, "crm")
    assert v.good.num_rows == 0
    assert v.quarantine["field"].to_pylist() == ["placed_at"]


def test_empty_batch_gives_typed_empty_tables():
    v = validate(pa.table({"id": pa.array([], pa.string())}), SPEC, "crm")
    assert v.good.num_rows == 0 and v.quarantine.num_rows == 0
    assert v.good.schema.field("amount").type == pa.float64()


def test_already_typed_columns_pass_unchanged():
    batch = pa.table({
        "id": ["1"], "amount": [2.5], "qty": pa.array([3], pa.int64()),
        "placed_at": pa.array([1_700_000_000_000_000], pa.timestamp("us", tz="UTC")),
        "tags": pa.array([["a", "b"]], pa.list_(pa.string())),
    })
    v = validate(batch, SPEC, "crm")
    assert v.quarantine.num_rows == 0
    assert v.good["tags"].to_pylist() == [["a", "b"]]
    assert v.good["qty"].to_pylist() == [3]
