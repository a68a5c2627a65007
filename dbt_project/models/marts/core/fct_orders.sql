{#-
  One row per order placed (CRM orders; archived orders excluded). The customer comes from the
  order's CRM contact through the identity mapping; order numbering is per customer by
  ordered_at, then order_id, over every order whatever its status.
-#}
with

orders as (

    select * from {{ ref('stg_crm__orders') }}
    where not is_archived

),

line_items as (

    select * from {{ ref('stg_crm__line_items') }}
    where not is_archived

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

coupons as (

    select * from {{ ref('stg_marketing__coupons') }}

),

contact_customers as (

    {{ customers_by_identifier('crm_contact_id', 'contact_id') }}

),

order_lines as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_count
    from line_items
    group by order_id

),

order_coupons as (

    -- a code may be reissued: the coupon valid when the order was placed, else the latest one
    select
        orders.order_id,
        coupons.coupon_id,
        coupons.campaign_id
    from orders
    inner join coupons on coupons.coupon_code = orders.coupon_code
    qualify row_number() over (
        partition by orders.order_id
        order by
            case
                when orders.ordered_at >= coalesce(coupons.valid_from, orders.ordered_at)
                    and orders.ordered_at <= coalesce(coupons.valid_to, orders.ordered_at)
                    then 0
                else 1
            end,
            coupons.created_at desc nulls last,
            coupons.coupon_id
    ) = 1

),

joined as (

    select
        orders.order_id,
        orders.order_name,
        contact_customers.customer_id,
        orders.contact_id,
        contacts.company_id,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date,
        orders.order_status,
        orders.coupon_code,
        order_coupons.coupon_id,
        order_coupons.campaign_id as coupon_campaign_id,
        orders.order_subtotal,
        orders.order_discount,
        orders.order_total,
        case when orders.order_status = 'paid' then orders.order_total else 0 end as net_revenue,
        orders.currency_code,
        coalesce(order_lines.item_count, 0) as item_count,
        coalesce(order_lines.line_count, 0) as line_count,
        orders.created_at,
        orders.updated_at
    from orders
    left join contact_customers on contact_customers.contact_id = orders.contact_id
    left join contacts on contacts.contact_id = orders.contact_id
    left join order_lines on order_lines.order_id = orders.order_id
    left join order_coupons on order_coupons.order_id = orders.order_id

),

numbered as (

    select
        *,
        case
            when customer_id is not null
                then row_number() over (
                    partition by customer_id order by ordered_at, order_id)
        end as customer_order_number
    from joined

),

final as (

    select
        order_id,
        order_name,
        customer_id,
        contact_id,
        company_id,
        ordered_at,
        order_date,
        order_status,
        coupon_code,
        coupon_id,
        coupon_campaign_id,
        order_subtotal,
        order_discount,
        order_total,
        net_revenue,
        currency_code,
        item_count,
        line_count,
        customer_order_number,
        customer_order_number = 1 as is_first_order,
        customer_order_number > 1 as is_repeat_order,
        created_at,
        updated_at
    from numbered

)

select * from final
