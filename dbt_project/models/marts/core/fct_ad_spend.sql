{#- One row per (day, ad platform, campaign) of paid media spend (ad-platform CSV exports). -#}
with

ad_spend as (

    select * from {{ ref('stg_marketing__ad_spend') }}

),

final as (

    select
        ad_spend_id,
        campaign_id,
        spend_date,
        ad_platform,
        utm_campaign,
        impressions,
        clicks,
        spend,
        currency_code
    from ad_spend

)

select * from final
