"""Identity resolution against the generator's ground truth (the shared XS `company`).

Pairwise precision/recall (benchmarks.identity_scoring) of int_identity__identifiers'
customer_id against the truth's person_id, over the identifiers present in both; plus the
coverage of each side and a check that both sides spell identifiers the same way."""

from __future__ import annotations

from benchmarks.identity_scoring import CELLS_SQL, pairwise_scores

MAPPING = "intermediate.int_identity__identifiers"


def _truth(company) -> str:
    return f"read_parquet('{company.truth_dir / 'identifiers.parquet'}')"


def test_identifier_normalisation_matches_truth(company):
    assert not company.build_failures
    truth = _truth(company)
    # emails are trimmed + lower-cased on both sides; other ids are trimmed in the mapping
    for rel in (MAPPING, truth):
        bad = company.query(f"""
            select count(*) from {rel}
            where identifier_value is distinct from trim(identifier_value)
               or (identifier_type = 'email' and identifier_value <> lower(identifier_value))
        """)[0][0]
        assert bad == 0, rel
    types = {r[0] for r in company.query(f"select distinct identifier_type from {truth}")}
    mapped = {r[0] for r in company.query(f"select distinct identifier_type from {MAPPING}")}
    assert types <= mapped, types - mapped


def test_identity_matches_truth(company):
    truth = _truth(company)
    cells = company.query(CELLS_SQL.format(mapping=MAPPING, truth=truth))
    scores = pairwise_scores(cells)
    n_truth = company.query(f"select count(*) from {truth}")[0][0]
    n_mapped = company.query(f"select count(*) from {MAPPING}")[0][0]
    coverage_truth = scores.identifiers / n_truth
    coverage_mapped = scores.identifiers / n_mapped
    print(f"\nidentity vs truth (XS): {scores.identifiers:,} identifiers in both "
          f"({coverage_truth:.2%} of {n_truth:,} truth, {coverage_mapped:.2%} of {n_mapped:,} "
          f"mapped); pairs predicted {scores.predicted_pairs:,}, true {scores.true_pairs:,}, "
          f"both {scores.true_positive_pairs:,}; precision {scores.precision:.4f}, "
          f"recall {scores.recall:.4f}")
    assert scores.true_pairs > 0
    assert scores.precision >= 0.99
    assert scores.recall >= 0.99
    # the scores are over identifiers both sides know: that must be nearly all of either
    assert coverage_truth >= 0.99
    assert coverage_mapped >= 0.99
