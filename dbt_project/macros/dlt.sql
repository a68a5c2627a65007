{#-
  dlt_loaded_at(col): when dlt loaded the row, from dlt's `_dlt_load_id` (text: unix epoch
  seconds as a decimal string, e.g. '1732400000.123456'), as timestamp with time zone.
  Double precision on purpose: a 32-bit float (dbt.type_float() is FLOAT in DuckDB) rounds
  epoch seconds to ~2 minutes and makes loads minutes apart tie.
  The sources' `loaded_at_field` uses the same expression, written out in YAML.
-#}
{% macro dlt_loaded_at(col='_dlt_load_id') -%}
    {{ return(adapter.dispatch('dlt_loaded_at', 'cxm')(col)) }}
{%- endmacro %}

{% macro default__dlt_loaded_at(col) -%}
    to_timestamp(cast({{ col }} as double precision))
{%- endmacro %}

{#-
  dlt_load_id_floor(ts): a `_dlt_load_id` text no later than every load after `ts` (the
  whole epoch seconds of `ts`). dlt's load ids compare in time order as text (ten integer
  digits until the year 2286), so `_dlt_load_id >= dlt_load_id_floor(ts)` keeps every load
  after `ts` and lets the database skip older row groups by their min/max statistics; keep
  the exact `_loaded_at > ts` beside it.
-#}
{% macro dlt_load_id_floor(ts) -%}
    {{ return(adapter.dispatch('dlt_load_id_floor', 'cxm')(ts)) }}
{%- endmacro %}

{% macro default__dlt_load_id_floor(ts) -%}
    cast(cast(floor(epoch({{ ts }})) as bigint) as varchar)
{%- endmacro %}
