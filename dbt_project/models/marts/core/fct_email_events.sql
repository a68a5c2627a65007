{#- One row per email event (sent, opened, clicked, bounced, unsubscribed) of a marketing profile. -#}
with

email_events as (

    select * from {{ ref('stg_marketing__email_events') }}

),

profile_customers as (

    {{ customers_by_identifier('marketing_profile_id', 'marketing_profile_id') }}

),

final as (

    select
        email_events.email_event_id,
        profile_customers.customer_id,
        email_events.marketing_profile_id,
        email_events.campaign_id,
        email_events.email_event_type,
        email_events.occurred_at,
        cast(email_events.occurred_at as date) as event_date,
        email_events.clicked_url
    from email_events
    left join profile_customers
        on profile_customers.marketing_profile_id = email_events.marketing_profile_id

)

select * from final
