{#-
  The CX score arithmetic in one place (docs/metrics.md), used by cx_kpis_daily and
  customer_360. Each is an aggregate over the rows of a window; with no response in the window
  the result is null (never 0, never a division error).

  nps(promoter_flag, detractor_flag): 100 × (promoters − detractors) / NPS responses, where an
  NPS response is a row whose promoter flag is not null (fct_survey_responses.is_promoter is
  null outside NPS rows).
-#}
{% macro nps(promoter_flag, detractor_flag) -%}
    100.0 * (
        sum(case when {{ promoter_flag }} then 1 else 0 end)
        - sum(case when {{ detractor_flag }} then 1 else 0 end)
    ) / nullif(count({{ promoter_flag }}), 0)
{%- endmacro %}


{#- csat_pct(satisfied_flag): 100 × satisfied / CSAT responses (rows whose flag is not null). -#}
{% macro csat_pct(satisfied_flag) -%}
    100.0 * sum(case when {{ satisfied_flag }} then 1 else 0 end)
        / nullif(count({{ satisfied_flag }}), 0)
{%- endmacro %}


{#- ces_mean(score): mean effort score over the CES responses (rows whose score is not null). -#}
{% macro ces_mean(score) -%}
    avg(cast({{ score }} as double))
{%- endmacro %}
