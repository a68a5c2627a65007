-- Per campaign and attribution model: attributed conversions and revenue (from attribution),
-- ad spend (fct_ad_spend), ROAS and CPA, and the performance of the campaign's coupons.
-- Credit on touches without a campaign, 'direct/none' conversions and coupons without a
-- campaign are collected under campaign_id '(no campaign)', so every model's rows add up to
-- all orders and all revenue. docs/metrics.md, "Attribution by campaign".

{% set no_campaign = "'(no campaign)'" %}

with attribution as (

    select * from {{ ref('attribution') }}

),

campaigns as (

    select campaign_id, campaign_name, campaign_channel
    from {{ ref('dim_campaigns') }}
    union all
    select {{ no_campaign }}, '(no campaign)', cast(null as varchar)

),

models as (

    select distinct attribution_model from attribution

),

credited as (

    select
        coalesce(campaign_id, {{ no_campaign }}) as campaign_id,
        attribution_model,
        sum(credit) as attributed_conversions,
        sum(revenue_credit) as attributed_revenue
    from attribution
    group by 1, 2

),

spend as (

    select campaign_id, sum(spend) as spend
    from {{ ref('fct_ad_spend') }}
    where campaign_id is not null
    group by campaign_id

),

orders as (

    select
        order_id,
        customer_id,
        coupon_code,
        coupon_campaign_id,
        order_total,
        order_discount,
        is_first_order,
        max(case when customer_order_number = 2 then 1 else 0 end)
            over (partition by customer_id) = 1 as customer_has_repeat_order
    from {{ ref('fct_orders') }}

),

coupons as (

    select
        coalesce(coupon_campaign_id, {{ no_campaign }}) as campaign_id,
        count(*) as coupon_redemptions,
        sum(order_total) as coupon_revenue,
        sum(order_discount) as coupon_discount_cost,
        sum(case when is_first_order then 1 else 0 end) as coupon_first_orders,
        sum(case when is_first_order and customer_has_repeat_order then 1 else 0 end) * 1.0
            / nullif(sum(case when is_first_order then 1 else 0 end), 0)
            as coupon_first_order_repeat_rate
    from orders
    where coupon_code is not null
    group by 1

),

no_coupon_baseline as (

    select
        sum(case when customer_has_repeat_order then 1 else 0 end) * 1.0
            / nullif(count(*), 0) as non_coupon_first_order_repeat_rate
    from orders
    where is_first_order and coupon_code is null

),

final as (

    select
        campaigns.campaign_id,
        models.attribution_model,
        campaigns.campaign_name,
        campaigns.campaign_channel,
        coalesce(credited.attributed_conversions, 0) as attributed_conversions,
        coalesce(credited.attributed_revenue, 0) as attributed_revenue,
        coalesce(spend.spend, 0) as spend,
        coalesce(credited.attributed_revenue, 0) / nullif(spend.spend, 0) as roas,
        nullif(spend.spend, 0) / nullif(credited.attributed_conversions, 0) as cpa,
        coalesce(coupons.coupon_redemptions, 0) as coupon_redemptions,
        coalesce(coupons.coupon_revenue, 0) as coupon_revenue,
        coalesce(coupons.coupon_discount_cost, 0) as coupon_discount_cost,
        coalesce(coupons.coupon_first_orders, 0) as coupon_first_orders,
        coupons.coupon_first_order_repeat_rate,
        no_coupon_baseline.non_coupon_first_order_repeat_rate,
        case when campaigns.campaign_id <> {{ no_campaign }} then rank() over (
            partition by models.attribution_model, campaigns.campaign_id = {{ no_campaign }}
            order by coalesce(credited.attributed_revenue, 0) desc
        ) end as attributed_revenue_rank
    from campaigns
    cross join models
    cross join no_coupon_baseline
    left join credited
        on credited.campaign_id = campaigns.campaign_id
        and credited.attribution_model = models.attribution_model
    left join spend
        on spend.campaign_id = campaigns.campaign_id
    left join coupons
        on coupons.campaign_id = campaigns.campaign_id

)

select * from final
