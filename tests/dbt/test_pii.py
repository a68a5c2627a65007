"""Personal data is tagged where it lives (`config.meta.pii` in the dbt YAML) and reaches the
public marts only hashed, masked or redacted (DESIGN.md, security)."""

from __future__ import annotations

import json
import re

import pytest

from orchestration.dbt_models import PUBLIC_SCHEMAS
from orchestration.project import ensure_manifest
from orchestration.publish import pii_kind

CLEAR = {"email", "name", "phone", "free_text", "identifier", "raw_record"}
PROTECTED = {"hashed", "masked", "redacted"}


def names_pii(column: str) -> bool:
    """The column's name says it holds personal data: publish's PII words (`pii_kind`) at
    the end of the name (`email`, `traits_email`, `first_name`, `phone_number`), not as a
    prefix of something else (`email_count`, `email_hash`, `email_event_type`)."""
    return bool(pii_kind(column) and re.search(r"(mail|phone|name)(_address|_number)?$", column))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(ensure_manifest().read_text())


def _relations(manifest: dict):
    """(schema, relation name, resource, {column: pii tag or None}) of every model, snapshot
    and source in the project."""
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "snapshot")]
    for node in [*nodes, *manifest["sources"].values()]:
        columns = {c: (col.get("config", {}).get("meta") or col.get("meta") or {}).get("pii")
                   for c, col in node["columns"].items()}
        yield node["schema"], node.get("alias") or node["name"], node["unique_id"], columns


def test_pii_tags_use_the_known_kinds(manifest):
    tags = {t for *_, cols in _relations(manifest) for t in cols.values() if t}
    assert tags <= CLEAR | PROTECTED, tags - CLEAR - PROTECTED
    assert {"email", "name", "phone", "free_text", "hashed", "masked", "redacted"} <= tags


def test_every_documented_pii_column_is_tagged(manifest):
    untagged = [f"{uid}.{c}" for _, _, uid, cols in _relations(manifest)
                for c, tag in cols.items() if names_pii(c) and not tag]
    assert untagged == []


def test_public_marts_carry_only_protected_pii(manifest):
    public = [(uid, c, tag) for schema, _, uid, cols in _relations(manifest)
              if schema in PUBLIC_SCHEMAS for c, tag in cols.items() if tag]
    assert {(uid.split(".")[-1], c) for uid, c, _ in public} >= {
        ("dim_customers", "email_hash"), ("dim_customers", "email"),
        ("customer_360", "full_name"), ("fct_survey_responses", "survey_comment"),
        ("marketing_audience", "email_hash")}
    assert [p for p in public if p[2] not in PROTECTED] == []


def test_every_built_pii_column_is_documented_and_tagged(company, manifest):
    """The columns the demo build really has (raw, staging, intermediate, marts) whose names
    say personal data are all in the YAML with a tag: nothing PII-shaped goes unlisted."""
    tagged = {(schema, name, c) for schema, name, _, cols in _relations(manifest)
              for c, tag in cols.items() if tag}
    schemas = {schema for schema, *_ in _relations(manifest)}
    in_schemas = ", ".join(f"'{s}'" for s in sorted(schemas))
    built = company.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_catalog = current_database() and table_schema in ({in_schemas})")
    pii_shaped = {(s, t, c) for s, t, c in built if names_pii(c)}
    assert len(pii_shaped) > 15
    assert sorted(pii_shaped - tagged) == []
