"""The cx marts (issue 7) in the Dagster asset graph: group cx, a blocking Great Expectations
contract check each (with a suite in expectations/marts.py), and upstream of `published`."""

import dagster as dg

from expectations.marts import MARTS
from orchestration.definitions import defs
from orchestration.gx_checks import CHECK_NAME

CX_MARTS = ("cx_kpis_daily", "experiment_results", "experiment_aa_check")


def test_cx_marts_are_checked_assets_upstream_of_published():
    graph = defs.resolve_asset_graph()
    published = graph.get(dg.AssetKey("published")).parent_keys
    checks = {s.key: s for a in defs.asset_checks for s in a.check_specs}
    for name in CX_MARTS:
        key = dg.AssetKey(["cx", name])
        assert graph.has(key), name
        assert graph.get(key).group_name == "cx", name
        assert key in published, name
        check = checks[dg.AssetCheckKey(key, CHECK_NAME)]
        assert check.blocking, name
        assert f"cx.{name}" in MARTS
