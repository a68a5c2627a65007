with

source as (

    select * from {{ source('marketing', 'coupon_redemptions') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as coupon_redemption_id,
        {{ clean_identifier('coupon_id') }} as coupon_id,
        upper({{ clean_text('code') }}) as coupon_code,
        {{ clean_identifier('order_id') }} as order_id,
        {{ clean_identifier('profile_id') }} as marketing_profile_id,

        ---------- person (PII)
        {{ normalize_email('email') }} as email,

        ---------- timestamps
        redeemed_at,
        updated as updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'coupon_redemption_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
