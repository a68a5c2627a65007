-- Stage history per customer (SCD2 style: one row per stage spell, valid_from inclusive,
-- valid_to exclusive, null while current). Stages follow from events (first seen, first
-- record in a business system, orders) and from inactivity thresholds after each order:
--   [order, order + active_days + 1 day)                -> new_customer (1st order),
--                                                          reactivated (order placed while
--                                                          churned) or active
--   [order + active_days + 1 day, order + churn_days + 1 day) -> at_risk
--   [order + churn_days + 1 day, ...)                    -> churned
-- each cut short by the next order. So a customer whose last order is exactly N x 24 hours
-- old (N <= active_days) is still active (whole elapsed days <= active_days), as in the
-- generator's truth. Spells that would start after the as-of time are not known yet.

with customers as (

    select customer_id, first_seen_at, created_at from {{ ref('dim_customers') }}

),

first_touches as (

    select customer_id, min(occurred_at) as first_touch_at
    from {{ ref('fct_touchpoints') }}
    group by customer_id

),

as_of as (

    {{ lifecycle_as_of() }}

),

orders as (

    select
        customer_id,
        order_id,
        ordered_at,
        row_number() over (partition by customer_id order by ordered_at, order_id) as order_number,
        lag(ordered_at) over (partition by customer_id order by ordered_at, order_id)
            as previous_order_at,
        lead(ordered_at) over (partition by customer_id order by ordered_at, order_id)
            as next_order_at
    from {{ ref('fct_orders') }}
    where customer_id is not null

),

first_orders as (

    select customer_id, ordered_at as first_order_at from orders where order_number = 1

),

pre_purchase as (

    select
        customers.customer_id,
        least(customers.first_seen_at, first_touches.first_touch_at) as first_seen_at,
        -- a lead: the person became a record in the CRM, marketing or support system
        case
            when first_orders.first_order_at is null
                or customers.created_at < first_orders.first_order_at then customers.created_at
        end as lead_at,
        first_orders.first_order_at
    from customers
    left join first_touches on customers.customer_id = first_touches.customer_id
    left join first_orders on customers.customer_id = first_orders.customer_id

),

order_spells as (

    select
        customer_id,
        order_number,
        ordered_at,
        next_order_at,
        case
            when order_number = 1 then 'new_customer'
            when ordered_at >= {{ dbt.dateadd('day', var('churn_days') + 1, 'previous_order_at') }}
                then 'reactivated'
            else 'active'
        end as purchase_stage,
        {{ dbt.dateadd('day', var('active_days') + 1, 'ordered_at') }} as at_risk_from,
        {{ dbt.dateadd('day', var('churn_days') + 1, 'ordered_at') }} as churned_from
    from orders

),

spells as (

    select customer_id, 'visitor' as lifecycle_stage, 'first_seen' as started_by,
        cast(null as integer) as order_number,
        first_seen_at as valid_from, coalesce(lead_at, first_order_at) as ends_at
    from pre_purchase
    union all
    select customer_id, 'lead', 'became_known', null, lead_at, first_order_at
    from pre_purchase
    where lead_at is not null
    union all
    select customer_id, purchase_stage, 'order', order_number, ordered_at,
        least(at_risk_from, coalesce(next_order_at, at_risk_from))
    from order_spells
    union all
    select customer_id, 'at_risk', 'inactivity', order_number, at_risk_from,
        least(churned_from, coalesce(next_order_at, churned_from))
    from order_spells
    union all
    select customer_id, 'churned', 'inactivity', order_number, churned_from, next_order_at
    from order_spells

),

known as (

    select spells.*, as_of.as_of_at
    from spells
    cross join as_of
    where spells.valid_from is not null
      and spells.valid_from <= as_of.as_of_at
      and (spells.ends_at is null or spells.ends_at > spells.valid_from)

),

final as (

    select
        {{ surrogate_key(['customer_id', 'valid_from', 'lifecycle_stage']) }} as lifecycle_spell_id,
        customer_id,
        row_number() over (partition by customer_id order by valid_from, order_number nulls first)
            as spell_number,
        lifecycle_stage,
        case
            when lifecycle_stage in ('new_customer', 'active', 'reactivated') then 'active'
            else lifecycle_stage
        end as lifecycle_status,
        started_by,
        order_number,
        valid_from,
        -- the future is not known: a spell still running at the as-of time stays open
        case when ends_at <= as_of_at then ends_at end as valid_to,
        ends_at is null or ends_at > as_of_at as is_current,
        as_of_at
    from known

)

select * from final
