"""Support desk (Zendesk-shaped): end-users and agents, tickets, audits with child events
(comments public/internal, status changes), CSAT ratings. Status and updated_at as of the cut."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog as C
from ._util import DAY, HOUR, MIN, NEVER, SEC, choice_idx, hour_of_day_ms, join, take, ts_arr, where
from .crm import CrmKeys, creation_rank
from .people import mess_emails
from .sim import World
from .tables import Identifiers, table

USER_BASE = 361_000_000_000
AUDIT_BASE = 25_000_000_000
CHILD_BASE = 26_000_000_000
RATING_BASE = 5_000_000_000
TICKET_BASE = 10_000
ORG_BASE = 900_000_000
GROUP_BASE = 3_600_000
SYSTEM = -1  # Zendesk's updater for automatic changes (auto-close)
STATUS = ["new", "open", "pending", "hold", "solved", "closed"]
N_SLOTS = 10
# slot: (comment author: 0 none / 1 requester / 2 agent, public, status from, status to, via)
SLOTS = [
    (1, True, -1, 0, None),  # 0 created
    (0, False, 0, 1, "web"),  # 1 triage: new -> open
    (2, False, -1, -1, "web"),  # 2 internal note
    (2, True, 1, 2, "web"),  # 3 first public reply: open -> pending
    (1, True, 2, 1, "email"),  # 4 customer reply: pending -> open
    (2, True, 1, 2, "web"),  # 5 agent reply: open -> pending
    (2, True, 2, 4, "web"),  # 6 solved
    (1, True, 4, 1, "email"),  # 7 reopened by the customer
    (2, True, 1, 4, "web"),  # 8 solved again
    (0, False, 4, 5, "rule"),  # 9 closed 4 days after solve
]


@dataclass
class SupportFacts:
    person: np.ndarray  # per ticket (all in horizon)
    ticket_id: np.ndarray
    created: np.ndarray
    final_solve: np.ndarray
    reopened: np.ndarray
    slow: np.ndarray
    bad_csat_at: np.ndarray  # NEVER if no bad rating
    requester_email: pa.Array  # per ticket, as in the support system


def build_support(w: World, crm: CrmKeys, ids: Identifiers) -> tuple[dict, SupportFacts]:
    cfg, P, od = w.cfg, w.people, w.orders
    cut, H = cfg.cut, cfg.horizon
    rng = cfg.rng("support")
    n = P.n
    out = {}

    # --- tickets over the horizon --------------------------------------------------------
    lead = np.flatnonzero(w.t_lead < H)
    yrs = (H - w.t_lead[lead]) / (365 * DAY)
    k1 = rng.poisson(0.14 * yrs)
    cust = np.flatnonzero(crm.t_customer < H)
    k2 = rng.poisson(0.12 * (H - crm.t_customer[cust]) / (365 * DAY))
    g_person = np.concatenate([np.repeat(lead, k1), np.repeat(cust, k2)])
    lo = np.concatenate([np.repeat(w.t_lead[lead], k1), np.repeat(crm.t_customer[cust], k2)])
    g_t = lo + (rng.random(g_person.size) * (H - lo)).astype(np.int64)
    o_sel = np.flatnonzero(rng.random(od.person.size) < 0.10)
    o_t = w.o_time[o_sel] + DAY + rng.exponential(4 * DAY, o_sel.size).astype(np.int64)
    person = np.concatenate([g_person, od.person[o_sel]])
    t0 = np.concatenate([g_t, o_t])
    t0 = (t0 // DAY) * DAY + hour_of_day_ms(rng, t0.size, "office")
    t0 = np.maximum(t0, np.concatenate([lo, w.o_time[o_sel]]) + HOUR)
    order_of = np.concatenate([np.full(g_person.size, -1), o_sel])
    keep = t0 < H
    person, t0, order_of = person[keep], t0[keep], order_of[keep]
    srt = np.argsort(t0, kind="stable")
    person, t0, order_of = person[srt], t0[srt], order_of[srt]
    nt = person.size
    topics = C.TICKET_TOPICS
    is_order_topic = np.array([t[5] for t in topics])
    tw = np.array([t[4] for t in topics])
    topic = np.where(order_of >= 0,
                     np.flatnonzero(is_order_topic)[choice_idx(rng, tw[is_order_topic], nt)],
                     np.flatnonzero(~is_order_topic)[choice_idx(rng, tw[~is_order_topic], nt)])

    # --- users: agents first, then one end-user per requester ------------------------------
    n_agents = max(3, int(round(nt / 700)))
    a_first = rng.integers(0, len(C.FIRST_NAMES), n_agents + 1)
    a_last = rng.integers(0, len(C.LAST_NAMES), n_agents + 1)
    a_created = cfg.t_start - 100 * DAY + np.arange(n_agents + 1) * HOUR
    req = np.unique(person)
    first_ticket = np.full(n, NEVER, np.int64)
    np.minimum.at(first_ticket, person, t0)
    u_created = first_ticket[req] - (rng.integers(1, 60, req.size) * SEC)
    u_rank = creation_rank(u_created) + n_agents + 1
    user_id_of = np.full(n, -1, np.int64)
    user_id_of[req] = USER_BASE + 1 + u_rank
    agent_ids = USER_BASE + 1 + np.arange(n_agents + 1)  # last one is the admin

    second = rng.random(req.size) < 0.05
    has_contact = crm.contact_rank[req] >= 0
    contact_at_creation = has_contact & (w.t_su[req] <= u_created)
    second &= contact_at_creation  # only linkable via external_id
    email_raw = where(second, P.email2.take(pa.array(req)), P.email.take(pa.array(req)))
    email_shown = mess_emails(rng, email_raw, 0.10, 0.03)
    ext = contact_at_creation & ((rng.random(req.size) < 0.7) | second)
    external = where(ext, crm.contact_id.take(pa.array(req)), pa.nulls(req.size, pa.string()))
    junk = ~second & (rng.random(req.size) < 0.015)
    external = where(junk, take(C.JUNK_IDS, rng.integers(0, 4, req.size)), external)
    req_pos = np.full(n, -1, np.int64)
    req_pos[req] = np.arange(req.size)

    ku = np.flatnonzero(u_created < cut)
    ku = ku[np.argsort(u_rank[ku])]
    a_names = join(take(C.FIRST_NAMES, a_first), " ", take(C.LAST_NAMES, a_last))
    a_emails = join(take([x.lower() for x in C.FIRST_NAMES], a_first), ".",
                    take([x.lower() for x in C.LAST_NAMES], a_last), "@northwind.example")
    na = n_agents + 1
    users = {
        "id": np.r_[agent_ids, USER_BASE + 1 + u_rank[ku]],
        "name": pa.concat_arrays([a_names, join(take(C.FIRST_NAMES, P.first[req[ku]]), " ",
                                                take(C.LAST_NAMES, P.last[req[ku]]))]),
        "email": pa.concat_arrays([a_emails, email_shown.take(pa.array(ku))]),
        "phone": pa.nulls(na + ku.size, pa.string()),
        "time_zone": take(C.TIME_ZONES, np.r_[np.zeros(na, int),
                                              rng.integers(0, len(C.TIME_ZONES), req.size)[ku]]),
        "role": ["agent"] * n_agents + ["admin"] + ["end-user"] * ku.size,
        "external_id": pa.concat_arrays([pa.nulls(na, pa.string()), external.take(pa.array(ku))]),
        "created_at": ts_arr(np.r_[a_created, u_created[ku]]),
        "updated_at": ts_arr(np.r_[a_created, u_created[ku]]),
    }
    out["support.users"] = table("support.users", users)
    uid_str = pa.array((USER_BASE + 1 + u_rank[ku]).astype(str))
    ids.add("support_user_id", uid_str, req[ku])
    ids.add("email", email_shown.take(pa.array(ku)), req[ku], normalise_email=True)
    ids.add("crm_contact_id", external.take(pa.array(ku)), req[ku])

    # --- audits -------------------------------------------------------------------------
    agent = rng.integers(0, n_agents, nt)
    t_tri = t0 + 5 * MIN + rng.exponential(40 * MIN, nt).astype(np.int64)
    t_fr = t_tri + rng.lognormal(np.log(3 * HOUR), 1.1, nt).astype(np.int64)
    has_cr = rng.random(nt) < 0.55
    t_cr = t_fr + 10 * MIN + rng.exponential(20 * HOUR, nt).astype(np.int64)
    t_ar = t_cr + rng.lognormal(np.log(2 * HOUR), 1.0, nt).astype(np.int64)
    last = np.where(has_cr, t_ar, t_fr)
    t_s = last + 10 * MIN + rng.exponential(14 * HOUR, nt).astype(np.int64)
    has_note = rng.random(nt) < 0.4
    note_before = rng.random(nt) < 0.5
    t_note = np.where(note_before, t_tri + (rng.random(nt) * (t_fr - t_tri)).astype(np.int64),
                      t_fr + (rng.random(nt) * (t_s - t_fr)).astype(np.int64))
    reopen = rng.random(nt) < 0.1
    t_ro = t_s + HOUR + rng.exponential(2 * DAY, nt).astype(np.int64)
    t_s2 = t_ro + rng.lognormal(np.log(5 * HOUR), 1.0, nt).astype(np.int64)
    final = np.where(reopen, t_s2, t_s)
    t_close = final + 4 * DAY + rng.integers(0, 12 * HOUR, nt)
    T = np.stack([t0, t_tri, t_note, t_fr, t_cr, t_ar, t_s, t_ro, t_s2, t_close], axis=1)
    present = np.ones((nt, N_SLOTS), bool)
    present[:, 2] = has_note
    present[:, 4] = present[:, 5] = has_cr
    present[:, 7] = present[:, 8] = reopen
    T = np.where(present, T, NEVER)
    T = np.where(T < H, T, NEVER)
    T = (T // SEC) * SEC  # Zendesk has second resolution
    T = np.where(present & (T < H), T, NEVER)

    # ticket state as of the cut
    sto = np.array([s[3] for s in SLOTS])
    seen = cut > T
    stat_t = np.where(seen & (sto >= 0)[None, :], T, -1)
    status = sto[stat_t.argmax(axis=1)]
    upd = np.where(seen, T, -1).max(axis=1)
    # CSAT on ~35% of solved tickets, before closing
    rated = (rng.random(nt) < 0.35) & (final < H)
    t_rate = np.minimum(final + 30 * MIN + rng.exponential(10 * HOUR, nt).astype(np.int64),
                        t_close - MIN)
    t_rate = np.where(rated, (t_rate // SEC) * SEC, NEVER)
    slow = (t_fr - t0) > 24 * HOUR
    bad = rng.random(nt) < 0.1 + 0.25 * slow + 0.35 * reopen
    upd = np.where(t_rate < cut, np.maximum(upd, t_rate), upd)

    t_rank = np.arange(nt)  # tickets are sorted by creation already
    ticket_id = TICKET_BASE + 1 + t_rank
    kt = np.flatnonzero(t0 < cut)
    group = np.array([C.TICKET_GROUPS.index(t[2]) for t in topics])[topic]
    tags = pa.array([list(t[3]) for t in topics]).take(pa.array(topic[kt]))
    requester = user_id_of[person]
    submit_agent = rng.random(nt) < 0.05
    submitter = np.where(submit_agent, agent_ids[agent], requester)
    via = np.where(submit_agent, 3, choice_idx(rng, [0.45, 0.4, 0.15], nt))
    org = np.where(P.company[person] >= 0, ORG_BASE + P.company[person], -1)
    assignee = np.where(status[kt] == 0, -1, agent_ids[agent][kt])
    ext_t = where(order_of[kt] >= 0, crm.order_id.take(pa.array(np.maximum(order_of[kt], 0))),
                  pa.nulls(kt.size, pa.string()))
    subjects = [t[0] for t in topics]
    out["support.tickets"] = table("support.tickets", {
        "id": ticket_id[kt], "requester_id": requester[kt], "submitter_id": submitter[kt],
        "assignee_id": pa.array(assignee, mask=assignee < 0),
        "organization_id": pa.array(org[kt], mask=org[kt] < 0),
        "group_id": GROUP_BASE + group[kt], "subject": take(subjects, topic[kt]),
        "description": join(take(subjects, topic[kt]), " - please help, thanks."),
        "external_id": ext_t, "type": take([t[1] for t in topics], topic[kt]),
        "priority": take(["low", "normal", "high", "urgent"],
                         choice_idx(rng, [0.2, 0.6, 0.15, 0.05], nt)[kt]),
        "status": take(STATUS, status[kt]), "tags": tags,
        "via__channel": take(["web", "email", "chat", "api"], via[kt]),
        "created_at": ts_arr(T[kt, 0]), "updated_at": ts_arr(upd[kt])})

    # audits: one row per present slot; ids in time order over the horizon
    a_ticket = np.repeat(np.arange(nt), N_SLOTS)
    a_slot = np.tile(np.arange(N_SLOTS), nt)
    a_t = T.ravel()
    ok = a_t < NEVER
    a_ticket, a_slot, a_t = a_ticket[ok], a_slot[ok], a_t[ok]
    o = np.lexsort((a_slot, a_ticket, a_t))
    a_ticket, a_slot, a_t = a_ticket[o], a_slot[o], a_t[o]
    a_id = AUDIT_BASE + 1 + np.arange(a_t.size)
    author_kind = np.array([s[0] for s in SLOTS])[a_slot]
    updater = np.where(a_slot == 9, SYSTEM,
                       np.where(np.isin(a_slot, [0, 4, 7]), requester[a_ticket],
                                agent_ids[agent][a_ticket]))
    slot_via = np.array([s[4] or "" for s in SLOTS], dtype=object)[a_slot]
    a_via = np.where(a_slot == 0, np.array(["web", "email", "chat", "api"])[via[a_ticket]],
                     slot_via)
    ka = a_t < cut
    out["support.ticket_events"] = table("support.ticket_events", {
        "id": a_id[ka], "ticket_id": ticket_id[a_ticket[ka]], "updater_id": updater[ka],
        "via__channel": a_via[ka], "event_type": ["Audit"] * int(ka.sum()),
        "created_at": ts_arr(a_t[ka])})
    # children: comment (if any) then status change (if any), ids follow the audit order
    has_comment = author_kind > 0
    sfrom = np.array([s[2] for s in SLOTS])[a_slot]
    has_change = np.array([s[3] >= 0 for s in SLOTS])[a_slot]
    nchild = has_comment.astype(int) + has_change
    c_audit = np.repeat(np.arange(a_t.size), nchild)
    c_pos = np.arange(c_audit.size) - np.repeat(np.cumsum(nchild) - nchild, nchild)
    c_is_comment = has_comment[c_audit] & (c_pos == 0)
    c_id = CHILD_BASE + 1 + np.arange(c_audit.size)
    c_slot = a_slot[c_audit]
    public = np.array([s[1] for s in SLOTS])[c_slot]
    body_req = np.where(c_slot == 0, 0, 1 + (c_audit % len(C.CUSTOMER_REPLIES)))
    bodies = ([None] + C.CUSTOMER_REPLIES + C.AGENT_REPLIES + C.INTERNAL_NOTES)
    nr, na_ = len(C.CUSTOMER_REPLIES), len(C.AGENT_REPLIES)
    body_idx = np.where(author_kind[c_audit] == 1, body_req,
                        np.where(public, 1 + nr + c_audit % na_,
                                 1 + nr + na_ + c_audit % len(C.INTERNAL_NOTES)))
    body_idx = np.where(c_is_comment, body_idx, 0)
    body = take(bodies, np.where(body_idx == 0, -1, body_idx))
    first_desc = c_is_comment & (c_slot == 0)
    desc = join(take(subjects, topic[a_ticket[c_audit]]), " - please help, thanks.")
    body = where(first_desc, desc, body)
    kc = a_t[c_audit] < cut
    status_to = np.array([s[3] for s in SLOTS])[c_slot]
    out["support.ticket_event_children"] = table("support.ticket_event_children", {
        "id": c_id[kc], "audit_id": a_id[c_audit][kc],
        "ticket_id": ticket_id[a_ticket[c_audit]][kc],
        "author_id": updater[c_audit][kc],
        "event_type": np.where(c_is_comment, "Comment", "Change")[kc],
        "public": pa.array(public[kc], mask=~c_is_comment[kc]),
        "body": body.filter(pa.array(kc)),
        "field_name": pa.array(np.where(c_is_comment, None, "status")[kc], pa.string()),
        "value": take(STATUS, np.where(c_is_comment, -1, status_to)[kc]),
        "previous_value": take(STATUS, np.where(c_is_comment, -1, sfrom[c_audit])[kc]),
        "created_at": ts_arr(a_t[c_audit][kc])})

    # satisfaction ratings
    r_t = np.flatnonzero(t_rate < H)
    r_t = r_t[np.argsort(t_rate[r_t], kind="stable")]
    r_id = RATING_BASE + 1 + np.arange(r_t.size)
    kr = t_rate[r_t] < cut
    rt = r_t[kr]
    b = bad[rt]
    comment_on = rng.random(nt)[rt] < 0.4
    good_c = take(C.CSAT_GOOD_COMMENTS, rt % len(C.CSAT_GOOD_COMMENTS))
    bad_c = take(C.CSAT_BAD_COMMENTS, rt % len(C.CSAT_BAD_COMMENTS))
    reason_idx = np.where(reopen[rt], 1, np.where(slow[rt], 0, 2 + rt % 3))
    out["support.satisfaction_ratings"] = table("support.satisfaction_ratings", {
        "id": r_id[kr], "ticket_id": ticket_id[rt], "requester_id": requester[rt],
        "assignee_id": agent_ids[agent][rt], "score": np.where(b, "bad", "good"),
        "comment": where(comment_on, where(b, bad_c, good_c), pa.nulls(rt.size, pa.string())),
        "reason": take(C.CSAT_BAD_REASONS, np.where(b, reason_idx, -1)),
        "created_at": ts_arr(t_rate[rt]), "updated_at": ts_arr(t_rate[rt])})

    facts = SupportFacts(
        person=person, ticket_id=ticket_id, created=T[:, 0], final_solve=np.where(
            final < H, (final // SEC) * SEC, NEVER), reopened=reopen, slow=slow,
        bad_csat_at=np.where(rated & bad, t_rate, NEVER),
        requester_email=email_shown.take(pa.array(req_pos[person])))
    return out, facts
