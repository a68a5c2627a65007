with

source as (

    select * from {{ source('support', 'users') }}

),

renamed as (

    select
        ----------  ids
        id as support_user_id,
        {{ clean_identifier('external_id') }} as crm_contact_id,

        ---------- person (PII)
        {{ clean_text('name') }} as user_name,
        {{ normalize_email('email') }} as email,
        {{ clean_text('phone') }} as phone,
        {{ clean_text('time_zone') }} as time_zone,

        ---------- properties
        {{ accepted_or_other('role', ['end-user', 'agent', 'admin']) }} as user_role,
        coalesce(lower(trim(role)), 'end-user') = 'end-user' as is_end_user,

        ---------- timestamps
        created_at,
        updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'support_user_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
