"""A resource that routes bad rows to `_quarantine` loads both tables, merges on the key."""

import dlt
import duckdb
import pyarrow as pa

from ingestion.common.emit import validated
from ingestion.crm.schema import TABLES


def test_good_rows_merge_and_bad_rows_land_in_quarantine(tmp_path):
    spec = TABLES["orders"]

    @dlt.resource(name="orders")
    def orders():
        batch = pa.table({
            "id": ["1", "2", "3", None],
            "updated_at": ["2024-01-01T00:00:00Z"] * 4,
            "hs_external_created_date": ["2024-01-01T00:00:00Z"] * 3 + ["x"],
            "hs_total_price": ["1", "abc", "2", "3"],
            "brand_new_field": ["a", "b", "c", "d"],
        })
        yield from validated(batch, spec, "crm", origin="test")

    db = str(tmp_path / "w.duckdb")
    pipeline = dlt.pipeline("t_emit", destination=dlt.destinations.duckdb(db),
                            dataset_name="raw_crm", pipelines_dir=str(tmp_path / "p"))
    pipeline.run(orders())
    pipeline.run(orders())  # re-delivery: merged, not duplicated
    with duckdb.connect(db, read_only=True) as con:
        rows = con.sql("select id, hs_total_price, brand_new_field from raw_crm.orders "
                       "order by id").fetchall()
        assert rows == [("1", 1.0, "a"), ("3", 2.0, "c")]
        q = con.sql("select record_key, field from raw_crm._quarantine "
                    "where _dlt_load_id = (select max(_dlt_load_id) from raw_crm._quarantine) "
                    "order by 1").fetchall()
        assert q == [("2", "hs_total_price"), ("<null>", "id")]
        types = dict(con.sql("select column_name, data_type from information_schema.columns "
                             "where table_schema = 'raw_crm' and table_name = 'orders'"
                             ).fetchall())
        assert types["hs_external_created_date"] == "TIMESTAMP WITH TIME ZONE"
