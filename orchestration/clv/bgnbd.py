"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): log-likelihood,
fit, P(alive) and conditional expected purchases. Arrays are per customer: x = repeat
purchases, t_x = recency (first to last purchase), T = first purchase to calibration end,
all in one time unit."""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from orchestration.clv.mle import Fit, fit_mle

NAMES = ("r", "alpha", "a", "b")
STARTS = ((1.0, 1.0, 1.0, 1.0), (0.5, 10.0, 0.5, 2.0), (1.0, 50.0, 2.0, 5.0))


def _terms(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    xb = np.where(x > 0, x, 1.0)  # keeps b + x - 1 > 0 where the term is unused
    a3 = betaln(a + 1, b + xb - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x)
    return a1, a2, np.where(x > 0, a3, -np.inf)


def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
                   ) -> np.ndarray:
    """Per-customer log-likelihood (paper eq. 6), in log space."""
    a1, a2, a3 = _terms(params, x, t_x, T)
    return a1 + np.logaddexp(a2, a3)


def gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
             ) -> np.ndarray:
    """Per-customer gradient of log_likelihood with respect to (r, alpha, a, b): shape (4, n)."""
    r, alpha, a, b = params
    _, a2, a3 = _terms(params, x, t_x, T)
    w3 = np.exp(a3 - np.logaddexp(a2, a3))  # share of the "dropped after t_x" term
    w2 = 1 - w3
    xb = np.where(x > 0, x, 1.0)
    d_r = (digamma(r + x) - digamma(r) + np.log(alpha)
           - w2 * np.log(alpha + T) - w3 * np.log(alpha + t_x))
    d_alpha = r / alpha - (r + x) * (w2 / (alpha + T) + w3 / (alpha + t_x))
    ab = digamma(a + b)
    abx = digamma(a + b + x)
    d_a = w2 * (ab - abx) + w3 * (digamma(a + 1) - abx - digamma(a) + ab)
    d_b = (w2 * (digamma(b + x) - abx - digamma(b) + ab)
           + w3 * (digamma(b + xb - 1) - abx - digamma(b) + ab))
    return np.vstack([d_r, d_alpha, d_a, d_b])


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Fit:
    """MLE of r, alpha, a, b. Identical (x, t_x, T) rows are pooled with weights."""
    data = np.column_stack([x, t_x, T]).astype(float)
    uniq, weights = np.unique(data, axis=0, return_counts=True)
    ux, ut, uT = uniq.T
    n = len(data)

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        return (-float(np.dot(weights, log_likelihood(p, ux, ut, uT))) / n,
                -(gradient(p, ux, ut, uT) @ weights) / n)

    return fit_mle(objective, NAMES, n, STARTS)


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
    xb = np.where(x > 0, x, 1.0)
    # hyp2f1 overflows for customers with thousands of purchases: the result is then not
    # finite, and the caller (score.score) falls back for that customer
    with np.errstate(all="ignore"):
        tail = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, z)
        odds = np.where(x > 0, a / (b + xb - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x),
                        0.0)
        return head * tail / (1 + odds)
