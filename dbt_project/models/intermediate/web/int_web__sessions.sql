{{
    config(
        materialized='incremental',
        incremental_strategy='partition_window',
        window_partition='device_key',
        window_start='session_start_at',
        on_schema_change='fail',
        post_hook=["{{ web_session_remaining_chunks() }}", "{{ web_sessions_relink() }}"],
    )
}}
{#-
  Web sessions: the events of one device (anonymous_id; events without one but with an
  app_user_id use the user id as their device) with gaps of at most
  `session_timeout_minutes` (a longer gap starts a new session; exactly the timeout does not).

  Incremental (docs/decisions.md, 2026-12-01 and 2026-12-03): a run re-sessionises only the
  devices touched by events loaded since the last run (`_loaded_at` newer than the latest in
  this table minus `session_lookback_hours`), each from a safe point: the start of its
  earliest stored session that ends no more than the timeout before the earliest new event
  (or that event itself). The model selects the sessions from the safe points on; strategy
  `partition_window` (macros/incremental_partition_window.sql) deletes the device's stored
  sessions from there on and inserts them, so stored sessions before the safe point stay as
  they are. A late event that falls into, before or between stored sessions (merging them)
  gives exactly what a full refresh gives. Both scans of the events are pruned on raw
  columns (load id, event time) so old row groups are skipped.

  Each session carries its customer and campaign (macros/web_session_links.sql): computed
  as the session is written, and on incremental runs re-linked by a post-hook for the
  stored sessions an identity merge or a new campaign changed (docs/decisions.md,
  2026-12-03, "Sessions carry their customer"). fct_web_sessions is a view of this table.

  Full refresh of a large table (more than var('sessions_chunk_events') raw events): in parts
  of the devices, so the sorts fit in memory (macros/web_session_chunks.sql).
-#}
{%- set timeout_seconds = (var('session_timeout_minutes') | int) * 60 -%}
{%- set order_names = order_event_names() -%}

with

-- not materialised: each use reads only the columns it needs from the view. (Incremental
-- runs used to materialise it to read the view once: at L that is ~100M wide rows, spilled to
-- disk even when a run touches few devices; docs/decisions.md, 2026-12-03.)
events as not materialized (

    select
        event_id,
        case
            when anonymous_id is not null then 'anonymous_id:' || anonymous_id
            else 'app_user_id:' || app_user_id
        end as device_key,
        anonymous_id,
        app_user_id,
        event_type,
        event_name,
        lower(event_name) in (
            {%- for n in order_names %}'{{ n | lower }}'{{ ", " if not loop.last }}{% endfor -%}
        ) as is_order_event,
        page_path,
        referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        device_type,
        order_id,
        revenue,
        experiment_id,
        variant,
        occurred_at,
        _loaded_at
        {%- if is_incremental() %},
        -- only to find the new events: a full refresh does not carry it
        _dlt_load_id
        {%- endif %}
    from {{ ref('stg_web__events') }}
    -- an event without any device id (both ids junk) belongs to no session
    where (anonymous_id is not null or app_user_id is not null)
    -- a full refresh of a large table runs in parts of the devices (macros/web_session_chunks.sql)
    {{ web_session_chunk_filter('coalesce(anonymous_id, app_user_id)') }}

),

{% if is_incremental() %}

touched_devices as (

    select
        device_key,
        min(occurred_at) as first_new_event_at
    from events
    -- loaded since the last run (macros/incremental_high_water.sql)
    where {{ incremental_new_loads() }}
    group by device_key

),

-- the earliest stored session a new event can touch: one ending no more than the timeout
-- before the earliest new event (it may absorb it or be bridged to a later one)
reprocess_from as (

    select
        touched_devices.device_key,
        least(
            touched_devices.first_new_event_at,
            coalesce(min(stored.session_start_at), touched_devices.first_new_event_at)
        ) as reprocess_from_at
    from touched_devices
    left join {{ this }} as stored
        on stored.device_key = touched_devices.device_key
        and stored.session_end_at >= {{ dbt.dateadd('second', -1 * timeout_seconds,
                                                    'touched_devices.first_new_event_at') }}
    group by touched_devices.device_key, touched_devices.first_new_event_at

),

-- materialised: few rows, used three times below (sorted, first events, order events)
events_to_sessionise as materialized (

    select events.*
    from events
    inner join reprocess_from
        on reprocess_from.device_key = events.device_key
        and events.occurred_at >= reprocess_from.reprocess_from_at
    -- redundant with the join, on the raw event time: row groups of older events are skipped
    -- (and all of them when nothing is new)
    where events.occurred_at >= (
        select coalesce(min(reprocess_from_at), cast('9999-12-31' as timestamp with time zone))
        from reprocess_from
    )

),

{% else %}

events_to_sessionise as (

    select * from events

),

{% endif %}

-- Session boundaries and numbers from one sort per device over a narrow row: the event's
-- rank, whether it starts a session (the gap to the previous event is longer than the
-- timeout) and the few columns the session aggregates read. Referrer and UTM values are not
-- carried through the sorts: they are the first event's, joined once per session below
-- (docs/decisions.md, 2026-12-02).
bounded as (

    select
        device_key,
        event_id,
        occurred_at,
        _loaded_at,
        event_type = 'page' as is_page,
        -- '' stands for a page view without a path, so the first page view wins even then
        case when event_type = 'page' then coalesce(page_path, '') end as page_view_path,
        device_type,
        app_user_id,
        experiment_id,
        case when experiment_id is not null then variant end as experiment_variant,
        row_number() over device_events as event_rank,
        case
            when lag(occurred_at) over device_events is null then 1
            when occurred_at > {{ dbt.dateadd('second', timeout_seconds,
                                              'lag(occurred_at) over device_events') }} then 1
            else 0
        end as is_session_start
    from events_to_sessionise
    window device_events as (partition by device_key order by occurred_at, event_id)

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by device_key order by event_rank
            rows between unbounded preceding and current row
        ) as session_number
    from bounded

),

