"""Run configuration: scale, seed, the simulated time frame and the cut."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ._util import DAY, day_ms, stream

SCALES = {"XS": 0.1, "S": 1.0, "M": 10.0, "L": 100.0}
HISTORY_DAYS = 730  # the company's history before end_date
HORIZON_DAYS = 60  # simulated beyond end_date, so extend_days cuts the same simulation later
EXPERIMENT = {
    "experiment_id": "exp_checkout_redesign",
    "experiment_name": "Checkout redesign",
    "start_days_before_end": 120,
    "stop_days_before_end": 16,
    "window_days": 14,
    "control_rate": 0.10,
    "treatment_rate": 0.145,
}


def parse_scale(scale: str | float) -> float:
    """Scale factor: ``"XS"``=0.1, ``"S"``=1, ``"M"``=10, ``"L"``=100, or a positive number
    (also as a string). People simulated = ``round(10_000 * factor)``."""
    if isinstance(scale, str):
        key = scale.strip().upper()
        if key in SCALES:
            return SCALES[key]
        try:
            value = float(key)
        except ValueError:
            raise ValueError(
                f"unknown scale {scale!r}: use one of {', '.join(SCALES)} or a number") from None
    else:
        value = float(scale)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    return value


@dataclass(frozen=True)
class Config:
    seed: int
    factor: float
    end_date: date
    extend_days: int = 0

    def __post_init__(self):
        if not 0 <= self.extend_days <= HORIZON_DAYS:
            raise ValueError(f"extend_days must be within 0..{HORIZON_DAYS}")
        if round(10_000 * self.factor) < 1:
            raise ValueError("scale too small: no people to simulate")

    @property
    def n_people(self) -> int:
        return int(round(10_000 * self.factor))

    @property
    def t_end(self) -> int:
        return day_ms(self.end_date)

    @property
    def t_start(self) -> int:
        return self.t_end - HISTORY_DAYS * DAY

    @property
    def horizon(self) -> int:
        return self.t_end + HORIZON_DAYS * DAY

    @property
    def cut(self) -> int:
        return self.t_end + self.extend_days * DAY

    @property
    def exp_start(self) -> int:
        return self.t_end - EXPERIMENT["start_days_before_end"] * DAY

    @property
    def exp_stop(self) -> int:
        return self.t_end - EXPERIMENT["stop_days_before_end"] * DAY

    def rng(self, name: str) -> np.random.Generator:
        return stream(self.seed, name)
