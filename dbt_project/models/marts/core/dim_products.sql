{#- One row per product of the CRM product library. -#}
with

products as (

    select * from {{ ref('stg_crm__products') }}

),

final as (

    select
        product_id,
        product_name,
        sku,
        category,
        list_price,
        is_archived,
        created_at,
        updated_at
    from products

)

select * from final
