"""Maximum likelihood on log-parameters: L-BFGS-B from several starts, polished by Nelder-Mead."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

# parameters outside these bounds mean a degenerate optimum (the likelihood runs off to a limit)
LOG_BOUND = np.log(1e6)


@dataclass(frozen=True)
class Fit:
    params: dict[str, float]
    log_likelihood: float  # total over the customers
    converged: bool
    message: str


def fit_mle(neg_mean_ll: Callable[[np.ndarray], float], names: Sequence[str], n: int,
            starts: Sequence[Sequence[float]]) -> Fit:
    """Minimise the mean negative log-likelihood over log-parameters; keep the best start."""

    def objective(theta: np.ndarray) -> float:
        value = neg_mean_ll(np.exp(theta))
        return float(value) if np.isfinite(value) else 1e100

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    best = None
    for start in starts:
        res = minimize(objective, np.log(np.asarray(start, float)), method="L-BFGS-B",
                       bounds=bounds, options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    polish = minimize(objective, best.x, method="Nelder-Mead",
                      options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 4000,
                               "maxfev": 8000})
    res = polish if polish.fun <= best.fun else best
    theta = np.asarray(res.x, float)
    at_bound = bool(np.any(np.abs(theta) >= LOG_BOUND - 1e-3))
    ll = -float(res.fun) * n
    converged = bool((best.success or polish.success) and np.isfinite(ll) and not at_bound
                     and res.fun < 1e99)
    message = "ok" if converged else (
        "a parameter ran to its bound (degenerate optimum)" if at_bound
        else f"optimiser did not converge: {best.message}")
    return Fit(dict(zip(names, np.exp(theta).tolist(), strict=True)), ll, converged, message)
