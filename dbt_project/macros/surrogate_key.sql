{#-
  surrogate_key(columns): a deterministic text key (md5 via dbt.hash) from a list of column
  expressions; nulls become a sentinel so (null, 'a') and ('', 'a') differ.
  Same contract as dbt_utils.generate_surrogate_key, without the package.
-#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for c in columns -%}
        {%- do parts.append("coalesce(cast(" ~ c ~ " as " ~ dbt.type_string() ~ "), '_cxm_null_')") -%}
        {%- if not loop.last %}{% do parts.append("'-'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
