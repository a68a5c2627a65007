-- Landing and exit behaviour per page path: sessions that landed on the page, how many
-- bounced, page views of the page and sessions that ended on it (exits); ranked by bounce and
-- exit rate over pages with at least journey_min_sessions_for_rank landings / page views.
-- docs/metrics.md, "Journey" (drop-off points).

with sessions as (

    select landing_page_path, exit_page_path, is_bounce
    from {{ ref('fct_web_sessions') }}

),

page_views as (

    select page_path, count(*) as page_views
    from {{ ref('stg_web__events') }}
    where event_type = 'page' and page_path is not null
    group by page_path

),

landings as (

    select
        landing_page_path as page_path,
        count(*) as landing_sessions,
        sum(case when is_bounce then 1 else 0 end) as bounces
    from sessions
    where landing_page_path is not null
    group by landing_page_path

),

exits as (

    select exit_page_path as page_path, count(*) as exits
    from sessions
    where exit_page_path is not null
    group by exit_page_path

),

final as (

    select
        page_views.page_path,
        page_views.page_views,
        coalesce(landings.landing_sessions, 0) as landing_sessions,
        coalesce(landings.bounces, 0) as bounces,
        landings.bounces * 1.0 / nullif(landings.landing_sessions, 0) as bounce_rate,
        coalesce(exits.exits, 0) as exits,
        coalesce(exits.exits, 0) * 1.0 / page_views.page_views as exit_rate
    from page_views
    left join landings on landings.page_path = page_views.page_path
    left join exits on exits.page_path = page_views.page_path

)

{% set min_sessions = var('journey_min_sessions_for_rank') %}

select
    *,
    -- a rate over a handful of sessions is noise: rank only pages with enough of them
    case when landing_sessions >= {{ min_sessions }} then rank() over (
        partition by landing_sessions >= {{ min_sessions }} order by bounce_rate desc
    ) end as bounce_rate_rank,
    case when page_views >= {{ min_sessions }} then rank() over (
        partition by page_views >= {{ min_sessions }} order by exit_rate desc
    ) end as exit_rate_rank
from final
