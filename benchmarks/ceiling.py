"""The ceiling: hand-written DuckDB SQL computing the warehouse's key results straight from the
raw tables, no dbt, no staging views, no tests. The benchmark compares dbt against it.

    run_ceiling(warehouse, out_db)            # every step, returns seconds per step
    run_ceiling(warehouse, out_db, ["identity_records", ...])

Named steps in dependency order (STEPS), each a function of a DuckDB connection in which the
raw warehouse is attached read-only as `wh` and results are tables of the ceiling's own file:

- identity_records / identity_nodes / identity_edges / identity_components /
  identity_identifiers: the same identifier graph as int_identity__* (same records, staging
  dedupe and junk lists, same anchor order), connected components by min-label propagation
  with pointer jumping; `identifiers` has the same columns and customer_id as
  int_identity__identifiers.
- web_sessions: fct_web_sessions, every column but the channel grouping (traffic_source,
  traffic_medium, channel_group): 30-minute sessions per device, landing and exit page,
  the first event's referrer and UTM, device, orders and revenue, bounce, experiment, the
  customer and the campaign. The same rows and values as dbt's (tests/benchmarks).

- touchpoints: sessions, email events, orders, tickets and survey answers of resolved
  customers, one row each (the rows of fct_touchpoints, fewer columns).
- customer_360: one row per customer with first touch, orders, revenue, AOV, sessions, email
  engagement and tickets: 11 of dbt's ~75 columns. Two are simpler than dbt's:
  `emails_opened` counts opens (dbt: distinct campaigns opened) and `last_seen_at` is the
  latest touchpoint (dbt: also session ends and CSAT answers).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import yaml

PROJECT_YML = Path(__file__).resolve().parents[1] / "dbt_project" / "dbt_project.yml"
TYPES = ("crm_contact_id", "support_user_id", "marketing_profile_id", "app_user_id", "email",
         "anonymous_id")
SESSION_TIMEOUT_MINUTES = 30
MAX_ROUNDS = 200


def _literals(values: Sequence[object]) -> str:
    return "(" + ", ".join("'" + str(v).lower().replace("'", "''") + "'" for v in values) + ")"


def _vars() -> dict:
    return yaml.safe_load(PROJECT_YML.read_text())["vars"]


def clean_id(col: str) -> str:
    junk = _literals(_vars()["identity_junk_values"])
    return (f"(case when lower(trim(cast({col} as varchar))) in {junk} then null "
            f"else trim(cast({col} as varchar)) end)")


def clean_email(col: str) -> str:
    v = f"lower(trim(cast({col} as varchar)))"
    junk, junk_emails = _literals(_vars()["identity_junk_values"]), _literals(
        _vars()["identity_junk_emails"])
    return (f"(case when {v} in {junk} or {v} in {junk_emails} then null "
            rf"when regexp_full_match({v}, '[^@\s]+@[^@\s]+\.[^@\s.]+') then {v} end)")


LOADED = "to_timestamp(cast(_dlt_load_id as double))"


def _latest(table: str, key: str, order: str) -> str:
    return (f"select * from {table} qualify row_number() over "
            f"(partition by {key} order by {order}) = 1")


def identity_records(con: duckdb.DuckDBPyConnection) -> None:
    """Every identity-bearing record of every source (latest version per key), one row each,
    one column per identifier type."""
    upd = f"updated_at desc nulls last, {LOADED} desc"
    con.execute(f"""
    create or replace table records as
    with
    contacts as ({_latest('wh.raw_crm.contacts', 'trim(id)', upd)}),
    orders as ({_latest('wh.raw_crm.orders', 'trim(id)', upd)}),
    users as ({_latest('wh.raw_support.users', 'id', upd)}),
    tickets as ({_latest('wh.raw_support.tickets', 'id', upd)}),
    profiles as ({_latest('wh.raw_marketing.profiles', 'trim(id)',
                          f'updated desc nulls last, {LOADED} desc')}),
    surveys as ({_latest('wh.raw_marketing.survey_responses', 'trim(response_id)',
                         f'{LOADED} desc')}),
    redemptions as ({_latest('wh.raw_marketing.coupon_redemptions', 'trim(id)',
                             f'updated desc nulls last, {LOADED} desc')}),
    assignments as ({_latest('wh.raw_marketing.experiment_assignments',
                             'trim(experiment_id), trim(anonymous_id)', f'{LOADED} desc')}),
    web as (
        select {clean_id('anonymous_id')} as anonymous_id, {clean_id('user_id')} as app_user_id,
               {clean_email('traits_email')} as email, min("timestamp") as seen_at
        from wh.raw_web.events
        group by all
    ),
    unioned as (
        select coalesce(created_at, updated_at, {LOADED}) as seen_at, trim(id) as crm_contact_id,
               null as support_user_id, null as marketing_profile_id,
               app_user_id, email, null as anonymous_id
        from contacts
        union all
        select coalesce(created_at, updated_at, {LOADED}), external_id, cast(id as varchar),
               null, null, email, null
        from users where coalesce(lower(trim(role)), 'end-user') = 'end-user'
        union all
        select coalesce(created, updated, {LOADED}), null, null, trim(id), external_id, email,
               null
        from profiles
        union all
        select s.submitted_at, s.contact_id, cast(t.requester_id as varchar), null, null,
               s.email, null
        from surveys s left join tickets t on t.id = s.ticket_id
        union all
        select r.redeemed_at, {clean_id('o.contact_id')}, null, r.profile_id, null, r.email, null
        from redemptions r left join orders o on trim(o.id) = {clean_id('r.order_id')}
        union all
        select assigned_at, null, null, null, user_id, null, anonymous_id from assignments
        union all
        select seen_at, null, null, null, app_user_id, email, anonymous_id from web
    )
    select row_number() over () as record_id, seen_at,
           {', '.join(f"{clean_email(t) if t == 'email' else clean_id(t)} as {t}"
                      for t in TYPES)}
    from unioned
    where coalesce({', '.join(TYPES)}) is not null
    """)


def identity_nodes(con: duckdb.DuckDBPyConnection) -> None:
    """Distinct identifiers; node_id in anchor order (first seen, type rank, value)."""
    con.execute(f"""
    create or replace table observations as
    {' union all '.join(
        f"select record_id, seen_at, '{t}' as identifier_type, {t} as identifier_value, "
        f"{i + 1} as type_rank from records where {t} is not null"
        for i, t in enumerate(TYPES))}
    """)
    con.execute("""
    create or replace table nodes as
    select row_number() over (order by min(seen_at), type_rank, identifier_value) as node_id,
           identifier_type, identifier_value
    from observations group by identifier_type, identifier_value, type_rank
    """)


def identity_edges(con: duckdb.DuckDBPyConnection) -> None:
    """Each record's identifiers linked as a star around its smallest node."""
    con.execute("""
    create or replace table edges as
    with rn as (
        select o.record_id, n.node_id from observations o
        join nodes n using (identifier_type, identifier_value)
    ), hubs as (select record_id, min(node_id) as hub from rn group by record_id)
    select distinct h.hub as a, rn.node_id as b
    from rn join hubs h using (record_id) where rn.node_id <> h.hub
    """)


