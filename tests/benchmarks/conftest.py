"""The ceiling run once on a copy of the XS company, for the tests that compare it with dbt's
marts and with the pandas baseline."""

from __future__ import annotations

import pytest

from benchmarks.ceiling import run_ceiling
from tests.benchmarks.helpers import Ceiling


@pytest.fixture(scope="session")
def ceiling(company, tmp_path_factory: pytest.TempPathFactory) -> Ceiling:
    """Every step of the ceiling, run once on a copy of the XS company's warehouse."""
    base = tmp_path_factory.mktemp("ceiling")
    run = Ceiling(company.copy_warehouse(base / "wh"), base / "ceiling.duckdb")
    run_ceiling(run.warehouse, run.db)
    return run
