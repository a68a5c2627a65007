{#-
  deduplicate(relation, partition_by, order_by): one row per `partition_by` (the primary key),
  the first by `order_by` — staging orders by the update cursor, then the load, newest first,
  so the latest version of a record wins. `relation` is a CTE or relation name; all of its
  columns are returned, nothing added.
-#}
{% macro deduplicate(relation, partition_by, order_by) -%}
    {{ return(adapter.dispatch('deduplicate', 'cxm')(relation, partition_by, order_by)) }}
{%- endmacro %}

{#- QUALIFY: DuckDB, Snowflake, BigQuery, Databricks. -#}
{% macro default__deduplicate(relation, partition_by, order_by) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}

{% macro postgres__deduplicate(relation, partition_by, order_by) -%}
    select distinct on ({{ partition_by }}) *
    from {{ relation }}
    order by {{ partition_by }}, {{ order_by }}
{%- endmacro %}
