{#-
  elapsed_days(start_ts, end_ts): whole days elapsed from start_ts to end_ts — complete 24-hour
  periods (floor of seconds / 86400), so 90 days and 23 hours is 90. The lifecycle thresholds
  compare it with `active_days` / `churn_days` (docs/metrics.md "Lifecycle").
-#}
{% macro elapsed_days(start_ts, end_ts) -%}
    cast(floor({{ dbt.datediff(start_ts, end_ts, 'second') }} / 86400.0) as integer)
{%- endmacro %}

{#- The warehouse's "as of" time: the latest interaction (as customer_360.as_of_at). -#}
{% macro lifecycle_as_of() -%}
    select max(occurred_at) as as_of_at from {{ ref('fct_touchpoints') }}
{%- endmacro %}

{#-
  behavior_changes flags, on a relation with its measures (vars in dbt_project.yml):
  buys_more: orders per 30 days recent / baseline >= behavior_more_ratio, with at least
  behavior_min_orders recent orders; buys_less: average order value recent / baseline <=
  behavior_less_ratio; buys_differently: category shift >= behavior_category_shift with at
  least behavior_min_orders orders in each window. All need an order in both windows.
-#}
{% macro behavior_flag_more(rel) -%}
    ({{ rel }}.has_both_windows
        and {{ rel }}.recent_orders >= {{ var('behavior_min_orders') }}
        and coalesce({{ rel }}.frequency_ratio >= {{ var('behavior_more_ratio') }}, false))
{%- endmacro %}

{% macro behavior_flag_less(rel) -%}
    ({{ rel }}.has_both_windows
        and coalesce({{ rel }}.average_order_value_ratio <= {{ var('behavior_less_ratio') }}, false))
{%- endmacro %}

{% macro behavior_flag_differently(rel) -%}
    ({{ rel }}.has_both_windows
        and {{ rel }}.recent_orders >= {{ var('behavior_min_orders') }}
        and {{ rel }}.baseline_orders >= {{ var('behavior_min_orders') }}
        and coalesce({{ rel }}.category_shift >= {{ var('behavior_category_shift') }}, false))
{%- endmacro %}
