"""`cxm docs`: dbt docs generate on a real warehouse (a copy of the demo company's), every
public mart in the catalog, and the site served on 127.0.0.1 with docs/metrics.md beside it."""

import json
import urllib.request

import pytest

from cxm_cli import docs
from cxm_cli.main import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(published):
    # `published` holds a copy of the company's warehouse beside published.duckdb
    assert main(["--data-dir", str(published), "docs", "--no-serve"]) == 0
    return docs.docs_dir(published)


def test_generate_writes_the_site_with_the_marts_and_the_report_exposure(site):
    manifest = json.loads((site / "manifest.json").read_text())
    catalog = json.loads((site / "catalog.json").read_text())
    marts = {k for k, n in manifest["nodes"].items() if n["resource_type"] == "model"
             and n["schema"] in ("core", "customer", "journey", "lifecycle", "cx")}
    assert "model.cxm.experiment_results" in marts and len(marts) >= 30
    assert marts <= set(catalog["nodes"])  # column types read from the warehouse
    assert "exposure.cxm.cx_report" in manifest["exposures"]
    assert "[metrics.md](metrics.md)" in manifest["docs"]["doc.cxm.__overview__"]["block_contents"]


def test_site_is_served_on_localhost_only(site):
    httpd, url = docs.serve_in_background(site)
    try:
        assert httpd.server_address[0] == "127.0.0.1"
        with urllib.request.urlopen(url + "index.html", timeout=10) as r:
            assert r.status == 200 and b"dbt" in r.read()
        with urllib.request.urlopen(url + "metrics.md", timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/plain")
            assert r.read() == docs.METRICS_MD.read_bytes()
    finally:
        httpd.shutdown()
        httpd.server_close()
