{#-
  No dedupe window here, on purpose: raw_web.events is loaded by dlt with `merge` on
  message_id, so the raw table already holds one row per message_id. A row_number() window
  over ~100M events would force a full sort on every query of this view (and of everything
  built on it) to remove duplicates that cannot exist. The `unique` test on event_id proves it
  on every build; if it ever fails, the loader changed and a dedupe belongs here again.
-#}
with

source as (

    select * from {{ source('web', 'events') }}

),

renamed as (

    select
        ----------  ids
        trim(message_id) as event_id,
        {{ clean_identifier('anonymous_id') }} as anonymous_id,
        {{ clean_identifier('user_id') }} as app_user_id,
        {{ normalize_email('traits_email') }} as email,

        ---------- event
        {{ accepted_or_other('type', ['page', 'track', 'identify']) }} as event_type,
        {{ clean_text('event') }} as event_name,

        ---------- page and referrer
        {{ clean_text('page_path') }} as page_path,
        {{ clean_text('page_url') }} as page_url,
        {{ clean_text('page_referrer') }} as referrer,
        {{ clean_text('page_title') }} as page_title,

        ---------- campaign (UTM, lower-cased for matching against campaigns)
        lower({{ clean_text('utm_source') }}) as utm_source,
        lower({{ clean_text('utm_medium') }}) as utm_medium,
        lower({{ clean_text('utm_campaign') }}) as utm_campaign,
        lower({{ clean_text('utm_term') }}) as utm_term,
        lower({{ clean_text('utm_content') }}) as utm_content,

        ---------- device
        {{ clean_text('user_agent') }} as user_agent,
        {{ accepted_or_other('device_type', ['desktop', 'mobile', 'tablet']) }} as device_type,

        ---------- properties
        {{ clean_identifier('product_id') }} as product_id,
        {{ clean_identifier('order_id') }} as order_id,
        {{ clean_identifier('experiment_id') }} as experiment_id,
        {{ accepted_or_other('variant', ['control', 'treatment'], none) }} as variant,
        revenue,
        cast(properties as json) as properties,

        ---------- timestamps
        {{ adapter.quote('timestamp') }} as occurred_at,
        sent_at,
        received_at,

        ---------- lineage
        source_file,
        _dlt_load_id,
        {{ dlt_loaded_at() }} as _loaded_at

    from source

)

select * from renamed
