from __future__ import annotations

import pytest

from tests.dbt.helpers import Build, resolved, run_dbt, write_raw_tables
from tests.dbt.raw_rows import LOAD_1, RAW


@pytest.fixture(scope="session")
def dbt_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """`dbt build` of the whole project on a throwaway warehouse holding every raw table
    (columns from the TableSpecs) with the hand-written rows of raw_rows.py. Once per session;
    later dbt runs reuse `target` so dbt can parse partially."""
    data_dir = tmp_path_factory.mktemp("cxm_data")
    target = tmp_path_factory.mktemp("dbt_target")
    write_raw_tables(data_dir / "warehouse.duckdb", RAW, LOAD_1)
    result = run_dbt(["build"], data_dir, target)
    identities = resolved(data_dir) if result.success else {}
    return Build(result, data_dir, target, identities)
