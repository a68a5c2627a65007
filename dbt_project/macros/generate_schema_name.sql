{#-
  Custom schemas are used verbatim: `+schema: staging` builds into schema `staging` (dbt's
  default would be `<target schema>_staging`). The public marts must sit in schemas named
  after their group (`core`, `customer`, `journey`, `lifecycle`, `cx`) because BI tools and
  the publish step address them by those names. Models without a custom schema go to the
  target schema (`main` in DuckDB).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
