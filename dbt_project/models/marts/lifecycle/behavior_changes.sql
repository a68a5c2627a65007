-- Per customer with orders: a recent window (the last `behavior_recent_days` before the as-of
-- time) against a baseline (the `behavior_baseline_days` before it, from the first order when
-- that is later): spend per 30 days, orders per 30 days, average order value and category
-- mix (share of line amounts per product category). Flags and thresholds (dbt vars) in
-- docs/metrics.md "Behaviour changes" and macros/lifecycle.sql; customers without an order
-- in both windows are `insufficient_history`.

with as_of as (

    select
        as_of_at,
        {{ dbt.dateadd('day', -1 * var('behavior_recent_days'), 'as_of_at') }} as recent_from,
        {{ dbt.dateadd('day', -1 * (var('behavior_recent_days') + var('behavior_baseline_days')), 'as_of_at') }}
            as baseline_from
    from ({{ lifecycle_as_of() }}) as latest

),

orders as (

    select
        orders.customer_id,
        orders.order_id,
        orders.order_total,
        case
            when orders.ordered_at > as_of.recent_from then 'recent'
            when orders.ordered_at > as_of.baseline_from then 'baseline'
        end as time_window
    from {{ ref('fct_orders') }} as orders
    cross join as_of
    where orders.customer_id is not null and orders.ordered_at <= as_of.as_of_at

),

first_orders as (

    select customer_id, min(ordered_at) as first_order_at
    from {{ ref('fct_orders') }}
    where customer_id is not null
    group by customer_id

),

windows as (

    select
        first_orders.customer_id,
        first_orders.first_order_at,
        count(orders.order_id) filter (where orders.time_window = 'baseline') as baseline_orders,
        count(orders.order_id) filter (where orders.time_window = 'recent') as recent_orders,
        coalesce(sum(orders.order_total) filter (where orders.time_window = 'baseline'), 0)
            as baseline_revenue,
        coalesce(sum(orders.order_total) filter (where orders.time_window = 'recent'), 0)
            as recent_revenue,
        -- the baseline starts at the first order when the customer is younger than it
        greatest(
            {{ dbt.datediff('greatest(as_of.baseline_from, first_orders.first_order_at)', 'as_of.recent_from', 'second') }}
            / 86400.0,
            1.0
        ) as baseline_days
    from first_orders
    cross join as_of
    left join orders on first_orders.customer_id = orders.customer_id
    group by first_orders.customer_id, first_orders.first_order_at, as_of.baseline_from,
        as_of.recent_from

),

category_spend as (

    select
        orders.customer_id,
        orders.time_window,
        coalesce(products.category, '(unknown)') as category,
        sum(items.line_amount) as amount
    from {{ ref('fct_order_items') }} as items
    inner join orders on items.order_id = orders.order_id
    left join {{ ref('dim_products') }} as products on items.product_id = products.product_id
    where orders.time_window is not null
    group by 1, 2, 3

),

category_shares as (

    select
        customer_id,
        category,
        coalesce(sum(amount) filter (where time_window = 'recent'), 0)
            / nullif(sum(sum(amount) filter (where time_window = 'recent')) over (partition by customer_id), 0)
            as recent_share,
        coalesce(sum(amount) filter (where time_window = 'baseline'), 0)
            / nullif(sum(sum(amount) filter (where time_window = 'baseline')) over (partition by customer_id), 0)
            as baseline_share
    from category_spend
    group by customer_id, category

),

category_shift as (

    -- total variation distance between the two category mixes: 0 same mix, 1 disjoint
    select customer_id, least(0.5 * sum(abs(recent_share - baseline_share)), 1.0) as category_shift
    from category_shares
    group by customer_id

),

measured as (

    select
        windows.customer_id,
        windows.baseline_orders,
        windows.recent_orders,
        windows.baseline_revenue,
        windows.recent_revenue,
        windows.baseline_days,
        30.0 * windows.baseline_orders / windows.baseline_days as baseline_orders_per_30_days,
        30.0 * windows.recent_orders / {{ var('behavior_recent_days') }} as recent_orders_per_30_days,
        30.0 * windows.baseline_revenue / windows.baseline_days as baseline_spend_per_30_days,
        30.0 * windows.recent_revenue / {{ var('behavior_recent_days') }} as recent_spend_per_30_days,
        windows.baseline_revenue / nullif(windows.baseline_orders, 0) as baseline_average_order_value,
        windows.recent_revenue / nullif(windows.recent_orders, 0) as recent_average_order_value,
        windows.baseline_orders > 0 and windows.recent_orders > 0 as has_both_windows,
        category_shift.category_shift
    from windows
    left join category_shift on windows.customer_id = category_shift.customer_id

),

ratios as (

    select
        *,
        recent_spend_per_30_days / nullif(baseline_spend_per_30_days, 0) as spend_ratio,
        recent_orders_per_30_days / nullif(baseline_orders_per_30_days, 0) as frequency_ratio,
        recent_average_order_value / nullif(baseline_average_order_value, 0)
            as average_order_value_ratio
    from measured

),

final as (

    select
        ratios.customer_id,
        ratios.baseline_orders,
        ratios.recent_orders,
        ratios.baseline_revenue,
        ratios.recent_revenue,
        ratios.baseline_days,
        ratios.baseline_orders_per_30_days,
        ratios.recent_orders_per_30_days,
        ratios.frequency_ratio,
        ratios.baseline_spend_per_30_days,
        ratios.recent_spend_per_30_days,
        ratios.spend_ratio,
        ratios.baseline_average_order_value,
        ratios.recent_average_order_value,
        ratios.average_order_value_ratio,
        case when ratios.has_both_windows then ratios.category_shift end as category_shift,
        ratios.has_both_windows,
        {{ behavior_flag_more('ratios') }} as buys_more,
        {{ behavior_flag_less('ratios') }} as buys_less,
        {{ behavior_flag_differently('ratios') }} as buys_differently,
        case
            when not ratios.has_both_windows then 'insufficient_history'
            when {{ behavior_flag_more('ratios') }} then 'buys_more'
            when {{ behavior_flag_less('ratios') }} then 'buys_less'
            when {{ behavior_flag_differently('ratios') }} then 'buys_differently'
            else 'unchanged'
        end as behavior_change,
        as_of.as_of_at
    from ratios
    cross join as_of

)

select * from final
