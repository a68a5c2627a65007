{#-
  One row per resolved person (int_identity__customers), with the best CRM contact,
  marketing profile and support end-user attached. No PII in clear text by default: the
  email is a SHA-256 hash of the normalised address and masked, the name masked to initials
  (clear values only on a trusted target, macros/privacy.sql).
  "Best" record per customer:
  - CRM contact: not archived first, then the latest updated, then the earliest created, id;
  - marketing profile: the latest consent change, then the latest updated, id;
  - support end-user: the latest updated, id.
-#}
with

customers as (

    select * from {{ ref('int_identity__customers') }}

),

identifiers as (

    select * from {{ ref('int_identity__identifiers') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

companies as (

    select * from {{ ref('stg_crm__companies') }}

),

profiles as (

    select * from {{ ref('stg_marketing__profiles') }}

),

support_users as (

    select * from {{ ref('stg_support__users') }}
    where is_end_user

),

customer_contacts as (

    select
        identifiers.customer_id,
        contacts.*,
        count(*) over (partition by identifiers.customer_id) as crm_contact_count
    from identifiers
    inner join contacts on contacts.contact_id = identifiers.identifier_value
    where identifiers.identifier_type = 'crm_contact_id'
    qualify row_number() over (
        partition by identifiers.customer_id
        order by contacts.is_archived, contacts.updated_at desc nulls last,
            contacts.created_at nulls last, contacts.contact_id
    ) = 1

),

customer_profiles as (

    select
        identifiers.customer_id,
        profiles.*,
        count(*) over (partition by identifiers.customer_id) as marketing_profile_count,
        max(case when profiles.consent_status = 'unsubscribed' then 1 else 0 end)
            over (partition by identifiers.customer_id) = 1 as has_unsubscribed_profile
    from identifiers
    inner join profiles on profiles.marketing_profile_id = identifiers.identifier_value
    where identifiers.identifier_type = 'marketing_profile_id'
    qualify row_number() over (
        partition by identifiers.customer_id
        order by profiles.consent_updated_at desc nulls last, profiles.updated_at desc nulls last,
            profiles.marketing_profile_id
    ) = 1

),

customer_support_users as (

    select
        identifiers.customer_id,
        support_users.*
    from identifiers
    inner join support_users
        on cast(support_users.support_user_id as {{ dbt.type_string() }}) = identifiers.identifier_value
    where identifiers.identifier_type = 'support_user_id'
    qualify row_number() over (
        partition by identifiers.customer_id
        order by support_users.updated_at desc nulls last, support_users.support_user_id
    ) = 1

),

customer_identifiers as (

    -- fallbacks when no source record carries the value (e.g. an email seen only on the web)
    select
        customer_id,
        min(case when identifier_type = 'email' then identifier_value end) as any_email,
        min(case when identifier_type = 'app_user_id' then identifier_value end) as any_app_user_id
    from identifiers
    group by customer_id

),

joined as (

    select
        customers.*,
        customer_contacts.contact_id as crm_contact_id,
        customer_contacts.company_id,
        customer_contacts.lifecycle_stage,
        customer_contacts.analytics_source,
        customer_contacts.is_email_opted_out as is_crm_email_opted_out,
        customer_contacts.created_at as crm_created_at,
        customer_contacts.crm_contact_count,
        customer_profiles.marketing_profile_id,
        customer_profiles.consent_status,
        customer_profiles.consent_updated_at,
        customer_profiles.has_unsubscribed_profile,
        customer_profiles.created_at as profile_created_at,
        customer_profiles.marketing_profile_count,
        customer_support_users.support_user_id,
        customer_support_users.time_zone,
        customer_support_users.created_at as support_created_at,
        companies.country,
        coalesce(customer_contacts.app_user_id, customer_profiles.app_user_id,
            customer_identifiers.any_app_user_id) as app_user_id,
        coalesce(customer_contacts.email, customer_profiles.email, customer_support_users.email,
            customer_identifiers.any_email) as email,
        coalesce(customer_contacts.first_name, customer_profiles.first_name,
            {{ dbt.split_part('customer_support_users.user_name', "' '", 1) }}) as first_name,
        case
            when customer_contacts.first_name is not null then customer_contacts.last_name
            when customer_profiles.first_name is not null then customer_profiles.last_name
            when strpos(trim(customer_support_users.user_name), ' ') > 0
                then {{ dbt.split_part('trim(customer_support_users.user_name)', "' '", -1) }}
        end as last_name
    from customers
    left join customer_contacts on customer_contacts.customer_id = customers.customer_id
    left join customer_profiles on customer_profiles.customer_id = customers.customer_id
    left join customer_support_users on customer_support_users.customer_id = customers.customer_id
    left join customer_identifiers on customer_identifiers.customer_id = customers.customer_id
    left join companies on companies.company_id = customer_contacts.company_id

),

final as (

    select
        ---------- keys
        customer_id,
        is_identified,
        crm_contact_id,
        company_id,
        app_user_id,
        cast(support_user_id as {{ dbt.type_string() }}) as support_user_id,
        marketing_profile_id,
        anchor_identifier_type,

        ---------- profile (no PII in clear text unless the target is trusted: macros/privacy.sql)
        {{ hash_email('email') }} as email_hash,
        {{ mask_email('email') }} as email,
        {{ initials('first_name', 'last_name') }} as name_masked,
        {{ mask_name('first_name', 'last_name') }} as full_name,
        country,
        time_zone,
        lifecycle_stage,
        analytics_source,

        ---------- consent
        case
            when marketing_profile_id is null then 'no_profile'
            else coalesce(consent_status, 'unknown')
        end as email_consent_status,
        coalesce(is_crm_email_opted_out, false) or coalesce(has_unsubscribed_profile, false)
            as is_email_opted_out,
        consent_updated_at,

        ---------- timestamps
        least(
            coalesce(crm_created_at, profile_created_at, support_created_at),
            coalesce(profile_created_at, crm_created_at, support_created_at),
            coalesce(support_created_at, crm_created_at, profile_created_at)
        ) as created_at,
        first_seen_at,
        last_seen_at,

        ---------- source presence
        is_in_crm,
        is_in_support,
        is_in_marketing,
        is_in_web,
        coalesce(crm_contact_count, 0) as crm_contact_count,
        coalesce(marketing_profile_count, 0) as marketing_profile_count,
        identifier_count
    from joined

)

select * from final