def identity_components(con: duckdb.DuckDBPyConnection) -> None:
    """Connected components: every node takes the smallest label among itself and its
    neighbours, then jumps to its label's label; repeat until nothing changes."""
    con.execute("create or replace temp table both_ways as "
                "select a, b from edges union all select b, a from edges")
    con.execute("create or replace table components as "
                "select node_id, node_id as label from nodes")
    for _ in range(MAX_ROUNDS):
        con.execute("""
        create or replace temp table hooked as
        select c.node_id, least(c.label, coalesce(m.label, c.label)) as label
        from components c
        left join (select w.a as node_id, min(c.label) as label
                   from both_ways w join components c on c.node_id = w.b group by w.a) m
            using (node_id)
        """)
        con.execute("""
        create or replace temp table jumped as
        select h.node_id, least(h.label, p.label) as label
        from hooked h join hooked p on p.node_id = h.label
        """)
        changed = con.sql("select count(*) from jumped j join components c using (node_id) "
                          "where j.label <> c.label").fetchall()[0][0]
        con.execute("create or replace table components as select * from jumped")
        if changed == 0:
            return
    raise RuntimeError(f"components did not converge in {MAX_ROUNDS} rounds")


def identity_identifiers(con: duckdb.DuckDBPyConnection) -> None:
    """identifier -> customer_id = md5('<type>:<value>') of the component's anchor."""
    con.execute("""
    create or replace table identifiers as
    select n.identifier_type, n.identifier_value,
           md5(a.identifier_type || ':' || a.identifier_value) as customer_id, n.node_id
    from nodes n join components c using (node_id) join nodes a on a.node_id = c.label
    """)


