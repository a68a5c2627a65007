"""Marketing tables (Klaviyo-like API: campaigns, profiles, email events, coupons, redemptions)
and the marketing landing files (ad spend, survey responses, experiment assignments)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import catalog as C
from ._util import (
    DAY,
    HOUR,
    NEVER,
    SEC,
    fmt_iso,
    mix64,
    prefixed_hex,
    take,
    ts_arr,
    ulid,
    uuid4,
    where,
)
from .config import EXPERIMENT
from .crm import CrmKeys
from .people import mess_emails
from .sim import EMAIL_TYPES, World
from .support import SupportFacts
from .tables import Identifiers, table


def _sec(t: np.ndarray) -> np.ndarray:
    return np.where(t < NEVER, (t // SEC) * SEC, NEVER)


def device_anonymous_ids(w: World) -> pa.Array:
    d = np.arange(w.people.dev_person.size, dtype=np.uint64)
    return uuid4(mix64(d, w.cfg.seed * 3 + 1), mix64(d, w.cfg.seed * 3 + 2))


def landing_url(path: str, combo: tuple) -> str:
    src, med, camp, term, content, _ = combo
    q = [(k, v) for k, v in (("utm_source", src), ("utm_medium", med), ("utm_campaign", camp),
                             ("utm_term", term), ("utm_content", content)) if v]
    qs = "&".join(f"{k}={v.replace(' ', '+')}" for k, v in q)
    return f"{C.SHOP_URL}{path}" + (f"?{qs}" if qs else "")


def build_marketing(w: World, crm: CrmKeys, ids: Identifiers) -> tuple[dict, dict]:
    cfg, P, cp, em = w.cfg, w.people, w.camps, w.email
    cut = cfg.cut
    rng = cfg.rng("marketing")
    seed = cfg.seed
    out = {}

    # --- campaigns ---------------------------------------------------------------------
    nc = cp.n
    created = _sec(cp.arr("created"))
    camp_id = ulid(created, mix64(np.arange(nc), seed * 11 + 1))
    kc = np.flatnonzero(created < cut)
    kc = kc[np.argsort(created[kc], kind="stable")]
    send = _sec(cp.arr("send_time"))
    upd = np.where(send < cut, np.maximum(send, created), created)
    out["marketing.campaigns"] = table("marketing.campaigns", {
        "id": camp_id.take(pa.array(kc)), "name": [cp.name[i] for i in kc],
        "channel": [cp.channel[i] for i in kc], "utm_source": [cp.utm_source[i] for i in kc],
        "utm_medium": [cp.utm_medium[i] for i in kc],
        "utm_campaign": [cp.utm_campaign[i] for i in kc],
        "subject": pa.array([cp.subject[i] for i in kc], pa.string()),
        "send_time": ts_arr(send[kc]), "start_date": ts_arr(_sec(cp.arr("start"))[kc]),
        "end_date": ts_arr(_sec(cp.arr("end"))[kc]),
        "budget": pa.array(cp.arr("budget")[kc], mask=np.isnan(cp.arr("budget")[kc])),
        "created": ts_arr(created[kc]), "updated": ts_arr(upd[kc])})

    # --- profiles ----------------------------------------------------------------------
    npf = em.pr_person.size
    pr_created = _sec(em.pr_created)
    prof_id = ulid(pr_created, mix64(em.pr_person.astype(np.uint64) * 2 + em.pr_second, seed * 11
                                     + 2))
    # per-profile draws for the whole horizon (independent of the cut)
    email_all = mess_emails(rng, where(em.pr_second, P.email2.take(pa.array(em.pr_person)),
                                       P.email.take(pa.array(em.pr_person))), 0.08, 0.03)
    named_draw = rng.random(npf) < 0.4
    junk_draw = rng.random(npf) < 0.01
    junk_pick = rng.integers(0, len(C.JUNK_IDS), npf)
    kp = np.flatnonzero(pr_created < cut)
    pp = em.pr_person[kp]
    email = email_all.take(pa.array(kp))
    signed = w.t_su[pp] < cut
    named = signed | named_draw[kp]
    fn = where(named, take(C.FIRST_NAMES, P.first[pp]), pa.nulls(kp.size, pa.string()))
    ln = where(named, take(C.LAST_NAMES, P.last[pp]), pa.nulls(kp.size, pa.string()))
    ext = where(signed, P.user_id.take(pa.array(pp)), pa.nulls(kp.size, pa.string()))
    ext = where(junk_draw[kp] & signed, take(C.JUNK_IDS, junk_pick[kp]), ext)
    sub = _sec(em.pr_sub_from[kp])
    uns = _sec(em.pr_unsub[kp])
    consent = np.where(uns < cut, 1, np.where(sub < cut, 0, 2))
    cons_upd = np.where(uns < cut, uns, np.where(sub < cut, sub, NEVER))
    su_set = np.where(signed & (w.t_su[pp] > pr_created[kp]), _sec(w.t_su[pp]), 0)
    p_upd = np.maximum(np.maximum(pr_created[kp], np.where(cons_upd < NEVER, cons_upd, 0)), su_set)
    out["marketing.profiles"] = table("marketing.profiles", {
        "id": prof_id.take(pa.array(kp)), "email": email, "first_name": fn, "last_name": ln,
        "external_id": ext, "consent": take(["subscribed", "unsubscribed", "never_subscribed"],
                                            consent),
        "consent_updated_at": ts_arr(cons_upd), "created": ts_arr(pr_created[kp]),
        "updated": ts_arr(p_upd)})
    ids.add("marketing_profile_id", prof_id.take(pa.array(kp)), pp)
    ids.add("email", email, pp, normalise_email=True)
    ids.add("app_user_id", ext, pp)
    primary_prof = np.full(P.n, -1, np.int64)
    prim = ~em.pr_second
    primary_prof[em.pr_person[prim]] = np.flatnonzero(prim)

    # --- email events ------------------------------------------------------------------
    ne = em.ev_time.size
    et = _sec(em.ev_time)
    ev_id = ulid(et, mix64(np.arange(ne), seed * 11 + 3))
    ke = np.flatnonzero(et < cut)
    clicked = em.ev_type[ke] == 2
    ec = em.ev_campaign[ke]
    urls = np.array([landing_url("/sale" if cp.landing[i] == "sale" else "/",
                                 cp.combos[cp.combo_start[i]]) for i in range(nc)], dtype=object)
    out["marketing.email_events"] = table("marketing.email_events", {
        "id": ev_id.take(pa.array(ke)),
        "profile_id": prof_id.take(pa.array(em.ev_profile[ke])),
        "campaign_id": camp_id.take(pa.array(ec)),
        "event_type": take(EMAIL_TYPES, em.ev_type[ke]),
        "url": pa.array(np.where(clicked, urls[ec], None), pa.string()),
        "datetime": ts_arr(et[ke]), "updated": ts_arr(et[ke])})

    # --- coupons + redemptions ----------------------------------------------------------
    cpn = cp.coupons
    ncp = len(cpn["code"])
    c_created = _sec(cpn["created"])
    coupon_id = ulid(c_created, mix64(np.arange(ncp), seed * 11 + 4))
    kk = np.flatnonzero(c_created < cut)
    out["marketing.coupons"] = table("marketing.coupons", {
        "id": coupon_id.take(pa.array(kk)), "code": [cpn["code"][i] for i in kk],
        "campaign_id": take(camp_id, cpn["campaign"][kk]),
        "discount_type": [cpn["discount_type"][i] for i in kk],
        "discount_value": cpn["discount_value"][kk],
        "valid_from": ts_arr(_sec(cpn["valid_from"])[kk]),
        "valid_to": ts_arr(_sec(cpn["valid_to"])[kk]), "created": ts_arr(c_created[kk]),
        "updated": ts_arr(c_created[kk])})
    ro = np.flatnonzero((w.o_coupon >= 0) & (w.o_time < cut))
    ro = ro[np.argsort(w.o_time[ro], kind="stable")]
    rt = _sec(w.o_time[ro])
    rp = w.orders.person[ro]
    prof = primary_prof[rp]
    prof = np.where((prof >= 0) & (em.pr_created[np.maximum(prof, 0)] <= w.o_time[ro]), prof, -1)
    r_email = mess_emails(rng, P.email.take(pa.array(w.orders.person)), 0.06, 0.02).take(
        pa.array(ro))
    out["marketing.coupon_redemptions"] = table("marketing.coupon_redemptions", {
        "id": ulid(rt, mix64(ro.astype(np.uint64), seed * 11 + 5)),
        "coupon_id": coupon_id.take(pa.array(w.o_coupon[ro])),
        "code": take(cpn["code"], w.o_coupon[ro]),
        "order_id": crm.order_id.take(pa.array(ro)), "profile_id": take(prof_id, prof),
        "email": r_email, "redeemed_at": ts_arr(rt), "updated": ts_arr(rt)})
    ids.add("email", r_email, rp, normalise_email=True)
    return out, {"campaign_id": camp_id}


def build_ad_spend(w: World, camp_id: pa.Array) -> pa.Table:
    """Daily spend per paid campaign; clicks = paid sessions that day (+ a few untracked)."""
    cfg, cp, S = w.cfg, w.camps, w.S
    rng = cfg.rng("ad_spend")
    chan = cp.arr("channel")
    paid = np.flatnonzero(np.isin(chan, ["paid_search", "paid_social", "display"]))
    d0 = cfg.t_start // DAY
    nd = int((cfg.horizon // DAY) - d0)
    m = (S.campaign >= 0) & np.isin(S.campaign, paid) & (S.start < cfg.horizon) & (
        S.start >= cfg.t_start)
    day = (S.start[m] // DAY - d0).astype(np.int64)
    sess = np.zeros((cp.n, nd), np.int64)
    np.add.at(sess, (S.campaign[m], day), 1)
    start, end = cp.arr("start"), cp.arr("end")
    days = (d0 + np.arange(nd)) * DAY
    rows_c, rows_d = [], []
    for c in paid:
        act = np.flatnonzero((days + DAY > start[c]) & (days < end[c]))
        rows_c.append(np.full(act.size, c))
        rows_d.append(act)
    rc, rd = np.concatenate(rows_c), np.concatenate(rows_d)
    s = sess[rc, rd]
    clicks = s + rng.binomial(s, 0.06)
    ctr = cp.arr("ctr")[rc] * rng.lognormal(0, 0.2, rc.size)
    impressions = np.maximum(clicks, np.round((clicks + rng.random(rc.size) * 3) / ctr)).astype(
        np.int64)
    spend = np.round(clicks * cp.arr("cpc")[rc] * rng.lognormal(0, 0.15, rc.size), 2)
    keep = (days[rd] + DAY) <= cfg.cut  # complete days before the cut
    rc, rd = rc[keep], rd[keep]
    o = np.lexsort((rc, rd))
    rc, rd = rc[o], rd[o]
    return pa.table({
        "date": pa.array(((d0 + rd) * DAY).astype("datetime64[ms]").astype("datetime64[D]")),
        "platform": [cp.platform[i] for i in rc],
        "campaign_id": camp_id.take(pa.array(rc)),
        "utm_campaign": [cp.utm_campaign[i] for i in rc],
        "impressions": impressions[keep][o], "clicks": clicks[keep][o], "spend": spend[keep][o],
        "currency": [C.CURRENCY] * rc.size})


def build_surveys(w: World, crm: CrmKeys, sup: SupportFacts, ids: Identifiers) -> pa.Table:
    cfg, P = w.cfg, w.people
    rng = cfg.rng("surveys")
    cut, H = cfg.cut, cfg.horizon
    n = P.n
    bad_support_at = np.full(n, NEVER, np.int64)
    np.minimum.at(bad_support_at, sup.person, sup.bad_csat_at)
    ro = sup.reopened
    np.minimum.at(bad_support_at, sup.person[ro], np.where(sup.final_solve[ro] < NEVER,
                                                           sup.final_solve[ro], NEVER))
    n_orders = np.bincount(w.orders.person, minlength=n)
    # NPS, relationship survey, quarterly sample
    parts = []
    q = cfg.t_start + 15 * DAY
    qi = 0
    while q < H:
        elig = np.flatnonzero((w.t_lead < q) & (rng.random(n) < 0.12 * 0.35))
        t = q + rng.exponential(5 * DAY, elig.size).astype(np.int64)
        parts.append((elig, t, np.full(elig.size, qi)))
        q += 91 * DAY
        qi += 1
    person = np.concatenate([p for p, _, _ in parts])
    t = np.concatenate([x for _, x, _ in parts])
    quarter = np.concatenate([x for _, _, x in parts])
    bad = bad_support_at[person] < t
    rep = n_orders[person] >= 2
    score = np.clip(np.round(8.2 + 1.9 * rng.standard_normal(person.size) - 2.8 * bad + 0.4 * rep),
                    0, 10).astype(np.int64)
    band = np.where(score >= 9, 0, np.where(score >= 7, 1, 2))
    comments = [C.NPS_COMMENTS[k] for k in ("promoter", "passive", "detractor")]
    flat = [c for cs in comments for c in cs]
    offs = np.cumsum([0] + [len(c) for c in comments[:-1]])
    lens = np.array([len(c) for c in comments])
    cidx = offs[band] + rng.integers(0, 100, person.size) % lens[band]
    comment = np.where(rng.random(person.size) < 0.3, cidx, -1)
    nps = {"survey": "nps", "person": person, "t": t, "score": score,
           "comment": take(flat, comment),
           "trigger": "relationship", "ticket": np.full(person.size, -1),
           "key": quarter.astype(np.uint64) * np.uint64(1 << 32) + person.astype(np.uint64),
           "support_email": None}
    # CES after solved tickets
    tk = np.flatnonzero((sup.final_solve < H) & (rng.random(sup.person.size) < 0.25))
    t2 = sup.final_solve[tk] + 2 * HOUR + rng.exponential(DAY, tk.size).astype(np.int64)
    ces_score = np.clip(np.round(5.6 - 1.5 * sup.reopened[tk] - 1.0 * sup.slow[tk]
                                 + 1.1 * rng.standard_normal(tk.size)), 1, 7).astype(np.int64)
    ces_c = np.where(rng.random(tk.size) < 0.25, rng.integers(0, len(C.CES_COMMENTS), tk.size), -1)
    ces = {"survey": "ces", "person": sup.person[tk], "t": t2, "score": ces_score,
           "comment": take(C.CES_COMMENTS, ces_c), "trigger": "post_support",
           "ticket": sup.ticket_id[tk], "key": np.uint64(1 << 62) + tk.astype(np.uint64),
           "support_email": sup.requester_email.take(pa.array(tk))}
    cols = {k: [] for k in ("response_id", "survey", "email", "contact_id", "score", "comment",
                            "trigger", "ticket_id", "t", "person")}
    for s in (nps, ces):
        nall = s["person"].size
        mode_all = rng.random(nall)
        junk_all = rng.integers(0, len(C.JUNK_IDS), nall)
        email_all = (None if s["support_email"] is not None else
                     mess_emails(rng, P.email.take(pa.array(s["person"])), 0.08, 0.03))
        keep = np.flatnonzero(s["t"] < cut)
        p = s["person"][keep]
        k = keep.size
        contact = take(crm.contact_id, np.where(w.t_su[p] < s["t"][keep], p, -1))
        has_c = np.asarray(contact.is_valid())
        mode = mode_all[keep]
        if s["support_email"] is not None:
            email = s["support_email"].take(pa.array(keep))
            contact = where(mode < 0.5, contact, pa.nulls(k, pa.string()))
        else:
            email = email_all.take(pa.array(keep))
            only_contact = has_c & (mode < 0.1)
            email = where(only_contact, pa.nulls(k, pa.string()), email)
            contact = where(has_c & (mode >= 0.8), pa.nulls(k, pa.string()), contact)
            junk = has_c & (mode >= 0.1) & (mode < 0.11)
            email = where(junk, take(C.JUNK_IDS, junk_all[keep]), email)
            contact = where(junk, crm.contact_id.take(pa.array(p)), contact)
        cols["response_id"].append(prefixed_hex("R_", mix64(s["key"][keep], cfg.seed * 13 + 1),
                                                15))
        cols["survey"].append(pa.array([s["survey"]] * k, pa.string()))
        cols["email"].append(email.cast(pa.string()))
        cols["contact_id"].append(contact.cast(pa.string()))
        cols["score"].append(pa.array(s["score"][keep]))
        cols["comment"].append(s["comment"].take(pa.array(keep)).cast(pa.string()))
        cols["trigger"].append(pa.array([s["trigger"]] * k, pa.string()))
        tid = s["ticket"][keep]
        cols["ticket_id"].append(pa.array(tid, pa.int64(), mask=tid < 0))
        cols["t"].append(s["t"][keep])
        cols["person"].append(p)
    t_all = np.concatenate(cols.pop("t"))
    person = np.concatenate(cols.pop("person"))
    tbl = pa.table({k: pa.concat_arrays(v) for k, v in cols.items()})
    tbl = tbl.append_column("submitted_at", fmt_iso(t_all))
    ids.add("email", tbl["email"], person, normalise_email=True)
    ids.add("crm_contact_id", tbl["contact_id"], person)
    o = np.argsort(t_all, kind="stable")
    return tbl.take(pa.array(o)).append_column("_t", pa.array(t_all[o]))


def build_experiment(w: World, anon: pa.Array) -> tuple[pa.Table, dict]:
    cfg, P = w.cfg, w.people
    exp = np.flatnonzero((P.exp_arm >= 0) & (w.t_exposed < cfg.cut))
    exp = exp[np.argsort(w.t_exposed[exp], kind="stable")]
    t = w.t_exposed[exp]
    variant = np.where(P.exp_arm[exp] == 1, "treatment", "control")
    tbl = pa.table({
        "experiment_id": [EXPERIMENT["experiment_id"]] * exp.size,
        "experiment_name": [EXPERIMENT["experiment_name"]] * exp.size,
        "variant": variant, "anonymous_id": anon.take(pa.array(P.dev_first[exp])),
        "user_id": pa.nulls(exp.size, pa.string()), "assigned_at": fmt_iso(t),
        "_t": pa.array(t)})
    # truth: first order within the window after exposure, from the data itself
    first_order = np.full(P.n, NEVER, np.int64)
    np.minimum.at(first_order, w.orders.person, w.o_time)
    window = EXPERIMENT["window_days"] * DAY
    fo = first_order[exp]
    conv = (fo >= t) & (fo < t + window) & (fo < cfg.cut)
    res = {}
    for arm, name in ((0, "control"), (1, "treatment")):
        m = P.exp_arm[exp] == arm
        e, c = int(m.sum()), int(conv[m].sum())
        res[name] = {"exposures": e, "conversions": c, "rate": c / e if e else None,
                     "true_rate": EXPERIMENT[f"{name}_rate"]}
    a, b = res["control"], res["treatment"]
    z = p = None
    if a["exposures"] and b["exposures"]:
        pooled = (a["conversions"] + b["conversions"]) / (a["exposures"] + b["exposures"])
        se = np.sqrt(pooled * (1 - pooled) * (1 / a["exposures"] + 1 / b["exposures"]))
        if se > 0:
            from math import erfc, sqrt
            z = float((b["rate"] - a["rate"]) / se)
            p = float(erfc(abs(z) / sqrt(2)))
    truth = {
        "experiment_id": EXPERIMENT["experiment_id"],
        "experiment_name": EXPERIMENT["experiment_name"],
        "unit": "anonymous_id (first device of a new visitor)",
        "exposure": "Experiment Viewed event in the visitor's first session",
        "conversion": f"first order placed within {EXPERIMENT['window_days']} days after exposure",
        "start": _iso_ms(cfg.exp_start), "stop": _iso_ms(cfg.exp_stop),
        "true_rates": {"control": EXPERIMENT["control_rate"],
                       "treatment": EXPERIMENT["treatment_rate"]},
        "true_lift": EXPERIMENT["treatment_rate"] / EXPERIMENT["control_rate"] - 1,
        "variants": res, "z": z, "p_value_two_sided": p,
    }
    return tbl, truth


def _iso_ms(ms: int) -> str:
    import datetime as _dt
    return _dt.datetime.fromtimestamp(ms / 1000, tz=_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

