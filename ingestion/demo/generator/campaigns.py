"""Marketing calendar: email and paid campaigns, coupons, and the traffic-source table.

A *traffic source* (combo) is one (utm_source, utm_medium, utm_campaign, utm_term, utm_content,
referrer) tuple; every web session points at one. Campaign counts are small, so plain Python
loops over campaigns/months are fine here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from . import catalog as C
from ._util import DAY, HOUR, MIN, NEVER
from .config import Config

# page indices are resolved by the web module; campaigns only name a landing "kind"
CHANNEL_CODE = {"paid_search": C.CH["paid_search"], "paid_social": C.CH["paid_social"],
                "display": C.CH["display"], "email": C.CH["email"]}


@dataclass
class Campaigns:
    name: list = field(default_factory=list)
    channel: list = field(default_factory=list)
    utm_source: list = field(default_factory=list)
    utm_medium: list = field(default_factory=list)
    utm_campaign: list = field(default_factory=list)
    subject: list = field(default_factory=list)
    send_time: list = field(default_factory=list)
    start: list = field(default_factory=list)
    end: list = field(default_factory=list)
    budget: list = field(default_factory=list)
    created: list = field(default_factory=list)
    platform: list = field(default_factory=list)
    landing: list = field(default_factory=list)  # "sale" | "category:<i>" | "product" | "home"
    weight: list = field(default_factory=list)
    cpc: list = field(default_factory=list)
    ctr: list = field(default_factory=list)
    combo_start: list = field(default_factory=list)
    combo_count: list = field(default_factory=list)
    # traffic sources
    combos: list = field(default_factory=list)
    organic: dict = field(default_factory=dict)
    # coupons
    coupons: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.name)

    def arr(self, name: str) -> np.ndarray:
        return np.asarray(getattr(self, name))


def _ms(y: int, m: int, d: int) -> int:
    return int(datetime(y, m, d, tzinfo=UTC).timestamp() * 1000)


def _add(cp: Campaigns, **kw):
    for k in ("name", "channel", "utm_source", "utm_medium", "utm_campaign", "subject",
              "platform", "landing"):
        getattr(cp, k).append(kw.get(k))
    for k in ("send_time", "start", "end"):
        getattr(cp, k).append(kw.get(k, NEVER))
    cp.budget.append(kw.get("budget", np.nan))
    cp.created.append(kw["created"])
    cp.weight.append(kw.get("weight", 1.0))
    cp.cpc.append(kw.get("cpc", 0.0))
    cp.ctr.append(kw.get("ctr", 0.0))


def build_campaigns(cfg: Config) -> Campaigns:
    rng = cfg.rng("campaigns")
    cp = Campaigns()
    f = cfg.factor
    t0 = cfg.t_start - 45 * DAY
    # --- always-on paid campaigns --------------------------------------------------------
    always = [
        ("Brand Search", "paid_search", "google", "cpc", "brand_search", "home", 40, 0.9, 0.06),
        ("Generic Search - Footwear", "paid_search", "google", "cpc", "generic_footwear",
         "category:0", 25, 1.1, 0.04),
        ("Generic Search - Jackets", "paid_search", "google", "cpc", "generic_jackets",
         "category:1", 25, 1.2, 0.04),
        ("Generic Search - Camping", "paid_search", "google", "cpc", "generic_camping",
         "category:3", 15, 1.0, 0.035),
        ("Meta Prospecting", "paid_social", "facebook", "paid_social", "meta_prospecting",
         "product", 30, 0.6, 0.011),
        ("Instagram Stories", "paid_social", "instagram", "paid_social", "ig_stories",
         "product", 25, 0.55, 0.009),
        ("LinkedIn Teams", "paid_social", "linkedin", "paid_social", "linkedin_teams", "home",
         12, 2.4, 0.006),
        ("Display Retargeting", "display", "google", "display", "display_retargeting", "sale",
         10, 0.35, 0.003),
    ]
    for i, (name, chan, src, med, utm, landing, daily, cpc, ctr) in enumerate(always):
        start = t0 if i != 3 else cfg.t_start + 200 * DAY
        platform = {"google": "google_ads", "facebook": "meta_ads", "instagram": "meta_ads",
                    "linkedin": "linkedin_ads"}[src]
        _add(cp, name=name, channel=chan, utm_source=src, utm_medium=med, utm_campaign=utm,
             platform=platform, landing=landing, start=start, created=start - 3 * DAY,
             budget=round(daily * f * 365, 2), weight=1.0, cpc=cpc, ctr=ctr)
    # --- seasonal paid campaigns ------------------------------------------------------------
    first_year = datetime.fromtimestamp(cfg.t_start / 1000, tz=UTC).year
    last_year = datetime.fromtimestamp(cfg.horizon / 1000, tz=UTC).year
    seasons = [("Spring Sale", "spring_sale", (3, 15), (4, 15)),
               ("Summer Sale", "summer_sale", (7, 1), (7, 31)),
               ("Black Friday", "black_friday", (11, 20), (12, 2)),
               ("Winter Gear", "winter_gear", (1, 10), (2, 10))]
    seasonal_coupons = []
    for y in range(first_year, last_year + 1):
        for label, slug, (m1, d1), (m2, d2) in seasons:
            start, end = _ms(y, m1, d1), _ms(y, m2, d2) + DAY - 1000
            if end < cfg.t_start or start >= cfg.horizon:
                continue
            for chan, src, med, suffix, cpc, ctr in (
                    ("paid_search", "google", "cpc", "search", 1.0, 0.05),
                    ("paid_social", "facebook", "paid_social", "social", 0.5, 0.012)):
                platform = "google_ads" if src == "google" else "meta_ads"
                _add(cp, name=f"{label} {y} - {suffix.title()}", channel=chan, utm_source=src,
                     utm_medium=med, utm_campaign=f"{slug}_{y}_{suffix}", platform=platform,
                     landing="sale", start=start, end=end, created=start - 7 * DAY,
                     budget=round(60 * f * (end - start) / DAY, 2), weight=3.0, cpc=cpc, ctr=ctr)
            seasonal_coupons.append((f"{slug.upper().replace('_', '')}{y % 100}", cp.n - 2,
                                     start, end))
    # --- email campaigns: two per month --------------------------------------------------------
    d = datetime.fromtimestamp(cfg.t_start / 1000 - 40 * 86400, tz=UTC).date()
    y, m = d.year, d.month
    email_coupons = []
    k = 0
    done = False
    while not done:
        for half, day in (("a", 6), ("b", 20)):
            send = _ms(y, m, day) + 8 * HOUR + int(rng.integers(0, 4 * 60)) * MIN
            if send >= cfg.horizon:
                done = True
                break
            if send < cfg.t_start - 30 * DAY:
                continue
            subject = C.EMAIL_SUBJECTS[k % len(C.EMAIL_SUBJECTS)]
            k += 1
            landing = "sale" if half == "a" else "product"
            _add(cp, name=f"Newsletter {y}-{m:02d} {half.upper()}", channel="email",
                 utm_source="newsletter", utm_medium="email",
                 utm_campaign=f"nl_{y}_{m:02d}_{half}", subject=subject, send_time=send,
                 created=send - int(rng.integers(2, 7)) * DAY, landing=landing)
            if rng.random() < 0.35:
                email_coupons.append((f"NL{y % 100}{m:02d}{half.upper()}", cp.n - 1, send,
                                      send + 14 * DAY))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    _build_combos(cp)
    _build_coupons(cfg, cp, seasonal_coupons, email_coupons, rng)
    return cp


def _build_combos(cp: Campaigns):
    combos = [(None, None, None, None, None, None)]  # direct
    organic = {C.CH["direct"]: ([0], [1.0])}
    idx, w = [], []
    for ref, wt in zip(C.SEARCH_REFERRERS, C.SEARCH_REFERRER_WEIGHTS, strict=True):
        idx.append(len(combos))
        w.append(wt)
        combos.append((None, None, None, None, None, ref))
    organic[C.CH["organic_search"]] = (idx, w)
    idx, w = [], []
    for (site, url), wt in zip(C.SOCIAL_SITES, C.SOCIAL_WEIGHTS, strict=True):
        idx += [len(combos), len(combos) + 1]
        w += [wt * 0.4, wt * 0.6]
        combos.append((site, "social", None, None, None, url))
        combos.append((None, None, None, None, None, url))
    organic[C.CH["organic_social"]] = (idx, w)
    idx, w = [], []
    for site, url in C.PARTNER_SITES:
        idx += [len(combos), len(combos) + 1]
        w += [0.3, 0.7]
        combos.append((site, "referral", f"partner_{site}", None, None, url))
        combos.append((None, None, None, None, None, url))
    organic[C.CH["referral"]] = (idx, w)
    for i in range(cp.n):
        cp.combo_start.append(len(combos))
        chan, src, med, utm = cp.channel[i], cp.utm_source[i], cp.utm_medium[i], cp.utm_campaign[i]
        if chan == "paid_search":
            key = "brand" if "brand" in utm else next(
                (c for c in C.CATEGORIES if c.lower() in utm), "Footwear")
            if "sale" in utm or "friday" in utm:
                key = "Footwear"
            for term in C.SEARCH_TERMS[key]:
                for content in ("ad_a", "ad_b"):
                    combos.append((src, med, utm, term, content, "https://www.google.com/"))
        elif chan == "paid_social":
            url = dict(C.SOCIAL_SITES)[src]
            for content in ("video", "carousel"):
                combos.append((src, med, utm, None, content, url))
        elif chan == "display":
            for content in ("banner_300x250", "banner_728x90"):
                combos.append((src, med, utm, None, content, "https://news.example/"))
        else:  # email
            combos.append((src, med, utm, None, None, None))
        cp.combo_count.append(len(combos) - cp.combo_start[-1])
    cp.combos = combos
    cp.organic = organic


def _build_coupons(cfg: Config, cp: Campaigns, seasonal, email, rng):
    codes, camp, dtype, value, vfrom, vto, created = [], [], [], [], [], [], []
    # the welcome coupon (sent by the welcome flow, no campaign); valid for the whole history
    codes.append("WELCOME10")
    camp.append(-1)
    dtype.append("percent")
    value.append(10.0)
    vfrom.append(cfg.t_start - 60 * DAY)
    vto.append(NEVER)
    for code, ci, start, end in seasonal:
        codes.append(code)
        camp.append(ci)
        dtype.append("percent")
        value.append(float(rng.choice([20, 25, 30])))
        vfrom.append(start)
        vto.append(end)
    for code, ci, start, end in email:
        codes.append(code)
        camp.append(ci)
        pct = rng.random() < 0.6
        dtype.append("percent" if pct else "amount")
        value.append(float(rng.choice([10, 15]) if pct else rng.choice([10, 20])))
        vfrom.append(start)
        vto.append(end)
    vfrom_a = np.array(vfrom, np.int64)
    created = (vfrom_a - DAY).tolist()
    cp.coupons = {"code": codes, "campaign": np.array(camp), "discount_type": dtype,
                  "discount_value": np.array(value), "valid_from": vfrom_a,
                  "valid_to": np.array(vto, np.int64), "created": np.array(created, np.int64)}


# The planted "most effective campaign" (ground truth for the attribution marts): one always-on
# paid-search campaign, drawn by seed, wins most paid-search sessions that lead to an order
# within PLANT_WINDOW_DAYS; sessions that lead to no order keep their campaign. Its visitors
# therefore convert at a clearly higher rate than the other paid-search campaigns' visitors.
PLANT_SHARE = 0.6
PLANT_WINDOW_DAYS = 30


def plant_effective_campaign(cfg: Config, S, camps: Campaigns, o_person: np.ndarray,
                             o_time: np.ndarray) -> int:
    """Reassign converting paid-search sessions of ``S`` (in place) to the planted campaign;
    returns its index. Uses its own random stream, so no other draw changes."""
    rng = cfg.rng("planted_campaign")
    chan, start, end = camps.arr("channel"), camps.arr("start"), camps.arr("end")
    always_on = np.flatnonzero((chan == "paid_search") & (start <= cfg.t_start) & (end == NEVER))
    best = int(always_on[rng.integers(0, always_on.size)])
    placed = o_time < NEVER
    shift = (1 << 40) - cfg.t_start
    o_key = np.sort(o_person[placed].astype(np.int64) * (1 << 42) + o_time[placed] + shift)
    s_key = S.person.astype(np.int64) * (1 << 42) + S.start + shift
    nxt = np.minimum(np.searchsorted(o_key, s_key), max(o_key.size - 1, 0))
    gap = o_key[nxt] - s_key if o_key.size else np.full(S.n, -1)
    converting = (gap >= 0) & (gap <= PLANT_WINDOW_DAYS * DAY)
    m = np.flatnonzero(converting & np.isin(S.campaign, always_on) &
                       (rng.random(S.n) < PLANT_SHARE))
    S.campaign[m] = best
    S.src[m] = camps.combo_start[best] + (rng.random(m.size) * camps.combo_count[best]).astype(
        np.int64)
    return best
