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
# Who gets a behaviour change, and when: customers who keep buying, so the change shows in
# their orders. The change date lies 121-135 days before end_date, so a recent window of the
# last 120 days (behavior_changes' default) lies wholly after it and the year before it is the
# baseline. Eligible: >= 2 orders in the 365 days before the change date and >= 2 orders from
# it to end_date (on the unchanged BG/NBD timeline). Planted: 25% of the eligible, at least 3
# per kind (all eligible when fewer), drawn at random; the kind goes where it can show: a third
# (rounded up) with the largest expected basket (p/nu) get smaller baskets (a basket x0.3 of
# a small one is still the cheapest product), a third of the rest with the most purchases
# left (BG/NBD K) buy 3x as often, the others switch category.
BEHAVIOUR = {
    "kinds": {"frequency_x3": "purchase rate x3 after the date",
              "spend_x0.3": "basket value x0.3 after the date",
              "category_switch": "buys another category after the date"},
    "change_days_before_end": [121, 135],
    "eligible": {"min_orders_in_365_days_before": 2, "min_orders_after_until_end_date": 2},
    "share_of_eligible": 0.25,
    "min_per_kind": 3,
    "kind_assignment": {"spend_x0.3": "a third (rounded up) with the smallest gg nu",
                        "frequency_x3": "a third of the rest with the most purchases left",
                        "category_switch": "the others"},
}
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


def plant_behaviour_change(cfg: Config, owner: np.ndarray, t: np.ndarray, nu: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer indices, change time, kind index) of the planted behaviour changes, from the
    planned orders (owner = customer index, t = planned time) and the Gamma-Gamma nu per
    customer, as BEHAVIOUR describes."""
    rng = cfg.rng("behaviour")
    nc = nu.size
    lo, hi = BEHAVIOUR["change_days_before_end"]
    at = cfg.t_end - (rng.uniform(lo, hi, nc) * DAY).astype(np.int64)
    el = BEHAVIOUR["eligible"]
    before = np.bincount(owner[(t >= at[owner] - 365 * DAY) & (t < at[owner])], minlength=nc)
    after = np.bincount(owner[(t >= at[owner]) & (t < cfg.t_end)], minlength=nc)
    left = np.bincount(owner[t >= at[owner]], minlength=nc)  # purchases left (BG/NBD K)
    eligible = np.flatnonzero((before >= el["min_orders_in_365_days_before"])
                              & (after >= el["min_orders_after_until_end_date"]))
    n_kinds = len(BEHAVIOUR_KINDS)
    n = min(eligible.size, max(BEHAVIOUR["min_per_kind"] * n_kinds,
                               int(round(BEHAVIOUR["share_of_eligible"] * eligible.size))))
    chosen = np.sort(rng.choice(eligible, n, replace=False))
    # kinds by what can show: smaller baskets need baskets well above the cheapest products
    # (largest expected basket p/nu = smallest nu), a tripled rate needs purchases left
    kind = np.full(n, BEHAVIOUR_KINDS.index("category_switch"))
    n_spend = n_freq = n // n_kinds
    n_spend += n % n_kinds > 0
    n_freq += n % n_kinds > 1
    spend = np.argsort(nu[chosen], kind="stable")[:n_spend]
    kind[spend] = BEHAVIOUR_KINDS.index("spend_x0.3")
    rest = np.flatnonzero(kind != BEHAVIOUR_KINDS.index("spend_x0.3"))
    freq = rest[np.argsort(-left[chosen][rest], kind="stable")[:n_freq]]
    kind[freq] = BEHAVIOUR_KINDS.index("frequency_x3")
    return chosen, at[chosen], kind


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

    # behaviour change, planted in customers who keep buying (BEHAVIOUR; own random stream)
    bc, change_at, change_kind = plant_behaviour_change(cfg, owner, t, nu)
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
