{#-
  Source category lists of the channel grouping (GA4 keeps its own internal lists; these are
  the common entries). A source matches when it equals an entry (lower-case), also after
  dropping a leading `m.`/`l.`/`lm.`/`mobile.` label; referrer hosts arrive without `www.`.
  Extend with the var `channel_extra_sites: {search: [...], social: [...], video: [...],
  shopping: [...]}`, or override the macro in your project.
-#}
{% macro channel_search_sites() -%}
    {{ return([
        'google', 'google.com', 'google.co.uk', 'google.de', 'google.fr', 'google.es', 'google.it',
        'google.nl', 'google.ca', 'google.com.au', 'google.co.in', 'google.com.br', 'google.co.jp',
        'bing', 'bing.com', 'cn.bing.com', 'yahoo', 'yahoo.com', 'search.yahoo.com',
        'duckduckgo', 'duckduckgo.com', 'ecosia', 'ecosia.org', 'baidu', 'baidu.com',
        'yandex', 'yandex.ru', 'yandex.com', 'naver', 'naver.com', 'search.naver.com',
        'ask', 'ask.com', 'aol', 'search.aol.com', 'startpage', 'startpage.com', 'qwant',
        'qwant.com', 'seznam', 'seznam.cz', 'search.brave.com', 'brave', 'so.com', 'sogou',
        'sogou.com', 'daum', 'daum.net', 'yandex.by', 'ya.ru', 'msn', 'msn.com',
    ] + var('channel_extra_sites', {}).get('search', [])) }}
{%- endmacro %}


{% macro channel_social_sites() -%}
    {{ return([
        'facebook', 'facebook.com', 'fb', 'fb.com', 'meta', 'instagram', 'instagram.com',
        'ig', 'linkedin', 'linkedin.com', 'lnkd.in', 'twitter', 'twitter.com', 't.co', 'x',
        'x.com', 'pinterest', 'pinterest.com', 'pin.it', 'reddit', 'reddit.com', 'tiktok',
        'tiktok.com', 'snapchat', 'snapchat.com', 'threads', 'threads.net', 'tumblr',
        'tumblr.com', 'quora', 'quora.com', 'whatsapp', 'whatsapp.com', 'telegram', 't.me',
        'vk', 'vk.com', 'weibo', 'weibo.com', 'mastodon', 'mastodon.social', 'bsky.app',
        'bluesky', 'messenger', 'messenger.com', 'discord', 'discord.com', 'xing', 'xing.com',
    ] + var('channel_extra_sites', {}).get('social', [])) }}
{%- endmacro %}


{% macro channel_video_sites() -%}
    {{ return([
        'youtube', 'youtube.com', 'youtu.be', 'vimeo', 'vimeo.com', 'twitch', 'twitch.tv',
        'dailymotion', 'dailymotion.com', 'wistia', 'wistia.com', 'netflix', 'netflix.com',
    ] + var('channel_extra_sites', {}).get('video', [])) }}
{%- endmacro %}


{% macro channel_shopping_sites() -%}
    {{ return([
        'amazon', 'amazon.com', 'amazon.de', 'amazon.co.uk', 'ebay', 'ebay.com', 'ebay.de',
        'etsy', 'etsy.com', 'shopping.google.com', 'google shopping', 'walmart', 'walmart.com',
        'aliexpress', 'aliexpress.com', 'idealo', 'idealo.de', 'shopify', 'shop.app',
        'zalando', 'zalando.de', 'rakuten', 'rakuten.com', 'target.com', 'bestbuy.com',
    ] + var('channel_extra_sites', {}).get('shopping', [])) }}
{%- endmacro %}


{#-
  The channel groups: (channel_group, channel_category, is_paid, description). The values of
  dim_channels and of every channel_group column's accepted_values test.
-#}
{% macro channel_groups() -%}
    {{ return([
        ('Direct', 'direct', false, 'No campaign tags and no external referrer (typed URL, bookmark, internal link).'),
        ('Cross-network', 'cross_network', true, 'Campaign name contains "cross-network" (ads across several Google networks, e.g. Performance Max).'),
        ('Paid Shopping', 'shopping', true, 'Paid medium from a shopping site or a shopping campaign.'),
        ('Paid Search', 'search', true, 'Paid medium (cpc, ppc, retargeting, paid*) from a search engine.'),
        ('Paid Social', 'social', true, 'Paid medium from a social network.'),
        ('Paid Video', 'video', true, 'Paid medium from a video site.'),
        ('Display', 'display', true, 'Medium display, banner, expandable, interstitial or cpm.'),
        ('Paid Other', 'other', true, 'Paid medium from a source in no category list.'),
        ('Organic Shopping', 'shopping', false, 'Unpaid traffic from a shopping site or a shopping campaign.'),
        ('Organic Social', 'social', false, 'Unpaid traffic from a social network, or a social medium.'),
        ('Organic Video', 'video', false, 'Unpaid traffic from a video site, or a medium containing "video".'),
        ('Organic Search', 'search', false, 'Unpaid traffic from a search engine, or medium organic.'),
        ('Email', 'email', false, 'Source or medium email (e-mail, e_mail, e mail).'),
        ('Affiliates', 'affiliate', false, 'Medium affiliate.'),
        ('Referral', 'referral', false, 'Medium referral, app or link, or a link from another site without campaign tags.'),
        ('Audio', 'audio', false, 'Medium audio.'),
        ('SMS', 'sms', false, 'Source or medium sms.'),
        ('Mobile Push Notifications', 'push', false, 'Medium ending in "push" or containing "mobile" or "notification", or source firebase.'),
        ('Unassigned', 'unassigned', false, 'Tagged traffic that matches no rule (fix the UTM tags).'),
    ]) }}
{%- endmacro %}


{#- Just the names, for accepted_values tests. -#}
{% macro channel_group_names() -%}
    {%- set names = [] -%}
    {%- for g in channel_groups() %}{% do names.append(g[0]) %}{% endfor -%}
    {{ return(names) }}
{%- endmacro %}


{#- Order event names (lower-case) that make a session converted: has_order. -#}
{% macro order_event_names() -%}
    {{ return(var('web_order_event_names', ['order completed', 'purchase'])) }}
{%- endmacro %}
