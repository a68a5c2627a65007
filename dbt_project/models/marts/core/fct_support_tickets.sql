{#-
  One row per support ticket, with the per-ticket metrics of int_support__ticket_metrics and
  the ticket's latest satisfaction rating. The customer is the requester's support user id
  resolved through the identity mapping (null when the requester is staff or unknown).
-#}
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

metrics as (

    select * from {{ ref('int_support__ticket_metrics') }}

),

ratings as (

    -- the latest answered rating per ticket (offered/unoffered carry no score)
    select *
    from {{ ref('stg_support__satisfaction_ratings') }}
    where score in ('good', 'bad')
    qualify row_number() over (
        partition by ticket_id
        order by updated_at desc nulls last, created_at desc nulls last, satisfaction_rating_id desc
    ) = 1

),

requester_customers as (

    {{ customers_by_identifier('support_user_id', 'support_user_id') }}

),

final as (

    select
        tickets.ticket_id,
        requester_customers.customer_id,
        tickets.requester_id,
        tickets.assignee_id,
        tickets.organization_id,
        tickets.group_id,
        tickets.external_id as order_id,
        tickets.created_at,
        cast(tickets.created_at as date) as created_date,
        tickets.channel,
        tickets.status,
        tickets.priority,
        tickets.ticket_type,
        metrics.first_reply_at,
        metrics.first_reply_minutes,
        metrics.solved_at,
        cast(metrics.solved_at as date) as solved_date,
        metrics.resolution_minutes,
        metrics.solve_count,
        metrics.reopen_count,
        ratings.score as csat_rating,
        case ratings.score when 'good' then 1 when 'bad' then 0 end as csat_score,
        ratings.created_at as csat_rated_at,
        tickets.status in ('new', 'open', 'pending', 'hold') as is_open,
        tickets.updated_at
    from tickets
    left join metrics on metrics.ticket_id = tickets.ticket_id
    left join ratings on ratings.ticket_id = tickets.ticket_id
    left join requester_customers
        on requester_customers.support_user_id
            = cast(tickets.requester_id as {{ dbt.type_string() }})

)

select * from final
