{#-
  Per-ticket support metrics from the audit log (ticket_events = audits, their children =
  comments and field changes). Definitions (docs/metrics.md, "Core star schema"):
  - first reply: ticket created -> first PUBLIC comment by an AGENT (author role agent or
    admin and not the ticket's requester; internal notes and requester comments never count);
    calendar minutes; null when there is none yet.
  - solves: status changes to `solved`; resolution: created -> the LAST solve, only while the
    ticket is solved or closed (a reopened ticket is unresolved until solved again);
    reopens = max(solves - 1, 0).
-#}
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

audits as (

    select * from {{ ref('stg_support__ticket_events') }}

),

children as (

    select * from {{ ref('stg_support__ticket_event_children') }}

),

users as (

    select * from {{ ref('stg_support__users') }}

),

child_events as (

    -- the audit's time when the child lacks one (children carry the audit's created_at)
    select
        children.ticket_event_child_id,
        coalesce(children.ticket_id, audits.ticket_id) as ticket_id,
        coalesce(children.author_id, audits.updater_id) as author_id,
        children.child_event_type,
        children.is_public,
        children.field_name,
        children.new_value,
        coalesce(children.created_at, audits.created_at) as created_at
    from children
    left join audits on audits.ticket_event_id = children.ticket_event_id

),

agent_replies as (

    select
        child_events.ticket_id,
        min(child_events.created_at) as first_reply_at,
        count(*) as agent_public_comment_count
    from child_events
    inner join tickets on tickets.ticket_id = child_events.ticket_id
    inner join users on users.support_user_id = child_events.author_id
    where child_events.child_event_type = 'comment'
        and child_events.is_public
        and users.user_role in ('agent', 'admin')
        and child_events.author_id is distinct from tickets.requester_id
    group by child_events.ticket_id

),

solves as (

    select
        ticket_id,
        count(*) as solve_count,
        min(created_at) as first_solved_at,
        max(created_at) as solved_at
    from child_events
    where child_event_type = 'change'
        and field_name = 'status'
        and lower(new_value) = 'solved'
    group by ticket_id

),

final as (

    select
        tickets.ticket_id,
        tickets.created_at,
        agent_replies.first_reply_at,
        {{ dbt.datediff('tickets.created_at', 'agent_replies.first_reply_at', 'second') }} / 60.0
            as first_reply_minutes,
        coalesce(agent_replies.agent_public_comment_count, 0) as agent_public_comment_count,
        solves.first_solved_at,
        solves.solved_at,
        -- a ticket reopened and not yet solved again is not resolved
        case
            when tickets.status in ('solved', 'closed')
                then {{ dbt.datediff('tickets.created_at', 'solves.solved_at', 'second') }} / 60.0
        end as resolution_minutes,
        coalesce(solves.solve_count, 0) as solve_count,
        greatest(coalesce(solves.solve_count, 0) - 1, 0) as reopen_count
    from tickets
    left join agent_replies on agent_replies.ticket_id = tickets.ticket_id
    left join solves on solves.ticket_id = tickets.ticket_id

)

select * from final
