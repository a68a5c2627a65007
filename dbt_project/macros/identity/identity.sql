{#- Identity resolution helpers (models/intermediate/identity). -#}

{#-
  The identifier types of the identity graph, in tie-break order: when two identifiers of a
  component were first seen at the same instant, the earlier type in this list is the anchor
  (system ids are more permanent than emails, emails more than device ids).
  The same names are used by the demo generator's ground truth (docs/sources.md).
-#}
{% macro identifier_types() -%}
    {{ return(['crm_contact_id', 'support_user_id', 'marketing_profile_id', 'app_user_id', 'email', 'anonymous_id']) }}
{%- endmacro %}


{#- Rank of an identifier type (1 = first in identifier_types()). -#}
{% macro identifier_type_rank(col) -%}
    case {{ col }}
    {%- for t in identifier_types() %}
        when '{{ t }}' then {{ loop.index }}
    {%- endfor %}
    end
{%- endmacro %}


{#-
  customer_id of a component, from its anchor identifier: md5 (dbt.hash) of
  '<identifier_type>:<identifier_value>'. A pure function of the anchor, so a full rebuild
  issues the same ids, and a unit test can compute the expected id by hand.
-#}
{% macro customer_id_from_anchor(type_col, value_col) -%}
    {{ dbt.hash(dbt.concat([type_col, "':'", value_col])) }}
{%- endmacro %}


{#-
  One row per identifier observed in one identity record: the wide
  int_identity__records (one column per identifier type) unpivoted to
  (source_system, source_table, record_key, seen_at, identifier_type, identifier_value).
-#}
{% macro identity_observations(records) -%}
    {%- for t in identifier_types() %}
    select
        source_system,
        source_table,
        record_key,
        seen_at,
        '{{ t }}' as identifier_type,
        {{ t }} as identifier_value
    from {{ records }}
    where {{ t }} is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{#-
  The customer of every identifier of one type, as (<key_column>, customer_id): what a fact
  joins its record's identifier to, e.g. customers_by_identifier('crm_contact_id', 'contact_id').
-#}
{% macro customers_by_identifier(identifier_type, key_column) -%}
    select
        identifier_value as {{ key_column }},
        customer_id
    from {{ ref('int_identity__identifiers') }}
    where identifier_type = '{{ identifier_type }}'
{%- endmacro %}
