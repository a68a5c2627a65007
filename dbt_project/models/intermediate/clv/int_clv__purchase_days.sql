{#-
  The transactions the CLV models read: one row per customer and day with a paid order
  (several orders of one day are one purchase, as in the BG/NBD and Gamma-Gamma papers and
  lifetimes), with the day's net revenue. Cancelled and refunded orders are not purchases.
  calibration_end_date is the same on every row: the var `clv_calibration_end` (a date) when
  set, else the as-of date of the warehouse (the day of the latest touchpoint, as customer_360).
  With the var set (at parse time) the model does not read fct_touchpoints at all, so
  `dbt build --select +customer_clv` builds only what the orders need.
-#}
with

orders as (

    select * from {{ ref('fct_orders') }}
    where customer_id is not null
        and order_status = 'paid'

),

as_of as (

    {% if var('clv_calibration_end') %}
    select cast('{{ var("clv_calibration_end") }}' as date) as calibration_end_date
    {% else %}
    select cast(max(occurred_at) as date) as calibration_end_date
    from {{ ref('fct_touchpoints') }}
    {% endif %}

),

purchase_days as (

    select
        customer_id,
        order_date as purchase_date,
        count(*) as order_count,
        sum(net_revenue) as purchase_value
    from orders
    group by customer_id, order_date

)

select
    purchase_days.customer_id,
    purchase_days.purchase_date,
    purchase_days.order_count,
    purchase_days.purchase_value,
    as_of.calibration_end_date
from purchase_days
cross join as_of
