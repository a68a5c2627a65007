{{
    config(
        materialized='incremental',
        unique_key='device_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{#-
  Web sessions: the events of one device (anonymous_id; events without one but with an
  app_user_id use the user id as their device) with gaps of at most
  `session_timeout_minutes` (a longer gap starts a new session; exactly the timeout does not).

  Incremental (docs/decisions.md, 2026-12-01): a run re-sessionises only the devices touched
  by events loaded since the last run (`_loaded_at` newer than the latest in this table minus
  `session_lookback_hours`), each from a safe point: the start of its earliest stored session
  that ends no more than the timeout before the earliest new event (or that event itself).
  Sessions of a touched device before the safe point are carried over unchanged; the
  device's rows are replaced (delete+insert on device_key). A late event that falls into,
  before or between stored sessions (merging them) gives exactly what a full refresh gives.
-#}
{%- set timeout_seconds = (var('session_timeout_minutes') | int) * 60 -%}
{%- set order_names = order_event_names() -%}

with

events as (

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
    from {{ ref('stg_web__events') }}
    -- an event without any device id (both ids junk) belongs to no session
    where anonymous_id is not null or app_user_id is not null

),

{% if is_incremental() %}

high_water as (

    select
        {{ dbt.dateadd('hour', -1 * (var('session_lookback_hours') | int),
                       "coalesce(max(last_loaded_at), cast('1900-01-01' as timestamp with time zone))") }}
            as loaded_after
    from {{ this }}

),

touched_devices as (

    select
        device_key,
        min(occurred_at) as first_new_event_at
    from events
    where _loaded_at > (select loaded_after from high_water)
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

events_to_sessionise as (

    select events.*
    from events
    inner join reprocess_from
        on reprocess_from.device_key = events.device_key
        and events.occurred_at >= reprocess_from.reprocess_from_at

),

{% else %}

events_to_sessionise as (

    select * from events

),

{% endif %}

with_gaps as (

    select
        *,
        lag(occurred_at) over (
            partition by device_key order by occurred_at, event_id
        ) as previous_occurred_at
    from events_to_sessionise

),

numbered as (

    select
        *,
        sum(
            case
                when previous_occurred_at is null then 1
                when occurred_at > {{ dbt.dateadd('second', timeout_seconds, 'previous_occurred_at') }} then 1
                else 0
            end
        ) over (
            partition by device_key order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from with_gaps

),

-- per-event window values, all over one window (one sort): first/last event attributes
session_windows as (

    select
        device_key,
        session_number,
        event_id,
        event_type,
        anonymous_id,
        is_order_event,
        order_id,
        revenue,
        occurred_at,
        _loaded_at,
        first_value(event_id) over session_window as first_event_id,
        last_value(event_id) over session_window as last_event_id,
        first_value(referrer) over session_window as referrer,
        first_value(utm_source) over session_window as utm_source,
        first_value(utm_medium) over session_window as utm_medium,
        first_value(utm_campaign) over session_window as utm_campaign,
        first_value(utm_content) over session_window as utm_content,
        first_value(utm_term) over session_window as utm_term,
        -- '' stands for a page view without a path, so the first page view wins even then
        first_value(case when event_type = 'page' then coalesce(page_path, '') end ignore nulls)
            over session_window as landing_page_path,
        last_value(case when event_type = 'page' then coalesce(page_path, '') end ignore nulls)
            over session_window as exit_page_path,
        first_value(device_type ignore nulls) over session_window as device_type,
        last_value(app_user_id ignore nulls) over session_window as app_user_id,
        first_value(experiment_id ignore nulls) over session_window as experiment_id,
        first_value(case when experiment_id is not null then variant end ignore nulls)
            over session_window as variant
    from numbered
    window session_window as (
        partition by device_key, session_number
        order by occurred_at, event_id
        rows between unbounded preceding and unbounded following
    )

),

session_orders as (

    select
        device_key,
        session_number,
        count(*) as order_count,
        sum(order_revenue) as revenue
    from (
        -- one row per order: an order tracked twice (two message ids) counts once
        select
            device_key,
            session_number,
            coalesce(order_id, event_id) as order_key,
            max(revenue) as order_revenue
        from session_windows
        where is_order_event
        group by device_key, session_number, coalesce(order_id, event_id)
    ) as orders
    group by device_key, session_number

),

sessions as (

    select
        device_key,
        session_number,
        max(first_event_id) as first_event_id,
        max(last_event_id) as last_event_id,
        max(anonymous_id) as anonymous_id,
        max(app_user_id) as app_user_id,
        min(occurred_at) as session_start_at,
        max(occurred_at) as session_end_at,
        count(*) as event_count,
        count(case when event_type = 'page' then 1 end) as page_view_count,
        max(landing_page_path) as landing_page_path,
        max(exit_page_path) as exit_page_path,
        max(referrer) as referrer,
        max(utm_source) as utm_source,
        max(utm_medium) as utm_medium,
        max(utm_campaign) as utm_campaign,
        max(utm_content) as utm_content,
        max(utm_term) as utm_term,
        max(device_type) as device_type,
        max(experiment_id) as experiment_id,
        max(variant) as variant,
        max(_loaded_at) as last_loaded_at
    from session_windows
    group by device_key, session_number

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

)

{%- set columns = [
    'session_id', 'device_key', 'anonymous_id', 'app_user_id', 'session_start_at',
    'session_end_at', 'session_date', 'duration_seconds', 'event_count', 'page_view_count',
    'landing_page_path', 'exit_page_path', 'referrer', 'utm_source', 'utm_medium',
    'utm_campaign', 'utm_content', 'utm_term', 'traffic_source', 'traffic_medium',
    'channel_group', 'device_type', 'has_order', 'order_count', 'revenue', 'is_bounce',
    'experiment_id', 'variant', 'first_event_id', 'last_event_id', 'last_loaded_at',
] %}

select
    {%- for c in columns %}
    {{ c }}{{ "," if not loop.last }}
    {%- endfor %}
from final

{% if is_incremental() %}

union all

-- sessions of the touched devices before their safe point, carried over unchanged
select
    {%- for c in columns %}
    stored.{{ c }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ this }} as stored
inner join reprocess_from
    on reprocess_from.device_key = stored.device_key
    and stored.session_start_at < reprocess_from.reprocess_from_at

{% endif %}
