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
  Log probabilities for the exact tests of behavior_changes (DuckDB `lgamma`):
  log_choose(n, k) = ln C(n, k); log_binomial_pmf(k, n, p) = ln P(X = k), X ~ Binomial(n, p),
  0 < p < 1; log_hypergeometric_pmf(k, total, marked, drawn) = ln P(X = k) for X marked items
  among `drawn` taken without replacement from `total` items of which `marked` are marked.
-#}
{% macro log_choose(n, k) -%}
    (lgamma(({{ n }}) + 1) - lgamma(({{ k }}) + 1) - lgamma(({{ n }}) - ({{ k }}) + 1))
{%- endmacro %}

{% macro log_binomial_pmf(k, n, p) -%}
    ({{ log_choose(n, k) }} + ({{ k }}) * ln({{ p }}) + (({{ n }}) - ({{ k }})) * ln(1 - ({{ p }})))
{%- endmacro %}

{% macro log_hypergeometric_pmf(k, total, marked, drawn) -%}
    ({{ log_choose(marked, k) }} + {{ log_choose("(" ~ total ~ ") - (" ~ marked ~ ")", "(" ~ drawn ~ ") - (" ~ k ~ ")") }}
        - {{ log_choose(total, drawn) }})
{%- endmacro %}

{#-
  behavior_changes flags, on a relation with its measures (vars in dbt_project.yml; all need
  an order in both windows): a test's p-value at most `behavior_max_p_value` and an effect at
  least as large as a minimum the business would act on —
  buys_more: frequency_p_value, and recent / baseline repeat-order rate >= behavior_more_ratio
  (no baseline repeat order: any rate is more);
  buys_less: spend_p_value, and average order value recent / baseline <= behavior_less_ratio;
  buys_differently: category_p_value, and category shift >= behavior_category_shift.
-#}
{% macro behavior_flag_more(rel) -%}
    ({{ rel }}.has_both_windows
        and coalesce({{ rel }}.frequency_p_value <= {{ var('behavior_max_p_value') }}, false)
        and coalesce({{ rel }}.repeat_rate_ratio >= {{ var('behavior_more_ratio') }}, true))
{%- endmacro %}

{% macro behavior_flag_less(rel) -%}
    ({{ rel }}.has_both_windows
        and coalesce({{ rel }}.spend_p_value <= {{ var('behavior_max_p_value') }}, false)
        and coalesce({{ rel }}.average_order_value_ratio <= {{ var('behavior_less_ratio') }}, false))
{%- endmacro %}

{% macro behavior_flag_differently(rel) -%}
    ({{ rel }}.has_both_windows
        and coalesce({{ rel }}.category_p_value <= {{ var('behavior_max_p_value') }}, false)
        and coalesce({{ rel }}.category_shift >= {{ var('behavior_category_shift') }}, false))
{%- endmacro %}
