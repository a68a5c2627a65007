{#- Small text-cleaning helpers for staging models. -#}

{#- Trimmed text; null when empty. -#}
{% macro clean_text(col) -%}
    nullif(trim(cast({{ col }} as {{ dbt.type_string() }})), '')
{%- endmacro %}


{#-
  accepted_or_other(col, values, other='other'): lower-cased, trimmed value when it is one of
  `values`; null when missing/empty; `other` for anything else (a vendor adding a value never
  breaks the accepted_values tests, and the surprise stays visible as `other`).
  Pass other=none to keep unknown values as they are (lower-cased).
-#}
{% macro accepted_or_other(col, values, other='other') -%}
    {%- set v = "lower(trim(cast(" ~ col ~ " as " ~ dbt.type_string() ~ ")))" -%}
    case
        when {{ v }} is null or {{ v }} = '' then null
        when {{ v }} in ({% for x in values %}'{{ x }}'{{ ", " if not loop.last }}{% endfor %}) then {{ v }}
        else {% if other is none %}{{ v }}{% else %}'{{ other }}'{% endif %}
    end
{%- endmacro %}


{#- Web domain: trimmed, lower-case, without scheme, leading `www.` and path; null when empty. -#}
{% macro cxm_clean_domain(col) -%}
    nullif(
        {{ dbt.split_part(
            "regexp_replace(lower(trim(cast(" ~ col ~ " as " ~ dbt.type_string() ~ "))), '^(https?://)?(www\\.)?', '')",
            "'/'", 1) }},
        '')
{%- endmacro %}


{#-
  Support channel (Zendesk `via.channel`) mapped to the documented values
  web, email, chat, api; anything else is `other`, missing is null.
-#}
{% macro cxm_support_channel(col) -%}
    {%- set v = "lower(trim(cast(" ~ col ~ " as " ~ dbt.type_string() ~ ")))" -%}
    case
        when {{ v }} is null or {{ v }} = '' then null
        when {{ v }} in ('web', 'web_form', 'web_widget', 'help_center') then 'web'
        when {{ v }} in ('email', 'mail') then 'email'
        when {{ v }} in ('chat', 'chat_transcript', 'messaging', 'native_messaging') then 'chat'
        when {{ v }} in ('api', 'web_service') then 'api'
        else 'other'
    end
{%- endmacro %}