def _accepted(col: str, values: Sequence[str], other: str | None = "other") -> str:
    v = f"lower(trim(cast({col} as varchar)))"
    return (f"(case when {v} is null or {v} = '' then null when {v} in {_literals(values)} "
            f"then {v} else {v if other is None else repr(other)} end)")


def _text(col: str) -> str:
    return f"nullif(trim(cast({col} as varchar)), '')"


def web_sessions(con: duckdb.DuckDBPyConnection) -> None:
    """fct_web_sessions without the channel grouping: a device's events (anonymous_id, else
    app_user_id) with gaps of at most SESSION_TIMEOUT_MINUTES, ordered by time and event id;
    pages, first event's referrer and UTM, first device type and experiment, last user id,
    orders (one per order id) and revenue, the customer of the device (else of the user id)
    and the campaign its utm_campaign names."""
    names = _literals(_vars()["web_order_event_names"])
    con.execute(f"""
    create or replace table sessions as
    with ev as (
        select * from (
            select trim(message_id) as event_id, {clean_id('anonymous_id')} as anonymous_id,
                   {clean_id('user_id')} as app_user_id, "timestamp" as ts,
                   {_accepted('type', ['page', 'track', 'identify'])} = 'page' as is_page,
                   page_path, page_referrer, utm_source, utm_medium, utm_campaign,
                   utm_content, utm_term,
                   {_accepted('device_type', ['desktop', 'mobile', 'tablet'])} as device_type,
                   lower({_text('event')}) in {names} as is_order,
                   {clean_id('order_id')} as order_id, revenue,
                   {clean_id('experiment_id')} as experiment_id,
                   {_accepted('variant', ['control', 'treatment'], None)} as variant
            from wh.raw_web.events)
        where anonymous_id is not null or app_user_id is not null
    ),
    keyed as not materialized (  -- each use reads only the columns it needs
        select *, coalesce('anonymous_id:' || anonymous_id, 'app_user_id:' || app_user_id)
                  as device_key
        from ev
    ),
    marked as (
        select device_key, event_id, ts, is_page, anonymous_id, app_user_id, device_type,
               experiment_id, variant, is_order,
               case when is_page then coalesce({_text('page_path')}, '') end as page,
               row_number() over w as rank,
               coalesce(ts > lag(ts) over w + interval {SESSION_TIMEOUT_MINUTES} minutes,
                        true)::int as is_new
        from keyed window w as (partition by device_key order by ts, event_id)
    ),
    numbered as (
        select *, sum(is_new) over (partition by device_key order by rank
                                    rows unbounded preceding) as n
        from marked
    ),
    grouped as (
        select device_key, n, arg_min(event_id, rank) as first_event_id,
               arg_max(event_id, rank) as last_event_id, min(ts) as started_at,
               max(ts) as ended_at, count(*) as events, count(*) filter (where is_page) as pages,
               arg_min(page, rank) as landing, arg_max(page, rank) as exit,
               arg_min(device_type, rank) as device_type,
               arg_max(app_user_id, rank) as app_user_id,
               arg_min(experiment_id, rank) as experiment_id,
               arg_min(variant, rank) filter (where experiment_id is not null) as variant
        from numbered group by device_key, n
    ),
    orders as (  -- one row per order: an order tracked twice counts once
        select device_key, n, count(*) as orders, sum(r) as revenue from (
            select g.device_key, g.n, max(o.revenue) as r
            from keyed o join grouped g
                on g.device_key = o.device_key and o.ts between g.started_at and g.ended_at
            where o.is_order group by g.device_key, g.n, coalesce(o.order_id, o.event_id))
        group by all
    ),
    ids as (select identifier_type, identifier_value, customer_id from identifiers
            where identifier_type in ('anonymous_id', 'app_user_id')),
    campaigns as (
        select utm_campaign, min(campaign_id) as campaign_id from (
            select trim(id) as campaign_id, lower({_text('utm_campaign')}) as utm_campaign
            from ({_latest('wh.raw_marketing.campaigns', 'trim(id)',
                           f'updated desc nulls last, {LOADED} desc')}))
        where utm_campaign is not null group by all
    )
    select md5(g.device_key || '-' || g.first_event_id) as session_id,
           coalesce(d.customer_id, u.customer_id) as customer_id, g.device_key,
           f.anonymous_id, g.app_user_id, g.started_at as session_start_at,
           g.ended_at as session_end_at, g.started_at::date as session_date,
           date_diff('second', g.started_at, g.ended_at) as duration_seconds,
           g.events as event_count, g.pages as page_view_count,
           nullif(g.landing, '') as landing_page_path, nullif(g.exit, '') as exit_page_path,
           {_text('f.page_referrer')} as referrer,
           {', '.join(f"lower({_text('f.' + c)}) as {c}" for c in (
               'utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'))},
           c.campaign_id, g.device_type, coalesce(o.orders, 0) > 0 as has_order,
           coalesce(o.orders, 0) > 0 as is_converted,
           coalesce(o.orders, 0) as order_count, coalesce(o.revenue, 0) as revenue,
           g.events = 1 and g.pages = 1 as is_bounce, g.experiment_id, g.variant,
           g.first_event_id, g.last_event_id
    from grouped g
    join keyed f on f.event_id = g.first_event_id
    left join orders o on o.device_key = g.device_key and o.n = g.n
    left join ids d on d.identifier_type = 'anonymous_id' and d.identifier_value = f.anonymous_id
    left join ids u on u.identifier_type = 'app_user_id' and u.identifier_value = g.app_user_id
    left join campaigns c on c.utm_campaign = lower({_text('f.utm_campaign')})
    """)


