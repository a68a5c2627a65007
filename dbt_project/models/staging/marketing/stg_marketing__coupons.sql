with

source as (

    select * from {{ source('marketing', 'coupons') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as coupon_id,
        upper({{ clean_text('code') }}) as coupon_code,
        {{ clean_identifier('campaign_id') }} as campaign_id,

        ---------- properties
        {{ accepted_or_other('discount_type', ['percent', 'amount']) }} as discount_type,
        discount_value,

        ---------- timestamps
        valid_from,
        valid_to,
        created as created_at,
        updated as updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'coupon_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
