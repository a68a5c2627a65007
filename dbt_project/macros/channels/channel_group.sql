{#-
  GA4-style default channel grouping (https://support.google.com/analytics/answer/9756891).

  channel_group(utm_source, utm_medium, utm_campaign, referrer) -> one of the names in
  channel_groups(). Arguments are SQL expressions (column names). Case-insensitive.

  Traffic source and medium are derived the way GA4 does for a session's first event:
    - referrer host = host of `referrer`, lower-case, without `www.`; a host listed in the var
      `channel_internal_domains` (or a subdomain of one) counts as no referrer;
    - source = utm_source, else the referrer host, else '(direct)';
    - medium = utm_medium; else, when utm_source is missing and there is an external
      referrer: 'organic' for a search engine, 'referral' for any other site; else '(none)'
      when there is neither utm_source nor a referrer, '(not set)' otherwise.
  The rules are then evaluated in Google's published order, first match wins (see
  channel_group_rules). Source category lists are the macros channel_search_sites(),
  channel_social_sites(), channel_video_sites(), channel_shopping_sites(); extend them with
  the var `channel_extra_sites` ({search: [...], social: [...], video: [...], shopping: [...]})
  or override a macro in your project.
-#}
{% macro channel_group(utm_source, utm_medium, utm_campaign, referrer) -%}
    {{ channel_group_rules(
        channel_source(utm_source, referrer),
        channel_medium(utm_source, utm_medium, referrer),
        "lower(" ~ utm_campaign ~ ")") }}
{%- endmacro %}


{#- Host of a referrer URL: lower-case, without scheme, `www.`, port, path; null if none. -#}
{% macro channel_referrer_host(referrer) -%}
    nullif(
        regexp_extract(
            lower(trim(cast({{ referrer }} as {{ dbt.type_string() }}))),
            '^(?:[a-z][a-z0-9+.-]*:)?//(?:[^@/?#]*@)?(?:www\.)?([^/:?#]+)', 1),
        '')
{%- endmacro %}


{#- The referrer host, or null when there is none or it is internal (channel_internal_domains). -#}
{% macro channel_external_referrer_host(referrer) -%}
    {%- set host = channel_referrer_host(referrer) -%}
    {%- set internal = var('channel_internal_domains', []) -%}
    {%- if internal | length == 0 -%}
    {{ host }}
    {%- else -%}
    case
        {%- for d in internal %}
        {%- set d = d | lower | replace("'", "''") %}
        {%- set d = d[4:] if d.startswith('www.') else d %}
        when {{ host }} = '{{ d }}' or {{ host }} like '%.{{ d }}' then null
        {%- endfor %}
        else {{ host }}
    end
    {%- endif -%}
{%- endmacro %}


{#- Session source (GA4 "source"): utm_source, else the external referrer host, else '(direct)'. -#}
{% macro channel_source(utm_source, referrer) -%}
    coalesce(
        lower(nullif(trim(cast({{ utm_source }} as {{ dbt.type_string() }})), '')),
        {{ channel_external_referrer_host(referrer) }},
        '(direct)')
{%- endmacro %}


{#- Session medium (GA4 "medium"), see channel_group for the derivation. -#}
{% macro channel_medium(utm_source, utm_medium, referrer) -%}
    {%- set src = "nullif(trim(cast(" ~ utm_source ~ " as " ~ dbt.type_string() ~ ")), '')" -%}
    {%- set host = channel_external_referrer_host(referrer) -%}
    coalesce(
        lower(nullif(trim(cast({{ utm_medium }} as {{ dbt.type_string() }})), '')),
        case
            when {{ src }} is null and {{ host }} is not null then
                case when {{ channel_in_sites(host, channel_search_sites()) }} then 'organic' else 'referral' end
            when {{ src }} is null then '(none)'
            else '(not set)'
        end)
{%- endmacro %}


{#-
  True when a source (lower-case) is in a site list: exactly, or after dropping one leading
  `m.`, `l.`, `lm.` or `mobile.` label (l.instagram.com, m.facebook.com, ...).
-#}
{% macro channel_in_sites(source, sites) -%}
    {%- set quoted = [] -%}
    {%- for s in sites %}{% do quoted.append("'" ~ (s | lower | replace("'", "''")) ~ "'") %}{% endfor -%}
    ({{ source }} in ({{ quoted | join(', ') }})
        or regexp_replace({{ source }}, '^(m|l|lm|mobile)\.', '') in ({{ quoted | join(', ') }}))
{%- endmacro %}


{#-
  The GA4 rules on a derived (source, medium, campaign), all lower-case, in Google's order:
  Direct, Cross-network, Paid Shopping, Paid Search, Paid Social, Paid Video, Display,
  Paid Other, Organic Shopping, Organic Social, Organic Video, Organic Search, Email,
  Affiliates, Referral, Audio, SMS, Mobile Push Notifications, else Unassigned.
-#}
{% macro channel_group_rules(source, medium, campaign) -%}
    {%- set paid = "regexp_matches(" ~ medium ~ ", '^(.*cp.*|ppc|retargeting|paid.*)$')" -%}
    {%- set shop_campaign = "coalesce(regexp_matches(" ~ campaign ~ ", '^(.*(([^a-df-z]|^)shop|shopping).*)$'), false)" -%}
    {%- set search = channel_in_sites(source, channel_search_sites()) -%}
    {%- set social = channel_in_sites(source, channel_social_sites()) -%}
    {%- set video = channel_in_sites(source, channel_video_sites()) -%}
    {%- set shopping = channel_in_sites(source, channel_shopping_sites()) -%}
    case
        when {{ source }} = '(direct)' and {{ medium }} in ('(not set)', '(none)') then 'Direct'
        when coalesce({{ campaign }} like '%cross-network%', false) then 'Cross-network'
        when ({{ shopping }} or {{ shop_campaign }}) and {{ paid }} then 'Paid Shopping'
        when {{ search }} and {{ paid }} then 'Paid Search'
        when {{ social }} and {{ paid }} then 'Paid Social'
        when {{ video }} and {{ paid }} then 'Paid Video'
        when {{ medium }} in ('display', 'banner', 'expandable', 'interstitial', 'cpm') then 'Display'
        when {{ paid }} then 'Paid Other'
        when {{ shopping }} or {{ shop_campaign }} then 'Organic Shopping'
        when {{ social }}
            or {{ medium }} in ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')
            then 'Organic Social'
        when {{ video }} or regexp_matches({{ medium }}, '^(.*video.*)$') then 'Organic Video'
        when {{ search }} or {{ medium }} = 'organic' then 'Organic Search'
        when {{ source }} in ('email', 'e-mail', 'e_mail', 'e mail')
            or {{ medium }} in ('email', 'e-mail', 'e_mail', 'e mail') then 'Email'
        when {{ medium }} = 'affiliate' then 'Affiliates'
        when {{ medium }} in ('referral', 'app', 'link') then 'Referral'
        when {{ medium }} = 'audio' then 'Audio'
        when {{ source }} = 'sms' or {{ medium }} = 'sms' then 'SMS'
        when {{ medium }} like '%push' or {{ medium }} like '%mobile%' or {{ medium }} like '%notification%'
            or {{ source }} = 'firebase' then 'Mobile Push Notifications'
        else 'Unassigned'
    end
{%- endmacro %}
