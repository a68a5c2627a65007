with

source as (

    select * from {{ source('marketing', 'survey_responses') }}

),

renamed as (

    select
        ----------  ids
        trim(response_id) as survey_response_id,
        {{ clean_identifier('contact_id') }} as contact_id,
        ticket_id,

        ---------- person (PII)
        {{ normalize_email('email') }} as email,

        ---------- answer
        {{ accepted_or_other('survey', ['nps', 'csat', 'ces']) }} as survey_type,
        {{ accepted_or_other("replace(replace(trim(" ~ adapter.quote('trigger') ~ "), '-', '_'), ' ', '_')",
            ['relationship', 'post_purchase', 'post_support']) }} as survey_trigger,
        score,
        {{ clean_text('comment') }} as survey_comment,

        ---------- timestamps
        submitted_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'survey_response_id', '_loaded_at desc') }}

)

select * from deduped
