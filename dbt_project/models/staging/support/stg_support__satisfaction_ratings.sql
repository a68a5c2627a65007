with

source as (

    select * from {{ source('support', 'satisfaction_ratings') }}

),

renamed as (

    select
        ----------  ids
        id as satisfaction_rating_id,
        ticket_id,
        requester_id,
        assignee_id,

        ---------- properties
        {{ accepted_or_other('score', ['good', 'bad', 'offered', 'unoffered']) }} as score,
        {{ clean_text('comment') }} as rating_comment,
        {{ clean_text('reason') }} as reason,

        ---------- timestamps
        created_at,
        updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'satisfaction_rating_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
