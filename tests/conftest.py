import pytest

from ingestion.common.settings import configure_dlt

configure_dlt()


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory):
    """The XS demo company generated, ingested over HTTP and built by dbt (tests/company.py).
    Tests that use it must not write to its warehouse."""
    from tests.company import build_company

    return build_company(tmp_path_factory.mktemp("company"), tmp_path_factory.mktemp("target"))
