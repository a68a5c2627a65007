-- One row per customer with a touchpoint: when they first touched us, through which channel
-- (customer_360's first touch and acquisition channel), and when they reached each journey
-- stage (visitor -> lead -> customer -> repeat customer). docs/metrics.md, "Journey".

with customers as (

    select
        customer_id,
        is_identified,
        first_touch_at,
        acquisition_channel,
        first_order_at
    from {{ ref('customer_360') }}
    where first_touch_at is not null

),

records as (

    select customer_id, created_at, first_seen_at
    from {{ ref('dim_customers') }}

),

second_orders as (

    select customer_id, ordered_at as second_order_at
    from {{ ref('fct_orders') }}
    where customer_order_number = 2

),

final as (

    select
        customers.customer_id,
        customers.first_touch_at,
        cast({{ dbt.date_trunc('month', 'customers.first_touch_at') }} as date) as cohort_month,
        customers.acquisition_channel,
        customers.is_identified,
        -- identified: the first record in the CRM, marketing or support system (else, for a
        -- person identified only by a web login, when the identity graph first saw them);
        -- a buyer is a lead by the time of the first order at the latest; a person on record
        -- before the first touch is a lead from the first touch on
        case
            when customers.is_identified or customers.first_order_at is not null
                then greatest(customers.first_touch_at, least(
                    coalesce(records.created_at, records.first_seen_at,
                             customers.first_order_at),
                    coalesce(customers.first_order_at,
                             records.created_at, records.first_seen_at)
                ))
        end as lead_at,
        customers.first_order_at,
        second_orders.second_order_at
    from customers
    left join records
        on records.customer_id = customers.customer_id
    left join second_orders
        on second_orders.customer_id = customers.customer_id

)

select * from final
