-- Every conversion's credits sum to 1 under every attribution model (tolerance 1e-9), and
-- every order has rows under all five models.
with sums as (

    select order_id, attribution_model, sum(credit) as total_credit
    from {{ ref('attribution') }}
    group by order_id, attribution_model

),

model_counts as (

    select order_id, count(distinct attribution_model) as models
    from {{ ref('attribution') }}
    group by order_id

)

select order_id, attribution_model, total_credit, null as models
from sums
where abs(total_credit - 1) > 1e-9
union all
select order_id, null, null, models
from model_counts
where models <> 5
union all
select orders.order_id, null, null, 0
from {{ ref('fct_orders') }} as orders
left join model_counts on model_counts.order_id = orders.order_id
where model_counts.order_id is null
