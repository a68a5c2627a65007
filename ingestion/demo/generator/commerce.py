"""Customers' purchases: BG/NBD timing, Gamma-Gamma spend, basket composition, behaviour change.

BG/NBD (Fader, Hardie & Lee 2005), time unit = days: while alive a customer buys as a Poisson
process with rate lambda ~ Gamma(r, alpha) (shape r, rate alpha); after every purchase
(including the first) they drop out for good with probability p ~ Beta(a, b), so the total
number of purchases K ~ Geometric(p). Gamma-Gamma: spend per order z ~ Gamma(p_gg, nu)
(shape, rate) with nu ~ Gamma(q, gamma) per customer; z is the basket's target value, the
realised subtotal is quantised by the catalogue prices (quantity x list price).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog as C
from ._util import DAY, HOUR, MIN, choice_idx, group_starts
from .config import Config
from .people import People

BTYD = {"time_unit": "days", "r": 0.9, "alpha": 45.0, "a": 2.0, "b": 4.0, "max_purchases": 80}
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "gamma": 55.0, "currency": C.CURRENCY,
               "applies_to": "hs_subtotal_price (basket target before discount; quantised by "
                             "the catalogue)"}
BEHAVIOUR_KINDS = ["frequency_x3", "spend_x0.3", "category_switch"]
P_CANCEL, P_REFUND = 0.02, 0.03

PRODUCT_PRICE = np.array([p for _, _, p in C.PRODUCTS])
PRODUCT_CAT = np.array([C.CATEGORIES.index(c) for c, _, _ in C.PRODUCTS])


@dataclass
class Orders:
    person: np.ndarray  # per order, sorted by (person, planned time)
    t_plan: np.ndarray
    seq: np.ndarray  # 0 = first order of the person
    target: np.ndarray
    subtotal: np.ndarray
    status_kind: np.ndarray  # 0 paid, 1 refunded, 2 cancelled (eventually)
    status_delay: np.ndarray  # ms after placement when refund/cancel happens
    li_order: np.ndarray
    li_product: np.ndarray
    li_qty: np.ndarray
    li_price: np.ndarray
    # per customer (person index) parameters
    cust_person: np.ndarray
    lam: np.ndarray
    p_drop: np.ndarray
    K: np.ndarray
    nu: np.ndarray
    change_person: np.ndarray
    change_at: np.ndarray
    change_kind: np.ndarray


def build_orders(cfg: Config, people: People) -> Orders:
    rng = cfg.rng("btyd")
    cust = np.flatnonzero(people.cust & (people.t_o1 < cfg.horizon))
    nc = cust.size
    lam = rng.gamma(BTYD["r"], 1.0 / BTYD["alpha"], nc)  # purchases per day
    p_drop = rng.beta(BTYD["a"], BTYD["b"], nc)
    K = np.minimum(rng.geometric(p_drop), BTYD["max_purchases"])
    nu = rng.gamma(GAMMA_GAMMA["q"], 1.0 / GAMMA_GAMMA["gamma"], nc)

    owner = np.repeat(np.arange(nc), K)
    k = np.arange(owner.size) - np.repeat(np.cumsum(K) - K, K)
    gap = rng.exponential(1.0, owner.size) / lam[owner] * DAY
    gap[k == 0] = 0.0
    cs = np.cumsum(gap)
    base = np.repeat(cs[np.cumsum(K) - K], K)
    t = people.t_o1[cust][owner] + (cs - base).astype(np.int64)
    t = np.maximum(t, people.t_o1[cust][owner] + k * 2 * HOUR)  # keep orders apart

    # behaviour change: ~1% of repeat customers (second order well before end_date)
    starts = np.cumsum(K) - K
    has2 = K >= 2
    t2 = np.where(has2, t[np.minimum(starts + 1, t.size - 1)], np.iinfo(np.int64).max)
    latest = cfg.t_end - 30 * DAY
    repeat = np.flatnonzero(has2 & (t2 < latest - 30 * DAY))
    n_bc = max(1, int(round(0.01 * repeat.size))) if repeat.size else 0
    bc = np.sort(rng.choice(repeat, n_bc, replace=False)) if n_bc else np.zeros(0, np.int64)
    second = t2[bc]
    change_at = (second + rng.uniform(0.2, 0.8, n_bc) * (latest - second)).astype(np.int64)
    change_kind = rng.integers(0, 3, n_bc)
    ck = np.full(nc, -1)
    ck[bc] = change_kind
    cat_ = np.full(nc, -1)
    cat_[bc] = change_at
    after = (ck[owner] >= 0) & (t > cat_[owner])
    freq = after & (ck[owner] == 0)
    t[freq] = cat_[owner][freq] + (t[freq] - cat_[owner][freq]) // 3

    z = rng.gamma(GAMMA_GAMMA["p"], 1.0 / nu[owner])
    z[after & (ck[owner] == 1)] *= 0.3
    pref = people.pref_cat[cust][owner].astype(np.int64)
    switched = (pref + 1 + rng.integers(0, len(C.CATEGORIES) - 1, owner.size)) % len(C.CATEGORIES)
    switch_to = switched[np.cumsum(K) - K][owner]  # one new category per customer
    ocat = np.where(after & (ck[owner] == 2), switch_to, pref)

    keep = t < cfg.horizon
    owner, t, z, ocat = owner[keep], t[keep], z[keep], ocat[keep]
    order = np.lexsort((t, owner))
    owner, t, z, ocat = owner[order], t[order], z[order], ocat[order]
    first = group_starts(owner)
    seq = np.arange(owner.size) - np.maximum.accumulate(np.where(first, np.arange(owner.size), 0))
    n_orders = owner.size

    # basket: 1-4 lines, each near the target value per line
    n_lines = np.clip(1 + rng.poisson(z / 150.0), 1, 4)
    li_order = np.repeat(np.arange(n_orders), n_lines)
    li_cat = np.where(rng.random(li_order.size) < 0.65, ocat[li_order],
                      choice_idx(rng, C.CATEGORY_WEIGHTS, li_order.size))
    target = z[li_order] / n_lines[li_order] * rng.lognormal(0, 0.25, li_order.size)
    li_product = np.zeros(li_order.size, np.int64)
    for c in range(len(C.CATEGORIES)):
        ids = np.flatnonzero(c == PRODUCT_CAT)
        ids = ids[np.argsort(PRODUCT_PRICE[ids])]
        prices = PRODUCT_PRICE[ids]
        m = li_cat == c
        pos = np.searchsorted(prices, target[m]).clip(1, len(ids) - 1)
        lower_closer = (target[m] - prices[pos - 1]) < (prices[pos] - target[m])
        li_product[m] = ids[np.where(lower_closer, pos - 1, pos)]
    li_price = PRODUCT_PRICE[li_product]
    li_qty = np.clip(np.rint(target / li_price), 1, 4).astype(np.int64)
    subtotal = np.round(np.bincount(li_order, weights=li_price * li_qty, minlength=n_orders), 2)

    r = rng.random(n_orders)
    status_kind = np.where(r < P_CANCEL, 2, np.where(r < P_CANCEL + P_REFUND, 1, 0))
    status_delay = np.where(status_kind == 2, 10 * MIN + rng.random(n_orders) * 36 * HOUR,
                            2 * DAY + rng.random(n_orders) * 28 * DAY).astype(np.int64)

    return Orders(
        person=cust[owner], t_plan=t, seq=seq, target=np.round(z, 2), subtotal=subtotal,
        status_kind=status_kind, status_delay=status_delay, li_order=li_order,
        li_product=li_product, li_qty=li_qty, li_price=li_price, cust_person=cust, lam=lam,
        p_drop=p_drop, K=K, nu=nu, change_person=cust[bc], change_at=change_at,
        change_kind=change_kind,
    )
