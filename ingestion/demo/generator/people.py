"""People: arrival, acquisition channel, latent journey plan, devices, names and emails.

Plans are *desired* times; the web simulation turns them into sessions, resolves overlaps and
the actual times (signup, newsletter, orders) are read back from the generated events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import catalog as C
from ._util import DAY, HOUR, MIN, NEVER, base36, choice_idx, hour_of_day_ms, join, scramble40
from .config import EXPERIMENT, HISTORY_DAYS, HORIZON_DAYS, Config

# session slots of an action
SLOT_NONE, SLOT_FIRST, SLOT_OWN, SLOT_WITH_SU, SLOT_ORDER = -1, 0, 1, 2, 3
# journey cases
CASE_SIGNUP_FIRST, CASE_CHECKOUT_SIGNUP, CASE_NEWSLETTER_FIRST = 0, 1, 2
CASE_SIGNUP_ONLY, CASE_NEWSLETTER_ONLY, CASE_BOTH = 3, 4, 5
P_CUSTOMER_GIVEN_LEAD = 0.42

UA_LIST = [(t, ua) for t in C.DEVICE_TYPES for ua in C.USER_AGENTS[t]]
UA_OFFSET = {t: sum(len(C.USER_AGENTS[x]) for x in C.DEVICE_TYPES[:i])
             for i, t in enumerate(C.DEVICE_TYPES)}


@dataclass
class People:
    n: int
    n_main: int
    fs: np.ndarray  # first seen (ms)
    ch: np.ndarray  # acquisition channel code
    lead: np.ndarray  # latent: identifies at some point
    cust: np.ndarray  # latent: buys at some point
    case: np.ndarray
    t_su: np.ndarray  # planned signup (app account -> CRM contact)
    t_nl: np.ndarray  # planned newsletter subscription (marketing profile)
    t_o1: np.ndarray  # planned first order
    su_slot: np.ndarray
    nl_slot: np.ndarray
    n_dev: np.ndarray
    dev_first: np.ndarray
    dev_person: np.ndarray
    dev_k: np.ndarray
    dev_type: np.ndarray
    dev_ua: np.ndarray
    dev_start: np.ndarray
    first: np.ndarray
    last: np.ndarray
    email: pa.Array
    email2: pa.Array
    b2b: np.ndarray
    company: np.ndarray
    pref_cat: np.ndarray
    exp_arm: np.ndarray
    exp_convert: np.ndarray
    user_id: pa.Array
    companies: dict


def _first_seen(cfg: Config, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    n_main = cfg.n_people
    g = np.log(2.2)  # traffic grows 2.2x over the history
    hf = HORIZON_DAYS / HISTORY_DAYS
    n_tail = int(round(n_main * (np.exp(g * (1 + hf)) - np.exp(g)) / (np.exp(g) - 1)))
    u_main = np.log1p(rng.random(n_main) * (np.exp(g) - 1)) / g
    u_tail = np.log(np.exp(g) + rng.random(n_tail) * (np.exp(g * (1 + hf)) - np.exp(g))) / g
    u = np.concatenate([u_main, u_tail])
    t = cfg.t_start + u * (cfg.t_end - cfg.t_start)
    day = np.floor(t / DAY).astype(np.int64)
    fs = day * DAY + hour_of_day_ms(rng, u.size)
    fs = np.minimum(fs, cfg.horizon - MIN)
    fs[:n_main] = np.minimum(fs[:n_main], cfg.t_end - MIN)
    return np.sort(fs), n_main


def _unique_emails(local: pa.Array, domain: pa.Array) -> pa.Array:
    """local@domain, made unique: later duplicates get ``.<row>`` appended to the local part
    (a pattern no generated address has otherwise, so the result is unique)."""
    email = join(local, "@", domain)
    codes = pc.dictionary_encode(email).indices.to_numpy(zero_copy_only=False)
    first = np.zeros(codes.size, bool)
    first[np.unique(codes, return_index=True)[1]] = True
    dup = ~first
    if dup.any():
        row = pa.array(np.arange(len(email)).astype(str))
        email = pc.if_else(pa.array(dup), join(local, ".", row, "@", domain), email)
    return email


def _companies(rng: np.random.Generator, n_comp: int) -> dict:
    n_combo = len(C.COMPANY_PREFIXES) * len(C.COMPANY_NOUNS)
    combo = (np.arange(n_comp) * 389) % n_combo
    rep = np.arange(n_comp) // n_combo
    pre = pa.array(C.COMPANY_PREFIXES).take(pa.array(combo % len(C.COMPANY_PREFIXES)))
    noun = pa.array(C.COMPANY_NOUNS).take(pa.array(combo // len(C.COMPANY_PREFIXES)))
    num = pa.array(np.where(rep > 0, (rep + 1).astype(str), ""))
    suffix = pa.array(C.COMPANY_SUFFIXES).take(
        pa.array(rng.integers(0, len(C.COMPANY_SUFFIXES), n_comp)))
    name = join(pre, " ", noun, pc.if_else(pa.array(rep > 0), join(" ", num), ""), " ", suffix)
    domain = pc.utf8_lower(join(pre, "-", noun, num, ".com"))
    employees = np.clip(np.round(rng.lognormal(np.log(60), 1.3, n_comp)), 3, 50_000).astype(
        np.int64)
    return {
        "name": name,
        "domain": domain,
        "industry": choice_idx(rng, np.ones(len(C.INDUSTRIES)), n_comp),
        "country": choice_idx(rng, C.COUNTRY_WEIGHTS, n_comp),
        "employees": employees,
        "revenue": np.round(employees * rng.lognormal(np.log(140_000), 0.5, n_comp), -3),
    }


def build_people(cfg: Config) -> People:
    rng = cfg.rng("people")
    fs, n_main = _first_seen(cfg, rng)
    n = fs.size
    ch = choice_idx(rng, C.ACQ_MIX, n)
    lead = rng.random(n) < np.asarray(C.LEAD_PROB)[ch]
    cust = lead & (rng.random(n) < P_CUSTOMER_GIVEN_LEAD)
    r = rng.random(n)
    case = np.where(cust, np.select([r < 0.4, r < 0.75], [0, 1], 2),
                    np.select([r < 0.35, r < 0.70], [3, 4], 5)).astype(np.int8)
    case[~lead] = -1

    # --- when does the person identify (lead) ----------------------------------------------
    in_first = rng.random(n) < 0.3
    delay = np.where(rng.random(n) < 0.5, rng.exponential(3 * DAY, n),
                     rng.exponential(60 * DAY, n)).astype(np.int64) + HOUR
    delay[in_first] = 0
    late_co = (case == CASE_CHECKOUT_SIGNUP) & in_first  # checkout needs its own session
    delay[late_co] = HOUR + rng.exponential(DAY, late_co.sum()).astype(np.int64)
    t_lead = fs + delay
    slot_lead = np.where(delay == 0, SLOT_FIRST, SLOT_OWN).astype(np.int8)

    t_su = np.full(n, NEVER, np.int64)
    t_nl = np.full(n, NEVER, np.int64)
    t_o1 = np.full(n, NEVER, np.int64)
    su_slot = np.full(n, SLOT_NONE, np.int8)
    nl_slot = np.full(n, SLOT_NONE, np.int8)
    opt_in = rng.random(n) < 0.35
    later = (np.where(rng.random(n) < 0.3, rng.exponential(DAY, n),
                      rng.exponential(25 * DAY, n)) + 20 * MIN).astype(np.int64)
    second_same = rng.random(n) < 0.4
    second_gap = (HOUR + rng.exponential(40 * DAY, n)).astype(np.int64)
    nl_first = rng.random(n) < 0.5

    m = case == CASE_SIGNUP_FIRST
    t_su[m], su_slot[m] = t_lead[m], slot_lead[m]
    t_o1[m] = t_su[m] + later[m]
    mm = m & opt_in
    t_nl[mm], nl_slot[mm] = t_su[mm], SLOT_WITH_SU

    m = case == CASE_CHECKOUT_SIGNUP
    t_o1[m] = t_lead[m]
    t_su[m], su_slot[m] = t_lead[m], SLOT_ORDER
    mm = m & opt_in
    t_nl[mm], nl_slot[mm] = t_lead[mm], SLOT_ORDER

    m = case == CASE_NEWSLETTER_FIRST
    t_nl[m], nl_slot[m] = t_lead[m], slot_lead[m]
    t_o1[m] = t_lead[m] + HOUR + rng.exponential(30 * DAY, m.sum()).astype(np.int64)
    t_su[m], su_slot[m] = t_o1[m], SLOT_ORDER

    m = case == CASE_SIGNUP_ONLY
    t_su[m], su_slot[m] = t_lead[m], slot_lead[m]
    m = case == CASE_NEWSLETTER_ONLY
    t_nl[m], nl_slot[m] = t_lead[m], slot_lead[m]

    m = case == CASE_BOTH
    a = m & ~nl_first  # signup first
    t_su[a], su_slot[a] = t_lead[a], slot_lead[a]
    b = m & nl_first
    t_nl[b], nl_slot[b] = t_lead[b], slot_lead[b]
    same = m & second_same
    t_nl[a & same], nl_slot[a & same] = t_lead[a & same], SLOT_WITH_SU
    t_su[b & same], su_slot[b & same] = t_lead[b & same], slot_lead[b & same]
    t_nl[b & same], nl_slot[b & same] = t_lead[b & same], SLOT_WITH_SU
    t_nl[a & ~same] = t_lead[a & ~same] + second_gap[a & ~same]
    nl_slot[a & ~same] = SLOT_OWN
    t_su[b & ~same] = t_lead[b & ~same] + second_gap[b & ~same]
    su_slot[b & ~same] = SLOT_OWN

    # --- A/B experiment: new anonymous visitors in the window, planted conversion -----------
    exp_arm = np.full(n, -1, np.int8)
    exp_convert = np.zeros(n, bool)
    exposed = (fs >= cfg.exp_start) & (fs < cfg.exp_stop)
    exp_arm[exposed] = rng.integers(0, 2, exposed.sum())
    rates = [EXPERIMENT["control_rate"], EXPERIMENT["treatment_rate"]]
    for arm in (0, 1):
        idx = np.flatnonzero(exp_arm == arm)
        k = int(round(rates[arm] * idx.size))
        exp_convert[rng.choice(idx, k, replace=False)] = True
    conv = exp_convert
    lead[conv], cust[conv], case[conv] = True, True, CASE_CHECKOUT_SIGNUP
    t_conv = fs[conv] + 3 * HOUR + (rng.random(conv.sum()) * (12 * DAY - 3 * HOUR)).astype(
        np.int64)
    t_o1[conv] = t_su[conv] = t_conv
    su_slot[conv] = SLOT_ORDER
    opt = opt_in[conv]
    t_nl[conv] = np.where(opt, t_conv, NEVER)
    nl_slot[conv] = np.where(opt, SLOT_ORDER, SLOT_NONE)
    window = EXPERIMENT["window_days"] * DAY
    nc = (exp_arm >= 0) & ~conv & cust & (t_o1 < fs + window)
    new_o1 = fs[nc] + window + HOUR + rng.exponential(10 * DAY, nc.sum()).astype(np.int64)
    tied_su = nc & (su_slot == SLOT_ORDER)
    tied_nl = nc & (nl_slot == SLOT_ORDER)
    t_o1[nc] = new_o1
    t_su[tied_su] = t_o1[tied_su]
    t_nl[tied_nl] = t_o1[tied_nl]
    # a signup planned *after* the moved first order would break "signup <= first order"
    bad = nc & (t_su > t_o1)
    t_su[bad] = t_o1[bad]
    su_slot[bad] = SLOT_ORDER

    # --- devices ---------------------------------------------------------------------------
    n_dev = 1 + (rng.random(n) < np.where(lead, 0.4, 0.12)).astype(np.int64)
    dev_first = np.cumsum(n_dev) - n_dev
    dev_person = np.repeat(np.arange(n), n_dev)
    dev_k = np.arange(dev_person.size) - dev_first[dev_person]
    t0 = choice_idx(rng, C.DEVICE_TYPE_WEIGHTS, n)
    other = np.where(t0 == 0, np.where(rng.random(n) < 0.8, 1, 2),
                     np.where(rng.random(n) < 0.8, 0, np.where(t0 == 1, 2, 1)))
    dev_type = np.where(dev_k == 0, t0[dev_person], other[dev_person]).astype(np.int8)
    n_ua = np.array([len(C.USER_AGENTS[t]) for t in C.DEVICE_TYPES])
    off = np.array([UA_OFFSET[t] for t in C.DEVICE_TYPES])
    dev_ua = (off[dev_type] + (rng.random(dev_person.size) * n_ua[dev_type]).astype(int)).astype(
        np.int16)
    dev_start = np.where(dev_k == 0, fs[dev_person],
                         fs[dev_person] + HOUR + rng.exponential(45 * DAY, dev_person.size).astype(
                             np.int64))

    # --- names, companies, emails ----------------------------------------------------------
    first = rng.integers(0, len(C.FIRST_NAMES), n)
    last = rng.integers(0, len(C.LAST_NAMES), n)
    b2b = (t_su != NEVER) & (rng.random(n) < 0.3)
    n_comp = max(2, int(round(b2b.sum() / 2.5)))
    w = 1.0 / (np.arange(n_comp) + 1.0) ** 0.6
    company = np.full(n, -1, np.int64)
    company[b2b] = choice_idx(rng, w, b2b.sum())
    companies = _companies(rng, n_comp)

    fl = pc.utf8_lower(pa.array(C.FIRST_NAMES).take(pa.array(first)))
    ll = pc.utf8_lower(pa.array(C.LAST_NAMES).take(pa.array(last)))
    num = pa.array(rng.integers(1, 9999, n).astype(str))
    pattern = rng.random(n)
    local = pc.if_else(pa.array(pattern < 0.45), join(fl, ".", ll),
                       pc.if_else(pa.array(pattern < 0.6), join(fl, ll), join(fl, ".", ll, num)))
    local = pc.if_else(pa.array(b2b), join(fl, ".", ll), local)
    pdom = choice_idx(rng, C.PERSONAL_DOMAIN_WEIGHTS, n)
    domain = pc.if_else(pa.array(b2b), companies["domain"].take(pa.array(np.maximum(company, 0))),
                        pa.array(C.PERSONAL_DOMAINS).take(pa.array(pdom)))
    email = _unique_emails(local, domain)
    pdom2 = (pdom + 1 + rng.integers(0, len(C.PERSONAL_DOMAINS) - 1, n)) % len(C.PERSONAL_DOMAINS)
    pdom2 = np.where(b2b, pdom, pdom2)
    num2 = pa.array(rng.integers(10, 99, n).astype(str))
    local2 = join(pc.utf8_slice_codeunits(fl, 0, 1), ll, num2)
    # initial + last name + two digits never looks like a primary address (those have a full
    # first name), so the second emails cannot collide with the first ones
    email2 = _unique_emails(local2, pa.array(C.PERSONAL_DOMAINS).take(pa.array(pdom2)))

    return People(
        n=n, n_main=n_main, fs=fs, ch=ch.astype(np.int8), lead=lead, cust=cust, case=case,
        t_su=t_su, t_nl=t_nl, t_o1=t_o1, su_slot=su_slot, nl_slot=nl_slot, n_dev=n_dev,
        dev_first=dev_first, dev_person=dev_person, dev_k=dev_k, dev_type=dev_type, dev_ua=dev_ua,
        dev_start=dev_start, first=first, last=last, email=email, email2=email2, b2b=b2b,
        company=company, pref_cat=choice_idx(rng, C.CATEGORY_WEIGHTS, n).astype(np.int8),
        exp_arm=exp_arm, exp_convert=exp_convert,
        user_id=base36(scramble40(np.arange(n), cfg.seed * 7919 + 17), 8, prefix="u_"),
        companies=companies,
    )


def mess_emails(rng: np.random.Generator, emails: pa.Array, p_case: float, p_pad: float
                ) -> pa.Array:
    """Return emails as a sloppy system stores them: some capitalised, some padded."""
    n = len(emails)
    r = rng.random(n)
    out = pc.if_else(
        pa.array(r < p_case * 0.5), pc.utf8_title(emails),
        pc.if_else(pa.array(r < p_case * 0.8), pc.utf8_capitalize(emails),
                   pc.if_else(pa.array(r < p_case), pc.utf8_upper(emails), emails)))
    r2 = rng.random(n)
    out = pc.if_else(pa.array(r2 < p_pad / 2), join(" ", out),
                     pc.if_else(pa.array(r2 < p_pad), join(out, "  "), out))
    return out
