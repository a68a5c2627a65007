{#-
  One row per web session (int_web__sessions) with the customer it belongs to and the
  marketing campaign its utm_campaign names.
-#}
with

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

identifiers as (

    select identifier_type, identifier_value, customer_id
    from {{ ref('int_identity__identifiers') }}
    where identifier_type in ('anonymous_id', 'app_user_id')

),

-- one campaign per utm_campaign: if several campaigns share one, the smallest campaign_id
campaigns as (

    select
        utm_campaign,
        min(campaign_id) as campaign_id
    from {{ ref('stg_marketing__campaigns') }}
    where utm_campaign is not null
    group by utm_campaign

),

final as (

    select
        sessions.session_id,
        coalesce(by_device.customer_id, by_user.customer_id) as customer_id,
        sessions.device_key,
        sessions.anonymous_id,
        sessions.app_user_id,
        sessions.session_start_at,
        sessions.session_end_at,
        sessions.session_date,
        sessions.duration_seconds,
        sessions.event_count,
        sessions.page_view_count,
        sessions.landing_page_path,
        sessions.exit_page_path,
        sessions.referrer,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        sessions.utm_content,
        sessions.utm_term,
        sessions.traffic_source,
        sessions.traffic_medium,
        sessions.channel_group,
        campaigns.campaign_id,
        sessions.device_type,
        sessions.has_order,
        sessions.has_order as is_converted,
        sessions.order_count,
        sessions.revenue,
        sessions.is_bounce,
        sessions.experiment_id,
        sessions.variant,
        sessions.first_event_id,
        sessions.last_event_id
    from sessions
    left join identifiers as by_device
        on by_device.identifier_type = 'anonymous_id'
        and by_device.identifier_value = sessions.anonymous_id
    left join identifiers as by_user
        on by_user.identifier_type = 'app_user_id'
        and by_user.identifier_value = sessions.app_user_id
    left join campaigns
        on campaigns.utm_campaign = sessions.utm_campaign

)

select * from final
