"""What each chart reads from published.duckdb: plain selects of the public marts; the
shaping is in report/shape.py (pure, tested on hand-worked frames)."""

from __future__ import annotations

SCORES = """
select kpi_date, nps_responses, nps_promoters, nps_detractors, csat_responses,
       csat_satisfied, ces_responses, ces_mean
from cx.cx_kpis_daily
where channel = 'all' and segment = 'all'
order by kpi_date
"""

FUNNEL = """
select cohort_month, acquisition_channel, visitors, leads, customers, repeat_customers
from journey.journey_funnel
"""

PATHS = """
select channel_path, journeys, conversions, drop_offs, conversion_rate
from journey.journey_paths
"""

ATTRIBUTION = """
select campaign_id, campaign_name, attribution_model, attributed_conversions,
       attributed_revenue, spend, roas
from journey.attribution_by_campaign
"""

RETENTION = """
select cohort_month, months_since_acquisition, cohort_customers, retention_rate
from lifecycle.cohort_retention
"""

CHURN = """
select period_month, group_value, customers_at_start, churned_customers, churn_rate
from lifecycle.churn_expansion
where group_type = 'support_contact'
"""

CLV = """
select customer_id, predicted_clv, persona
from customer.customer_360
where predicted_clv is not null
"""

SUPPORT = """
select created_date, first_reply_minutes, solved_date, resolution_minutes
from core.fct_support_tickets
"""

EXPERIMENTS = """
select experiment_id, experiment_name, variant, is_control, exposed_users, conversions,
       conversion_rate, absolute_lift, absolute_lift_ci_low, absolute_lift_ci_high, p_value,
       is_significant
from cx.experiment_results
"""
