{#-
  Every source record that carries identifiers, one row each, one column per identifier
  type (null when the record does not carry it). Identifiers in the same row co-occurred in
  one record: that is what links them in the identity graph. Junk values are nulled here
  once more (clean_identifier / normalize_email, as in staging): a junk value must never
  become a node, whatever a staging model does.
-#}
with

crm_contacts as (

    select
        'crm' as source_system,
        'contacts' as source_table,
        contact_id as record_key,
        coalesce(created_at, updated_at, _loaded_at) as seen_at,
        contact_id as crm_contact_id,
        cast(null as {{ dbt.type_string() }}) as support_user_id,
        cast(null as {{ dbt.type_string() }}) as marketing_profile_id,
        app_user_id,
        email,
        cast(null as {{ dbt.type_string() }}) as anonymous_id
    from {{ ref('stg_crm__contacts') }}

),

support_users as (

    -- end-users only: agents and admins are staff, not customers
    select
        'support' as source_system,
        'users' as source_table,
        cast(support_user_id as {{ dbt.type_string() }}) as record_key,
        coalesce(created_at, updated_at, _loaded_at) as seen_at,
        crm_contact_id,
        cast(support_user_id as {{ dbt.type_string() }}) as support_user_id,
        cast(null as {{ dbt.type_string() }}) as marketing_profile_id,
        cast(null as {{ dbt.type_string() }}) as app_user_id,
        email,
        cast(null as {{ dbt.type_string() }}) as anonymous_id
    from {{ ref('stg_support__users') }}
    where is_end_user

),

marketing_profiles as (

    select
        'marketing' as source_system,
        'profiles' as source_table,
        marketing_profile_id as record_key,
        coalesce(created_at, updated_at, _loaded_at) as seen_at,
        cast(null as {{ dbt.type_string() }}) as crm_contact_id,
        cast(null as {{ dbt.type_string() }}) as support_user_id,
        marketing_profile_id,
        app_user_id,
        email,
        cast(null as {{ dbt.type_string() }}) as anonymous_id
    from {{ ref('stg_marketing__profiles') }}

),

survey_responses as (

    -- the respondent's email and CRM contact; for post-support surveys also the ticket's
    -- requester (the person the survey was sent to)
    select
        'marketing' as source_system,
        'survey_responses' as source_table,
        responses.survey_response_id as record_key,
        responses.submitted_at as seen_at,
        responses.contact_id as crm_contact_id,
        cast(tickets.requester_id as {{ dbt.type_string() }}) as support_user_id,
        cast(null as {{ dbt.type_string() }}) as marketing_profile_id,
        cast(null as {{ dbt.type_string() }}) as app_user_id,
        responses.email,
        cast(null as {{ dbt.type_string() }}) as anonymous_id
    from {{ ref('stg_marketing__survey_responses') }} as responses
    left join {{ ref('stg_support__tickets') }} as tickets
        on tickets.ticket_id = responses.ticket_id

),

coupon_redemptions as (

    -- the redeemer's email and profile, and the CRM contact who placed the order
    select
        'marketing' as source_system,
        'coupon_redemptions' as source_table,
        redemptions.coupon_redemption_id as record_key,
        redemptions.redeemed_at as seen_at,
        orders.contact_id as crm_contact_id,
        cast(null as {{ dbt.type_string() }}) as support_user_id,
        redemptions.marketing_profile_id,
        cast(null as {{ dbt.type_string() }}) as app_user_id,
        redemptions.email,
        cast(null as {{ dbt.type_string() }}) as anonymous_id
    from {{ ref('stg_marketing__coupon_redemptions') }} as redemptions
    left join {{ ref('stg_crm__orders') }} as orders
        on orders.order_id = redemptions.order_id

),

experiment_assignments as (

    select
        'marketing' as source_system,
        'experiment_assignments' as source_table,
        experiment_assignment_id as record_key,
        assigned_at as seen_at,
        cast(null as {{ dbt.type_string() }}) as crm_contact_id,
        cast(null as {{ dbt.type_string() }}) as support_user_id,
        cast(null as {{ dbt.type_string() }}) as marketing_profile_id,
        app_user_id,
        cast(null as {{ dbt.type_string() }}) as email,
        anonymous_id
    from {{ ref('stg_marketing__experiment_assignments') }}

),

web_events as (

    -- the distinct (anonymous_id, user id, traits email) combinations of the web events
    -- (incremental model): every anonymous device is a node; identify calls and identified
    -- events link the device to the user id and email they carry.
    select
        'web' as source_system,
        'events' as source_table,
        web_identity_key as record_key,
        seen_at,
        cast(null as {{ dbt.type_string() }}) as crm_contact_id,
        cast(null as {{ dbt.type_string() }}) as support_user_id,
        cast(null as {{ dbt.type_string() }}) as marketing_profile_id,
        app_user_id,
        email,
        anonymous_id
    from {{ ref('int_identity__web_identities') }}

),

unioned as (

    select * from crm_contacts
    union all
    select * from support_users
    union all
    select * from marketing_profiles
    union all
    select * from survey_responses
    union all
    select * from coupon_redemptions
    union all
    select * from experiment_assignments
    union all
    select * from web_events

),

cleaned as (

    select
        source_system,
        source_table,
        record_key,
        seen_at,
        {%- for t in identifier_types() %}
        {% if t == 'email' %}{{ normalize_email(t) }}{% else %}{{ clean_identifier(t) }}{% endif %} as {{ t }}{{ "," if not loop.last }}
        {%- endfor %}
    from unioned

)

select * from cleaned
where coalesce({{ identifier_types() | join(', ') }}) is not null
