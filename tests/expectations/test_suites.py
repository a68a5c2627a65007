"""The GX suites: they pass clean data, and each kind of breakage fails them with the
expectation and column named. Then every suite on the real warehouse of the demo company:
every raw table and every public mart (each must have a contract suite)."""

from __future__ import annotations

import pandas as pd

from expectations.marts import MARTS, mart_suite
from expectations.runner import validate_frame, validate_mart, validate_raw_table
from expectations.suites import raw_suite, table_specs

ORDERS = table_specs()["crm"]["orders"]


def _orders(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({c: [None, None, None] for c in [*ORDERS.column_names, "_dlt_load_id"]})
    frame["id"] = ["1", "2", "3"]
    frame["updated_at"] = pd.Timestamp("2024-01-01", tz="UTC")
    frame["hs_external_created_date"] = pd.Timestamp("2024-01-01", tz="UTC")
    frame["hs_total_price"] = [10.0, 0.0, 99.5]
    for column, values in changes.items():
        frame[column] = values
    return frame.astype(object)


def _failed(v) -> set[str]:
    return {f.split(":")[0] for f in v.failures}


def test_clean_table_passes():
    v = validate_frame(_orders(), raw_suite("crm", "orders", previous_rows=3))
    assert v.success, v.failures
    assert v.statistics["unsuccessful_expectations"] == 0


def test_null_and_duplicate_keys_fail_and_are_named():
    v = validate_frame(_orders(id=["1", "1", None]), raw_suite("crm", "orders"))
    assert _failed(v) == {"expect_column_values_to_not_be_null(id)",
                          "expect_column_values_to_be_unique(id)"}


def test_missing_column_fails():
    v = validate_frame(_orders().drop(columns=["coupon_code"]), raw_suite("crm", "orders"))
    assert [f for f in v.failures if "expect_table_columns_to_match_set" in f
            and "coupon_code" in f]


def test_negative_money_fails_with_the_value():
    v = validate_frame(_orders(hs_total_price=[10.0, -5.0, 1.0]), raw_suite("crm", "orders"))
    [failure] = v.failures
    assert failure.startswith("expect_column_values_to_be_between(hs_total_price)")
    assert "-5.0" in failure


def test_fewer_rows_than_the_previous_load_fail():
    assert not validate_frame(_orders(), raw_suite("crm", "orders", 10), total=9).success
    assert validate_frame(_orders(), raw_suite("crm", "orders", 10), total=10).success


def test_allowed_values_tolerate_a_stray_value_not_a_changed_vocabulary():
    spec = table_specs()["web"]["events"]
    base = {c: [None] * 200 for c in [*spec.column_names, "_dlt_load_id"]}
    base["message_id"] = [str(i) for i in range(200)]
    base["timestamp"] = [pd.Timestamp("2024-01-01", tz="UTC")] * 200
    one_stray = pd.DataFrame({**base, "type": ["page"] * 199 + ["pageview"]}).astype(object)
    renamed = pd.DataFrame({**base, "type": ["pageview"] * 200}).astype(object)
    assert validate_frame(one_stray, raw_suite("web", "events")).success
    assert _failed(validate_frame(renamed, raw_suite("web", "events"))) == {
        "expect_column_values_to_be_in_set(type)"}


def test_mart_key_and_rate_rules():
    suite = mart_suite("customer.customer_360")
    cols = {"customer_id", "email_open_rate"}
    only = type(suite)(name=suite.name, expectations=[
        e.copy(deep=True) for e in suite.expectations if getattr(e, "column", None) in cols])
    good = pd.DataFrame({"customer_id": ["a", "b"], "email_open_rate": [0.5, None]})
    bad = pd.DataFrame({"customer_id": ["a", "a"], "email_open_rate": [1.5, 0.1]})
    assert validate_frame(good, only).success
    assert _failed(validate_frame(bad, only)) == {
        "expect_column_values_to_be_unique(customer_id)",
        "expect_column_values_to_be_between(email_open_rate)"}


def test_every_suite_passes_on_the_demo_warehouse(company):
    outcomes = [validate_raw_table(source, spec.name, base=company.base)
                for source, specs in table_specs().items() for spec in specs.values()]
    marts = [f"{s}.{t}" for s, t in company.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('core', 'customer', 'journey', 'lifecycle', 'cx')")]
    assert sorted(m for m in marts if m not in MARTS) == [], "public marts without a suite"
    outcomes += [validate_mart(m, base=company.base) for m in marts]
    assert len(marts) >= 15
    assert [(o.suite, o.failures) for o in outcomes if not o.success] == []
