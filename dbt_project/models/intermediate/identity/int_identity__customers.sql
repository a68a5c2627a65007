{#- One row per resolved person (connected component of the identity graph). -#}
with

identifiers as (

    select * from {{ ref('int_identity__identifiers') }}

),

customers as (

    select
        customer_id,
        min(anchor_identifier_type) as anchor_identifier_type,
        min(anchor_identifier_value) as anchor_identifier_value,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        count(*) as identifier_count,
        {%- for t in identifier_types() %}
        sum(case when identifier_type = '{{ t }}' then 1 else 0 end) as {{ t }}_count,
        {%- endfor %}
        max(case when source_systems like '%crm%' then 1 else 0 end) = 1 as is_in_crm,
        max(case when source_systems like '%support%' then 1 else 0 end) = 1 as is_in_support,
        max(case when source_systems like '%marketing%' then 1 else 0 end) = 1 as is_in_marketing,
        max(case when source_systems like '%web%' then 1 else 0 end) = 1 as is_in_web
    from identifiers
    group by customer_id

)

select
    *,
    identifier_count > anonymous_id_count as is_identified
from customers
