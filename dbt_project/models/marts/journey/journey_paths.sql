-- Channel paths to the first order (conversion) or to drop-off, one row per path:
-- journeys, conversions, drop-offs and the path's conversion rate. Paths collapse
-- consecutive repeats of a channel and keep the last journey_path_max_length channels
-- (int_journey__paths). docs/metrics.md, "Journey paths".

with paths as (

    select * from {{ ref('int_journey__paths') }}

),

final as (

    select
        channel_path,
        max(path_length) as path_length,
        max(case when is_truncated then 1 else 0 end) = 1 as is_truncated,
        count(*) as journeys,
        sum(case when outcome = 'conversion' then 1 else 0 end) as conversions,
        sum(case when outcome = 'drop_off' then 1 else 0 end) as drop_offs,
        sum(case when outcome = 'conversion' then 1 else 0 end) * 1.0 / count(*)
            as conversion_rate
    from paths
    group by channel_path

)

select * from final
