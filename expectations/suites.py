"""Great Expectations 1.x suites for the raw tables, defined in code (versioned with it).

One suite per raw table, built from the same `TableSpec`s the connectors validate against
(ingestion/<source>/schema.py): the declared columns are present (new vendor columns may be
added), key/cursor/required columns are never null, the primary key is unique, documented
value ranges hold, and the table never shrinks between loads (raw tables are merged, so the
row count is at least the previous load's). Ranges below are the documented ones from
docs/sources.md.
"""

from functools import cache

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from ingestion.common.schema import TableSpec
from ingestion.common.validate import QUARANTINE_SCHEMA, QUARANTINE_TABLE

SUITE_VERSION = "2"
DLT_COLUMNS = ("_dlt_load_id",)  # Arrow loads carry no _dlt_id

# (source, table) -> [(column, min, max)]; None = unbounded
RANGES: dict[tuple[str, str], list[tuple[str, float | None, float | None]]] = {
    ("crm", "orders"): [("hs_subtotal_price", 0, None), ("hs_total_price", 0, None),
                        ("hs_order_discount", 0, None)],
    ("crm", "line_items"): [("quantity", 0, None), ("price", 0, None)],
    ("crm", "products"): [("price", 0, None)],
    ("crm", "deals"): [("amount", 0, None)],
    ("crm", "companies"): [("numberofemployees", 0, None), ("annualrevenue", 0, None)],
    ("marketing", "ad_spend"): [("impressions", 0, None), ("clicks", 0, None),
                                ("spend", 0, None)],
    ("marketing", "coupons"): [("discount_value", 0, None)],
    ("marketing", "campaigns"): [("budget", 0, None)],
}
# allowed values (documented vendor enums); `mostly` 0.99: a handful of surprises (staging maps
# them to `other`) do not stop the pipeline, a vendor changing its vocabulary does
ALLOWED: dict[tuple[str, str], list[tuple[str, list[str]]]] = {
    ("support", "tickets"): [("status", ["new", "open", "pending", "hold", "solved", "closed"]),
                             ("priority", ["low", "normal", "high", "urgent"])],
    ("support", "satisfaction_ratings"): [("score", ["good", "bad", "offered", "unoffered"])],
    ("marketing", "email_events"): [("event_type", [
        "sent", "delivered", "opened", "clicked", "bounced", "unsubscribed", "spam_complaint"])],
    ("marketing", "experiment_assignments"): [("variant", ["control", "treatment"])],
    ("marketing", "survey_responses"): [("survey", ["nps", "csat", "ces"])],
    ("web", "events"): [("type", ["page", "track", "identify", "screen", "group", "alias"])],
}
ALLOWED_MOSTLY = 0.99
# NPS 0-10, CES 1-7: one column, so the union range; the survey type split is a dbt test
RANGES[("marketing", "survey_responses")] = [("score", 0, 10)]


@cache
def gx_context():
    """One ephemeral GX context per process (suites live in code, not in a GX project)."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                         metric_calculations=False)
    return context


def table_specs() -> dict[str, dict[str, TableSpec]]:
    from ingestion.pipeline import table_specs as specs

    return specs()


def raw_suite(source: str, table: str, previous_rows: int | None = None
              ) -> gx.ExpectationSuite:
    """The suite of `raw_<source>.<table>`. `previous_rows`: the row count after the previous
    load (None on the first load)."""
    gx_context()
    e = gx.expectations
    suite = gx.ExpectationSuite(name=f"raw_{source}.{table}",
                                meta={"version": SUITE_VERSION, "source": source})
    if table == QUARANTINE_TABLE:
        suite.add_expectation(e.ExpectTableColumnsToMatchSet(
            column_set=list(QUARANTINE_SCHEMA.names), exact_match=False))
        for column in ("source", "table_name", "reason", "quarantined_at"):
            suite.add_expectation(e.ExpectColumnValuesToNotBeNull(column=column))
        suite.add_expectation(e.ExpectTableRowCountToBeBetween(min_value=previous_rows or 0))
        return suite
    spec = table_specs()[source][table]
    suite.add_expectation(e.ExpectTableColumnsToMatchSet(
        column_set=[*spec.column_names, *DLT_COLUMNS], exact_match=False))
    for column in spec.required():
        suite.add_expectation(e.ExpectColumnValuesToNotBeNull(column=column))
    if len(spec.primary_key) == 1:
        suite.add_expectation(e.ExpectColumnValuesToBeUnique(column=spec.primary_key[0]))
    else:
        suite.add_expectation(e.ExpectCompoundColumnsToBeUnique(
            column_list=list(spec.primary_key)))
    for column, low, high in RANGES.get((source, table), []):
        suite.add_expectation(e.ExpectColumnValuesToBeBetween(
            column=column, min_value=low, max_value=high))
    for column, values in ALLOWED.get((source, table), []):
        suite.add_expectation(e.ExpectColumnValuesToBeInSet(
            column=column, value_set=values, mostly=ALLOWED_MOSTLY))
    # merged raw tables never shrink; the first load must bring rows
    suite.add_expectation(e.ExpectTableRowCountToBeBetween(
        min_value=previous_rows if previous_rows is not None else 1))
    return suite


def expectation_columns(e: gx.expectations.Expectation) -> list[str]:
    """The columns one expectation reads (`column`, or `column_list` for compound ones)."""
    return [c for c in [getattr(e, "column", None), *(getattr(e, "column_list", None) or [])]
            if c]


def suite_columns(suite: gx.ExpectationSuite) -> list[str]:
    """Columns the suite's expectations read (so only those are loaded)."""
    cols: list[str] = []
    for e in suite.expectations:
        for c in expectation_columns(e):
            if c not in cols:
                cols.append(c)
    return cols
