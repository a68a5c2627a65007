{#-
  One row per calendar day, from 1 January of the year of the earliest date in the data to
  31 December of the year after the latest one (room for campaign end dates and forecasts).
  Bounds come from the identity graph (first/last seen over every source, web included),
  orders, tickets, surveys, email events, ad spend and campaign dates; an empty warehouse
  gets the current and next year.
-#}
with

data_dates as (

    select cast(first_seen_at as date) as d from {{ ref('int_identity__customers') }}
    union all
    select cast(last_seen_at as date) from {{ ref('int_identity__customers') }}
    union all
    select cast(ordered_at as date) from {{ ref('stg_crm__orders') }}
    union all
    select cast(created_at as date) from {{ ref('stg_support__tickets') }}
    union all
    select cast(updated_at as date) from {{ ref('stg_support__tickets') }}
    union all
    select cast(submitted_at as date) from {{ ref('stg_marketing__survey_responses') }}
    union all
    select cast(occurred_at as date) from {{ ref('stg_marketing__email_events') }}
    union all
    select spend_date from {{ ref('stg_marketing__ad_spend') }}
    union all
    select cast(starts_at as date) from {{ ref('stg_marketing__campaigns') }}
    union all
    select cast(ends_at as date) from {{ ref('stg_marketing__campaigns') }}

),

bounds as (

    select
        cast({{ dbt.date_trunc('year', 'coalesce(min(d), current_date)') }} as date) as start_date,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('year', 2, dbt.date_trunc('year', 'coalesce(max(d), current_date)'))) }}
            as date) as end_date
    from data_dates

),

spine as (

    {{ date_spine('(select start_date from bounds)', '(select end_date from bounds)') }}

),

final as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as year_number,
        cast(extract(quarter from date_day) as integer) as quarter_of_year,
        cast(extract(month from date_day) as integer) as month_of_year,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(doy from date_day) as integer) as day_of_year,
        cast(extract(isodow from date_day) as integer) as day_of_week,
        strftime(date_day, '%A') as day_name,
        strftime(date_day, '%B') as month_name,
        cast(extract(week from date_day) as integer) as iso_week_of_year,
        cast(extract(isoyear from date_day) as integer) as iso_year,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end,
        strftime(date_day, '%Y-%m') as year_month,
        cast(extract(year from date_day) as varchar) || '-Q'
            || cast(extract(quarter from date_day) as varchar) as year_quarter,
        extract(isodow from date_day) in (6, 7) as is_weekend,
        date_day = cast({{ dbt.last_day('date_day', 'month') }} as date) as is_month_end
    from spine

)

select * from final
