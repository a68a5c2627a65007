{#-
  One row per survey response (NPS, CSAT, CES) with its score category. The customer comes
  from the response's CRM contact id, else its email, else the requester of the surveyed
  ticket, each through the identity mapping.
  Categories: NPS 0–10 promoter 9–10 / passive 7–8 / detractor 0–6; CSAT 1–5 satisfied 4–5 /
  neutral 3 / dissatisfied 1–2; CES 1–7 (7 = very easy) easy 5–7 / neutral 4 / difficult 1–3.
  The is_* flags are null outside their survey type, so avg() over the whole table rates
  only the right responses.
-#}
with

responses as (

    select * from {{ ref('stg_marketing__survey_responses') }}

),

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

identifiers as (

    select * from {{ ref('int_identity__identifiers') }}

),

joined as (

    select
        responses.*,
        coalesce(by_contact.customer_id, by_email.customer_id, by_requester.customer_id)
            as customer_id
    from responses
    left join identifiers as by_contact
        on by_contact.identifier_type = 'crm_contact_id'
        and by_contact.identifier_value = responses.contact_id
    left join identifiers as by_email
        on by_email.identifier_type = 'email'
        and by_email.identifier_value = responses.email
    left join tickets on tickets.ticket_id = responses.ticket_id
    left join identifiers as by_requester
        on by_requester.identifier_type = 'support_user_id'
        and by_requester.identifier_value = cast(tickets.requester_id as {{ dbt.type_string() }})

),

final as (

    select
        survey_response_id,
        customer_id,
        contact_id,
        survey_type,
        survey_trigger,
        score,
        case
            when survey_type = 'nps' and score between 9 and 10 then 'promoter'
            when survey_type = 'nps' and score between 7 and 8 then 'passive'
            when survey_type = 'nps' and score between 0 and 6 then 'detractor'
            when survey_type = 'csat' and score between 4 and 5 then 'satisfied'
            when survey_type = 'csat' and score = 3 then 'neutral'
            when survey_type = 'csat' and score between 1 and 2 then 'dissatisfied'
            when survey_type = 'ces' and score between 5 and 7 then 'easy'
            when survey_type = 'ces' and score = 4 then 'neutral'
            when survey_type = 'ces' and score between 1 and 3 then 'difficult'
        end as score_category,
        case when survey_type = 'nps' then score >= 9 end as is_promoter,
        case when survey_type = 'nps' then score <= 6 end as is_detractor,
        case when survey_type = 'csat' then score >= 4 end as is_csat_satisfied,
        case when survey_type = 'ces' then score >= 5 end as is_ces_easy,
        {{ redact_free_text('survey_comment') }} as survey_comment,
        submitted_at,
        cast(submitted_at as date) as response_date,
        ticket_id
    from joined

)

select * from final
