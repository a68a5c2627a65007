{#-
  One row per experiment and exposed unit (the anonymous_id of the assignment, i.e. the
  visitor's first device): its variant, whether it converted (the customer's first order
  ever placed within var('experiment_conversion_window_days') after exposure) and the revenue
  of the customer's orders in that window. The device resolves to a customer through the
  identity mapping; a device that never identified has no orders, so it did not convert.
-#}
with

assignments as (

    select * from {{ ref('stg_marketing__experiment_assignments') }}
    where anonymous_id is not null

),

device_customers as (

    {{ customers_by_identifier('anonymous_id', 'anonymous_id') }}

),

orders as (

    select customer_id, ordered_at, order_total, customer_order_number
    from {{ ref('fct_orders') }}
    where customer_id is not null

),

exposures as (

    select
        assignments.experiment_id,
        assignments.experiment_name,
        assignments.variant,
        assignments.anonymous_id as unit_id,
        device_customers.customer_id,
        assignments.assigned_at,
        {{ dbt.dateadd('day', var('experiment_conversion_window_days'), 'assignments.assigned_at') }}
            as window_end_at
    from assignments
    left join device_customers on device_customers.anonymous_id = assignments.anonymous_id

),

final as (

    select
        exposures.experiment_id,
        exposures.experiment_name,
        exposures.variant,
        exposures.variant = 'control' as is_control,
        exposures.unit_id,
        exposures.customer_id,
        exposures.assigned_at,
        exposures.window_end_at,
        coalesce({{ dbt.bool_or('orders.customer_order_number = 1') }}, false) as is_converted,
        coalesce(sum(orders.order_total), 0) as revenue
    from exposures
    left join orders
        on orders.customer_id = exposures.customer_id
        and orders.ordered_at >= exposures.assigned_at
        and orders.ordered_at < exposures.window_end_at
    group by
        exposures.experiment_id,
        exposures.experiment_name,
        exposures.variant,
        exposures.unit_id,
        exposures.customer_id,
        exposures.assigned_at,
        exposures.window_end_at

)

select * from final
