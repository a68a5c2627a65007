-- One row per customer: profile, acquisition and first touch, orders, web, email, support and
-- survey figures from the core star schema. Later marts (lifecycle, segments, CLV, CX) add
-- their columns here. "As of" is the latest interaction in the warehouse, not the wall clock,
-- so a rebuild of the same data gives the same numbers.

with customers as (

    select * from {{ ref('dim_customers') }}

),

companies as (

    select company_id, company_name from {{ ref('dim_companies') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

as_of as (

    select max(occurred_at) as as_of_at from touchpoints

),

ranked_touches as (

    select
        customer_id,
        occurred_at,
        touchpoint_type,
        channel,
        campaign_id,
        is_marketing_touch,
        row_number() over (
            partition by customer_id order by occurred_at, touchpoint_type, source_id
        ) as touch_number,
        row_number() over (
            partition by customer_id, is_marketing_touch
            order by occurred_at, touchpoint_type, source_id
        ) as touch_number_of_its_kind
    from touchpoints

),

first_touch as (

    select
        customer_id,
        occurred_at as first_touch_at,
        touchpoint_type as first_touch_type,
        channel as first_touch_channel,
        campaign_id as first_touch_campaign_id
    from ranked_touches
    where touch_number = 1

),

acquisition as (

    -- the first marketing touch (web session or email engagement) decides the channel
    select
        customer_id,
        channel as acquisition_channel,
        campaign_id as acquisition_campaign_id
    from ranked_touches
    where is_marketing_touch and touch_number_of_its_kind = 1

),

orders as (

    select
        customer_id,
        count(*) as order_count,
        sum(order_total) as total_revenue,
        sum(order_discount) as total_discount,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from {{ ref('fct_orders') }}
    where customer_id is not null
    group by customer_id

),

sessions as (

    select
        customer_id,
        count(*) as session_count,
        sum(page_view_count) as page_view_count,
        count(*) filter (where is_bounce) as bounced_session_count,
        count(*) filter (where is_converted) as converted_session_count,
        min(session_start_at) as first_session_at,
        max(session_end_at) as last_session_at
    from {{ ref('fct_web_sessions') }}
    where customer_id is not null
    group by customer_id

),

emails as (

    select
        customer_id,
        count(*) filter (where email_event_type = 'sent') as emails_sent,
        count(distinct campaign_id) filter (where email_event_type = 'opened') as emails_opened,
        count(distinct campaign_id) filter (where email_event_type = 'clicked') as emails_clicked,
        count(*) filter (where email_event_type = 'unsubscribed') > 0 as has_unsubscribed,
        max(occurred_at) filter (
            where email_event_type in ('opened', 'clicked')
        ) as last_email_engagement_at
    from {{ ref('fct_email_events') }}
    where customer_id is not null
    group by customer_id

),

tickets as (

    select
        customer_id,
        count(*) as ticket_count,
        count(*) filter (where is_open) as open_ticket_count,
        sum(reopen_count) as ticket_reopen_count,
        median(first_reply_minutes) as median_first_reply_minutes,
        median(resolution_minutes) as median_resolution_minutes,
        max(created_at) as last_ticket_at,
        count(*) filter (where solved_at is not null) as solved_ticket_count,
        count(*) filter (where reopen_count > 0) as reopened_ticket_count,
        -- CSAT of the support desk: the customer's latest rated ticket
        arg_max(csat_rating, csat_rated_at) filter (
            where csat_rating is not null
        ) as latest_ticket_csat_rating,
        max(csat_rated_at) as latest_ticket_csat_at
    from {{ ref('fct_support_tickets') }}
    where customer_id is not null
    group by customer_id

),

latest_surveys as (

    select
        customer_id,
        survey_type,
        score,
        score_category,
        submitted_at
    from {{ ref('fct_survey_responses') }}
    where customer_id is not null
    qualify row_number() over (
        partition by customer_id, survey_type order by submitted_at desc, survey_response_id desc
    ) = 1

),

surveys as (

    select
        customer_id,
        max(score) filter (where survey_type = 'nps') as latest_nps_score,
        max(score_category) filter (where survey_type = 'nps') as latest_nps_category,
        max(submitted_at) filter (where survey_type = 'nps') as latest_nps_at,
        max(score) filter (where survey_type = 'csat') as latest_csat_score,
        max(submitted_at) filter (where survey_type = 'csat') as latest_csat_at,
        max(score) filter (where survey_type = 'ces') as latest_ces_score,
        max(score_category) filter (where survey_type = 'ces') as latest_ces_category,
        max(submitted_at) filter (where survey_type = 'ces') as latest_ces_at
    from latest_surveys
    group by customer_id

),

lifecycle as (

    select customer_id, lifecycle_stage, valid_from as lifecycle_stage_since
    from {{ ref('customer_lifecycle') }}
    where is_current

),

segments as (

    select customer_id, recency_score, frequency_score, monetary_score, rfm_segment, persona
    from {{ ref('customer_segments') }}

),

clv as (

    select
        customer_id,
        p_alive,
        expected_purchases_12m,
        predicted_clv,
        historical_clv,
        purchase_model as clv_purchase_model
    from {{ ref('customer_clv') }}

),

cx_csat as (

    -- CSAT of both sources (survey answers and ticket ratings): the customer's CSAT % and the
    -- latest response
    select
        customer_id,
        count(is_satisfied) as csat_response_count,
        {{ csat_pct('is_satisfied') }} as csat_pct,
        -- ties on the time: the later source name, then response id, so rebuilds agree
        arg_max(is_satisfied, row(responded_at, csat_source, csat_response_id))
            as latest_csat_is_satisfied,
        arg_max(csat_source, row(responded_at, csat_source, csat_response_id))
            as latest_csat_source,
        max(responded_at) as latest_csat_responded_at
    from ({{ csat_responses() }}) as csat_responses
    where customer_id is not null and is_satisfied is not null
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.is_identified,
        customers.crm_contact_id,
        customers.company_id,
        companies.company_name,
        customers.email_hash,
        customers.email,
        customers.name_masked,
        customers.full_name,
        customers.lifecycle_stage as crm_lifecycle_stage,
        customers.first_seen_at,
        customers.email_consent_status,
        customers.is_email_opted_out,
        coalesce(emails.has_unsubscribed, false) as has_unsubscribed,

        first_touch.first_touch_at,
        first_touch.first_touch_type,
        first_touch.first_touch_channel,
        first_touch.first_touch_campaign_id,
        coalesce(acquisition.acquisition_channel, first_touch.first_touch_channel)
            as acquisition_channel,
        acquisition.acquisition_campaign_id,

        coalesce(orders.order_count, 0) as order_count,
        coalesce(orders.total_revenue, 0) as total_revenue,
        coalesce(orders.total_discount, 0) as total_discount,
        cast(orders.total_revenue as double) / nullif(orders.order_count, 0) as average_order_value,
        orders.first_order_at,
        orders.last_order_at,
        {{ dbt.datediff('orders.last_order_at', 'as_of.as_of_at', 'day') }}
            as days_since_last_order,

        coalesce(sessions.session_count, 0) as session_count,
        coalesce(sessions.page_view_count, 0) as page_view_count,
        coalesce(sessions.bounced_session_count, 0) as bounced_session_count,
        coalesce(sessions.converted_session_count, 0) as converted_session_count,
        sessions.first_session_at,
        sessions.last_session_at,
        greatest(
            sessions.last_session_at, orders.last_order_at, emails.last_email_engagement_at,
            tickets.last_ticket_at, tickets.latest_ticket_csat_at, surveys.latest_nps_at, surveys.latest_csat_at,
            surveys.latest_ces_at
        ) as last_seen_at,

        coalesce(emails.emails_sent, 0) as emails_sent,
        coalesce(emails.emails_opened, 0) as emails_opened,
        coalesce(emails.emails_clicked, 0) as emails_clicked,
        cast(emails.emails_opened as double) / nullif(emails.emails_sent, 0) as email_open_rate,
        cast(emails.emails_clicked as double) / nullif(emails.emails_sent, 0) as email_click_rate,
        emails.last_email_engagement_at,

        coalesce(tickets.ticket_count, 0) as ticket_count,
        coalesce(tickets.open_ticket_count, 0) as open_ticket_count,
        coalesce(tickets.ticket_reopen_count, 0) as ticket_reopen_count,
        tickets.median_first_reply_minutes,
        tickets.median_resolution_minutes,
        tickets.last_ticket_at,
        tickets.latest_ticket_csat_rating,
        tickets.latest_ticket_csat_at,

        surveys.latest_nps_score,
        surveys.latest_nps_category,
        surveys.latest_nps_at,
        surveys.latest_csat_score,
        surveys.latest_csat_at,
        surveys.latest_ces_score,
        surveys.latest_ces_at,

        as_of.as_of_at,

        lifecycle.lifecycle_stage,
        lifecycle.lifecycle_stage_since,
        segments.recency_score,
        segments.frequency_score,
        segments.monetary_score,
        segments.rfm_segment,
        segments.persona,

        clv.p_alive,
        clv.expected_purchases_12m,
        clv.predicted_clv,
        clv.historical_clv,
        clv.clv_purchase_model,

        coalesce(tickets.solved_ticket_count, 0) as solved_ticket_count,
        coalesce(tickets.reopened_ticket_count, 0) as reopened_ticket_count,
        coalesce(cx_csat.csat_response_count, 0) as csat_response_count,
        cx_csat.csat_pct,
        cx_csat.latest_csat_is_satisfied,
        cx_csat.latest_csat_source,
        cx_csat.latest_csat_responded_at,
        surveys.latest_ces_category
    from customers
    cross join as_of
    left join companies on customers.company_id = companies.company_id
    left join first_touch on customers.customer_id = first_touch.customer_id
    left join acquisition on customers.customer_id = acquisition.customer_id
    left join orders on customers.customer_id = orders.customer_id
    left join sessions on customers.customer_id = sessions.customer_id
    left join emails on customers.customer_id = emails.customer_id
    left join tickets on customers.customer_id = tickets.customer_id
    left join surveys on customers.customer_id = surveys.customer_id
    left join lifecycle on customers.customer_id = lifecycle.customer_id
    left join segments on customers.customer_id = segments.customer_id
    left join clv on customers.customer_id = clv.customer_id
    left join cx_csat on customers.customer_id = cx_csat.customer_id

)

select * from final
