"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): log-likelihood,
fit, P(alive) and conditional expected purchases. Arrays are per customer: x = repeat
purchases, t_x = recency (first to last purchase), T = first purchase to calibration end,
all in one time unit."""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, expit, gammaln, hyp2f1

from orchestration.clv.mle import Fit, fit_mle

NAMES = ("r", "alpha", "a", "b")
STARTS = ((1.0, 1.0, 1.0, 1.0), (0.5, 10.0, 0.5, 2.0), (1.0, 50.0, 2.0, 5.0))


def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
                   ) -> np.ndarray:
    """Per-customer log-likelihood (paper eq. 6), in log space."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    xb = np.where(repeat, x, 1.0)  # keeps b + x - 1 > 0 where the term is unused
    a3 = betaln(a + 1, b + xb - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x)
    return a1 + np.where(repeat, np.logaddexp(a2, a3), a2)


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Fit:
    """MLE of r, alpha, a, b. Identical (x, t_x, T) rows are pooled with weights."""
    data = np.column_stack([x, t_x, T]).astype(float)
    uniq, weights = np.unique(data, axis=0, return_counts=True)
    ux, ut, uT = uniq.T
    n = len(data)

    def neg_mean_ll(p: np.ndarray) -> float:
        return -float(np.dot(weights, log_likelihood(p, ux, ut, uT))) / n

    return fit_mle(neg_mean_ll, NAMES, n, STARTS)


def p_alive(params: dict[str, float], x: np.ndarray, t_x: np.ndarray, T: np.ndarray
            ) -> np.ndarray:
    """P(alive at T | x, t_x, T) (paper eq. 13); 1 for customers without a repeat purchase."""
    r, alpha, a, b = (params[k] for k in NAMES)
    xb = np.where(x > 0, x, 1.0)
    log_odds = (np.log(a) - np.log(b + xb - 1)
                + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    return np.where(x > 0, expit(-log_odds), 1.0)


def expected_purchases(params: dict[str, float], t: float, x: np.ndarray, t_x: np.ndarray,
                       T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (paper eq. 10)."""
    r, alpha, a, b = (params[k] for k in NAMES)
    if abs(a - 1.0) < 1e-7:  # removable singularity of the closed form at a = 1
        a = 1.0 + 1e-7
    if t <= 0:
        return np.zeros(np.shape(x))
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    xb = np.where(x > 0, x, 1.0)
    odds = np.where(x > 0, a / (b + xb - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return head * tail / (1 + odds)
