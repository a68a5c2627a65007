{#-
  CX KPIs by day × channel × segment, with total rows (channel = 'all', segment = 'all').
  Every day from the first to the last activity exists for every channel × segment cell that
  ever had activity (dense grid): counts are 0 and rates/scores null on a day without data, and
  cells with fewer than var('cx_min_responses') survey responses are flagged, not hidden.
  Channel: the session's own channel group for web KPIs, the customer's acquisition channel for
  survey, CSAT, support and email KPIs. Segment: int_cx__customers.customer_segment.
  Definitions: docs/metrics.md (CX KPIs).
-#}
with

customers as (

    select * from {{ ref('int_cx__customers') }}

),

surveys as (

    select
        responses.response_date as kpi_date,
        coalesce(customers.acquisition_channel, 'Unassigned') as channel,
        coalesce(customers.customer_segment, 'unknown') as segment,
        responses.survey_type,
        responses.score,
        responses.is_promoter,
        responses.is_detractor
    from {{ ref('fct_survey_responses') }} as responses
    left join customers on customers.customer_id = responses.customer_id
    where responses.survey_type in ('nps', 'ces')

),

csat as (

    select
        responses.response_date as kpi_date,
        coalesce(customers.acquisition_channel, 'Unassigned') as channel,
        coalesce(customers.customer_segment, 'unknown') as segment,
        responses.is_satisfied
    from {{ ref('int_cx__csat_responses') }} as responses
    left join customers on customers.customer_id = responses.customer_id

),

tickets as (

    select
        tickets.created_date,
        tickets.solved_date,
        tickets.first_reply_minutes,
        tickets.resolution_minutes,
        tickets.reopen_count,
        coalesce(customers.acquisition_channel, 'Unassigned') as channel,
        coalesce(customers.customer_segment, 'unknown') as segment
    from {{ ref('fct_support_tickets') }} as tickets
    left join customers on customers.customer_id = tickets.customer_id

),

sessions as (

    select
        sessions.session_date as kpi_date,
        sessions.channel_group as channel,
        coalesce(customers.customer_segment, 'unknown') as segment,
        sessions.is_bounce,
        sessions.is_converted
    from {{ ref('fct_web_sessions') }} as sessions
    left join customers on customers.customer_id = sessions.customer_id

),

email_engagement as (

    select
        marketing_profile_id,
        campaign_id,
        {{ dbt.bool_or("email_event_type = 'opened'") }} as was_opened,
        {{ dbt.bool_or("email_event_type = 'clicked'") }} as was_clicked
    from {{ ref('fct_email_events') }}
    where email_event_type in ('opened', 'clicked')
    group by marketing_profile_id, campaign_id

),

email_sends as (

    select
        sends.event_date as kpi_date,
        coalesce(customers.acquisition_channel, 'Unassigned') as channel,
        coalesce(customers.customer_segment, 'unknown') as segment,
        coalesce(email_engagement.was_opened, false) as was_opened,
        coalesce(email_engagement.was_clicked, false) as was_clicked
    from {{ ref('fct_email_events') }} as sends
    left join email_engagement
        on email_engagement.marketing_profile_id = sends.marketing_profile_id
        and email_engagement.campaign_id = sends.campaign_id
    left join customers on customers.customer_id = sends.customer_id
    where sends.email_event_type = 'sent'

),

survey_kpis as (

    select
        {{ kpi_cell_columns() }},
        count(is_promoter) as nps_responses,
        count(*) filter (where is_promoter) as nps_promoters,
        count(*) filter (where not is_promoter and not is_detractor) as nps_passives,
        count(*) filter (where is_detractor) as nps_detractors,
        {{ nps('is_promoter', 'is_detractor') }} as nps,
        count(*) filter (where survey_type = 'ces' and score is not null) as ces_responses,
        {{ ces_mean("case when survey_type = 'ces' then score end") }} as ces_mean
    from surveys
    group by {{ kpi_cell_grouping() }}

),

csat_kpis as (

    select
        {{ kpi_cell_columns() }},
        count(is_satisfied) as csat_responses,
        count(*) filter (where is_satisfied) as csat_satisfied,
        {{ csat_pct('is_satisfied') }} as csat_pct
    from csat
    group by {{ kpi_cell_grouping() }}

),

created_ticket_kpis as (

    select
        {{ kpi_cell_columns() }},
        count(*) as tickets_created,
        percentile_cont(0.5) within group (order by first_reply_minutes)
            as median_first_reply_minutes,
        percentile_cont(0.9) within group (order by first_reply_minutes)
            as p90_first_reply_minutes
    from (select created_date as kpi_date, * from tickets) as created
    group by {{ kpi_cell_grouping() }}

),

solved_ticket_kpis as (

    select
        {{ kpi_cell_columns() }},
        count(*) as tickets_solved,
        count(*) filter (where reopen_count > 0) as tickets_reopened,
        percentile_cont(0.5) within group (order by resolution_minutes)
            as median_resolution_minutes,
        percentile_cont(0.9) within group (order by resolution_minutes)
            as p90_resolution_minutes
    from (select solved_date as kpi_date, * from tickets where solved_date is not null) as solved
    group by {{ kpi_cell_grouping() }}

),

backlog_changes as (

    -- +1 when a ticket is created, -1 on the day it was (last) solved
    select
        {{ kpi_cell_columns() }},
        sum(change) as backlog_change
    from (
        select created_date as kpi_date, channel, segment, 1 as change from tickets
        union all
        select solved_date as kpi_date, channel, segment, -1 as change
        from tickets
        where solved_date is not null
    ) as changes
    group by {{ kpi_cell_grouping() }}

),

session_kpis as (

    select
        {{ kpi_cell_columns() }},
        count(*) as sessions,
        count(*) filter (where is_bounce) as bounced_sessions,
        count(*) filter (where is_converted) as converted_sessions
    from sessions
    group by {{ kpi_cell_grouping() }}

),

email_kpis as (

    select
        {{ kpi_cell_columns() }},
        count(*) as emails_sent,
        count(*) filter (where was_opened) as emails_opened,
        count(*) filter (where was_clicked) as emails_clicked
    from email_sends
    group by {{ kpi_cell_grouping() }}

),

cell_days as (

    select kpi_date, channel, segment from survey_kpis
    union
    select kpi_date, channel, segment from csat_kpis
    union
    select kpi_date, channel, segment from created_ticket_kpis
    union
    select kpi_date, channel, segment from solved_ticket_kpis
    union
    select kpi_date, channel, segment from session_kpis
    union
    select kpi_date, channel, segment from email_kpis

),

bounds as (

    select min(kpi_date) as first_day, max(kpi_date) as last_day from cell_days

),

grid as (

    select dim_date.date_day as kpi_date, cells.channel, cells.segment
    from {{ ref('dim_date') }} as dim_date
    inner join bounds on dim_date.date_day between bounds.first_day and bounds.last_day
    cross join (select distinct channel, segment from cell_days) as cells

),

backlog as (

    select
        grid.kpi_date,
        grid.channel,
        grid.segment,
        sum(coalesce(backlog_changes.backlog_change, 0)) over (
            partition by grid.channel, grid.segment
            order by grid.kpi_date
            rows between unbounded preceding and current row
        ) as ticket_backlog
    from grid
    left join backlog_changes
        on backlog_changes.kpi_date = grid.kpi_date
        and backlog_changes.channel = grid.channel
        and backlog_changes.segment = grid.segment

),

final as (

    select
        grid.kpi_date,
        grid.channel,
        grid.segment,

        coalesce(survey_kpis.nps_responses, 0) as nps_responses,
        coalesce(survey_kpis.nps_promoters, 0) as nps_promoters,
        coalesce(survey_kpis.nps_passives, 0) as nps_passives,
        coalesce(survey_kpis.nps_detractors, 0) as nps_detractors,
        survey_kpis.nps,
        coalesce(survey_kpis.nps_responses, 0) < {{ var('cx_min_responses') }}
            as has_few_nps_responses,
        coalesce(csat_kpis.csat_responses, 0) as csat_responses,
        coalesce(csat_kpis.csat_satisfied, 0) as csat_satisfied,
        csat_kpis.csat_pct,
        coalesce(csat_kpis.csat_responses, 0) < {{ var('cx_min_responses') }}
            as has_few_csat_responses,
        coalesce(survey_kpis.ces_responses, 0) as ces_responses,
        survey_kpis.ces_mean,
        coalesce(survey_kpis.ces_responses, 0) < {{ var('cx_min_responses') }}
            as has_few_ces_responses,

        coalesce(created_ticket_kpis.tickets_created, 0) as tickets_created,
        created_ticket_kpis.median_first_reply_minutes,
        created_ticket_kpis.p90_first_reply_minutes,
        coalesce(solved_ticket_kpis.tickets_solved, 0) as tickets_solved,
        coalesce(solved_ticket_kpis.tickets_reopened, 0) as tickets_reopened,
        cast(solved_ticket_kpis.tickets_reopened as double)
            / nullif(solved_ticket_kpis.tickets_solved, 0) as reopen_rate,
        solved_ticket_kpis.median_resolution_minutes,
        solved_ticket_kpis.p90_resolution_minutes,
        backlog.ticket_backlog,

        coalesce(session_kpis.sessions, 0) as sessions,
        coalesce(session_kpis.bounced_sessions, 0) as bounced_sessions,
        coalesce(session_kpis.converted_sessions, 0) as converted_sessions,
        cast(session_kpis.bounced_sessions as double)
            / nullif(session_kpis.sessions, 0) as bounce_rate,
        cast(session_kpis.converted_sessions as double)
            / nullif(session_kpis.sessions, 0) as conversion_rate,

        coalesce(email_kpis.emails_sent, 0) as emails_sent,
        coalesce(email_kpis.emails_opened, 0) as emails_opened,
        coalesce(email_kpis.emails_clicked, 0) as emails_clicked,
        cast(email_kpis.emails_opened as double)
            / nullif(email_kpis.emails_sent, 0) as email_open_rate,
        cast(email_kpis.emails_clicked as double)
            / nullif(email_kpis.emails_sent, 0) as email_click_rate
    from grid
    left join survey_kpis using (kpi_date, channel, segment)
    left join csat_kpis using (kpi_date, channel, segment)
    left join created_ticket_kpis using (kpi_date, channel, segment)
    left join solved_ticket_kpis using (kpi_date, channel, segment)
    left join backlog using (kpi_date, channel, segment)
    left join session_kpis using (kpi_date, channel, segment)
    left join email_kpis using (kpi_date, channel, segment)

)

select * from final
