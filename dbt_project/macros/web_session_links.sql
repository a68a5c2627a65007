{#-
  The customer and the campaign of web sessions (docs/decisions.md, 2026-12-03, "Sessions
  carry their customer"): `select <carry>, customer_id, campaign_id from <sessions> as
  sessions`, where

  - customer_id comes from the identity mapping (int_identity__identifiers): by the session's
    anonymous_id, else by its app_user_id; null if neither resolves;
  - campaign_id is the campaign whose utm_campaign the session's names (if several share
    one, the smallest campaign_id).

  int_web__sessions computes both for the sessions it writes, and its post-hook
  (web_sessions_relink below) for the sessions it stored before, so identity merges and new
  campaigns reach old sessions without a rebuild.
-#}
{% macro web_session_links(sessions, carry) %}
    select
        {{ carry }},
        coalesce(by_device.customer_id, by_user.customer_id) as customer_id,
        campaigns.campaign_id
    from {{ sessions }} as sessions
    left join {{ ref('int_identity__identifiers') }} as by_device
        on by_device.identifier_type = 'anonymous_id'
        and by_device.identifier_value = sessions.anonymous_id
    left join {{ ref('int_identity__identifiers') }} as by_user
        on by_user.identifier_type = 'app_user_id'
        and by_user.identifier_value = sessions.app_user_id
    left join (
        select
            utm_campaign,
            min(campaign_id) as campaign_id
        from {{ ref('stg_marketing__campaigns') }}
        where utm_campaign is not null
        group by utm_campaign
    ) as campaigns
        on campaigns.utm_campaign = sessions.utm_campaign
{% endmacro %}


{#-
  Post-hook of int_web__sessions on incremental runs: the stored sessions whose customer or
  campaign is no longer what web_session_links gives (two customers merged, an identifier
  erased, a campaign added) get the current one. Only those rows are written. A full
  refresh computed every session's links as it wrote them and has nothing to do.
-#}
{% macro web_sessions_relink() %}
    {%- if is_incremental() -%}
    update {{ this }}
    set customer_id = linked.customer_id, campaign_id = linked.campaign_id
    from (
        {{ web_session_links(this, 'sessions.session_id, sessions.customer_id as stored_customer_id, '
                                   ~ 'sessions.campaign_id as stored_campaign_id') }}
    ) as linked
    where linked.session_id = {{ this }}.session_id
        and (linked.customer_id is distinct from linked.stored_customer_id
             or linked.campaign_id is distinct from linked.stored_campaign_id)
    {%- endif -%}
{% endmacro %}
