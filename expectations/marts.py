"""Great Expectations suites for the public marts (the contract of DESIGN.md): key integrity
and metric ranges. All are blocking: a failure stops publishing.

Each mart declares its key and the rules on its metrics; a mart whose check needs an
aggregate (e.g. attribution credits summing to 1 per conversion) declares a `query` whose
result the suite validates instead of the table itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.suites import SUITE_VERSION, gx_context


def between(column: str, low: float | None = None, high: float | None = None):
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def rate(column: str):
    return between(column, 0, 1)


def one_of(column: str, values: list[str]):
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values)


def not_null(*columns: str) -> list:
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


@dataclass(frozen=True)
class Mart:
    key: tuple[str, ...]
    rules: list = field(default_factory=list)
    query: str | None = None  # validate this query's result instead of the table

    def suite(self, name: str) -> gx.ExpectationSuite:
        gx_context()
        exps: list = not_null(*self.key)
        if len(self.key) == 1:
            exps.append(gxe.ExpectColumnValuesToBeUnique(column=self.key[0]))
        else:
            exps.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(self.key)))
        exps += [r.copy(deep=True) for r in self.rules]
        return gx.ExpectationSuite(name=f"{name}.contract", expectations=exps,
                                   meta={"version": SUITE_VERSION, "blocking": True})


MARTS: dict[str, Mart] = {
    "core.dim_customers": Mart(("customer_id",), not_null("is_identified")),
    "core.dim_companies": Mart(("company_id",)),
    "core.dim_date": Mart(("date_day",)),
    "core.dim_channels": Mart(("channel_group",)),
    "core.dim_campaigns": Mart(("campaign_id",)),
    "core.dim_products": Mart(("product_id",)),
    "core.fct_orders": Mart(("order_id",), [
        between("order_total", 0), between("order_discount", 0),
        between("customer_order_number", 1)]),
    "core.fct_order_items": Mart(("line_item_id",), [between("quantity", 1)]),
    "core.fct_web_sessions": Mart(("session_id",), [
        *not_null("session_start_at", "channel_group"),
        between("page_view_count", 0), between("event_count", 1),
        between("duration_seconds", 0)]),
    "core.fct_email_events": Mart(("email_event_id",), [
        one_of("email_event_type", ["sent", "opened", "clicked", "bounced", "unsubscribed",
                                    "other"])]),
    "core.fct_ad_spend": Mart(("ad_spend_id",), [
        between("spend", 0), between("impressions", 0), between("clicks", 0)]),
    "core.fct_support_tickets": Mart(("ticket_id",), [
        between("first_reply_minutes", 0), between("resolution_minutes", 0),
        between("reopen_count", 0)]),
    "core.fct_survey_responses": Mart(("survey_response_id",), [
        one_of("survey_type", ["nps", "csat", "ces", "other"])]),
    "core.fct_touchpoints": Mart(("touchpoint_id",), not_null("customer_id", "occurred_at")),
    "customer.customer_360": Mart(("customer_id",), [
        between("order_count", 0), between("total_revenue", 0),
        between("average_order_value", 0), between("session_count", 0),
        rate("email_open_rate"), rate("email_click_rate"),
        between("latest_nps_score", 0, 10), between("open_ticket_count", 0)]),
    # cx (issue 7): daily CX KPIs and the experiment analysis
    "cx.cx_kpis_daily": Mart(("kpi_date", "channel", "segment"), [
        between("nps", -100, 100), between("csat_pct", 0, 100), between("ces_mean", 1, 7),
        rate("reopen_rate"), rate("bounce_rate"), rate("conversion_rate"),
        rate("email_open_rate"), rate("email_click_rate"),
        between("nps_responses", 0), between("csat_responses", 0), between("ces_responses", 0),
        between("tickets_created", 0), between("ticket_backlog", 0), between("sessions", 0),
        between("median_first_reply_minutes", 0), between("median_resolution_minutes", 0),
        *not_null("has_few_nps_responses", "has_few_csat_responses", "has_few_ces_responses")]),
    **{f"cx.{name}": Mart(("experiment_id", "variant"), [
        between("exposed_users", 1), between("conversions", 0), rate("conversion_rate"),
        rate("p_value"), rate("srm_p_value"), between("revenue_per_exposed_user", 0),
        *not_null("is_control")]) for name in ("experiment_results", "experiment_aa_check")},
}


def mart_suite(table: str) -> gx.ExpectationSuite:
    return MARTS[table].suite(table)


def suite_columns(suite: gx.ExpectationSuite) -> list[str]:
    """Columns the suite's expectations read (so only those are loaded)."""
    cols: list[str] = []
    for e in suite.expectations:
        for c in [getattr(e, "column", None), *(getattr(e, "column_list", None) or [])]:
            if c and c not in cols:
                cols.append(c)
    return cols
