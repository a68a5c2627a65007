"""Maximum likelihood on log-parameters: L-BFGS-B with analytic gradients from several
starting points; the best optimum is kept."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

# parameters are kept in [1e-6, 1e6]; an optimum at a bound is a limit of the model (the
# likelihood keeps rising towards it), reported in the message
LOG_BOUND = np.log(1e6)
# a converged optimum has a mean-log-likelihood gradient (w.r.t. log-parameters) below this
GRADIENT_TOLERANCE = 1e-4


@dataclass(frozen=True)
class Fit:
    params: dict[str, float]
    log_likelihood: float  # total over the customers
    converged: bool
    message: str


# (params) -> (mean negative log-likelihood, its gradient with respect to the params)
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def fit_mle(objective: Objective, names: Sequence[str], n: int,
            starts: Sequence[Sequence[float]]) -> Fit:
    """Minimise the mean negative log-likelihood over log-parameters; keep the best start."""

    def on_logs(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        value, grad = objective(params)
        if not (np.isfinite(value) and np.all(np.isfinite(grad))):
            return 1e100, np.zeros_like(theta)
        return float(value), np.asarray(grad, float) * params  # chain rule: d/d log x = x d/dx

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(names)
    best = None
    for start in starts:
        res = minimize(on_logs, np.log(np.asarray(start, float)), jac=True, method="L-BFGS-B",
                       bounds=bounds, options={"ftol": 1e-14, "gtol": 1e-9, "maxiter": 5000})
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    theta = np.asarray(best.x, float)
    grad = on_logs(theta)[1]
    upper, lower = theta >= LOG_BOUND - 1e-3, theta <= -LOG_BOUND + 1e-3
    # projected gradient: at a bound, a push further out of the box is the limit, not an error
    grad = np.where((upper & (grad < 0)) | (lower & (grad > 0)), 0.0, grad)
    gradient = float(np.max(np.abs(grad)))
    ll = -float(best.fun) * n
    converged = bool(np.isfinite(ll) and best.fun < 1e99 and gradient < GRADIENT_TOLERANCE)
    at_bound = [name for name, u, lo in zip(names, upper, lower, strict=True) if u or lo]
    if not converged:
        message = f"optimiser did not converge (gradient {gradient:.2g}): {best.message}"
    elif at_bound:
        # e.g. BG/NBD a, b -> infinity with a/(a+b) fixed: every customer has the same
        # drop-out probability. The likelihood is flat there; predictions stay finite.
        message = f"ok; at the limit of the model: {', '.join(at_bound)} at the bound"
    else:
        message = "ok"
    return Fit(dict(zip(names, np.exp(theta).tolist(), strict=True)), ll, converged, message)
