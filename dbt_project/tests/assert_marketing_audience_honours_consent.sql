{#-
  Opted-out people never reach the activation mart. Checked against the sources themselves
  (staging + the identity mapping), not the flags marketing_audience is built from: a member
  fails when any of their CRM contacts opted out of email, any of their marketing profiles is
  unsubscribed, any unsubscribe event exists for their profiles, or none of their profiles
  is subscribed. Returns the offending customers with the reason.
-#}
with

audience as (

    select customer_id from {{ ref('marketing_audience') }}

),

identifiers as (

    select customer_id, identifier_type, identifier_value
    from {{ ref('int_identity__identifiers') }}
    where identifier_type in ('crm_contact_id', 'marketing_profile_id')

),

contact_opt_outs as (

    select identifiers.customer_id, 'crm email opt-out' as reason
    from {{ ref('stg_crm__contacts') }} as contacts
    inner join identifiers
        on identifiers.identifier_type = 'crm_contact_id'
        and identifiers.identifier_value = contacts.contact_id
    where contacts.is_email_opted_out

),

profiles as (

    select identifiers.customer_id, profiles.marketing_profile_id, profiles.consent_status
    from {{ ref('stg_marketing__profiles') }} as profiles
    inner join identifiers
        on identifiers.identifier_type = 'marketing_profile_id'
        and identifiers.identifier_value = profiles.marketing_profile_id

),

unsubscribes as (

    select profiles.customer_id, 'unsubscribe event' as reason
    from {{ ref('stg_marketing__email_events') }} as events
    inner join profiles on profiles.marketing_profile_id = events.marketing_profile_id
    where events.email_event_type = 'unsubscribed'

),

violations as (

    select * from contact_opt_outs
    union all
    select customer_id, 'profile ' || consent_status from profiles
    where consent_status = 'unsubscribed'
    union all
    select * from unsubscribes
    union all
    select audience.customer_id, 'no subscribed profile'
    from audience
    where not exists (
        select 1 from profiles
        where profiles.customer_id = audience.customer_id
            and profiles.consent_status = 'subscribed'
    )

)

select distinct audience.customer_id, violations.reason
from audience
inner join violations on violations.customer_id = audience.customer_id
