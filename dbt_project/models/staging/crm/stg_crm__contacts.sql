with

source as (

    select * from {{ source('crm', 'contacts') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as contact_id,
        {{ clean_identifier('associatedcompanyid') }} as company_id,
        {{ clean_identifier('hubspot_owner_id') }} as owner_id,
        {{ clean_identifier('app_user_id') }} as app_user_id,

        ---------- person (PII)
        {{ normalize_email('email') }} as email,
        {{ clean_text('firstname') }} as first_name,
        {{ clean_text('lastname') }} as last_name,
        {{ clean_text('phone') }} as phone,

        ---------- properties
        {{ accepted_or_other('lifecyclestage', [
            'subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead',
            'opportunity', 'customer', 'evangelist', 'other']) }} as lifecycle_stage,
        {{ accepted_or_other('hs_analytics_source', [
            'organic_search', 'paid_search', 'email_marketing', 'social_media', 'paid_social',
            'referrals', 'direct_traffic', 'other_campaigns', 'offline'], 'other_campaigns') }}
            as analytics_source,
        coalesce(hs_email_optout, false) as is_email_opted_out,
        coalesce(archived, false) as is_archived,

        ---------- timestamps
        created_at,
        updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'contact_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
