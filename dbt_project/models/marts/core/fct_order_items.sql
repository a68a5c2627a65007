{#-
  One row per order line of an order in fct_orders (archived lines, and lines whose order is
  archived or was not loaded, are excluded).
-#}
with

line_items as (

    select * from {{ ref('stg_crm__line_items') }}
    where not is_archived

),

orders as (

    select * from {{ ref('fct_orders') }}

),

final as (

    select
        line_items.line_item_id,
        line_items.order_id,
        line_items.product_id,
        orders.customer_id,
        orders.contact_id,
        line_items.product_name,
        line_items.quantity,
        line_items.unit_price,
        line_items.line_amount,
        orders.currency_code,
        orders.order_status,
        orders.ordered_at,
        orders.order_date
    from line_items
    inner join orders on orders.order_id = line_items.order_id

)

select * from final