-- first / last (non-null) values by the event's rank in its device
session_stats as (

    select
        device_key,
        session_number,
        arg_min(event_id, event_rank) as first_event_id,
        arg_max(event_id, event_rank) as last_event_id,
        min(occurred_at) as session_start_at,
        max(occurred_at) as session_end_at,
        count(*) as event_count,
        count(case when is_page then 1 end) as page_view_count,
        arg_min(page_view_path, event_rank) filter (where page_view_path is not null)
            as landing_page_path,
        arg_max(page_view_path, event_rank) filter (where page_view_path is not null)
            as exit_page_path,
        arg_min(device_type, event_rank) filter (where device_type is not null) as device_type,
        arg_max(app_user_id, event_rank) filter (where app_user_id is not null) as app_user_id,
        arg_min(experiment_id, event_rank) filter (where experiment_id is not null)
            as experiment_id,
        arg_min(experiment_variant, event_rank) filter (where experiment_variant is not null)
            as variant,
        max(_loaded_at) as last_loaded_at
    from numbered
    group by device_key, session_number

),

-- order events (few) placed by time: the sessions of a device are disjoint time ranges, so an
-- event belongs to the one whose [start, end] holds it; this keeps `numbered` single-use
-- (streamed into session_stats instead of materialised)
session_orders as (

    select
        device_key,
        session_number,
        count(*) as order_count,
        sum(order_revenue) as revenue
    from (
        -- one row per order: an order tracked twice (two message ids) counts once
        select
            session_stats.device_key,
            session_stats.session_number,
            coalesce(order_events.order_id, order_events.event_id) as order_key,
            max(order_events.revenue) as order_revenue
        from events_to_sessionise as order_events
        inner join session_stats
            on session_stats.device_key = order_events.device_key
            and order_events.occurred_at
                between session_stats.session_start_at and session_stats.session_end_at
        where order_events.is_order_event
        group by
            session_stats.device_key,
            session_stats.session_number,
            coalesce(order_events.order_id, order_events.event_id)
    ) as orders
    group by device_key, session_number

),

sessions as (

    select
        session_stats.device_key,
        session_stats.session_number,
        session_stats.first_event_id,
        session_stats.last_event_id,
        -- the same for every event of a device (its key, or null for a user-id device)
        first_events.anonymous_id,
        session_stats.app_user_id,
        session_stats.session_start_at,
        session_stats.session_end_at,
        session_stats.event_count,
        session_stats.page_view_count,
        session_stats.landing_page_path,
        session_stats.exit_page_path,
        first_events.referrer,
        first_events.utm_source,
        first_events.utm_medium,
        first_events.utm_campaign,
        first_events.utm_content,
        first_events.utm_term,
        session_stats.device_type,
        session_stats.experiment_id,
        session_stats.variant,
        session_stats.last_loaded_at
    from session_stats
    inner join events_to_sessionise as first_events
        on first_events.event_id = session_stats.first_event_id

),

-- GA4 source and medium once per session, so the channel rules read two columns instead of
-- re-deriving them (regexps and site lists) in every rule: the same as macro channel_group
sourced as (

    select
        *,
        {{ channel_source('utm_source', 'referrer') }} as traffic_source,
        {{ channel_medium('utm_source', 'utm_medium', 'referrer') }} as traffic_medium
    from sessions

),

final as (

    select
        {{ surrogate_key(['sessions.device_key', 'sessions.first_event_id']) }} as session_id,
        sessions.device_key,
        sessions.anonymous_id,
        sessions.app_user_id,
        sessions.session_start_at,
        sessions.session_end_at,
        cast(sessions.session_start_at as date) as session_date,
        {{ dbt.datediff('sessions.session_start_at', 'sessions.session_end_at', 'second') }}
            as duration_seconds,
        sessions.event_count,
        sessions.page_view_count,
        nullif(sessions.landing_page_path, '') as landing_page_path,
        nullif(sessions.exit_page_path, '') as exit_page_path,
        sessions.referrer,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        sessions.utm_content,
        sessions.utm_term,
        sessions.traffic_source,
        sessions.traffic_medium,
        {{ channel_group_rules('sessions.traffic_source', 'sessions.traffic_medium',
                               'lower(sessions.utm_campaign)') }} as channel_group,
        sessions.device_type,
        coalesce(session_orders.order_count, 0) > 0 as has_order,
        coalesce(session_orders.order_count, 0) as order_count,
        coalesce(session_orders.revenue, 0) as revenue,
        sessions.page_view_count = 1 and sessions.event_count = 1 as is_bounce,
        sessions.experiment_id,
        sessions.variant,
        sessions.first_event_id,
        sessions.last_event_id,
        sessions.last_loaded_at
    from sourced as sessions
    left join session_orders
        on session_orders.device_key = sessions.device_key
        and session_orders.session_number = sessions.session_number

),

linked as (

    {{ web_session_links('final', 'sessions.*') }}

)

select * from linked
