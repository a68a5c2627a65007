with

source as (

    select * from {{ source('marketing', 'profiles') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as marketing_profile_id,
        {{ clean_identifier('external_id') }} as app_user_id,

        ---------- person (PII)
        {{ normalize_email('email') }} as email,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,

        ---------- consent
        {{ accepted_or_other('consent', ['subscribed', 'unsubscribed', 'never_subscribed']) }}
            as consent_status,
        consent_updated_at,

        ---------- timestamps
        created as created_at,
        updated as updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'marketing_profile_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
