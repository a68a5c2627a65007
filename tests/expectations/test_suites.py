"""The GX suites: they pass clean data, and each kind of breakage fails them with the
expectation and column named. Then every suite on the real warehouse of the demo company."""

from __future__ import annotations

import duckdb
import pandas as pd

from expectations.marts import MARTS, mart_suite
from expectations.raw import SPECS, critical_suite, quality_suite, volume_suite
from expectations.runner import validate_frame, validate_table

ORDERS = SPECS["crm"]["orders"]


def _orders(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({c: [None, None, None] for c in ORDERS.column_names})
    frame["id"] = ["1", "2", "3"]
    frame["updated_at"] = pd.Timestamp("2024-01-01", tz="UTC")
    frame["hs_external_created_date"] = pd.Timestamp("2024-01-01", tz="UTC")
    frame["hs_total_price"] = [10.0, 0.0, 99.5]
    for column, values in changes.items():
        frame[column] = values
    return frame.astype(object)


def _failed(outcome) -> set[tuple[str, str | None]]:
    return {(f.expectation, f.column if isinstance(f.column, str) else None)
            for f in outcome.failures}


def test_clean_table_passes_critical_and_quality():
    assert validate_frame(_orders(), critical_suite("crm", ORDERS)).success
    assert validate_frame(_orders(), quality_suite("crm", ORDERS)).success


def test_null_and_duplicate_keys_fail_the_critical_suite():
    outcome = validate_frame(_orders(id=["1", "1", None]), critical_suite("crm", ORDERS))
    assert _failed(outcome) == {("expect_column_values_to_not_be_null", "id"),
                                ("expect_column_values_to_be_unique", "id")}
    assert outcome.metadata()["expectations_failed"] == 2


def test_missing_column_fails_and_is_named():
    outcome = validate_frame(_orders().drop(columns=["coupon_code"]),
                             critical_suite("crm", ORDERS))
    assert ("expect_column_to_exist", "coupon_code") in _failed(outcome)


def test_negative_money_fails_quality_with_the_value():
    outcome = validate_frame(_orders(hs_total_price=[10.0, -5.0, 1.0]),
                             quality_suite("crm", ORDERS))
    [failure] = outcome.failures
    assert (failure.column, failure.unexpected_count, failure.examples) == (
        "hs_total_price", 1, [-5.0])
    assert "hs_total_price" in outcome.metadata()["failures"][0]


def test_fewer_rows_than_the_previous_load_fails_volume():
    con = duckdb.connect()
    con.sql("create table t as select range as id from range(9)")
    assert not validate_table(con, "t", volume_suite("crm", ORDERS, previous_rows=10)).success
    assert validate_table(con, "t", volume_suite("crm", ORDERS, previous_rows=9)).success


def test_mart_key_and_rate_rules():
    suite = mart_suite("customer.customer_360")
    good = pd.DataFrame({"customer_id": ["a", "b"], "email_open_rate": [0.5, None]})
    bad = pd.DataFrame({"customer_id": ["a", "a"], "email_open_rate": [1.5, 0.1]})
    cols = ["customer_id", "email_open_rate"]
    only = type(suite)(name=suite.name, expectations=[
        e for e in suite.expectations if getattr(e, "column", None) in cols])
    assert validate_frame(good, only).success
    assert _failed(validate_frame(bad, only)) == {
        ("expect_column_values_to_be_unique", "customer_id"),
        ("expect_column_values_to_be_between", "email_open_rate")}


def test_every_suite_passes_on_the_demo_warehouse(company):
    con = duckdb.connect(str(company.base / "warehouse.duckdb"))
    try:
        outcomes = []
        for source, specs in SPECS.items():
            for spec in specs.values():
                table = f"raw_{source}.{spec.name}"
                outcomes.append(validate_table(con, table, critical_suite(source, spec)))
                if (suite := quality_suite(source, spec)) is not None:
                    outcomes.append(validate_table(con, table, suite))
        present = {f"{s}.{t}" for s, t in con.sql(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        for mart in MARTS:
            if mart in present:
                outcomes.append(validate_table(con, mart, mart_suite(mart)))
    finally:
        con.close()
    assert len(outcomes) > 25
    assert [o.metadata() for o in outcomes if not o.success] == []
