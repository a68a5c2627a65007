-- Acquisition cohort (month of the first order) x months since acquisition: customers who
-- ordered in that month, retention rate, revenue, cumulative revenue per cohort customer.
-- Every cohort has a row for every month from its first (0) to the as-of month, zeros
-- included; the as-of month is partial (is_complete_month = false).

with orders as (

    select
        customer_id,
        order_total,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as order_month
    from {{ ref('fct_orders') }}
    where customer_id is not null

),

as_of as (

    {{ lifecycle_as_of() }}

),

cohorts as (

    select customer_id, min(order_month) as cohort_month
    from orders
    group by customer_id

),

cohort_sizes as (

    select cohort_month, count(*) as cohort_customers
    from cohorts
    group by cohort_month

),

months as (

    select distinct month_start
    from {{ ref('dim_date') }}
    cross join as_of
    where month_start <= cast(as_of.as_of_at as date)

),

grid as (

    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_customers,
        months.month_start as activity_month,
        {{ dbt.datediff('cohort_sizes.cohort_month', 'months.month_start', 'month') }}
            as months_since_acquisition
    from cohort_sizes
    inner join months on months.month_start >= cohort_sizes.cohort_month

),

activity as (

    select
        cohorts.cohort_month,
        orders.order_month,
        count(distinct orders.customer_id) as active_customers,
        count(*) as order_count,
        sum(orders.order_total) as revenue
    from orders
    inner join cohorts on orders.customer_id = cohorts.customer_id
    group by cohorts.cohort_month, orders.order_month

),

final as (

    select
        grid.cohort_month,
        grid.months_since_acquisition,
        grid.activity_month,
        grid.cohort_customers,
        coalesce(activity.active_customers, 0) as active_customers,
        cast(coalesce(activity.active_customers, 0) as double) / grid.cohort_customers
            as retention_rate,
        coalesce(activity.order_count, 0) as order_count,
        coalesce(activity.revenue, 0) as revenue,
        sum(coalesce(activity.revenue, 0)) over (
            partition by grid.cohort_month order by grid.months_since_acquisition
            rows between unbounded preceding and current row
        ) as cumulative_revenue,
        sum(coalesce(activity.revenue, 0)) over (
            partition by grid.cohort_month order by grid.months_since_acquisition
            rows between unbounded preceding and current row
        ) / grid.cohort_customers as cumulative_revenue_per_customer,
        {{ dbt.dateadd('month', 1, 'grid.activity_month') }} <= as_of.as_of_at as is_complete_month
    from grid
    cross join as_of
    left join activity
        on grid.cohort_month = activity.cohort_month
        and grid.activity_month = activity.order_month

)

select * from final
