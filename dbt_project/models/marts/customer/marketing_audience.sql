{#-
  The email-marketing audience: one row per customer who may be emailed, with what a
  campaign tool needs to target them (persona, RFM segment, lifecycle stage, CLV, recency).
  Consent is opt-in (GDPR/DSGVO): a customer is in only with a known email, a marketing
  profile whose consent is `subscribed`, no email opt-out in the CRM, no unsubscribed
  profile and no unsubscribe event. Everyone else — opted out, never subscribed, no
  marketing profile (no consent on record) — is left out. The email is hashed (for
  customer-list matching) and masked; clear only on a trusted target (macros/privacy.sql).
-#}
with

customers as (

    select * from {{ ref('customer_360') }}

),

consent as (

    select customer_id, consent_updated_at from {{ ref('dim_customers') }}

),

eligible as (

    select customers.*, consent.consent_updated_at
    from customers
    inner join consent on consent.customer_id = customers.customer_id
    where customers.email_hash is not null
        and customers.email_consent_status = 'subscribed'
        and not customers.is_email_opted_out
        and not customers.has_unsubscribed

),

final as (

    select
        customer_id,
        email_hash,
        email,
        consent_updated_at,
        lifecycle_stage,
        persona,
        rfm_segment,
        order_count,
        total_revenue,
        last_order_at,
        days_since_last_order,
        last_email_engagement_at,
        email_open_rate,
        email_click_rate,
        p_alive,
        predicted_clv
    from eligible

)

select * from final
