{#-
  Full refreshes of int_web__sessions in parts of the devices (docs/decisions.md, 2026-12-03).

  Sessionising sorts every event of a device with the columns its session attributes need
  (~250 bytes an event). At L (~100M events) that outgrows DuckDB's memory limit; the sorts
  spilled ~18 GB to disk and the model took 570 s where M's tenth of the events took 28 s.
  A full refresh therefore splits the devices into n parts by a hash of the device id, n =
  raw events / var('sessions_chunk_events') rounded up: the model's own SQL builds part 0
  (web_session_chunk_filter) and its post-hook (web_session_remaining_chunks) inserts parts
  1..n-1 with the same compiled SQL, its part number changed, in the same transaction. Every
  device falls wholly into one part, so the parts' sessions are the sessions of the whole.
  Incremental runs (only the touched devices), unit tests and compiling without the raw table
  use one part; so does everything up to n = 1 (scale M).
-#}

{% macro web_session_chunks() %}
    {%- if not execute or model.resource_type != 'model' or is_incremental() -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set raw = load_relation(source('web', 'events')) -%}
    {%- if raw is none -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set events = run_query('select count(*) from ' ~ raw).columns[0].values()[0] | int -%}
    {%- set per_chunk = [var('sessions_chunk_events') | int, 1] | max -%}
    {{ return([1, (events + per_chunk - 1) // per_chunk] | max) }}
{% endmacro %}


{#- `and <part 0 of n>` for the events' where clause, or nothing when there is one part. The
    comment marks the predicate for web_session_remaining_chunks. -#}
{% macro web_session_chunk_filter(device_id) %}
    {%- set n = web_session_chunks() -%}
    {%- if n > 1 -%}
        and {{ cxm_bucket(device_id, n) }} = 0 /* cxm_chunks={{ n }} */
    {%- endif -%}
{% endmacro %}


{#- Post-hook: insert parts 1..n-1 when the compiled SQL built part 0 of n. -#}
{% macro web_session_remaining_chunks() %}
    {%- set marker = '/* cxm_chunks=' -%}
    {%- if execute and sql and marker in sql -%}
        {%- set n = sql.split(marker)[1].split(' ')[0] | int -%}
        {%- set part_0 = '= 0 ' ~ marker ~ n ~ ' */' -%}
        {%- for i in range(1, n) -%}
            {%- do log(this ~ ': part ' ~ (i + 1) ~ ' of ' ~ n, info=True) -%}
            {%- do run_query('insert into ' ~ this ~ '\n'
                             ~ sql.replace(part_0, '= ' ~ i ~ ' ' ~ marker ~ n ~ ' */')) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}


{#- A bucket 0..n-1 of an expression's value (the same value always in the same bucket). -#}
{% macro cxm_bucket(expr, n) %}
    {{- return(adapter.dispatch('cxm_bucket', 'cxm')(expr, n)) -}}
{% endmacro %}

{% macro default__cxm_bucket(expr, n) -%}
    (hash({{ expr }}) % {{ n }})
{%- endmacro %}
