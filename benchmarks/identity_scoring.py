"""Pairwise precision and recall of identity resolution against the generator's truth.

Both sides partition the same identifiers: predicted by `customer_id`, true by `person_id`.
A pair of identifiers is *predicted* linked when they share a customer, *truly* linked when
they share a person. From the number of identifiers in each (customer, person) cell:

    true positive pairs = sum over cells     C(n_cell, 2)
    predicted pairs     = sum over customers C(n_customer, 2)
    true pairs          = sum over persons   C(n_person, 2)
    precision = TP / predicted pairs, recall = TP / true pairs   (1.0 when the denominator is 0)

No pair is enumerated: the cost is one group-by, whatever the component sizes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

# SQL giving the cells from the mapping and the truth joined on (type, value): the input of
# pairwise_scores; `{mapping}` and `{truth}` are relations with identifier_type,
# identifier_value and customer_id / person_id.
CELLS_SQL = """
select m.customer_id, t.person_id, count(*) as n
from {mapping} as m
inner join {truth} as t
    on t.identifier_type = m.identifier_type and t.identifier_value = m.identifier_value
group by m.customer_id, t.person_id
"""


@dataclass(frozen=True)
class PairwiseScores:
    identifiers: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(cells: Iterable[tuple[Hashable, Hashable, int]]) -> PairwiseScores:
    """Scores from (customer_id, person_id, identifiers in that cell) rows, one per cell."""
    by_customer: Counter = Counter()
    by_person: Counter = Counter()
    tp = total = 0
    for customer, person, n in cells:
        if n < 0:
            raise ValueError(f"negative cell count {n} for ({customer!r}, {person!r})")
        by_customer[customer] += n
        by_person[person] += n
        tp += _pairs(n)
        total += n
    return PairwiseScores(
        identifiers=total,
        predicted_pairs=sum(_pairs(n) for n in by_customer.values()),
        true_pairs=sum(_pairs(n) for n in by_person.values()),
        true_positive_pairs=tp,
    )
