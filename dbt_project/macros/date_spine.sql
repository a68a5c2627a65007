{#-
  date_spine(start_date, end_date): one row per day, column `date_day` (date), from
  start_date to end_date inclusive. Arguments are SQL expressions (e.g. "date '2020-01-01'",
  "current_date"). For dim_date and daily KPI grids.
-#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'cxm')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
    select cast(day_ts as date) as date_day
    from generate_series(
        cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval '1 day'
    ) as days(day_ts)
{%- endmacro %}

{% macro duckdb__date_spine(start_date, end_date) -%}
    select cast(range as date) as date_day
    from range(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp) + interval 1 day,
        interval 1 day
    )
{%- endmacro %}
