"""CLV fit benchmark: BG/NBD + Gamma-Gamma maximum likelihood and scoring on synthetic
customer summaries of warehouse size (docs/benchmarks.md, "CLV fit").

    python -m benchmarks.clv [--customers 20000 60000] [--seed 7]

Customers are drawn from the generative processes with the demo generator's true parameters
(ingestion/demo/generator/commerce.py: BTYD, GAMMA_GAMMA; days, tenure up to two years), so
the table also shows how close the fit comes to the truth at that size.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ingestion.demo.generator.commerce import BTYD, GAMMA_GAMMA
from orchestration.clv import score
from orchestration.clv.simulate import sample

MAX_TENURE_DAYS = 730.0


def run(n: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    summary = sample(n, BTYD, GAMMA_GAMMA, MAX_TENURE_DAYS, rng)
    settings = score.Settings(unit_days=1.0)
    started = time.perf_counter()
    bg, gg = score.fit_models(summary, settings)
    fitted = time.perf_counter()
    scored = score.score(summary, bg, gg, settings)
    done = time.perf_counter()
    assert bg.fit is not None and gg.fit is not None
    row = {"customers": n, "repeat_customers": bg.n_repeat_customers,
           "fit_s": fitted - started, "score_s": done - fitted,
           "nan_values": int(scored.select_dtypes("number").isna().sum().sum())}
    row |= {k: v for k, v in bg.fit.params.items()} | {k: v for k, v in gg.fit.params.items()}
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[20_000, 60_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    truth = {k: BTYD[k] for k in ("r", "alpha", "a", "b")} | {
        k: GAMMA_GAMMA[k] for k in ("p", "q", "gamma")}
    cols = ["customers", "repeat_customers", "fit_s", "score_s", "nan_values", *truth]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    print("| truth | | | | | " + " | ".join(f"{v:g}" for v in truth.values()) + " |")
    for n in args.customers:
        row = run(n, args.seed)
        print("| " + " | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c])
                                for c in cols) + " |")


if __name__ == "__main__":
    main()
