"""The journey marts (issue 5) are assets of the Dagster graph in group `journey`, carry the
blocking Great Expectations contract check, and feed `published`."""

import dagster as dg

from expectations.marts import MARTS
from orchestration.definitions import defs

JOURNEY_MARTS = ["journey_steps", "journey_funnel", "journey_paths", "journey_drop_offs",
                 "journey_landing_pages", "attribution", "attribution_by_campaign"]


def test_journey_marts_are_checked_and_published_assets():
    graph = defs.resolve_asset_graph()
    published = graph.get(dg.AssetKey("published")).parent_keys
    blocking = {spec.key: spec.blocking for c in defs.asset_checks or []
                for spec in c.check_specs}
    for name in JOURNEY_MARTS:
        key = dg.AssetKey(["journey", name])
        assert graph.has(key), name
        assert graph.get(key).group_name == "journey", name
        assert key in published, name
        assert blocking.get(dg.AssetCheckKey(key, "gx_suite")) is True, name
        assert f"journey.{name}" in MARTS, name
