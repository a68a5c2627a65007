with

source as (

    select * from {{ source('support', 'ticket_events') }}

),

renamed as (

    select
        ----------  ids
        id as ticket_event_id,
        ticket_id,
        updater_id,

        ---------- properties
        {{ cxm_support_channel('via__channel') }} as channel,
        lower({{ clean_text('event_type') }}) as event_type,

        ---------- timestamps
        created_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'ticket_event_id', '_loaded_at desc') }}

)

select * from deduped
