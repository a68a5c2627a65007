"""How well the lifecycle marts recover the demo generator's truth (persons.parquet).

- churn: the customers the warehouse calls churned vs the persons the generator calls
  churned (no order for more than 180 days at the cut), as precision and recall;
- behaviour changes: the planted changes (model_params.json "behaviour_change") the data can
  show — at least one order after the change date — against the flags of behavior_changes:
  recall per kind and the false-positive rate among customers without a planted change.

Run on a built warehouse: `uv run python -m benchmarks.lifecycle_scoring <CXM_DATA_DIR>`.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# planted kind -> the behavior_changes flag that should fire
EXPECTED_FLAG = {"frequency_x3": "buys_more", "spend_x0.3": "buys_less",
                 "category_switch": "buys_differently"}


@dataclass(frozen=True)
class Detection:
    predicted: int
    actual: int
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 1.0


def detection(predicted: Iterable, actual: Iterable) -> Detection:
    """Precision/recall of a predicted set of ids against the true set (1.0 when empty)."""
    p, a = set(predicted), set(actual)
    return Detection(len(p), len(a), len(p & a))


def majority_person(votes: Iterable[tuple[str, int]]) -> dict[str, int]:
    """customer_id -> the person most of its identifiers belong to, from (customer, person)
    pairs, one per identifier (ties: the smaller person id)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for customer, person in votes:
        counts[customer][person] += 1
    return {c: min(v, key=lambda p: (-v[p], p)) for c, v in counts.items()}


@dataclass(frozen=True)
class BehaviourScores:
    planted: Counter  # kind -> planted changes
    observable: Counter  # kind -> planted changes with an order after the change date
    detected: Counter  # kind -> observable changes flagged with the expected flag
    unplanted_judged: int  # customers without a planted change but with both windows
    unplanted_flagged: int  # of those, any flag
    unplanted_by_flag: Counter  # flag -> of those, raising that flag (a customer may raise two)

    def recall(self, kind: str | None = None) -> float | None:
        kinds = [kind] if kind else list(self.observable)
        n = sum(self.observable[k] for k in kinds)
        return sum(self.detected[k] for k in kinds) / n if n else None

    @property
    def false_positive_rate(self) -> float | None:
        return self.unplanted_flagged / self.unplanted_judged if self.unplanted_judged else None


def behaviour_scores(planted: Mapping[str, str], observable: Iterable[str],
                     flags: Mapping[str, set[str]], judged: Iterable[str]) -> BehaviourScores:
    """planted: customer -> kind; observable: planted customers the data can show; flags:
    customer -> flags raised (buys_more / buys_less / buys_differently); judged: customers
    with an order in both windows (the only ones the mart can flag)."""
    seen = set(observable)
    det: Counter = Counter()
    for c, kind in planted.items():
        if c in seen and EXPECTED_FLAG[kind] in flags.get(c, set()):
            det[kind] += 1
    others = [c for c in judged if c not in planted]
    return BehaviourScores(
        planted=Counter(planted.values()),
        observable=Counter(k for c, k in planted.items() if c in seen),
        detected=det,
        unplanted_judged=len(others),
        unplanted_flagged=sum(bool(flags.get(c)) for c in others),
        unplanted_by_flag=Counter(f for c in others for f in flags.get(c, set())))


@dataclass(frozen=True)
class LifecycleTruth:
    """The generator's persons joined to the warehouse's customers (majority person of each
    customer's identifiers), with what the lifecycle marts say about them."""

    persons: dict[int, dict]  # person_id -> persons.parquet row
    person_of: dict[str, int]  # customer_id -> person_id
    query: Callable[[str], list[tuple]]

    @classmethod
    def load(cls, data_dir: Path, query: Callable[[str], list[tuple]]) -> LifecycleTruth:
        import pyarrow.parquet as pq

        truth = data_dir / "demo" / "truth"
        ids = {(r["identifier_type"], r["identifier_value"]): r["person_id"]
               for r in pq.read_table(truth / "identifiers.parquet").to_pylist()}
        rows = query("select identifier_type, identifier_value, customer_id "
                     "from intermediate.int_identity__identifiers")
        person_of = majority_person((c, ids[(t, v)]) for t, v, c in rows if (t, v) in ids)
        persons = {r["person_id"]: r for r in pq.read_table(truth / "persons.parquet").to_pylist()}
        return cls(persons, person_of, query)

    def current_status(self) -> dict[str, str]:
        return dict(self.query("select customer_id, lifecycle_status "
                               "from lifecycle.customer_lifecycle where is_current"))

    def churn(self) -> Detection:
        """Persons the warehouse calls churned vs persons the generator calls churned (over
        the persons the warehouse has a customer for)."""
        status = self.current_status()
        known = {p: c for c, p in self.person_of.items() if c in status}
        return detection({p for p, c in known.items() if status[c] == "churned"},
                         {p for p in known if self.persons[p]["churned"]})

    def behaviour(self) -> BehaviourScores:
        customer_of = {p: c for c, p in self.person_of.items()}
        planted = {customer_of[p]: r["behaviour_change_kind"] for p, r in self.persons.items()
                   if r["behaviour_change"] and p in customer_of}
        after = {c for c, at in self.query(
            "select customer_id, max(ordered_at) from core.fct_orders group by customer_id")
            if c in planted and at > self.persons[self.person_of[c]]["behaviour_change_at"]}
        flags: dict[str, set[str]] = {}
        judged = []
        for c, both, more, less, diff in self.query(
                "select customer_id, has_both_windows, buys_more, buys_less, buys_differently "
                "from lifecycle.behavior_changes"):
            flags[c] = {f for f, on in [("buys_more", more), ("buys_less", less),
                                        ("buys_differently", diff)] if on}
            if both:
                judged.append(c)
        return behaviour_scores(planted, after, flags, judged)


def main(data_dir: str) -> None:  # pragma: no cover - a report on a built warehouse
    import duckdb

    def query(sql: str) -> list[tuple]:
        with duckdb.connect(str(Path(data_dir) / "warehouse.duckdb"), read_only=True) as con:
            return con.sql(sql).fetchall()

    t = LifecycleTruth.load(Path(data_dir), query)
    churn = t.churn()
    print(f"churn: precision {churn.precision:.4f} recall {churn.recall:.4f} "
          f"(TP {churn.true_positives}, predicted {churn.predicted}, true {churn.actual})")
    b = t.behaviour()
    print(f"behaviour: planted {dict(b.planted)} observable {dict(b.observable)} "
          f"detected {dict(b.detected)}; false positives {b.unplanted_flagged}/"
          f"{b.unplanted_judged} = {b.false_positive_rate} (by flag {dict(b.unplanted_by_flag)})")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1])
