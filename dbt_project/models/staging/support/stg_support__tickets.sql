with

source as (

    select * from {{ source('support', 'tickets') }}

),

renamed as (

    select
        ----------  ids
        id as ticket_id,
        requester_id,
        submitter_id,
        assignee_id,
        organization_id,
        group_id,
        {{ clean_identifier('external_id') }} as external_id,

        ---------- properties
        {{ clean_text('subject') }} as subject,
        {{ clean_text('description') }} as description,
        {{ accepted_or_other('type', ['question', 'incident', 'problem', 'task']) }} as ticket_type,
        {{ accepted_or_other('priority', ['low', 'normal', 'high', 'urgent']) }} as priority,
        {{ accepted_or_other('status', ['new', 'open', 'pending', 'hold', 'solved', 'closed']) }}
            as status,
        {{ cxm_support_channel('via__channel') }} as channel,
        cast(tags as varchar[]) as tags,

        ---------- timestamps
        created_at,
        updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'ticket_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
