import dagster as dg

from orchestration.definitions import defs


def test_definitions_load_with_one_asset_per_source():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_crm", "raw_support", "raw_marketing", "raw_web"} <= keys
    job = defs.resolve_job_def("ingest")
    assert isinstance(job, dg.JobDefinition)
