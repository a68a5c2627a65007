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
        between("latest_nps_score", 0, 10), between("open_ticket_count", 0),
        rate("p_alive"), between("expected_purchases_12m", 0), between("predicted_clv", 0),
        between("historical_clv", 0)]),
    # the activation mart (masking: publish refuses clear emails; consent: a dbt test)
    "customer.marketing_audience": Mart(("customer_id",), [
        *not_null("email_hash", "email", "order_count"),
        gxe.ExpectColumnValueLengthsToEqual(column="email_hash", value=64),
        rate("email_open_rate"), rate("email_click_rate"), rate("p_alive"),
        between("predicted_clv", 0)]),
    # journey (issue 5): key integrity and metric ranges; attribution is checked per
    # conversion and model (credits sum to 1, each in [0, 1], no touch credited twice)
    "journey.journey_steps": Mart(("touchpoint_id",), [
        *not_null("customer_id", "step_number", "occurred_at", "led_to_conversion"),
        between("step_number", 1), between("seconds_since_first_touch", 0),
        one_of("journey_stage", ["visitor", "lead", "customer", "repeat_customer"])]),
    "journey.journey_funnel": Mart(("cohort_month", "acquisition_channel"), [
        between("visitors", 1), between("leads", 0), between("customers", 0),
        between("repeat_customers", 0), rate("visitor_to_lead_rate"),
        rate("lead_to_customer_rate"), rate("customer_to_repeat_rate"),
        rate("visitor_to_customer_rate"), between("median_days_to_lead", 0),
        between("p90_days_to_lead", 0), between("median_days_to_first_order", 0),
        between("p90_days_to_first_order", 0), between("median_days_to_repeat_order", 0),
        between("p90_days_to_repeat_order", 0)]),
    "journey.journey_paths": Mart(("channel_path",), [
        between("journeys", 1), between("conversions", 0), between("drop_offs", 0),
        between("path_length", 0), rate("conversion_rate")]),
    "journey.journey_drop_offs": Mart(("last_channel", "last_touchpoint_type"), [
        between("drop_offs", 1), rate("share_of_drop_offs"), between("drop_off_rank", 1)]),
    "journey.journey_landing_pages": Mart(("page_path",), [
        between("page_views", 1), between("landing_sessions", 0), between("exits", 0),
        rate("bounce_rate"), rate("exit_rate")]),
    "journey.attribution": Mart(("order_id", "attribution_model"), [
        one_of("attribution_model",
               ["first_touch", "last_touch", "linear", "position_based", "time_decay"]),
        between("total_credit", 1 - 1e-9, 1 + 1e-9), rate("min_credit"), rate("max_credit"),
        between("touches_credited_twice", 0, 0), between("revenue_credit_gap", 0, 1e-6)],
        query="""
            select
                order_id, attribution_model,
                sum(credit) as total_credit, min(credit) as min_credit,
                max(credit) as max_credit,
                count(*) - count(distinct touchpoint_id) as touches_credited_twice,
                abs(sum(revenue_credit) - max(order_revenue)) as revenue_credit_gap
            from journey.attribution
            group by order_id, attribution_model"""),
    "journey.attribution_by_campaign": Mart(("campaign_id", "attribution_model"), [
        between("attributed_conversions", 0), between("attributed_revenue", 0),
        between("spend", 0), between("roas", 0), between("cpa", 0),
        between("coupon_redemptions", 0), between("coupon_discount_cost", 0),
        rate("coupon_first_order_repeat_rate"), rate("non_coupon_first_order_repeat_rate")]),

    # lifecycle (docs/metrics.md "Lifecycle" ... "Behaviour changes")
    "lifecycle.customer_lifecycle": Mart(("lifecycle_spell_id",), [
        *not_null("customer_id", "valid_from", "is_current"),
        one_of("lifecycle_stage", ["visitor", "lead", "new_customer", "active", "reactivated",
                                   "at_risk", "churned"])]),
    "lifecycle.cohort_retention": Mart(("cohort_month", "months_since_acquisition"), [
        rate("retention_rate"), between("cohort_customers", 1),
        between("active_customers", 0), between("cumulative_revenue_per_customer", 0)]),
    "lifecycle.churn_expansion": Mart(("period_month", "group_type", "group_value"), [
        rate("churn_rate"), rate("expansion_rate"), between("net_revenue_retention", 0),
        between("customers_at_start", 1),
        one_of("group_type", ["all", "acquisition_channel", "persona", "support_contact"])]),
    "lifecycle.customer_segments": Mart(("customer_id",), [
        between("recency_score", 1, 5), between("frequency_score", 1, 5),
        between("monetary_score", 1, 5), between("recency_days", 0),
        one_of("persona", ["champions", "loyal", "new", "promising", "at_risk", "hibernating",
                           "need_attention"])]),
    "lifecycle.behavior_changes": Mart(("customer_id",), [
        between("spend_ratio", 0), between("frequency_ratio", 0), rate("category_shift"),
        between("repeat_rate_ratio", 0), between("typical_order_value_ratio", 0),
        rate("frequency_p_value"), rate("spend_p_value"), rate("category_p_value"),
        one_of("behavior_change", ["buys_more", "buys_less", "buys_differently", "unchanged",
                                   "insufficient_history"])]),
    # CLV (customer_clv_fit, customer_clv): parameters are positive where fitted; every
    # customer metric is present and in range whatever model or fallback produced it
    "lifecycle.customer_clv_fit": Mart(("model", "parameter"), [
        one_of("model", ["bg_nbd", "gamma_gamma"]), between("value", 0),
        one_of("fit_status", ["ok", "too_few_repeat_customers", "not_converged",
                              "invalid_parameters"]),
        *not_null("converged", "n_customers", "n_repeat_customers")]),
    "lifecycle.customer_clv": Mart(("customer_id",), [
        *not_null("p_alive", "expected_purchases_12m", "expected_purchase_value",
                  "predicted_clv", "historical_clv", "purchase_model", "spend_model"),
        rate("p_alive"), between("expected_purchases_12m", 0),
        between("expected_purchase_value", 0), between("predicted_clv", 0),
        between("historical_clv", 0), between("frequency", 0), between("purchase_count", 1),
        one_of("purchase_model", ["bg_nbd", "fallback_recency_rule"]),
        one_of("spend_model", ["gamma_gamma", "fallback_historical_mean"])]),
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
