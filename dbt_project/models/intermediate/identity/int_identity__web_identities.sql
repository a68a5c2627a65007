{{
    config(
        materialized='incremental',
        unique_key='web_identity_key',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
{#-
  The distinct (anonymous_id, app user id, traits email) combinations of the web events, with
  the first time each was seen: the web part of int_identity__records, kept here so a run
  reads only the events loaded since the last one instead of all of them
  (docs/decisions.md, 2026-12-02).

  Incremental: events whose `_loaded_at` is later than the latest `last_loaded_at` stored,
  minus `session_lookback_hours` (the same allowance for loads committed out of order as
  int_web__sessions), are grouped again; a combination already stored keeps the earlier
  seen_at and the later last_loaded_at of the two. Re-reading an event is harmless (min and
  max), so the result equals a full refresh.
-#}
with

events as (

    select
        anonymous_id,
        app_user_id,
        email,
        occurred_at,
        _loaded_at
    from {{ ref('stg_web__events') }}
    where (anonymous_id is not null or app_user_id is not null or email is not null)
    {%- if is_incremental() %}
        -- loaded since the last run (macros/incremental_high_water.sql)
        and {{ incremental_new_loads() }}
    {%- endif %}

),

combinations as (

    select
        -- a key for the combination, nulls included (a unique key cannot hold nulls)
        {{ surrogate_key(['anonymous_id', 'app_user_id', 'email']) }} as web_identity_key,
        anonymous_id,
        app_user_id,
        email,
        min(occurred_at) as seen_at,
        max(_loaded_at) as last_loaded_at
    from events
    group by anonymous_id, app_user_id, email

)

{% if is_incremental() %}

select
    combinations.web_identity_key,
    combinations.anonymous_id,
    combinations.app_user_id,
    combinations.email,
    least(combinations.seen_at, coalesce(stored.seen_at, combinations.seen_at)) as seen_at,
    greatest(combinations.last_loaded_at, coalesce(stored.last_loaded_at, combinations.last_loaded_at))
        as last_loaded_at
from combinations
left join {{ this }} as stored
    on stored.web_identity_key = combinations.web_identity_key

{% else %}

select * from combinations

{% endif %}
