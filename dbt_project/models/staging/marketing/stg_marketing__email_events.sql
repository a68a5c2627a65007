with

source as (

    select * from {{ source('marketing', 'email_events') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as email_event_id,
        {{ clean_identifier('profile_id') }} as marketing_profile_id,
        {{ clean_identifier('campaign_id') }} as campaign_id,

        ---------- properties
        {{ accepted_or_other('event_type', ['sent', 'opened', 'clicked', 'bounced', 'unsubscribed']) }}
            as email_event_type,
        {{ clean_text('url') }} as clicked_url,

        ---------- timestamps
        datetime as occurred_at,
        updated as updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'email_event_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
