-- Churn, expansion and net revenue retention per calendar month and group. The customers of
-- month M are those not churned (and already buyers) at the start of M, by the stage history
-- of customer_lifecycle; they churn in M when their stage at the end of M is churned. Groups:
-- all customers, acquisition channel (customer_360), persona (customer_segments, the
-- customer's current persona), and support contact (a ticket created before the end of M or
-- not). Complete months only (the as-of month is partial). Definitions: docs/metrics.md.

with as_of as (

    {{ lifecycle_as_of() }}

),

months as (

    select distinct
        month_start as period_month,
        {{ dbt.dateadd('month', 1, 'month_start') }} as next_month_start,
        {{ dbt.dateadd('month', -1, 'month_start') }} as previous_month_start
    from {{ ref('dim_date') }}
    cross join as_of
    where {{ dbt.dateadd('month', 1, 'month_start') }} <= as_of.as_of_at

),

stages as (

    select customer_id, lifecycle_stage, valid_from, valid_to
    from {{ ref('customer_lifecycle') }}

),

at_start as (

    -- buyers not churned when the month starts
    select months.*, stages.customer_id
    from months
    inner join stages
        on stages.valid_from <= months.period_month
        and (stages.valid_to is null or stages.valid_to > months.period_month)
    where stages.lifecycle_stage in ('new_customer', 'active', 'reactivated', 'at_risk')

),

at_end as (

    select months.period_month, stages.customer_id, stages.lifecycle_stage
    from months
    inner join stages
        on stages.valid_from <= months.next_month_start
        and (stages.valid_to is null or stages.valid_to > months.next_month_start)

),

monthly_revenue as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as order_month,
        sum(order_total) as revenue
    from {{ ref('fct_orders') }}
    where customer_id is not null
    group by 1, 2

),

tickets as (

    select customer_id, min(created_at) as first_ticket_at
    from {{ ref('fct_support_tickets') }}
    where customer_id is not null
    group by customer_id

),

customer_months as (

    select
        at_start.period_month,
        at_start.customer_id,
        coalesce(at_end.lifecycle_stage = 'churned', false) as is_churned,
        coalesce(previous_revenue.revenue, 0) as previous_revenue,
        coalesce(current_revenue.revenue, 0) as revenue,
        coalesce(tickets.first_ticket_at < at_start.next_month_start, false) as contacted_support
    from at_start
    left join at_end
        on at_start.period_month = at_end.period_month
        and at_start.customer_id = at_end.customer_id
    left join monthly_revenue as previous_revenue
        on at_start.customer_id = previous_revenue.customer_id
        and at_start.previous_month_start = previous_revenue.order_month
    left join monthly_revenue as current_revenue
        on at_start.customer_id = current_revenue.customer_id
        and at_start.period_month = current_revenue.order_month
    left join tickets on at_start.customer_id = tickets.customer_id

),

customer_groups as (

    select
        customer_360.customer_id,
        coalesce(customer_360.acquisition_channel, '(unknown)') as acquisition_channel,
        coalesce(segments.persona, '(none)') as persona
    from {{ ref('customer_360') }} as customer_360
    left join {{ ref('customer_segments') }} as segments
        on customer_360.customer_id = segments.customer_id

),

grouped as (

    select customer_months.*, 'all' as group_type, 'all' as group_value
    from customer_months
    union all
    select customer_months.*, 'acquisition_channel', customer_groups.acquisition_channel
    from customer_months
    inner join customer_groups on customer_months.customer_id = customer_groups.customer_id
    union all
    select customer_months.*, 'persona', customer_groups.persona
    from customer_months
    inner join customer_groups on customer_months.customer_id = customer_groups.customer_id
    union all
    select
        customer_months.*,
        'support_contact',
        case when contacted_support then 'contacted_support' else 'no_support_contact' end
    from customer_months

),

aggregated as (

    select
        period_month,
        group_type,
        group_value,
        count(*) as customers_at_start,
        count(*) filter (where is_churned) as churned_customers,
        count(*) filter (where not is_churned) as retained_customers,
        count(*) filter (where not is_churned and revenue > previous_revenue)
            as expanding_customers,
        count(*) filter (where not is_churned and revenue < previous_revenue)
            as contracting_customers,
        count(*) filter (where previous_revenue > 0) as prior_period_buyers,
        sum(previous_revenue) as prior_period_revenue,
        sum(revenue) filter (where previous_revenue > 0) as retained_revenue,
        sum(revenue) as revenue
    from grouped
    group by period_month, group_type, group_value

),

final as (

    select
        period_month,
        group_type,
        group_value,
        customers_at_start,
        churned_customers,
        retained_customers,
        cast(churned_customers as double) / customers_at_start as churn_rate,
        expanding_customers,
        contracting_customers,
        cast(expanding_customers as double) / nullif(retained_customers, 0) as expansion_rate,
        prior_period_buyers,
        prior_period_revenue,
        coalesce(retained_revenue, 0) as retained_revenue,
        revenue,
        coalesce(retained_revenue, 0) / nullif(prior_period_revenue, 0) as net_revenue_retention
    from aggregated

)

select * from final
