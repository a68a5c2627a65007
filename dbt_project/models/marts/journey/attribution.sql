-- Every conversion (order) x the customer's marketing touches in the lookback window
-- [ordered_at - attribution_lookback_days, ordered_at] (both ends inclusive), credited under
-- five models (long format: one row per order, touch and model). An order with no marketing
-- touch in the window gets one 'direct/none' pseudo-touch per model with credit 1.
-- docs/metrics.md, "Attribution".

{% set models = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay'] %}

with orders as (

    select order_id, customer_id, ordered_at, order_total
    from {{ ref('fct_orders') }}

),

touches as (

    select touchpoint_id, customer_id, occurred_at, touchpoint_type, channel, campaign_id
    from {{ ref('fct_touchpoints') }}
    where is_marketing_touch

),

in_window as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_total,
        touches.touchpoint_id,
        touches.occurred_at as touch_occurred_at,
        touches.touchpoint_type,
        touches.channel,
        touches.campaign_id,
        {{ dbt.datediff('touches.occurred_at', 'orders.ordered_at', 'second') }} / 86400.0
            as days_before_order
    from orders
    inner join touches
        on touches.customer_id = orders.customer_id
        and touches.occurred_at <= orders.ordered_at
        and touches.occurred_at >= {{ dbt.dateadd(
            'day', -var('attribution_lookback_days'), 'orders.ordered_at') }}

),

positioned as (

    select
        *,
        row_number() over (
            partition by order_id order by touch_occurred_at, touchpoint_id
        ) as touch_position,
        count(*) over (partition by order_id) as touch_count,
        power(0.5, days_before_order / {{ var('attribution_half_life_days') }}) as decay_weight
    from in_window

),

weighted as (

    select
        *,
        decay_weight / sum(decay_weight) over (partition by order_id) as decay_share
    from positioned

),

models as (

    {% for model in models %}
    select '{{ model }}' as attribution_model{% if not loop.last %} union all{% endif %}
    {% endfor %}

),

touch_credits as (

    select
        weighted.order_id,
        weighted.customer_id,
        weighted.ordered_at,
        weighted.order_total,
        models.attribution_model,
        weighted.touchpoint_id,
        weighted.touch_occurred_at,
        weighted.touchpoint_type,
        weighted.channel,
        weighted.campaign_id,
        weighted.touch_position,
        weighted.touch_count,
        weighted.days_before_order,
        case models.attribution_model
            when 'first_touch' then case when weighted.touch_position = 1 then 1.0 else 0.0 end
            when 'last_touch'
                then case when weighted.touch_position = weighted.touch_count then 1.0 else 0.0 end
            when 'linear' then 1.0 / weighted.touch_count
            when 'position_based' then
                case
                    when weighted.touch_count = 1 then 1.0
                    when weighted.touch_count = 2 then 0.5
                    when weighted.touch_position in (1, weighted.touch_count) then 0.4
                    else 0.2 / (weighted.touch_count - 2)
                end
            when 'time_decay' then weighted.decay_share
        end as credit
    from weighted
    cross join models

),

direct_none as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_total,
        models.attribution_model,
        'direct/none' as touchpoint_id,
        cast(null as timestamp) as touch_occurred_at,
        'direct/none' as touchpoint_type,
        'direct/none' as channel,
        cast(null as varchar) as campaign_id,
        0 as touch_position,
        0 as touch_count,
        cast(null as double) as days_before_order,
        1.0 as credit
    from orders
    cross join models
    left join (select distinct order_id from in_window) as touched
        on touched.order_id = orders.order_id
    where touched.order_id is null

),

unioned as (

    select * from touch_credits
    union all
    select * from direct_none

),

final as (

    select
        order_id,
        attribution_model,
        touchpoint_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        order_total as order_revenue,
        touch_occurred_at,
        touchpoint_type,
        channel,
        campaign_id,
        touch_position,
        touch_count,
        days_before_order,
        touchpoint_id = 'direct/none' as is_direct_none,
        cast(credit as double) as credit,
        cast(credit * order_total as double) as revenue_credit
    from unioned

)

select * from final
