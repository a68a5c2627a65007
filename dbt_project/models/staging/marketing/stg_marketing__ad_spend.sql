with

source as (

    select * from {{ source('marketing', 'ad_spend') }}

),

renamed as (

    select
        ----------  ids
        {{ surrogate_key(['date', 'trim(platform)', 'trim(campaign_id)']) }} as ad_spend_id,
        trim(campaign_id) as campaign_id,

        ---------- properties
        {{ accepted_or_other('platform', ['google_ads', 'meta_ads', 'linkedin_ads']) }} as ad_platform,
        lower({{ clean_text('utm_campaign') }}) as utm_campaign,
        impressions,
        clicks,
        spend,
        upper({{ clean_text('currency') }}) as currency_code,

        ---------- dates
        date as spend_date,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'ad_spend_id', '_loaded_at desc') }}

)

select * from deduped
