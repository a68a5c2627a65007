with

source as (

    select * from {{ source('support', 'ticket_event_children') }}

),

renamed as (

    select
        ----------  ids
        id as ticket_event_child_id,
        audit_id as ticket_event_id,
        ticket_id,
        author_id,

        ---------- properties
        {{ accepted_or_other('event_type', ['comment', 'change']) }} as child_event_type,
        public as is_public,
        body as comment_body,
        lower({{ clean_text('field_name') }}) as field_name,
        {{ clean_text('value') }} as new_value,
        {{ clean_text('previous_value') }} as previous_value,

        ---------- timestamps
        created_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'ticket_event_child_id', '_loaded_at desc') }}

)

select * from deduped
