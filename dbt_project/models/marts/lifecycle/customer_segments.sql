-- RFM scores and personas, one row per customer with at least one order, as of the
-- warehouse's as-of time. Scores 1-5 by quintile of rank: score = 1 + floor(5 x (rank - 1) / n)
-- with rank() (ties share the lower rank, so equal values always get the same score);
-- recency ranks the longest-ago buyers first, so 5 = most recent. Persona rules in
-- docs/metrics.md "Segments", first match wins.

with orders as (

    select customer_id, ordered_at, order_total
    from {{ ref('fct_orders') }}
    where customer_id is not null

),

as_of as (

    {{ lifecycle_as_of() }}

),

customers as (

    select
        orders.customer_id,
        count(*) as order_count,
        sum(orders.order_total) as monetary_value,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as last_order_at,
        {{ elapsed_days('max(orders.ordered_at)', 'as_of.as_of_at') }} as recency_days,
        {{ elapsed_days('min(orders.ordered_at)', 'as_of.as_of_at') }} as tenure_days,
        as_of.as_of_at
    from orders
    cross join as_of
    group by orders.customer_id, as_of.as_of_at

),

ranked as (

    select
        *,
        count(*) over () as customer_total,
        rank() over (order by recency_days desc) as recency_rank,
        rank() over (order by order_count) as frequency_rank,
        rank() over (order by monetary_value) as monetary_rank
    from customers

),

scored as (

    select
        *,
        cast(1 + floor(5.0 * (recency_rank - 1) / customer_total) as integer) as recency_score,
        cast(1 + floor(5.0 * (frequency_rank - 1) / customer_total) as integer) as frequency_score,
        cast(1 + floor(5.0 * (monetary_rank - 1) / customer_total) as integer) as monetary_score
    from ranked

),

final as (

    select
        customer_id,
        order_count,
        monetary_value,
        first_order_at,
        last_order_at,
        recency_days,
        tenure_days,
        recency_score,
        frequency_score,
        monetary_score,
        {{ dbt.concat(['cast(recency_score as varchar)', 'cast(frequency_score as varchar)',
                       'cast(monetary_score as varchar)']) }} as rfm_segment,
        case
            when recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4
                then 'champions'
            when recency_score >= 3 and frequency_score >= 4 then 'loyal'
            when order_count = 1 and tenure_days <= {{ var('active_days') }} then 'new'
            when recency_score >= 4 then 'promising'
            when recency_score <= 2 and (frequency_score >= 4 or monetary_score >= 4)
                then 'at_risk'
            when recency_score <= 2 then 'hibernating'
            else 'need_attention'
        end as persona,
        as_of_at
    from scored

)

select * from final
