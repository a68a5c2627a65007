-- Every interaction between a customer and the company, on any channel, one row each:
-- web sessions, email events, orders, support tickets and survey responses. The grain of
-- the journey marts (steps, paths, attribution).

with sessions as (

    select
        'web_session' as touchpoint_type,
        session_id as source_id,
        customer_id,
        session_start_at as occurred_at,
        channel_group as channel,
        'web' as medium,
        campaign_id,
        utm_campaign,
        landing_page_path,
        cast(null as double) as revenue,
        true as is_customer_initiated,
        true as is_marketing_touch
    from {{ ref('fct_web_sessions') }}

),

email_events as (

    select
        'email_' || email_event_type as touchpoint_type,
        email_event_id as source_id,
        customer_id,
        occurred_at,
        'Email' as channel,
        'email' as medium,
        campaign_id,
        cast(null as varchar) as utm_campaign,
        cast(null as varchar) as landing_page_path,
        cast(null as double) as revenue,
        email_event_type in ('opened', 'clicked', 'unsubscribed') as is_customer_initiated,
        -- only engagement is a marketing touch: a send or a bounce reaches nobody for sure
        email_event_type in ('opened', 'clicked') as is_marketing_touch
    from {{ ref('fct_email_events') }}

),

orders as (

    select
        'order' as touchpoint_type,
        order_id as source_id,
        customer_id,
        ordered_at as occurred_at,
        'Online Store' as channel,
        'commerce' as medium,
        coupon_campaign_id as campaign_id,
        cast(null as varchar) as utm_campaign,
        cast(null as varchar) as landing_page_path,
        cast(order_total as double) as revenue,
        true as is_customer_initiated,
        false as is_marketing_touch
    from {{ ref('fct_orders') }}

),

tickets as (

    select
        'support_ticket' as touchpoint_type,
        ticket_id as source_id,
        customer_id,
        created_at as occurred_at,
        'Support' as channel,
        'support_' || coalesce(channel, 'other') as medium,
        cast(null as varchar) as campaign_id,
        cast(null as varchar) as utm_campaign,
        cast(null as varchar) as landing_page_path,
        cast(null as double) as revenue,
        true as is_customer_initiated,
        false as is_marketing_touch
    from {{ ref('fct_support_tickets') }}

),

surveys as (

    select
        'survey_' || survey_type as touchpoint_type,
        survey_response_id as source_id,
        customer_id,
        submitted_at as occurred_at,
        'Survey' as channel,
        'survey' as medium,
        cast(null as varchar) as campaign_id,
        cast(null as varchar) as utm_campaign,
        cast(null as varchar) as landing_page_path,
        cast(null as double) as revenue,
        true as is_customer_initiated,
        false as is_marketing_touch
    from {{ ref('fct_survey_responses') }}

),

unioned as (

    select * from sessions
    union all
    select * from email_events
    union all
    select * from orders
    union all
    select * from tickets
    union all
    select * from surveys

),

final as (

    select
        {{ surrogate_key(['touchpoint_type', 'source_id']) }} as touchpoint_id,
        customer_id,
        occurred_at,
        cast(occurred_at as date) as touchpoint_date,
        touchpoint_type,
        channel,
        medium,
        cast(campaign_id as varchar) as campaign_id,
        utm_campaign,
        landing_page_path,
        revenue,
        is_customer_initiated,
        is_marketing_touch,
        cast(source_id as varchar) as source_id
    from unioned
    -- every fact resolves its customer through the identity map; a record without any usable
    -- identifier has no customer and is counted in the fact, not here
    where customer_id is not null

)

select * from final
