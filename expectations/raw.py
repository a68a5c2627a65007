"""Great Expectations suites for the raw tables, built from the connectors' TableSpecs
(ingestion/*/schema.py: the contract of docs/sources.md), so a new column or key in the
contract is validated without touching this file.

Per raw table two suites:
- `raw_<source>.<table>.critical` (blocking): every contract column exists, primary-key
  columns and required columns are never null, the primary key is unique, and the table holds
  at least as many rows as after the previous load (merge never deletes: fewer rows means
  something already loaded was lost).
- `raw_<source>.<table>.quality` (warning): value ranges and allowed values; staging maps
  unknown values to `other`, so a surprise here is worth a look, not a stopped pipeline.
"""

from __future__ import annotations

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.version import SUITE_VERSION
from ingestion.common.schema import TableSpec
from ingestion.crm.schema import TABLES as CRM
from ingestion.marketing.schema import TABLES as MARKETING
from ingestion.support.schema import TABLES as SUPPORT
from ingestion.web.schema import TABLES as WEB

SPECS: dict[str, dict[str, TableSpec]] = {
    "crm": CRM, "support": SUPPORT, "marketing": MARKETING, "web": WEB,
}


def _between(column: str, low: float | None = None, high: float | None = None):
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def _in(column: str, values: list[str]):
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values)


# value ranges and allowed values per (source, table); nulls are allowed unless the contract
# says the column is required (GX skips nulls in these expectations)
QUALITY: dict[tuple[str, str], list] = {
    ("crm", "orders"): [_between("hs_subtotal_price", 0), _between("hs_order_discount", 0),
                        _between("hs_total_price", 0)],
    ("crm", "line_items"): [_between("quantity", 1), _between("price", 0)],
    ("crm", "products"): [_between("price", 0)],
    ("crm", "deals"): [_between("amount", 0)],
    ("crm", "companies"): [_between("numberofemployees", 0), _between("annualrevenue", 0)],
    ("support", "tickets"): [
        _in("status", ["new", "open", "pending", "hold", "solved", "closed"]),
        _in("priority", ["low", "normal", "high", "urgent"]),
    ],
    ("support", "satisfaction_ratings"): [
        _in("score", ["good", "bad", "offered", "unoffered"])],
    ("support", "ticket_event_children"): [_in("event_type", [
        "Comment", "Change", "Create", "Notification", "VoiceComment", "SatisfactionRating"])],
    ("marketing", "email_events"): [_in("event_type", [
        "sent", "delivered", "opened", "clicked", "bounced", "unsubscribed", "spam_complaint"])],
    ("marketing", "ad_spend"): [_between("spend", 0), _between("impressions", 0),
                                _between("clicks", 0)],
    ("marketing", "survey_responses"): [_between("score", 0, 10)],
    ("marketing", "experiment_assignments"): [_in("variant", ["control", "treatment"])],
    ("web", "events"): [
        _in("type", ["page", "track", "identify", "screen", "group", "alias"]),
        _between("revenue", 0),
    ],
}


def _suite(name: str, expectations: list, blocking: bool) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=name, expectations=expectations,
        meta={"version": SUITE_VERSION, "blocking": blocking})


def critical_suite(source: str, spec: TableSpec) -> gx.ExpectationSuite:
    exps: list = [gxe.ExpectColumnToExist(column=c) for c in spec.column_names]
    exps += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in spec.required()]
    if len(spec.primary_key) == 1:
        exps.append(gxe.ExpectColumnValuesToBeUnique(column=spec.primary_key[0]))
    else:
        exps.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(spec.primary_key)))
    return _suite(f"raw_{source}.{spec.name}.critical", exps, blocking=True)


def volume_suite(source: str, spec: TableSpec, previous_rows: int) -> gx.ExpectationSuite:
    """Row count never below the previous load's (table-level, needs no column data)."""
    exps = [gxe.ExpectTableRowCountToBeBetween(min_value=previous_rows)]
    return _suite(f"raw_{source}.{spec.name}.volume", exps, blocking=True)


def quality_suite(source: str, spec: TableSpec) -> gx.ExpectationSuite | None:
    exps = [e.copy(deep=True) for e in QUALITY.get((source, spec.name), [])]
    return _suite(f"raw_{source}.{spec.name}.quality", exps, blocking=False) if exps else None
