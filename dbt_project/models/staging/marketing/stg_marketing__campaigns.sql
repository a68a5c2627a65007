with

source as (

    select * from {{ source('marketing', 'campaigns') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as campaign_id,

        ---------- properties
        {{ clean_text('name') }} as campaign_name,
        {{ accepted_or_other('channel', ['email', 'paid_search', 'paid_social', 'display']) }}
            as campaign_channel,
        lower({{ clean_text('utm_source') }}) as utm_source,
        lower({{ clean_text('utm_medium') }}) as utm_medium,
        lower({{ clean_text('utm_campaign') }}) as utm_campaign,
        {{ clean_text('subject') }} as email_subject,
        budget,

        ---------- timestamps
        send_time as sent_at,
        start_date as starts_at,
        end_date as ends_at,
        created as created_at,
        updated as updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'campaign_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
