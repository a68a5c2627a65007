import pytest

from ingestion.common.settings import configure_dlt

configure_dlt()


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory):
    """The XS demo company generated, ingested over HTTP and built by dbt (tests/company.py).
    Tests that use it must not write to its warehouse."""
    from tests.company import build_company

    return build_company(tmp_path_factory.mktemp("company"), tmp_path_factory.mktemp("target"))


@pytest.fixture(scope="session")
def published(company, tmp_path_factory: pytest.TempPathFactory):
    """A data dir holding a published.duckdb made by `publish()` from a copy of the company's
    warehouse (the original is never attached): what BI tools and the CX report read."""
    from orchestration.publish import publish

    base = tmp_path_factory.mktemp("published")
    company.copy_warehouse(base)
    publish(base, run_id="tests")
    return base