def touchpoints(con: duckdb.DuckDBPyConnection) -> None:
    """Every interaction of a resolved customer: sessions, email events, orders, tickets,
    survey answers (latest version of each record), with the customer from `identifiers`."""
    upd = f"updated_at desc nulls last, {LOADED} desc"
    con.execute(f"""
    create or replace table touchpoints as
    with ids as (select * from identifiers),
    by_profile as (select identifier_value as k, customer_id from ids
                   where identifier_type = 'marketing_profile_id'),
    by_contact as (select identifier_value as k, customer_id from ids
                   where identifier_type = 'crm_contact_id'),
    by_support as (select identifier_value as k, customer_id from ids
                   where identifier_type = 'support_user_id'),
    by_email as (select identifier_value as k, customer_id from ids
                 where identifier_type = 'email'),
    orders as (select *, {clean_id('contact_id')} as k
               from ({_latest('wh.raw_crm.orders', 'trim(id)', upd)})),
    emails as (select *, {clean_id('profile_id')} as k
               from ({_latest('wh.raw_marketing.email_events', 'trim(id)',
                              f'updated desc nulls last, {LOADED} desc')})),
    tickets as (select *, cast(requester_id as varchar) as k
                from ({_latest('wh.raw_support.tickets', 'id', upd)})),
    surveys as (select *, {clean_id('contact_id')} as k
                from ({_latest('wh.raw_marketing.survey_responses', 'trim(response_id)',
                               f'{LOADED} desc')})),
    unioned as (
        select customer_id, session_start_at as occurred_at, 'web_session' as kind,
               null::double as revenue
        from sessions where customer_id is not null
        union all
        select i.customer_id, e.datetime, 'email_' || lower(trim(e.event_type)), null
        from emails e join by_profile i using (k)
        union all
        select i.customer_id, coalesce(o.hs_external_created_date, o.created_at), 'order',
               o.hs_total_price
        from orders o join by_contact i using (k)
        where not coalesce(o.archived, false)
        union all
        select i.customer_id, t.created_at, 'support_ticket', null
        from tickets t join by_support i using (k)
        union all
        -- the contact's customer, else the email's, else the surveyed ticket's requester's
        select coalesce(c.customer_id, m.customer_id, r.customer_id), s.submitted_at,
               'survey_' || lower(trim(s.survey)), null
        from surveys s
        left join by_contact c on c.k = s.k
        left join by_email m on m.k = {clean_email('s.email')}
        left join tickets t on t.id = s.ticket_id
        left join by_support r on r.k = t.k
        where coalesce(c.customer_id, m.customer_id, r.customer_id) is not null
    )
    select * from unioned
    """)


