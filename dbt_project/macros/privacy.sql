{#-
  Personal data in the public marts (DESIGN.md, security; docs/decisions.md 2026-12-02).
  By default the marts carry no personal data in clear text: emails are hashed (a join key)
  or masked (`j***@example.com`), names masked to initials, free text redacted. A trusted
  target sets CXM_PUBLISH_PII=true (var `publish_pii`): the masked columns then carry clear
  values and publishing stops refusing them (orchestration/publish.py). Hashes never change
  with the setting, so joins on them keep working across targets.
-#}

{#- True when this target may carry personal data in clear text (var publish_pii). -#}
{% macro cxm_publish_pii() -%}
    {{ return((var('publish_pii', 'false') | string | lower | trim) in ['1', 'true', 'yes']) }}
{%- endmacro %}


{#-
  hash_email(col): lower-case hex SHA-256 of an already normalised (trimmed, lower-cased)
  email — the format ad platforms take for customer-list matching (Google Customer Match,
  Meta Custom Audiences). Null stays null.
-#}
{% macro hash_email(col) -%}
    {{ return(adapter.dispatch('hash_email', 'cxm')(col)) }}
{%- endmacro %}

{% macro default__hash_email(col) -%}
    lower(sha2(cast({{ col }} as {{ dbt.type_string() }}), 256))
{%- endmacro %}

{% macro duckdb__hash_email(col) -%}
    sha256(cast({{ col }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro postgres__hash_email(col) -%}
    encode(sha256(convert_to(cast({{ col }} as text), 'UTF8')), 'hex')
{%- endmacro %}


{#- mask_email(col): `j***@example.com` (first character, the domain); clear on a trusted target. -#}
{% macro mask_email(col) -%}
    {%- if cxm_publish_pii() -%}
        {{ col }}
    {%- else -%}
        case
            when {{ col }} is not null
                then substring({{ col }}, 1, 1) || '***@' || {{ dbt.split_part(col, "'@'", 2) }}
        end
    {%- endif -%}
{%- endmacro %}


{#-
  mask_name(first_name, last_name): initials (`J. D.`), null when both are missing; the full
  name (`Jane Doe`) on a trusted target.
-#}
{% macro mask_name(first_name, last_name) -%}
    {%- if cxm_publish_pii() -%}
        nullif(trim(coalesce({{ first_name }}, '') || ' ' || coalesce({{ last_name }}, '')), '')
    {%- else -%}
        {{ initials(first_name, last_name) }}
    {%- endif -%}
{%- endmacro %}

{#- initials(first_name, last_name): `J. D.`, `J.`, `D.`; null when both are missing. -#}
{% macro initials(first_name, last_name) -%}
    nullif(
        trim(
            coalesce(upper(substring({{ first_name }}, 1, 1)) || '. ', '')
            || coalesce(upper(substring({{ last_name }}, 1, 1)) || '.', '')
        ),
        '')
{%- endmacro %}


{#-
  redact_free_text(col): free text (survey comments) with email addresses replaced by
  `[email]` and phone-like numbers (8+ digits, optionally with +, spaces, dots, dashes,
  brackets) by `[phone]`; unchanged on a trusted target. Names in free text are not
  detected: such columns stay tagged `pii: free_text` in the YAML.
-#}
{% macro redact_free_text(col) -%}
    {%- if cxm_publish_pii() -%}
        {{ col }}
    {%- else -%}
        {{ return(adapter.dispatch('redact_free_text', 'cxm')(col)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__redact_free_text(col) -%}
    regexp_replace(
        regexp_replace({{ col }}, '[^@[:space:]]+@[^@[:space:]]+[.][A-Za-z]{2,}', '[email]', 'g'),
        '[+(]?[0-9]([ ().-]{0,2}[0-9]){7,}', '[phone]', 'g')
{%- endmacro %}
