with

source as (

    select * from {{ source('crm', 'products') }}

),

renamed as (

    select
        ----------  ids
        trim(id) as product_id,

        ---------- properties
        {{ clean_text('name') }} as product_name,
        {{ clean_text('hs_sku') }} as sku,
        {{ clean_text('category') }} as category,
        price as list_price,
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

    {{ deduplicate('renamed', 'product_id', 'updated_at desc nulls last, _loaded_at desc') }}

)

select * from deduped
