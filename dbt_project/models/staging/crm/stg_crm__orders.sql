with

source as (

    select * from {{ source('crm', 'orders') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as order_id,
        {{ clean_identifier('contact_id') }} as contact_id,
        upper({{ clean_text('coupon_code') }}) as coupon_code,

        ---------- properties
        {{ clean_text('hs_order_name') }} as order_name,
        upper({{ clean_text('hs_currency_code') }}) as currency_code,
        {{ accepted_or_other('hs_pipeline_stage', ['paid', 'refunded', 'cancelled']) }}
            as order_status,
        hs_subtotal_price as order_subtotal,
        coalesce(hs_order_discount, 0) as order_discount,
        hs_total_price as order_total,
        coalesce(archived, false) as is_archived,

        ---------- timestamps
        hs_external_created_date as ordered_at,
        created_at,
        updated_at,

        ---------- dlt
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

),

deduped as (

    {{ deduplicate('renamed', 'order_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
