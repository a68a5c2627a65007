{#- One row per marketing campaign (email and paid media). -#}
with

campaigns as (

    select * from {{ ref('stg_marketing__campaigns') }}

),

final as (

    select
        campaign_id,
        campaign_name,
        campaign_channel,
        utm_source,
        utm_medium,
        utm_campaign,
        email_subject,
        budget,
        sent_at,
        starts_at,
        ends_at,
        cast(starts_at as date) as start_date,
        cast(ends_at as date) as end_date,
        created_at,
        updated_at
    from campaigns

)

select * from final
