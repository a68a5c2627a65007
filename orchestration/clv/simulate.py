"""Draw customer summaries from the BG/NBD and Gamma-Gamma generative processes (vectorised):
recovery tests and the CLV benchmark use them."""

from __future__ import annotations

import numpy as np
import pandas as pd


def sample(n: int, bg: dict[str, float], gg: dict[str, float], max_tenure: float,
           rng: np.random.Generator) -> pd.DataFrame:
    """n customers with tenure T ~ U(0, max_tenure): frequency, recency, tenure (BG/NBD:
    Poisson purchases at rate lambda ~ Gamma(r, 1/alpha); after each repeat purchase the
    customer drops out with probability p ~ Beta(a, b)) and monetary_value (Gamma-Gamma:
    purchase values ~ Gamma(p, 1/nu), nu ~ Gamma(q, 1/gamma); the mean of x of them is
    Gamma(p x, 1/(nu x)))."""
    lam = rng.gamma(bg["r"], 1.0 / bg["alpha"], n)
    p_drop = rng.beta(bg["a"], bg["b"], n)
    T = rng.uniform(0, max_tenure, n)
    arrivals = rng.poisson(lam * T)
    last_alive = rng.geometric(p_drop)  # the repeat purchase after which the customer drops
    x = np.minimum(arrivals, last_alive)
    # the x-th of k uniform arrival times on [0, T] is T * Beta(x, k - x + 1)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), arrivals - x + 1), 0.0)
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], n)
    xs = np.maximum(x, 1)
    m = np.where(x > 0, rng.gamma(gg["p"] * xs, 1.0 / (nu * xs)), 0.0)
    first = rng.gamma(gg["p"], 1.0 / nu)
    return pd.DataFrame({"customer_id": np.arange(n).astype(str), "frequency": x,
                         "recency": t_x, "tenure": T, "monetary_value": m,
                         "purchase_count": x + 1, "historical_value": first + x * m})
