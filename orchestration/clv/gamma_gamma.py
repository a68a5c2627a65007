"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves";
Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary Value"). Fitted on repeat customers:
x = repeat purchases, m = mean value of those repeat purchases."""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from orchestration.clv.mle import Fit, fit_mle

NAMES = ("p", "q", "gamma")
STARTS = ((1.0, 1.0, 1.0), (5.0, 3.0, 20.0), (2.0, 5.0, 100.0))


def log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-customer log density of the mean spend m given x purchases."""
    p, q, g = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + x * m))


def gradient(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-customer gradient of log_likelihood with respect to (p, q, gamma): shape (3, n)."""
    p, q, g = params
    px = p * x
    both = digamma(px + q)
    log_gxm = np.log(g + x * m)
    return np.vstack([x * (both - digamma(px) + np.log(m) + np.log(x) - log_gxm),
                      both - digamma(q) + np.log(g) - log_gxm,
                      q / g - (px + q) / (g + x * m)])


def fit(x: np.ndarray, m: np.ndarray) -> Fit:
    """MLE of p, q, gamma over customers with x > 0 and m > 0 (the caller filters)."""
    x = np.asarray(x, float)
    m = np.asarray(m, float)
    n = len(x)

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        return (-float(np.sum(log_likelihood(params, x, m))) / n,
                -gradient(params, x, m).sum(axis=1) / n)

    return fit_mle(objective, NAMES, n, STARTS)


def expected_spend(params: dict[str, float], x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[value per purchase | x, m] = p (gamma + x m) / (p x + q - 1); needs q > 1. With
    x = 0 (m = 0) this is the population mean p gamma / (q - 1)."""
    p, q, g = (params[k] for k in NAMES)
    return p * (g + x * m) / (p * x + q - 1)
