{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        full_refresh=false,
    )
}}
{#-
  Every customer_id ever issued -> the customer_id that now holds its anchor identifier.
  A retired id (its component merged into an older one) keeps resolving: look it up here.
  Each run re-resolves every id ever issued (one row per id: cheap next to the graph).
  full_refresh=false: `dbt build --full-refresh` must not forget retired ids (drop the table
  by hand if you really mean to).
-#}
with

current_customers as (

    select customer_id, anchor_identifier_type, anchor_identifier_value
    from {{ ref('int_identity__customers') }}

),

identifiers as (

    select identifier_type, identifier_value, customer_id
    from {{ ref('int_identity__identifiers') }}

),

issued as (

    select
        customer_id,
        anchor_identifier_type,
        anchor_identifier_value,
        cast('{{ run_started_at }}' as timestamp with time zone) as first_issued_at
    from current_customers

    {% if is_incremental() %}
    union all

    select
        customer_id,
        anchor_identifier_type,
        anchor_identifier_value,
        first_issued_at
    from {{ this }}
    {% endif %}

),

ever_issued as (

    select
        customer_id,
        -- an id is the hash of its anchor, so every row of one id names the same anchor
        -- (or null once the anchor was erased)
        max(anchor_identifier_type) as anchor_identifier_type,
        max(anchor_identifier_value) as anchor_identifier_value,
        min(first_issued_at) as first_issued_at
    from issued
    group by customer_id

),

resolved as (

    select
        ever_issued.customer_id,
        identifiers.customer_id as current_customer_id,
        ever_issued.anchor_identifier_type,
        -- drop the anchor value once it left the graph (erasure): no PII for a gone person
        case when identifiers.customer_id is not null then ever_issued.anchor_identifier_value end
            as anchor_identifier_value,
        ever_issued.first_issued_at,
        case
            when identifiers.customer_id is null then 'unresolved'
            when identifiers.customer_id = ever_issued.customer_id then 'active'
            else 'merged'
        end as status
    from ever_issued
    left join identifiers
        on identifiers.identifier_type = ever_issued.anchor_identifier_type
        and identifiers.identifier_value = ever_issued.anchor_identifier_value

)

select
    *,
    cast('{{ run_started_at }}' as timestamp with time zone) as resolved_at
from resolved
