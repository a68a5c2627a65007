import itertools

import pytest

from benchmarks.identity_scoring import pairwise_scores


def brute_force(assign: dict[str, tuple[str, int]]) -> tuple[int, int, int]:
    """(predicted, true, true positive) pairs by enumerating every pair of identifiers."""
    pred = true = tp = 0
    for (_, (c1, p1)), (_, (c2, p2)) in itertools.combinations(assign.items(), 2):
        pred += c1 == c2
        true += p1 == p2
        tp += c1 == c2 and p1 == p2
    return pred, true, tp


def test_hand_worked_example():
    # customer A holds 3 identifiers of person 1 and 1 of person 2 (an over-merge);
    # person 1's fourth identifier sits alone in customer B (a split).
    # predicted pairs: A C(4,2)=6, B 0 -> 6; true pairs: person 1 C(4,2)=6, person 2 0 -> 6;
    # true positives: cell (A,1) C(3,2)=3 -> precision 3/6, recall 3/6.
    s = pairwise_scores([("A", 1, 3), ("A", 2, 1), ("B", 1, 1)])
    assert (s.identifiers, s.predicted_pairs, s.true_pairs, s.true_positive_pairs) == (5, 6, 6, 3)
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(0.5)


def test_perfect_and_empty():
    s = pairwise_scores([("A", 1, 2), ("B", 2, 5), ("C", 3, 1)])
    assert (s.precision, s.recall) == (1.0, 1.0)
    assert s.true_pairs == 1 + 10
    assert pairwise_scores([]).precision == 1.0


def test_all_merged_into_one_customer():
    # 2 persons x 2 identifiers merged: predicted C(4,2)=6, true 1+1=2, tp 2
    s = pairwise_scores([("A", 1, 2), ("A", 2, 2)])
    assert s.precision == pytest.approx(2 / 6)
    assert s.recall == 1.0


def test_matches_pair_enumeration():
    assign = {f"id{i}": ("ABC"[i * 7 % 3], i * 5 % 4) for i in range(23)}
    cells = {}
    for c, p in assign.values():
        cells[(c, p)] = cells.get((c, p), 0) + 1
    s = pairwise_scores((c, p, n) for (c, p), n in cells.items())
    assert (s.predicted_pairs, s.true_pairs, s.true_positive_pairs) == brute_force(assign)


def test_negative_count_rejected():
    with pytest.raises(ValueError):
        pairwise_scores([("A", 1, -1)])
