"""Web behaviour: sessions and Segment-style events, fully vectorised.

1. Stage A sessions (acquisition, browsing, signup/newsletter, orders, device logins) are built
   from the people's plans at *desired* start times.
2. ``expand`` turns sessions into events with offsets inside the session.
3. ``push`` moves sessions of a person later where needed so that consecutive sessions are
   separated by more than 30 minutes; actual action times are then read back from events.
4. Stage B sessions (email clicks) are added afterwards where they do not collide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np

from . import catalog as C
from ._util import (
    DAY,
    HOUR,
    MIN,
    NEVER,
    choice_idx,
    group_starts,
    hour_of_day_ms,
    segment_cummax,
    sort_key,
)
from .commerce import PRODUCT_CAT, Orders
from .config import Config
from .people import SLOT_FIRST, SLOT_ORDER, SLOT_OWN, SLOT_WITH_SU, People

# event types
PAGE, IDENT_SIGNUP, VIEWED, ADDED, CHECKOUT, COMPLETED, SIGNED_UP, NEWSLETTER, EXPOSED = range(9)
IDENT_NEWSLETTER, IDENT_LOGIN, IDENT_JUNK = 9, 10, 11
IDENTIFY_TYPES = (IDENT_SIGNUP, IDENT_NEWSLETTER, IDENT_LOGIN, IDENT_JUNK)
TRACK_NAMES = {VIEWED: "Product Viewed", ADDED: "Product Added", CHECKOUT: "Checkout Started",
               COMPLETED: "Order Completed", SIGNED_UP: "Signed Up",
               NEWSLETTER: "Newsletter Subscribed", EXPOSED: "Experiment Viewed"}
# session kinds
K_ACQ, K_BROWSE, K_SIGNUP, K_NEWSLETTER, K_ORDER, K_LOGIN, K_CLICK = range(7)
SESSION_GAP = 31 * MIN  # > 30 min between the end of one session and the next


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


@dataclass
class Pages:
    path: list
    title: list
    kind: np.ndarray
    product: np.ndarray  # product index for product pages, else -1
    idx: dict

    @property
    def n(self):
        return len(self.path)


def build_pages() -> Pages:
    path, title, kind, product = [], [], [], []
    idx: dict = {}

    def add(p, t, k, prod=-1):
        idx.setdefault(k, []).append(len(path))
        path.append(p)
        title.append(t)
        kind.append(k)
        product.append(prod)

    add("/", "Northwind Outfitters - Outdoor gear", "home")
    for c in C.CATEGORIES:
        add(f"/c/{_slug(c)}", f"{c} | Northwind", "category")
    for i, (_, name, _) in enumerate(C.PRODUCTS):
        add(f"/p/{_slug(name)}", f"{name} | Northwind", "product", i)
    for slug, t in C.BLOG_POSTS:
        add(f"/blog/{slug}", f"{t} | Northwind Journal", "blog")
    for p, t in C.INFO_PAGES:
        add(p, f"{t} | Northwind", "info")
    for p, t, k in [("/search", "Search | Northwind", "search"),
                    ("/sale", "Sale | Northwind", "sale"),
                    ("/signup", "Create your account | Northwind", "signup"),
                    ("/cart", "Your cart | Northwind", "cart"),
                    ("/checkout", "Checkout | Northwind", "checkout"),
                    ("/checkout/confirmation", "Thank you for your order | Northwind",
                     "confirmation"),
                    ("/account", "Your account | Northwind", "account")]:
        add(p, t, k)
    kinds = np.array(kind)
    return Pages(path, title, kinds, np.array(product), {k: np.array(v) for k, v in idx.items()})


LANDING_MIX = {  # channel -> {page kind: weight}
    C.CH["organic_search"]: {"home": .15, "category": .2, "product": .35, "blog": .3},
    C.CH["paid_search"]: {"home": .1, "category": .3, "product": .5, "sale": .1},
    C.CH["paid_social"]: {"product": .6, "sale": .25, "category": .15},
    C.CH["organic_social"]: {"blog": .4, "product": .4, "home": .2},
    C.CH["email"]: {"sale": .4, "product": .4, "blog": .2},
    C.CH["referral"]: {"product": .5, "blog": .2, "home": .3},
    C.CH["direct"]: {"home": .7, "account": .1, "product": .2},
    C.CH["display"]: {"sale": .5, "product": .5},
}
BROWSE_MIX = {"home": .07, "category": .2, "product": .45, "search": .08, "blog": .05,
              "info": .06, "sale": .04, "account": .05}


def pick_pages(rng, pages: Pages, mix: dict, pref_cat: np.ndarray) -> np.ndarray:
    """One page per row, kind drawn from ``mix``; products/categories lean to the preference."""
    n = pref_cat.size
    kinds = list(mix)
    k = choice_idx(rng, [mix[x] for x in kinds], n)
    out = np.zeros(n, np.int64)
    for i, kind in enumerate(kinds):
        m = k == i
        cnt = int(m.sum())
        if not cnt:
            continue
        opts = pages.idx[kind]
        if kind == "product":
            cat = np.where(rng.random(cnt) < 0.6, pref_cat[m], rng.integers(0, 5, cnt))
            # product of that category: 8 products per category in catalogue order
            prod = np.flatnonzero(PRODUCT_CAT >= 0)
            by_cat = np.stack([prod[c == PRODUCT_CAT] for c in range(5)])
            out[m] = opts[by_cat[cat, rng.integers(0, by_cat.shape[1], cnt)]]
        elif kind == "category":
            cat = np.where(rng.random(cnt) < 0.5, pref_cat[m], rng.integers(0, 5, cnt))
            out[m] = opts[cat]
        else:
            out[m] = opts[rng.integers(0, opts.size, cnt)]
    return out


@dataclass
class Sessions:
    person: np.ndarray
    dev: np.ndarray
    start: np.ndarray
    ch: np.ndarray
    n_pv: np.ndarray
    landing: np.ndarray
    kind: np.ndarray
    order: np.ndarray
    campaign: np.ndarray  # campaign index (paid/email) or -1
    src: np.ndarray  # traffic-source combo index (-1 = to assign)
    f_exp: np.ndarray
    f_login: np.ndarray
    f_nl: np.ndarray
    f_su: np.ndarray
    f_junk: np.ndarray

    @property
    def n(self):
        return self.person.size

    def take(self, idx) -> Sessions:
        return Sessions(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        return Sessions(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                           for f in fields(Sessions)})


def _sessions(person, start, kind, ch, dev, n_pv, **flags) -> Sessions:
    n = person.size
    z = np.zeros(n, bool)
    return Sessions(
        person=person.astype(np.int32), dev=dev.astype(np.int32), start=start.astype(np.int64),
        ch=np.asarray(ch, np.int8) * np.ones(n, np.int8), n_pv=n_pv.astype(np.int16),
        landing=np.full(n, -1, np.int16), kind=np.full(n, kind, np.int8),
        order=flags.get("order", np.full(n, -1, np.int32)).astype(np.int32),
        campaign=flags.get("campaign", np.full(n, -1, np.int32)).astype(np.int32),
        src=np.full(n, -1, np.int32),
        f_exp=flags.get("f_exp", z), f_login=flags.get("f_login", z), f_nl=flags.get("f_nl", z),
        f_su=flags.get("f_su", z), f_junk=flags.get("f_junk", z))


def _device(rng, people: People, person: np.ndarray, t: np.ndarray, p_second=0.45):
    d0 = people.dev_first[person]
    two = people.n_dev[person] == 2
    d1 = np.minimum(d0 + 1, people.dev_person.size - 1)
    use = two & (t >= people.dev_start[d1]) & (rng.random(person.size) < p_second)
    return np.where(use, d1, d0)


def _retime(rng, t: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Keep the day of ``t``, draw the time of day from the web profile; stay after ``lo``."""
    out = (t // DAY) * DAY + hour_of_day_ms(rng, t.size)
    return np.where(out <= lo, lo + 5 * MIN + rng.integers(0, 6 * HOUR, t.size), out)


def _n_pv(rng, n, bounce):
    return np.where(rng.random(n) < bounce, 1, 2 + rng.poisson(3.2, n))


def activity_end(cfg: Config, people: People, orders: Orders) -> np.ndarray:
    rng = cfg.rng("activity")
    n = people.n
    t_lead = np.minimum(people.t_su, people.t_nl)
    end = people.fs + rng.exponential(30 * DAY, n).astype(np.int64)
    lead = people.lead
    end[lead] = np.where(t_lead[lead] < NEVER, t_lead[lead], people.fs[lead]) + rng.exponential(
        200 * DAY, lead.sum()).astype(np.int64)
    last = np.full(n, -1, np.int64)
    np.maximum.at(last, orders.person, orders.t_plan)
    n_in = np.bincount(orders.person, minlength=n)
    K = np.zeros(n, np.int64)
    K[orders.cust_person] = orders.K
    cust = last >= 0
    alive = cust & (n_in < K)
    end[cust] = last[cust] + rng.exponential(90 * DAY, cust.sum()).astype(np.int64)
    end[alive] = cfg.horizon
    return np.minimum(end, cfg.horizon)


def build_stage_a(cfg: Config, people: People, orders: Orders, pages: Pages) -> Sessions:
    rng = cfg.rng("sessions")
    P = people
    n = P.n
    ret = lambda k: choice_idx(rng, C.RETURN_MIX, k)  # noqa: E731
    parts = []
    # acquisition session (first visit)
    nl_first = (P.nl_slot == SLOT_FIRST) | ((P.nl_slot == SLOT_WITH_SU) & (P.su_slot == SLOT_FIRST))
    acq = _sessions(np.arange(n), P.fs, K_ACQ, P.ch, P.dev_first, _n_pv(rng, n, 0.4),
                    f_exp=P.exp_arm >= 0, f_su=P.su_slot == SLOT_FIRST, f_nl=nl_first,
                    f_junk=~P.lead & (rng.random(n) < 0.004))
    parts.append(acq)
    # own signup sessions (newsletter may ride along)
    p = np.flatnonzero(P.su_slot == SLOT_OWN)
    parts.append(_sessions(p, P.t_su[p], K_SIGNUP, ret(p.size), _device(rng, P, p, P.t_su[p]),
                           1 + rng.poisson(1.5, p.size), f_su=np.ones(p.size, bool),
                           f_nl=P.nl_slot[p] == SLOT_WITH_SU))
    p = np.flatnonzero(P.nl_slot == SLOT_OWN)
    parts.append(_sessions(p, P.t_nl[p], K_NEWSLETTER, ret(p.size),
                           _device(rng, P, p, P.t_nl[p]), 1 + rng.poisson(1.5, p.size),
                           f_nl=np.ones(p.size, bool)))
    # order sessions; the first order may carry the signup (and newsletter opt-in)
    op = orders.person
    first = orders.seq == 0
    su_o = first & (P.su_slot[op] == SLOT_ORDER)
    nl_o = first & ((P.nl_slot[op] == SLOT_ORDER) |
                    ((P.nl_slot[op] == SLOT_WITH_SU) & (P.su_slot[op] == SLOT_ORDER)))
    parts.append(_sessions(op, orders.t_plan, K_ORDER, ret(op.size),
                           _device(rng, P, op, orders.t_plan), 1 + rng.poisson(1.5, op.size),
                           order=np.arange(op.size), f_su=su_o, f_nl=nl_o))
    # browsing
    end = activity_end(cfg, P, orders)
    days = (end - P.fs) / DAY
    lam = np.where(P.cust, 0.22 * days, np.where(P.lead, 0.15 * days, 0.0))
    nb = np.where(P.lead, rng.poisson(lam), rng.poisson(2.5, n))
    p = np.repeat(np.arange(n), nb)
    t = P.fs[p] + (rng.random(p.size) * (end[p] - P.fs[p])).astype(np.int64)
    t = _retime(rng, t, P.fs[p])
    keep = t < cfg.horizon
    p, t = p[keep], t[keep]
    parts.append(_sessions(p, t, K_BROWSE, ret(p.size), _device(rng, P, p, t),
                           _n_pv(rng, p.size, 0.35),
                           f_junk=~P.lead[p] & (rng.random(p.size) < 0.004)))
    S = Sessions.concat(parts)
    S = _add_logins(cfg, rng, P, S)
    S = S.take(np.argsort(sort_key((S.person, 22), (S.start - cfg.t_start + DAY, 38), (S.kind, 3)),
                          kind="stable"))
    S.landing = pick_pages(rng, pages, {"home": 1.0}, P.pref_cat[S.person]).astype(np.int16)
    for ch, mix in LANDING_MIX.items():
        m = S.ch == ch
        S.landing[m] = pick_pages(rng, pages, mix, P.pref_cat[S.person[m]])
    return S


def _add_logins(cfg: Config, rng, P: People, S: Sessions) -> Sessions:
    """Every device of an identified person identifies itself: the first session on a device
    after the person identified gets an ``identify`` (a login) if it is within 3 days; else
    the device gets a short login session within hours."""
    t_lead = np.minimum(P.t_su, P.t_nl)
    o = np.argsort(sort_key((S.dev, 24), (S.start - cfg.t_start + DAY, 38)), kind="stable")
    dev, start = S.dev[o], S.start[o]
    ident_dev = np.zeros(P.dev_person.size, bool)
    ident_dev[S.dev[S.f_su | S.f_nl]] = True
    used = np.zeros(P.dev_person.size, bool)
    used[S.dev] = True
    need = used & ~ident_dev & (t_lead[P.dev_person] < NEVER)
    after = need[dev] & (start > t_lead[P.dev_person[dev]])
    # rows are sorted by (device, start), so a device's "after" rows are a suffix of its rows
    first_after = after & ~np.r_[False, (dev[1:] == dev[:-1]) & after[:-1]]
    first_after &= start < t_lead[P.dev_person[dev]] + 3 * DAY  # else: a login session soon
    S.f_login[o[first_after]] = True
    got = np.zeros(P.dev_person.size, bool)
    got[dev[first_after]] = True
    d = np.flatnonzero(need & ~got)
    p = P.dev_person[d]
    t = np.maximum(P.dev_start[d], t_lead[p]) + 35 * MIN + rng.exponential(6 * HOUR, d.size).astype(
        np.int64)
    keep = t < cfg.horizon
    login = _sessions(p[keep], t[keep], K_LOGIN, C.CH["direct"], d[keep],
                      1 + rng.poisson(1.5, keep.sum()), f_login=np.ones(keep.sum(), bool))
    return Sessions.concat([S, login])


def expand(S: Sessions, orders: Orders, pages: Pages, pref_cat: np.ndarray, rng,
           session_offset: int = 0) -> dict:
    """Events of the sessions, sorted by (session, position); times are offsets (ms) from the
    session start. ``sess`` indices are shifted by ``session_offset``."""
    prod_page = np.full(len(C.PRODUCTS), -1)
    prod_page[pages.product[pages.product >= 0]] = np.flatnonzero(pages.product >= 0)
    cols = {"sess": [], "key": [], "etype": [], "page": [], "product": [], "order": []}

    def add(s, phase, k, etype, page=-1, product=-1, order=-1):
        s = np.asarray(s, np.int64)
        cols["sess"].append(s)
        cols["key"].append((s << 20) | (phase << 16) | np.asarray(k, np.int64))
        cols["etype"].append(np.full(s.size, etype, np.int8))
        cols["page"].append(np.broadcast_to(np.asarray(page, np.int16), s.shape))
        cols["product"].append(np.broadcast_to(np.asarray(product, np.int16), s.shape))
        cols["order"].append(np.broadcast_to(np.asarray(order, np.int32), s.shape))

    ns = S.n
    alls = np.arange(ns)
    add(alls, 0, 0, PAGE, page=S.landing)
    lp = pages.product[S.landing]
    m = lp >= 0
    add(alls[m], 0, 1, VIEWED, product=lp[m])
    add(np.flatnonzero(S.f_exp), 1, 0, EXPOSED)
    add(np.flatnonzero(S.f_login), 2, 0, IDENT_LOGIN)
    extra = S.n_pv.astype(np.int64) - 1
    s = np.repeat(alls, extra)
    j = 1 + np.arange(s.size) - np.repeat(np.cumsum(extra) - extra, extra)
    pg = pick_pages(rng, pages, BROWSE_MIX, pref_cat[S.person[s]])
    add(s, 3, 4 * j, PAGE, page=pg)
    pp = pages.product[pg]
    m = pp >= 0
    add(s[m], 3, 4 * j[m] + 1, VIEWED, product=pp[m])
    m2 = m & (rng.random(s.size) < 0.1)
    add(s[m2], 3, 4 * j[m2] + 2, ADDED, product=pp[m2])
    s = np.flatnonzero(S.f_nl)
    add(s, 4, 0, NEWSLETTER)
    add(s, 4, 1, IDENT_NEWSLETTER)
    s = np.flatnonzero(S.f_su)
    add(s, 5, 0, PAGE, page=pages.idx["signup"][0])
    add(s, 5, 1, SIGNED_UP)
    add(s, 5, 2, IDENT_SIGNUP)
    # order sessions: basket lines, then checkout
    os_ = np.flatnonzero(S.order >= 0)
    if os_.size:
        sess_of_order = np.full(orders.person.size, -1, np.int64)
        sess_of_order[S.order[os_]] = os_
        li_s = sess_of_order[orders.li_order]
        m = li_s >= 0
        li_s, li_p = li_s[m], orders.li_product[m]
        r = np.arange(li_s.size) - np.maximum.accumulate(
            np.where(group_starts(orders.li_order[m]), np.arange(li_s.size), 0))
        add(li_s, 6, 3 * r, PAGE, page=prod_page[li_p])
        add(li_s, 6, 3 * r + 1, VIEWED, product=li_p)
        add(li_s, 6, 3 * r + 2, ADDED, product=li_p)
        add(os_, 7, 0, PAGE, page=pages.idx["cart"][0])
        add(os_, 7, 1, CHECKOUT)
        add(os_, 7, 2, PAGE, page=pages.idx["checkout"][0])
        add(os_, 7, 3, COMPLETED, order=S.order[os_])
        add(os_, 7, 4, PAGE, page=pages.idx["confirmation"][0])
    add(np.flatnonzero(S.f_junk), 8, 0, IDENT_JUNK)

    key = np.concatenate(cols.pop("key"))
    order = np.argsort(key, kind="stable")
    del key
    ev = {k: np.concatenate(v)[order] for k, v in cols.items()}
    del order
    etype = ev["etype"]
    n = etype.size
    gap = np.where(etype == PAGE, 5_000 + rng.exponential(40_000, n),
                   300 + rng.exponential(1_500, n)).astype(np.int64)
    first = group_starts(ev["sess"])
    gap[first] = 0
    cs = np.cumsum(gap)
    ev["offset"] = cs - np.maximum.accumulate(np.where(first, cs, 0))
    del cs, gap
    last = np.r_[np.flatnonzero(first)[1:] - 1, n - 1] if n else np.zeros(0, np.int64)
    dur = np.zeros(ns, np.int64)
    dur[ev["sess"][last]] = ev["offset"][last]
    ev["sess"] = (ev["sess"] + session_offset).astype(np.int32)
    ev["dur"] = dur
    return ev


def push(S: Sessions, dur: np.ndarray) -> np.ndarray:
    """New start times: each session starts > 30 min after the previous one of the person ended.
    ``S`` must be sorted by (person, start)."""
    step = dur + SESSION_GAP
    first = group_starts(S.person)
    cs = np.cumsum(step)
    excl = cs - step
    base = np.maximum.accumulate(np.where(first, excl, 0))
    Cum = excl - base
    return Cum + segment_cummax(S.start - Cum, S.person)