def customer_360(con: duckdb.DuckDBPyConnection) -> None:
    """One row per customer: first touch, orders, revenue, AOV, sessions, email engagement,
    tickets and latest answers, from `touchpoints`."""
    con.execute("""
    create or replace table customer_360 as
    with customers as (select distinct customer_id from identifiers),
    agg as (
        select customer_id,
               min(occurred_at) as first_touch_at,
               arg_min(kind, occurred_at) as first_touch_type,
               count(*) filter (where kind = 'order') as order_count,
               coalesce(sum(revenue), 0) as total_revenue,
               sum(revenue) / nullif(count(*) filter (where kind = 'order'), 0) as aov,
               max(occurred_at) filter (where kind = 'order') as last_order_at,
               count(*) filter (where kind = 'web_session') as session_count,
               count(*) filter (where kind = 'email_sent') as emails_sent,
               count(*) filter (where kind = 'email_opened') as emails_opened,
               count(*) filter (where kind = 'support_ticket') as ticket_count,
               max(occurred_at) as last_seen_at
        from touchpoints group by customer_id
    )
    select * from customers left join agg using (customer_id)
    """)


STEPS: dict[str, Callable[[duckdb.DuckDBPyConnection], None]] = {
    "identity_records": identity_records,
    "identity_nodes": identity_nodes,
    "identity_edges": identity_edges,
    "identity_components": identity_components,
    "identity_identifiers": identity_identifiers,
    "web_sessions": web_sessions,
    "touchpoints": touchpoints,
    "customer_360": customer_360,
}
IDENTITY_STEPS = [s for s in STEPS if s.startswith("identity_")]
RESULT_TABLES = {"identity_identifiers": "identifiers", "web_sessions": "sessions",
                 "identity_nodes": "nodes", "identity_edges": "edges",
                 "identity_records": "records", "identity_components": "components",
                 "touchpoints": "touchpoints", "customer_360": "customer_360"}


def run_ceiling(warehouse: Path, out_db: Path, steps: Sequence[str] | None = None,
                threads: int | None = None) -> dict[str, float]:
    """Run the steps (all by default) in order; seconds per step."""
    out_db.unlink(missing_ok=True)
    seconds: dict[str, float] = {}
    with duckdb.connect(str(out_db)) as con:
        if threads:
            con.execute(f"set threads = {threads}")
        con.execute("set preserve_insertion_order = false")
        con.execute("set TimeZone = 'UTC'")  # as the dbt profile: session_date in UTC
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        for name in steps or list(STEPS):
            started = time.perf_counter()
            STEPS[name](con)
            seconds[name] = time.perf_counter() - started
    return seconds
