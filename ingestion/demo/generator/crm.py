"""CRM (HubSpot-shaped) tables cut at ``cfg.cut``: contacts, companies, deals (+ stage history),
orders, line items, products. Ids are numeric strings assigned in creation order over the whole
simulated horizon, so a later cut keeps every earlier id."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog as C
from ._util import DAY, HOUR, NEVER, SEC, join, num_str, sort_key, take, ts_arr, where
from .people import mess_emails
from .sim import World
from .tables import Identifiers, table

CONTACT_BASE = 10_000_000_000
COMPANY_BASE = 20_000_000_000
DEAL_BASE = 30_000_000_000
ORDER_BASE = 40_000_000_000
LINE_BASE = 50_000_000_000
PRODUCT_BASE = 60_000_000_000
OWNERS = np.array([str(70_100_000 + k) for k in range(1, 7)])
STAGES = ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]
DEAL_STAGES = ["appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
               "decisionmakerboughtin", "contractsent", "closedwon", "closedlost"]


def creation_rank(times: np.ndarray) -> np.ndarray:
    """Rank of each row by (time, row) among rows that happen (time < NEVER); -1 otherwise."""
    valid = times < NEVER
    idx = np.flatnonzero(valid)
    order = idx[np.argsort(times[idx], kind="stable")]
    rank = np.full(times.size, -1, np.int64)
    rank[order] = np.arange(order.size)
    return rank


@dataclass
class CrmKeys:
    """What other systems need from the CRM: contact ids per person, order ids per order."""
    contact_rank: np.ndarray  # per person, -1 = never a contact
    contact_id: pa.Array  # per person (null if none)
    order_id: pa.Array  # per order
    company_id: pa.Array  # per company
    deal_person: np.ndarray
    t_customer: np.ndarray  # per person: first order time


def build_crm(w: World, ids: Identifiers) -> tuple[dict[str, pa.Table], CrmKeys]:
    cfg, P, od = w.cfg, w.people, w.orders
    cut = cfg.cut
    rng = cfg.rng("crm")
    n = P.n
    out: dict[str, pa.Table] = {}

    # --- products ------------------------------------------------------------------------------
    n_prod = len(C.PRODUCTS)
    prod_id = num_str(PRODUCT_BASE + 1 + np.arange(n_prod))
    prod_created = np.full(n_prod, cfg.t_start - 90 * DAY) + np.arange(n_prod) * 60 * SEC
    out["crm.products"] = table("crm.products", {
        "id": prod_id, "created_at": ts_arr(prod_created), "updated_at": ts_arr(prod_created),
        "archived": np.zeros(n_prod, bool), "name": [p[1] for p in C.PRODUCTS],
        "hs_sku": C.PRODUCT_SKUS,
        "category": [p[0] for p in C.PRODUCTS], "price": [p[2] for p in C.PRODUCTS]})

    # --- companies -----------------------------------------------------------------------------
    comp = P.companies
    n_comp = len(comp["name"])
    member = P.company >= 0
    first_member = np.full(n_comp, NEVER, np.int64)
    np.minimum.at(first_member, P.company[member], w.t_su[member])
    last_member = np.full(n_comp, -1, np.int64)
    mcut = member & (w.t_su < cut)
    np.maximum.at(last_member, P.company[mcut], w.t_su[mcut])
    c_created = np.where(first_member < NEVER, first_member + SEC, NEVER)
    c_rank = creation_rank(c_created)
    company_id_all = take(num_str(COMPANY_BASE + 1 + np.maximum(c_rank, 0)),
                          np.where(c_rank >= 0, np.arange(n_comp), -1))
    cm = np.flatnonzero(c_created < cut)
    cm = cm[np.argsort(c_rank[cm])]
    out["crm.companies"] = table("crm.companies", {
        "id": company_id_all.take(pa.array(cm)), "created_at": ts_arr(c_created[cm]),
        "updated_at": ts_arr(np.maximum(c_created[cm], last_member[cm] + SEC)),
        "archived": np.zeros(cm.size, bool), "name": comp["name"].take(pa.array(cm)),
        "domain": comp["domain"].take(pa.array(cm)),
        "industry": take(C.INDUSTRIES, comp["industry"][cm]),
        "country": take(C.COUNTRIES, comp["country"][cm]),
        "numberofemployees": comp["employees"][cm], "annualrevenue": comp["revenue"][cm]})

    # --- contacts ----------------------------------------------------------------------------
    k_rank = creation_rank(w.t_su)
    contact_id_all = take(num_str(CONTACT_BASE + 1 + np.maximum(k_rank, 0)),
                          np.where(k_rank >= 0, np.arange(n), -1))
    t_cust = np.full(n, NEVER, np.int64)
    np.minimum.at(t_cust, od.person, w.o_time)

    # deals: half of the B2B contacts, a few weeks after signing up
    dp = np.flatnonzero(P.b2b & (w.t_su < NEVER) & (rng.random(n) < 0.5))
    d_created = w.t_su[dp] + 2 * DAY + rng.exponential(20 * DAY, dp.size).astype(np.int64)
    won = rng.random(dp.size) < 0.3
    lost_at = rng.integers(0, 5, dp.size)
    n_stages = np.where(won, 6, lost_at + 2)  # stages entered incl. the closing one
    step = (HOUR + rng.exponential(7 * DAY, (dp.size, 6))).astype(np.int64)
    step[:, 0] = 0
    t_stage = d_created[:, None] + np.cumsum(step, axis=1)
    stage_code = np.tile(np.arange(6), (dp.size, 1))
    closing = np.arange(6)[None, :] == (n_stages - 1)[:, None]
    stage_code = np.where(closing & ~won[:, None], 6, stage_code)
    entered = np.arange(6)[None, :] < n_stages[:, None]
    t_stage = np.where(entered, t_stage, NEVER)
    d_closed = t_stage[np.arange(dp.size), n_stages - 1]

    # lifecycle stage changes per person: (time, rank) for mql, sql, opportunity, customer
    mql = np.full(n, NEVER, np.int64)
    b2b = np.flatnonzero(P.b2b & (w.t_su < NEVER) & (rng.random(n) < 0.6))
    mql[b2b] = w.t_su[b2b] + HOUR + rng.exponential(7 * DAY, b2b.size).astype(np.int64)
    sql = np.full(n, NEVER, np.int64)
    opp = np.full(n, NEVER, np.int64)
    sql[dp] = np.maximum(d_created - 2 * HOUR, w.t_su[dp] + SEC)
    opp[dp] = d_created
    changes = np.stack([mql, sql, opp, t_cust], axis=1)  # ranks 1..4
    changes = np.where(changes < cut, changes, NEVER)
    ranks = np.arange(1, 5)
    stage = np.zeros(n, np.int64)
    updated = w.t_su.copy()
    for i in range(4):
        earlier_max = np.zeros(n, np.int64)
        for j in range(4):
            if j != i:
                earlier_max = np.maximum(earlier_max, np.where(
                    changes[:, j] < changes[:, i], ranks[j], 0))
        effective = (changes[:, i] < NEVER) & (ranks[i] > earlier_max)
        stage = np.where(changes[:, i] < NEVER, np.maximum(stage, ranks[i]), stage)
        updated = np.where(effective, np.maximum(updated, changes[:, i]), updated)
    # email opt-out (unsubscribed in the email tool, synced)
    em = w.email
    prim = ~em.pr_second
    optout_t = np.full(n, NEVER, np.int64)
    optout_t[em.pr_person[prim]] = em.pr_unsub[prim]
    optout = optout_t < cut
    updated = np.where(optout & (optout_t > w.t_su), np.maximum(updated, optout_t), updated)

    # per-person draws for the whole horizon (a later cut must not shift any random draw)
    email_all = mess_emails(rng, P.email, 0.05, 0.01)
    junk_all = rng.random(n) < 0.004
    junk_pick = rng.integers(0, len(C.JUNK_IDS), n)
    phone_all = join("+49 15", pa.array(rng.integers(10, 99, n).astype(str)), " ",
                     pa.array(rng.integers(1_000_000, 9_999_999, n).astype(str)))
    has_phone = rng.random(n) < 0.4
    owner_all = rng.integers(0, OWNERS.size, n)
    kc = np.flatnonzero(w.t_su < cut)
    kc = kc[np.argsort(k_rank[kc])]
    nk = kc.size
    kca = pa.array(kc)
    email = email_all.take(kca)
    app_uid = where(junk_all[kc], take(C.JUNK_IDS, junk_pick[kc]), P.user_id.take(kca))
    phone = where(has_phone[kc], phone_all.take(kca), pa.nulls(nk, pa.string()))
    comp_of = P.company[kc]
    owner = np.where(P.b2b[kc], owner_all[kc], -1)
    out["crm.contacts"] = table("crm.contacts", {
        "id": contact_id_all.take(pa.array(kc)), "created_at": ts_arr(w.t_su[kc]),
        "updated_at": ts_arr(updated[kc]), "archived": np.zeros(nk, bool), "email": email,
        "firstname": take(C.FIRST_NAMES, P.first[kc]), "lastname": take(C.LAST_NAMES, P.last[kc]),
        "phone": phone,
        "associatedcompanyid": take(company_id_all, np.where(comp_of >= 0, comp_of, -1)),
        "lifecyclestage": take(STAGES, stage[kc]),
        "hubspot_owner_id": take(list(OWNERS), owner),
        "hs_analytics_source": take(C.HUBSPOT_SOURCE, P.ch[kc]),
        "app_user_id": app_uid, "hs_email_optout": optout[kc]})
    ids.add("crm_contact_id", contact_id_all.take(pa.array(kc)), kc)
    ids.add("email", email, kc, normalise_email=True)
    ids.add("app_user_id", app_uid, kc)

    # --- deals + stage history ------------------------------------------------------------
    d_rank = creation_rank(d_created)
    deal_id_all = num_str(DEAL_BASE + 1 + d_rank)
    kd = np.flatnonzero(d_created < cut)
    kd = kd[np.argsort(d_rank[kd])]
    seen = np.where(t_stage[kd] < cut, t_stage[kd], -1)
    cur = seen.argmax(axis=1)
    cur_code = stage_code[kd, cur]
    d_upd = seen.max(axis=1)
    closed = d_closed[kd] < cut
    closedate = np.where(closed, d_closed[kd], d_created[kd] + 60 * DAY)
    dperson = dp[kd]
    dcomp = P.company[dperson]
    amount = np.round(rng.lognormal(np.log(6000), 0.7, dp.size), -2)[kd]
    out["crm.deals"] = table("crm.deals", {
        "id": deal_id_all.take(pa.array(kd)), "created_at": ts_arr(d_created[kd]),
        "updated_at": ts_arr(d_upd), "archived": np.zeros(kd.size, bool),
        "dealname": join(comp["name"].take(pa.array(dcomp)), " - team order"),
        "amount": amount, "dealstage": take(DEAL_STAGES, cur_code),
        "pipeline": ["default"] * kd.size,
        "closedate": ts_arr(closedate), "hubspot_owner_id": take(list(OWNERS),
                                                                  rng.integers(0, 6, dp.size)[kd]),
        "contact_id": contact_id_all.take(pa.array(dperson)),
        "company_id": company_id_all.take(pa.array(dcomp))})
    src_draw = rng.random((dp.size, 6)) < 0.8
    hist_deal = np.repeat(kd, 6)
    hist_src = src_draw[kd].ravel()
    hist_t = t_stage[kd].ravel()
    hist_code = stage_code[kd].ravel()
    hk = hist_t < cut
    hist_deal, hist_t, hist_code, hist_src = hist_deal[hk], hist_t[hk], hist_code[hk], hist_src[hk]
    first_h = np.r_[True, hist_deal[1:] != hist_deal[:-1]] if hist_deal.size else np.zeros(0, bool)
    src = np.where(first_h | hist_src, "CRM_UI", "AUTOMATION_PLATFORM")
    out["crm.deal_stage_history"] = table("crm.deal_stage_history", {
        "deal_id": deal_id_all.take(pa.array(hist_deal)),
        "dealstage": take(DEAL_STAGES, hist_code), "changed_at": ts_arr(hist_t),
        "source_type": src})

    # --- orders + line items ------------------------------------------------------------
    o_rank = creation_rank(w.o_time)
    order_id_all = num_str(ORDER_BASE + 1 + np.maximum(o_rank, 0))
    ko = np.flatnonzero(w.o_time < cut)
    ko = ko[np.argsort(o_rank[ko])]
    status_at = w.o_time + od.status_delay
    changed = (od.status_kind > 0) & (status_at < cut)
    status = np.where(changed[ko], od.status_kind[ko], 0)
    created = w.o_time[ko] + SEC + (rng.random(od.person.size) * 30 * SEC).astype(np.int64)[ko]
    cp = w.camps.coupons
    out["crm.orders"] = table("crm.orders", {
        "id": order_id_all.take(pa.array(ko)), "created_at": ts_arr(created),
        "updated_at": ts_arr(np.where(changed[ko], status_at[ko], created)),
        "archived": np.zeros(ko.size, bool),
        "hs_order_name": join("#NW", num_str(100_001 + o_rank[ko])),
        "hs_currency_code": [C.CURRENCY] * ko.size, "hs_subtotal_price": od.subtotal[ko],
        "hs_order_discount": w.o_discount[ko], "hs_total_price": w.o_total[ko],
        "hs_pipeline_stage": take(["paid", "refunded", "cancelled"], status),
        "hs_external_created_date": ts_arr(w.o_time[ko]),
        "contact_id": contact_id_all.take(pa.array(od.person[ko])),
        "coupon_code": take(cp["code"], w.o_coupon[ko])})
    li_rank_key = np.argsort(sort_key((np.maximum(o_rank[od.li_order], 0), 40),
                                      (np.arange(od.li_order.size) % (1 << 20), 20)),
                             kind="stable")
    li_rank = np.empty(od.li_order.size, np.int64)
    li_rank[li_rank_key] = np.arange(od.li_order.size)
    kl = li_rank_key[(w.o_time[od.li_order] < cut)[li_rank_key]]
    l_order = od.li_order[kl]
    out["crm.line_items"] = table("crm.line_items", {
        "id": num_str(LINE_BASE + 1 + li_rank[kl]),
        "created_at": ts_arr(w.o_time[l_order] + SEC),
        "updated_at": ts_arr(w.o_time[l_order] + SEC), "archived": np.zeros(kl.size, bool),
        "order_id": order_id_all.take(pa.array(l_order)),
        "hs_product_id": prod_id.take(pa.array(od.li_product[kl])),
        "name": take([p[1] for p in C.PRODUCTS], od.li_product[kl]),
        "quantity": od.li_qty[kl], "price": od.li_price[kl],
        "amount": np.round(od.li_price[kl] * od.li_qty[kl], 2)})
    keys = CrmKeys(contact_rank=k_rank, contact_id=contact_id_all, order_id=order_id_all,
                   company_id=company_id_all, deal_person=dp, t_customer=t_cust)
    return out, keys

