{#-
  incremental_high_water(expr): the value of `expr`, an aggregate over {{ this }} (e.g.
  "max(last_loaded_at)"), for an incremental model's where clause — read when the model runs
  and written into the SQL as a timestamp literal, so the database can skip row groups by
  their min/max statistics: DuckDB does not push a subquery's value through a staging view's
  cleaning joins down to the table scan (int_web__sessions at M: 4.7 s for a run with nothing
  new against 0.08 s; docs/decisions.md, 2026-12-03). Unit tests (their `this` is a fixture)
  and plain compiles get the equivalent scalar subquery. Models call it through
  incremental_new_loads below.
-#}
{% macro incremental_high_water(expr) %}
    {%- set subquery = '(select ' ~ expr ~ ' from ' ~ this ~ ')' -%}
    {%- if not (execute and model.resource_type == 'model') -%}
        {{- return(subquery) -}}
    {%- endif -%}
    {%- set result = run_query('select cast(' ~ expr ~ ' as varchar) from ' ~ this) -%}
    {%- set value = result.columns[0].values()[0] -%}
    {%- if value is none -%}
        {{- return('cast(null as timestamp with time zone)') -}}
    {%- endif -%}
    {{- return("cast('" ~ value ~ "' as timestamp with time zone)") -}}
{% endmacro %}


{#-
  incremental_new_loads(): the where-clause predicate for the web events loaded since an
  incremental model's last run, minus var('session_lookback_hours'), when the model keeps its
  latest load in `last_loaded_at` (int_web__sessions, int_identity__web_identities):
  `_loaded_at > <mark>` and, redundant, `_dlt_load_id >= <the mark's load-id floor>`, which
  only lets old row groups be skipped (macros/dlt.sql). The mark is a literal when the model
  runs (incremental_high_water above).
-#}
{% macro incremental_new_loads() %}
    {%- set loaded_after = dbt.dateadd(
        'hour', -1 * (var('session_lookback_hours') | int),
        "coalesce(" ~ incremental_high_water('max(last_loaded_at)')
        ~ ", cast('1900-01-01' as timestamp with time zone))") -%}
    {{- return('_loaded_at > ' ~ loaded_after
               ~ '\n        and _dlt_load_id >= ' ~ dlt_load_id_floor(loaded_after)) -}}
{% endmacro %}
