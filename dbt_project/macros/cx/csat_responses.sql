{#-
  csat_responses(): one row per CSAT response from either source (docs/metrics.md, CSAT):
  survey-tool CSAT answers (1–5, satisfied 4–5) and support-desk ticket ratings (good/bad, the
  ticket's latest answered rating; good = satisfied), with when it was given. A full select,
  used by int_cx__csat_responses and customer_360.
-#}
{% macro csat_responses() -%}
with

survey_answers as (

    select
        'survey' as csat_source,
        survey_response_id as csat_response_id,
        customer_id,
        submitted_at as responded_at,
        is_csat_satisfied as is_satisfied
    from {{ ref('fct_survey_responses') }}
    where survey_type = 'csat' and score is not null

),

ticket_ratings as (

    select
        'ticket_rating' as csat_source,
        cast(ticket_id as {{ dbt.type_string() }}) as csat_response_id,
        customer_id,
        csat_rated_at as responded_at,
        csat_score = 1 as is_satisfied
    from {{ ref('fct_support_tickets') }}
    where csat_score is not null

),

final as (

    select *, cast(responded_at as date) as response_date from survey_answers
    union all
    select *, cast(responded_at as date) as response_date from ticket_ratings

)

select * from final
{%- endmacro %}
