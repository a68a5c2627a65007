"""Bad data through the real job (the clean run of tests/faults/conftest.py): the generator
plants malformed records in every API source, malformed lines and a truncated gzip file
among the web events, duplicate deliveries and events that arrive in a later day's file.
The raw tables must hold each generated record exactly once, the bad ones quarantined and
counted, and the rest loaded."""

from __future__ import annotations

import pytest

from tests.faults.conftest import CleanRun
from tests.faults.harness import planted, quarantined, raw_counts, truth

# the session's clean run and a chain of job runs exceed the suite's 900 s default
pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(3600)]


def test_every_record_lands_once_despite_duplicates_and_late_files(clean_run: CleanRun):
    expected = truth(clean_run.base)
    assert expected["duplicates"]["web.events"] > 0 and expected["late_events"] > 0
    assert raw_counts(clean_run.base) == expected["expected_rows"]


def test_malformed_records_and_the_corrupt_file_are_quarantined_and_counted(
        clean_run: CleanRun):
    expected = truth(clean_run.base)
    assert expected["corrupt_files"] and len(expected["malformed"]) >= 5
    assert quarantined(clean_run.base) == planted(expected)
