"""dbt models as Dagster assets, dbt tests as asset checks, dbt exposures as downstream specs.

The translator only overrides `get_asset_spec`: groups per layer / mart schema, owners and a
`layer` tag. Asset keys stay dagster-dbt's defaults, so a dbt source `crm.contacts` is the
upstream key `crm/contacts` that the ingestion assets produce (orchestration/raw_assets.py).
"""


import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from ingestion.common.faultpoint import fault_point
from orchestration.project import (
    dbt_project,
    ensure_manifest,
    keep_partial_parse,
    prepare_environment,
)

POOL = "duckdb_writer"
FAULT_POINT_EVENTS = 150  # `fault_point("dbt")` after this many dbt events: marts half built
# dbt unit tests check SQL logic on fixed fixtures, not data: they run in CI and development
# (`dbt build` in tests/company.py), not in every production run (docs/decisions.md).
BUILD_ARGS: tuple[str, ...] = ("build", "--exclude-resource-type", "unit_test")
PUBLIC_SCHEMAS: tuple[str, ...] = ("core", "customer", "journey", "lifecycle", "cx")
LAYER_GROUPS: tuple[str, ...] = ("staging", "intermediate", *PUBLIC_SCHEMAS)
# dbt snapshots (history, not published) form their own group
LAYER_GROUPS += ("snapshots",)
OWNERS = {
    "raw": ["team:data-engineering"],
    "staging": ["team:data-engineering"],
    "intermediate": ["team:analytics-engineering"],
    **{schema: ["team:analytics-engineering"] for schema in PUBLIC_SCHEMAS},
}


def layer_of(props: Mapping[str, Any]) -> str | None:
    """The layer / mart schema of a dbt model: its configured schema when it is one of ours
    (staging, intermediate, core, customer, journey, lifecycle, cx), else the model folder
    under models/ (`marts/<x>` → x). None for sources and anything outside models/."""
    if props.get("resource_type") not in ("model", "seed", "snapshot"):
        return None
    schema = (props.get("config") or {}).get("schema") or props.get("schema")
    if schema in LAYER_GROUPS:
        return schema
    fqn = list(props.get("fqn") or [])[1:-1]  # drop project name and model name
    if fqn[:1] == ["marts"] and len(fqn) > 1:
        return fqn[1]
    return fqn[0] if fqn else None


class CxmDbtTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str,
                       project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        layer = layer_of(self.get_resource_props(manifest, unique_id))
        if layer is None:
            return spec
        return spec.replace_attributes(
            group_name=layer, owners=OWNERS.get(layer, ["team:analytics-engineering"]),
        ).merge_attributes(tags={"layer": layer})


TRANSLATOR = CxmDbtTranslator(settings=DagsterDbtTranslatorSettings(
    enable_asset_checks=True, enable_source_tests_as_checks=True))


@cache
def manifest_path() -> Path:
    return ensure_manifest()


@cache
def manifest() -> dict[str, Any]:
    return json.loads(manifest_path().read_text())


def _build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(manifest=manifest_path(), project=project, dagster_dbt_translator=TRANSLATOR,
                name="dbt_models", pool=POOL)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        """`dbt build` of the selected models: models, seeds, snapshots and their data tests
        (as asset checks; ERROR-severity tests block downstream, WARN ones only report).
        Unit tests are left to CI (BUILD_ARGS)."""
        prepare_environment()
        invocation = dbt.cli(list(BUILD_ARGS), context=context)
        for n, event in enumerate(invocation.stream()):
            yield event
            if n == FAULT_POINT_EVENTS:
                fault_point("dbt")  # test hook (tests/faults), off by default
        keep_partial_parse(invocation.target_path)

    return dbt_models


dbt_models = _build_dbt_assets(dbt_project())


def source_keys(mf: Mapping[str, Any] | None = None) -> dict[str, dg.AssetKey]:
    """dbt source unique_id → the asset key dagster-dbt gives it (what our models depend on)."""
    mf = mf or manifest()
    return {uid: TRANSLATOR.get_asset_spec(mf, uid, dbt_project()).key for uid in mf["sources"]}


def model_keys_in_schemas(schemas: tuple[str, ...],
                          mf: Mapping[str, Any] | None = None) -> list[dg.AssetKey]:
    """Asset keys of the enabled models materialised in `schemas` (the public marts)."""
    return list(mart_relations(schemas, mf))


def mart_relations(schemas: tuple[str, ...],
                   mf: Mapping[str, Any] | None = None) -> dict[dg.AssetKey, str]:
    """Asset key -> `schema.table` of the enabled models materialised in `schemas`."""
    mf = mf or manifest()
    return {TRANSLATOR.get_asset_spec(mf, uid, dbt_project()).key:
            f"{node['schema']}.{node.get('alias') or node['name']}"
            for uid, node in mf["nodes"].items()
            if node["resource_type"] == "model" and layer_of(node) in schemas}


def exposure_specs(mf: Mapping[str, Any] | None = None) -> list[dg.AssetSpec]:
    """dbt exposures (BI dashboards) as external assets downstream of the models they use."""
    mf = mf or manifest()
    specs = []
    for exposure in mf.get("exposures", {}).values():
        deps = [TRANSLATOR.get_asset_spec(mf, uid, dbt_project()).key
                for uid in exposure.get("depends_on", {}).get("nodes", [])
                if uid in mf["nodes"] or uid in mf["sources"]]
        owner = exposure.get("owner") or {}
        specs.append(dg.AssetSpec(
            key=dg.AssetKey(["exposures", exposure["name"]]),
            deps=[*deps, "published"],
            description=exposure.get("description") or exposure.get("label"),
            group_name="exposures",
            kinds={"dashboard"} if exposure.get("type") == "dashboard" else {"bi"},
            owners=[owner["email"]] if owner.get("email") else [],
            metadata={k: v for k, v in {
                "url": exposure.get("url"), "type": exposure.get("type"),
                "maturity": exposure.get("maturity"), "owner": owner.get("name"),
                "reads": "published.duckdb"}.items() if v},
        ))
    return specs
