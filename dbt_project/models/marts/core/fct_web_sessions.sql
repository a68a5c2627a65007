{{ config(materialized='view') }}
{#-
  One row per web session (int_web__sessions) with the customer it belongs to and the
  marketing campaign its utm_campaign names. A view: int_web__sessions keeps both up to date
  (macros/web_session_links.sql), so the sessions are written once per run, not twice
  (docs/decisions.md, 2026-12-03, "Sessions carry their customer"). The published copy BI
  reads holds it as a table (orchestration/publish.py).
-#}
with

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

final as (

    select
        session_id,
        customer_id,
        device_key,
        anonymous_id,
        app_user_id,
        session_start_at,
        session_end_at,
        session_date,
        duration_seconds,
        event_count,
        page_view_count,
        landing_page_path,
        exit_page_path,
        referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        traffic_source,
        traffic_medium,
        channel_group,
        campaign_id,
        device_type,
        has_order,
        has_order as is_converted,
        order_count,
        revenue,
        is_bounce,
        experiment_id,
        variant,
        first_event_id,
        last_event_id
    from sessions

)

select * from final
