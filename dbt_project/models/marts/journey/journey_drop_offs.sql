-- Where people leave: for everyone who never ordered, the last marketing touch before they
-- left (channel and touch type), ranked by how many journeys ended there.
-- docs/metrics.md, "Drop-off points".

with paths as (

    select * from {{ ref('int_journey__paths') }}
    where outcome = 'drop_off' and last_channel is not null

),

counted as (

    select
        last_channel,
        last_touchpoint_type,
        count(*) as drop_offs
    from paths
    group by last_channel, last_touchpoint_type

),

final as (

    select
        last_channel,
        last_touchpoint_type,
        drop_offs,
        drop_offs * 1.0 / sum(drop_offs) over () as share_of_drop_offs,
        rank() over (order by drop_offs desc) as drop_off_rank
    from counted

)

select * from final
