{#- Identifier hygiene shared by staging and identity resolution. -#}

{#- The junk list of a var as a SQL list of lower-case string literals: ('', '0', ...). -#}
{% macro cxm_junk_list(var_name) -%}
    {%- set values = var(var_name) -%}
    ({%- for v in values -%}
        '{{ (v | string | lower) | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%})
{%- endmacro %}


{#-
  clean_identifier(col): the identifier as trimmed text, or null when it is missing or junk
  (its trimmed, lower-cased value is in var('identity_junk_values'): '', '0', 'null',
  'anonymous', ...). Case is preserved: ids are compared exactly.
-#}
{% macro clean_identifier(col) -%}
    {{ return(adapter.dispatch('clean_identifier', 'cxm')(col)) }}
{%- endmacro %}

{% macro default__clean_identifier(col) -%}
    case
        when lower(trim(cast({{ col }} as {{ dbt.type_string() }}))) in {{ cxm_junk_list('identity_junk_values') }}
            then null
        else trim(cast({{ col }} as {{ dbt.type_string() }}))
    end
{%- endmacro %}


{#-
  normalize_email(col): trimmed, lower-cased email, or null when the value is not an email
  (no single `@` with a dotted domain, or whitespace inside), when its local part alone is
  junk ('null@…' is kept: only the whole address is checked against
  var('identity_junk_emails')), or when the whole value is junk per var('identity_junk_values').
-#}
{% macro normalize_email(col) -%}
    {{ return(adapter.dispatch('normalize_email', 'cxm')(col)) }}
{%- endmacro %}

{% macro default__normalize_email(col) -%}
    {%- set v = "lower(trim(cast(" ~ col ~ " as " ~ dbt.type_string() ~ ")))" -%}
    case
        when {{ v }} in {{ cxm_junk_list('identity_junk_values') }} then null
        when {{ v }} in {{ cxm_junk_list('identity_junk_emails') }} then null
        when {{ cxm_is_email(v) }} then {{ v }}
    end
{%- endmacro %}


{#- Is the (already trimmed, lower-cased) expression shaped like an email address? -#}
{% macro cxm_is_email(expr) -%}
    {{ return(adapter.dispatch('cxm_is_email', 'cxm')(expr)) }}
{%- endmacro %}

{% macro default__cxm_is_email(expr) -%}
    ({{ expr }} like '%_@_%._%' and {{ expr }} not like '%@%@%' and {{ expr }} not like '% %')
{%- endmacro %}

{% macro duckdb__cxm_is_email(expr) -%}
    regexp_full_match({{ expr }}, '[^@\s]+@[^@\s]+\.[^@\s.]+')
{%- endmacro %}

{% macro postgres__cxm_is_email(expr) -%}
    ({{ expr }} ~ '^[^@\s]+@[^@\s]+\.[^@\s.]+$')
{%- endmacro %}
