-- One row per customer: the channel path of their marketing touches up to the first order
-- (outcome conversion) or, for those who never ordered, of all their marketing touches
-- (outcome drop_off). Consecutive touches on the same channel collapse to one step; only the
-- last journey_path_max_length steps are kept (the touches nearest the outcome).
-- docs/metrics.md, "Journey paths".

{% set max_length = var('journey_path_max_length') %}

with steps as (

    select * from {{ ref('journey_steps') }}

),

milestones as (

    select customer_id, first_order_at
    from {{ ref('int_journey__customer_milestones') }}

),

journey_touches as (

    select
        steps.customer_id,
        steps.step_number,
        steps.channel,
        steps.touchpoint_type,
        lag(steps.channel) over (
            partition by steps.customer_id order by steps.step_number
        ) as previous_channel,
        row_number() over (
            partition by steps.customer_id order by steps.step_number desc
        ) as touches_from_end
    from steps
    inner join milestones
        on milestones.customer_id = steps.customer_id
    where steps.is_marketing_touch
        and (milestones.first_order_at is null or steps.occurred_at <= milestones.first_order_at)

),

collapsed as (

    select
        customer_id,
        step_number,
        channel,
        touchpoint_type,
        row_number() over (partition by customer_id order by step_number desc) as steps_from_end,
        count(*) over (partition by customer_id) as collapsed_length
    from journey_touches
    where previous_channel is null or previous_channel <> channel

),

last_touches as (

    select customer_id, channel as last_channel, touchpoint_type as last_touchpoint_type
    from journey_touches
    where touches_from_end = 1

),

paths as (

    select
        customer_id,
        max(collapsed_length) as collapsed_length,
        {{ dbt.listagg('channel', "' > '", 'order by step_number') }} as kept_path
    from collapsed
    where steps_from_end <= {{ max_length }}
    group by customer_id

),

final as (

    select
        milestones.customer_id,
        case
            when paths.customer_id is null then '(no marketing touch)'
            when paths.collapsed_length > {{ max_length }} then '... > ' || paths.kept_path
            else paths.kept_path
        end as channel_path,
        -- least() skips nulls in some databases: spell out the customer without a path
        case
            when paths.customer_id is null then 0
            else least(paths.collapsed_length, {{ max_length }})
        end as path_length,
        coalesce(paths.collapsed_length, 0) as full_path_length,
        coalesce(paths.collapsed_length > {{ max_length }}, false) as is_truncated,
        last_touches.last_channel,
        last_touches.last_touchpoint_type,
        case when milestones.first_order_at is null then 'drop_off' else 'conversion' end
            as outcome
    from milestones
    left join paths
        on paths.customer_id = milestones.customer_id
    left join last_touches
        on last_touches.customer_id = milestones.customer_id

)

select * from final
