-- Visitor -> lead (identified) -> customer (first order) -> repeat customer (second order),
-- by first-touch cohort month and acquisition channel. A visitor is a resolved person
-- (customer_id) with any touchpoint: an anonymous visitor who never identified counts once
-- per identity component (one device, or the devices a login tied together).
-- docs/metrics.md, "Journey funnel".

with milestones as (

    select * from {{ ref('int_journey__customer_milestones') }}

),

durations as (

    select
        cohort_month,
        acquisition_channel,
        customer_id,
        lead_at is not null as is_lead,
        first_order_at is not null as is_customer,
        second_order_at is not null as is_repeat_customer,
        {{ dbt.datediff('first_touch_at', 'lead_at', 'second') }} / 86400.0 as days_to_lead,
        {{ dbt.datediff('first_touch_at', 'first_order_at', 'second') }} / 86400.0
            as days_to_first_order,
        {{ dbt.datediff('first_order_at', 'second_order_at', 'second') }} / 86400.0
            as days_to_repeat_order
    from milestones

),

final as (

    select
        cohort_month,
        acquisition_channel,
        count(*) as visitors,
        sum(case when is_lead then 1 else 0 end) as leads,
        sum(case when is_customer then 1 else 0 end) as customers,
        sum(case when is_repeat_customer then 1 else 0 end) as repeat_customers,
        sum(case when is_lead then 1 else 0 end) * 1.0 / count(*) as visitor_to_lead_rate,
        sum(case when is_customer then 1 else 0 end) * 1.0
            / nullif(sum(case when is_lead then 1 else 0 end), 0) as lead_to_customer_rate,
        sum(case when is_repeat_customer then 1 else 0 end) * 1.0
            / nullif(sum(case when is_customer then 1 else 0 end), 0) as customer_to_repeat_rate,
        sum(case when is_customer then 1 else 0 end) * 1.0 / count(*)
            as visitor_to_customer_rate,
        percentile_cont(0.5) within group (order by days_to_lead) as median_days_to_lead,
        percentile_cont(0.9) within group (order by days_to_lead) as p90_days_to_lead,
        percentile_cont(0.5) within group (order by days_to_first_order)
            as median_days_to_first_order,
        percentile_cont(0.9) within group (order by days_to_first_order)
            as p90_days_to_first_order,
        percentile_cont(0.5) within group (order by days_to_repeat_order)
            as median_days_to_repeat_order,
        percentile_cont(0.9) within group (order by days_to_repeat_order)
            as p90_days_to_repeat_order
    from durations
    group by cohort_month, acquisition_channel

)

select * from final
