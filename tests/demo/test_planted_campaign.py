"""The planted most effective campaign (generator/campaigns.plant_effective_campaign) on a
hand-made set of sessions: only paid-search sessions that lead to an order within 30 days
move, about PLANT_SHARE of them, to one always-on paid-search campaign drawn by seed."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import numpy as np

from ingestion.demo.generator._util import DAY, NEVER
from ingestion.demo.generator.campaigns import (
    PLANT_SHARE,
    PLANT_WINDOW_DAYS,
    build_campaigns,
    plant_effective_campaign,
)
from ingestion.demo.generator.config import Config

CFG = Config(seed=11, factor=0.1, end_date=date(2026, 11, 1))
N = 4000


def _sessions(camps, converting_gap_days: float | None):
    """N sessions of N people on always-on paid-search campaigns, each person with one
    order `converting_gap_days` after the session (None: no order)."""
    chan, start, end = camps.arr("channel"), camps.arr("start"), camps.arr("end")
    always_on = np.flatnonzero((chan == "paid_search") & (start <= CFG.t_start) & (end == NEVER))
    campaign = always_on[np.arange(N) % always_on.size].astype(np.int32)
    t = CFG.t_start + 100 * DAY + np.arange(N, dtype=np.int64) * 1000
    S = SimpleNamespace(person=np.arange(N, dtype=np.int32), start=t, campaign=campaign.copy(),
                        src=np.full(N, -1, np.int32), n=N)
    if converting_gap_days is None:
        o_person, o_time = np.zeros(0, np.int64), np.zeros(0, np.int64)
    else:
        o_person = np.arange(N)
        o_time = t + int(converting_gap_days * DAY)
    return S, campaign, always_on, o_person, o_time


def test_converting_sessions_move_to_one_always_on_campaign():
    camps = build_campaigns(CFG)
    S, before, always_on, o_person, o_time = _sessions(camps, PLANT_WINDOW_DAYS)
    best = plant_effective_campaign(CFG, S, camps, o_person, o_time)
    assert best in always_on
    moved = (S.campaign != before)
    # a session already on the best campaign cannot "move": expected share among the others
    others = before != best
    share = moved[others].mean()
    assert abs(share - PLANT_SHARE) < 0.05, share
    assert (S.campaign[moved] == best).all()
    lo = camps.combo_start[best]
    assert ((S.src[moved] >= lo) & (S.src[moved] < lo + camps.combo_count[best])).all()
    # deterministic by seed
    S2, *_ = _sessions(camps, PLANT_WINDOW_DAYS)
    assert plant_effective_campaign(CFG, S2, camps, o_person, o_time) == best
    assert (S2.campaign == S.campaign).all()


def test_sessions_without_an_order_in_the_window_keep_their_campaign():
    camps = build_campaigns(CFG)
    for gap in (None, PLANT_WINDOW_DAYS + 1, -1):
        S, before, _, o_person, o_time = _sessions(camps, gap)
        plant_effective_campaign(CFG, S, camps, o_person, o_time)
        assert (S.campaign == before).all(), gap
