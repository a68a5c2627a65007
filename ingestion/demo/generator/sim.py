"""The whole simulation over the fixed horizon (end_date + HORIZON_DAYS). Nothing here depends on
the cut (extend_days): the table builders cut this one world at ``cfg.cut``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog as C
from ._util import DAY, HOUR, MIN, NEVER, choice_idx, sort_key
from .campaigns import Campaigns, build_campaigns, plant_effective_campaign
from .commerce import Orders, build_orders
from .config import Config
from .people import People, build_people
from .web import (
    COMPLETED,
    EXPOSED,
    IDENT_LOGIN,
    IDENT_NEWSLETTER,
    IDENT_SIGNUP,
    K_CLICK,
    NEWSLETTER,
    SESSION_GAP,
    SIGNED_UP,
    Pages,
    Sessions,
    _sessions,
    build_pages,
    build_stage_a,
    expand,
    pick_pages,
    push,
)

EMAIL_TYPES = ["sent", "opened", "clicked", "bounced", "unsubscribed"]


@dataclass
class Email:
    # profiles
    pr_person: np.ndarray
    pr_second: np.ndarray  # True = the person's second email
    pr_created: np.ndarray
    pr_sub_from: np.ndarray
    pr_unsub: np.ndarray
    # events
    ev_profile: np.ndarray
    ev_campaign: np.ndarray
    ev_type: np.ndarray
    ev_time: np.ndarray


@dataclass
class World:
    cfg: Config
    people: People
    orders: Orders
    camps: Campaigns
    pages: Pages
    S: Sessions
    ev: dict  # sess, etype, page, product, order, ts (sorted by session, position)
    t_su: np.ndarray  # actual, per person
    t_nl: np.ndarray
    t_lead: np.ndarray
    t_exposed: np.ndarray
    o_time: np.ndarray  # actual placement time per order
    o_coupon: np.ndarray  # coupon index or -1
    o_discount: np.ndarray
    o_total: np.ndarray
    email: Email
    dev_uid_from: np.ndarray  # per device: time from which events carry the userId
    best_campaign: int  # the planted most effective campaign (campaigns.plant_effective_campaign)


def _per_person(n, person, values, etype_mask):
    out = np.full(n, NEVER, np.int64)
    np.minimum.at(out, person[etype_mask], values[etype_mask])
    return out


def assign_sources(cfg: Config, S: Sessions, camps: Campaigns, rng) -> None:
    """Traffic source (utm/referrer combo) for sessions that have none yet."""
    todo = S.src < 0
    for ch, (idx, w) in camps.organic.items():
        m = todo & (S.ch == ch)
        S.src[m] = np.asarray(idx)[choice_idx(rng, w, m.sum())]
    chan = camps.arr("channel")
    send = camps.arr("send_time")
    # email-channel sessions without a click: the latest newsletter sent before
    em = np.flatnonzero(chan == "email")
    em = em[np.argsort(send[em])]
    m = todo & (S.ch == C.CH["email"]) & (S.campaign < 0)
    pos = np.searchsorted(send[em], S.start[m], side="right") - 1
    S.campaign[m] = em[np.maximum(pos, 0)]
    # paid sessions: a campaign of that channel active on the day (seasonal ones weigh more)
    start, end, weight = camps.arr("start"), camps.arr("end"), camps.arr("weight")
    for name in ("paid_search", "paid_social", "display"):
        m = np.flatnonzero(todo & (S.ch == C.CH[name]) & (S.campaign < 0))
        cs = np.flatnonzero(chan == name)
        if not m.size:
            continue
        t = S.start[m]
        active = (start[cs][None, :] <= t[:, None]) & (t[:, None] < end[cs][None, :])
        cum = np.cumsum(active * weight[cs][None, :], axis=1)
        u = rng.random(m.size) * cum[:, -1]
        pick = (cum <= u[:, None]).sum(axis=1).clip(0, cs.size - 1)
        S.campaign[m] = cs[pick]
    m = todo & (S.campaign >= 0)
    cstart = np.asarray(camps.combo_start)[S.campaign[m]]
    ccount = np.asarray(camps.combo_count)[S.campaign[m]]
    S.src[m] = cstart + (rng.random(m.sum()) * ccount).astype(np.int64)
    S.src[S.src < 0] = 0


def simulate_email(cfg: Config, people: People, t_su, t_nl, camps: Campaigns) -> Email:
    rng = cfg.rng("email")
    n = people.n
    has = np.minimum(t_su, t_nl) < cfg.horizon
    p1 = np.flatnonzero(has)
    created1 = np.minimum(t_su, t_nl)[p1]
    p2 = np.flatnonzero((t_su < cfg.horizon) & (rng.random(n) < 0.03))
    created2 = t_su[p2] + DAY + rng.exponential(90 * DAY, p2.size).astype(np.int64)
    k2 = created2 < cfg.horizon
    p2, created2 = p2[k2], created2[k2]
    person = np.concatenate([p1, p2])
    second = np.r_[np.zeros(p1.size, bool), np.ones(p2.size, bool)]
    created = np.concatenate([created1, created2])
    sub_from = np.concatenate([np.where(t_nl[p1] < NEVER, t_nl[p1], NEVER), created2])
    o = np.lexsort((second, person, created))
    person, second, created, sub_from = person[o], second[o], created[o], sub_from[o]
    npf = person.size
    unsub = np.full(npf, NEVER, np.int64)
    suppressed = np.full(npf, NEVER, np.int64)
    engagement = rng.beta(1.5, 3.0, npf) * 2.2

    chan = camps.arr("channel")
    send = camps.arr("send_time")
    em = np.flatnonzero(chan == "email")
    em = em[np.argsort(send[em])]
    out = {"p": [], "c": [], "t": [], "k": []}

    def emit(pidx, c, t, kind):
        out["p"].append(pidx)
        out["c"].append(np.full(pidx.size, c, np.int32))
        out["t"].append(t.astype(np.int64))
        out["k"].append(np.full(pidx.size, kind, np.int8))

    for c in em:
        s = send[c]
        elig = (created <= s) & (sub_from <= s) & (unsub > s) & (suppressed > s)
        sel = np.flatnonzero(elig & (rng.random(npf) < rng.uniform(0.5, 0.8)))
        k = sel.size
        t_sent = s + rng.integers(0, 20 * MIN, k)
        bounce = rng.random(k) < 0.012
        hard = bounce & (rng.random(k) < 0.4)
        suppressed[sel[hard]] = t_sent[hard]
        opened = ~bounce & (rng.random(k) < np.minimum(0.9, 0.26 * engagement[sel]))
        t_open = t_sent + (rng.lognormal(np.log(3 * HOUR), 1.2, k)).astype(np.int64)
        clicked = opened & (rng.random(k) < 0.16)
        t_click = t_open + 10_000 + rng.exponential(3 * MIN, k).astype(np.int64)
        un = ~bounce & (rng.random(k) < 0.004)
        t_un = np.where(opened, t_open, t_sent) + MIN + rng.exponential(HOUR, k).astype(np.int64)
        unsub[sel[un]] = t_un[un]
        emit(sel, c, t_sent, 0)
        emit(sel[opened], c, t_open[opened], 1)
        emit(sel[clicked], c, t_click[clicked], 2)
        emit(sel[bounce], c, t_sent[bounce] + 2_000 + rng.integers(0, 60_000, bounce.sum()), 3)
        emit(sel[un], c, t_un[un], 4)
    cat = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in out.items()}
    keep = cat["t"] < cfg.horizon
    o = np.argsort(sort_key((cat["t"] - cfg.t_start + 60 * DAY, 38), (cat["p"], 22),
                            (cat["k"], 3)), kind="stable")
    o = o[keep[o]]
    return Email(pr_person=person, pr_second=second, pr_created=created, pr_sub_from=sub_from,
                 pr_unsub=unsub, ev_profile=cat["p"][o], ev_campaign=cat["c"][o],
                 ev_type=cat["k"][o], ev_time=cat["t"][o])


def _coupons(cfg: Config, orders: Orders, o_time: np.ndarray, camps: Campaigns):
    rng = cfg.rng("coupons")
    cp = camps.coupons
    n = o_time.size
    coupon = np.full(n, -1, np.int64)
    for j in np.argsort(cp["valid_from"])[::-1]:  # latest campaign coupon wins
        if cp["campaign"][j] < 0:
            continue
        m = (coupon < 0) & (cp["valid_from"][j] <= o_time) & (o_time < cp["valid_to"][j])
        coupon[m & (rng.random(n) < 0.35)] = j
    welcome = int(np.flatnonzero(np.asarray(cp["code"]) == "WELCOME10")[0])
    m = (coupon < 0) & (orders.seq == 0) & (rng.random(n) < 0.25)
    coupon[m] = welcome
    value = np.where(coupon >= 0, cp["discount_value"][np.maximum(coupon, 0)], 0.0)
    pct = np.asarray(cp["discount_type"])[np.maximum(coupon, 0)] == "percent"
    discount = np.where(coupon < 0, 0.0, np.where(pct, np.round(orders.subtotal * value / 100, 2),
                                                   np.minimum(value, orders.subtotal)))
    return coupon, discount, np.round(orders.subtotal - discount, 2)


def simulate(cfg: Config) -> World:
    people = build_people(cfg)
    orders = build_orders(cfg, people)
    camps = build_campaigns(cfg)
    pages = build_pages()
    n = people.n

    S = build_stage_a(cfg, people, orders, pages)
    ev = expand(S, orders, pages, people.pref_cat, cfg.rng("expand_a"))
    S.start = push(S, ev.pop("dur"))
    ts = S.start[ev["sess"]] + ev.pop("offset")
    ep = S.person[ev["sess"]]
    et = ev["etype"]
    t_su = _per_person(n, ep, ts, et == SIGNED_UP)
    t_nl = _per_person(n, ep, ts, et == NEWSLETTER)
    t_exposed = _per_person(n, ep, ts, et == EXPOSED)
    m = et == COMPLETED
    o_time = np.full(orders.person.size, NEVER, np.int64)
    o_time[ev["order"][m]] = ts[m]
    assign_sources(cfg, S, camps, cfg.rng("sources_a"))
    best_campaign = plant_effective_campaign(cfg, S, camps, orders.person, o_time)

    email = simulate_email(cfg, people, t_su, t_nl, camps)

    # stage B: web sessions from email clicks, where they fit between existing sessions
    rng = cfg.rng("clicks")
    clk = email.ev_type == 2
    cp_ = email.ev_profile[clk]
    person = email.pr_person[cp_]
    t = email.ev_time[clk] + rng.integers(2_000, 20_000, person.size)
    camp = email.ev_campaign[clk]
    # the click opens on a device that already identified (email links carry the profile)
    ident_any = (et == IDENT_SIGNUP) | (et == IDENT_LOGIN) | (et == IDENT_NEWSLETTER)
    dev_ident = np.full(people.dev_person.size, NEVER, np.int64)
    np.minimum.at(dev_ident, S.dev[ev["sess"][ident_any]], ts[ident_any])
    d0 = people.dev_first[person]
    d1 = np.minimum(d0 + 1, people.dev_person.size - 1)
    two = (people.n_dev[person] == 2) & (dev_ident[d1] <= t)
    dev_b = np.where(two & ((rng.random(person.size) < 0.45) | (dev_ident[d0] > t)), d1, d0)
    B = _sessions(person, t, K_CLICK, C.CH["email"], dev_b,
                  np.where(rng.random(person.size) < 0.3, 1, 2 + rng.poisson(2.5, person.size)),
                  campaign=camp)
    land = np.asarray(camps.landing, dtype=object)[camp]
    B.landing = pick_pages(rng, pages, {"product": 1.0}, people.pref_cat[person]).astype(np.int16)
    B.landing[land == "sale"] = pages.idx["sale"][0]
    evb = expand(B, orders, pages, people.pref_cat, cfg.rng("expand_b"), session_offset=S.n)
    dur_b = evb.pop("dur")
    # collision check against stage A sessions of the same person
    a_end = np.zeros(S.n, np.int64)
    np.maximum.at(a_end, ev["sess"], ts)
    key_a = S.person.astype(np.int64) * (1 << 42) + (S.start - cfg.t_start + (1 << 40))
    key_b = B.person.astype(np.int64) * (1 << 42) + (B.start - cfg.t_start + (1 << 40))
    pos = np.searchsorted(key_a, key_b)
    prev = np.maximum(pos - 1, 0)
    nxt = np.minimum(pos, S.n - 1)
    ok_prev = (pos == 0) | (S.person[prev] != B.person) | (a_end[prev] + SESSION_GAP < B.start)
    ok_next = (pos >= S.n) | (S.person[nxt] != B.person) | (
        B.start + dur_b + SESSION_GAP < S.start[nxt])
    keep = ok_prev & ok_next & (B.start < cfg.horizon)
    # also no two click sessions of one person too close to each other
    ob = np.lexsort((B.start, B.person))
    close = np.zeros(B.n, bool)
    same = B.person[ob][1:] == B.person[ob][:-1]
    close[ob[1:]] = same & (B.start[ob][1:] < B.start[ob][:-1] + dur_b[ob][:-1] + SESSION_GAP)
    keep &= ~close
    newidx = np.cumsum(keep) - 1
    kb = keep[evb["sess"] - S.n]
    evb = {k: v[kb] for k, v in evb.items()}
    offset_b = evb.pop("offset")
    evb["sess"] = (newidx[evb["sess"] - S.n] + S.n).astype(np.int32)
    B = B.take(np.flatnonzero(keep))
    assign_sources(cfg, B, camps, cfg.rng("sources_b"))
    ts_b = B.start[evb["sess"] - S.n] + offset_b
    S = Sessions.concat([S, B])
    ev = {k: np.concatenate([ev[k], evb[k]]) for k in ev}
    ev["ts"] = np.concatenate([ts, ts_b])
    del ts, ts_b, evb

    # which device knows the userId from when (identify with userId on that device)
    et = ev["etype"]
    ep = S.person[ev["sess"]]
    ident = (et == IDENT_SIGNUP) | (((et == IDENT_LOGIN) | (et == IDENT_NEWSLETTER)) &
                                    (ev["ts"] >= t_su[ep]))
    dev_uid_from = np.full(people.dev_person.size, NEVER, np.int64)
    np.minimum.at(dev_uid_from, S.dev[ev["sess"][ident]], ev["ts"][ident])

    o_coupon, o_discount, o_total = _coupons(cfg, orders, o_time, camps)
    return World(cfg=cfg, people=people, orders=orders, camps=camps, pages=pages, S=S, ev=ev,
                 t_su=t_su, t_nl=t_nl, t_lead=np.minimum(t_su, t_nl), t_exposed=t_exposed,
                 o_time=o_time, o_coupon=o_coupon, o_discount=o_discount, o_total=o_total,
                 email=email, dev_uid_from=dev_uid_from, best_campaign=best_campaign)
