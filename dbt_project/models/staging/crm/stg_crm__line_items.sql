with

source as (

    select * from {{ source('crm', 'line_items') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as line_item_id,
        trim(order_id) as order_id,
        {{ clean_identifier('hs_product_id') }} as product_id,

        ---------- properties
        {{ clean_text('name') }} as product_name,
        quantity,
        price as unit_price,
        amount as line_amount,
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

    {{ deduplicate('renamed', 'line_item_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
