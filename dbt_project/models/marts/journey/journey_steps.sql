-- Each customer's touchpoints in order (fct_touchpoints), with the journey stage the customer
-- was in at that moment and whether the touch led to a conversion (an order within the
-- attribution lookback window, the same rule as the attribution mart).

with touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

milestones as (

    select * from {{ ref('int_journey__customer_milestones') }}

),

with_next_order as (

    select
        *,
        row_number() over (
            partition by customer_id order by occurred_at, touchpoint_type, source_id
        ) as step_number,
        -- the customer's first order at or after this touch (peers at the same instant count)
        min(case when touchpoint_type = 'order' then occurred_at end) over (
            partition by customer_id order by occurred_at
            range between current row and unbounded following
        ) as next_order_at
    from touchpoints

),

final as (

    select
        steps.touchpoint_id,
        steps.customer_id,
        steps.step_number,
        steps.occurred_at,
        {{ dbt.datediff('milestones.first_touch_at', 'steps.occurred_at', 'second') }}
            as seconds_since_first_touch,
        steps.touchpoint_type,
        steps.channel,
        steps.medium,
        steps.campaign_id,
        steps.utm_campaign,
        steps.landing_page_path,
        steps.is_marketing_touch,
        steps.touchpoint_type = 'order' as is_conversion,
        case
            when steps.occurred_at >= milestones.second_order_at then 'repeat_customer'
            when steps.occurred_at >= milestones.first_order_at then 'customer'
            when steps.occurred_at >= milestones.lead_at then 'lead'
            else 'visitor'
        end as journey_stage,
        coalesce(
            steps.is_marketing_touch
            and steps.next_order_at <= {{ dbt.dateadd(
                'day', var('attribution_lookback_days'), 'steps.occurred_at') }},
            false
        ) as led_to_conversion
    from with_next_order as steps
    inner join milestones
        on milestones.customer_id = steps.customer_id

)

select * from final
