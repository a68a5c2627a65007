"""The scoring of the lifecycle marts against the generator's truth, on hand-made cases."""

from collections import Counter

import pytest

from benchmarks.lifecycle_scoring import behaviour_scores, detection, majority_person


def test_detection_precision_and_recall():
    d = detection({1, 2, 3, 4}, {2, 3, 4, 5, 6})
    assert (d.true_positives, d.precision, d.recall) == (3, 0.75, 0.6)
    empty = detection(set(), set())
    assert (empty.precision, empty.recall) == (1.0, 1.0)


def test_majority_person_breaks_ties_by_the_smaller_id():
    pairs = [("a", 7), ("a", 7), ("a", 3), ("b", 9), ("b", 4)]
    assert majority_person(pairs) == {"a": 7, "b": 4}


def test_behaviour_scores_count_only_observable_changes_and_unplanted_flags():
    planted = {"f1": "frequency_x3", "f2": "frequency_x3", "s1": "spend_x0.3",
               "c1": "category_switch"}
    observable = {"f1", "f2", "s1"}  # c1 never ordered after its change
    flags = {"f1": {"buys_more"}, "f2": {"buys_less"}, "s1": {"buys_less"},
             "c1": {"buys_differently"}, "x": {"buys_more"}, "y": set(), "z": set()}
    s = behaviour_scores(planted, observable, flags, judged=["f1", "f2", "x", "y", "z"])
    assert s.planted == Counter({"frequency_x3": 2, "spend_x0.3": 1, "category_switch": 1})
    assert s.observable == Counter({"frequency_x3": 2, "spend_x0.3": 1})
    assert s.recall("frequency_x3") == 0.5  # f2 got the wrong flag
    assert s.recall("spend_x0.3") == 1.0
    assert s.recall("category_switch") is None
    assert s.recall() == pytest.approx(2 / 3)
    assert (s.unplanted_flagged, s.unplanted_judged) == (1, 3)
    assert s.false_positive_rate == pytest.approx(1 / 3)
    assert s.unplanted_by_flag == Counter({"buys_more": 1})  # x; c1 is planted, not judged


def test_behaviour_scores_count_each_flag_of_an_unplanted_customer():
    flags = {"x": {"buys_more", "buys_less"}, "y": {"buys_less"}, "z": set()}
    s = behaviour_scores({}, set(), flags, judged=["x", "y", "z"])
    assert (s.unplanted_flagged, s.unplanted_judged) == (2, 3)
    assert s.unplanted_by_flag == Counter({"buys_less": 2, "buys_more": 1})
