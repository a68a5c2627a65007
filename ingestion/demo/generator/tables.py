"""Arrow schemas of every table the generator writes (the data contract in docs/sources.md) and
a small collector for ground-truth identifiers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._util import TS

S, INT, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()
L = pa.list_(pa.string())


def _crm(*props):
    return [("id", S), ("created_at", TS), ("updated_at", TS), ("archived", B), *props]


SCHEMAS: dict[str, pa.Schema] = {
    "crm.contacts": pa.schema(_crm(
        ("email", S), ("firstname", S), ("lastname", S), ("phone", S),
        ("associatedcompanyid", S), ("lifecyclestage", S), ("hubspot_owner_id", S),
        ("hs_analytics_source", S), ("app_user_id", S), ("hs_email_optout", B))),
    "crm.companies": pa.schema(_crm(
        ("name", S), ("domain", S), ("industry", S), ("country", S),
        ("numberofemployees", INT), ("annualrevenue", F))),
    "crm.deals": pa.schema(_crm(
        ("dealname", S), ("amount", F), ("dealstage", S), ("pipeline", S), ("closedate", TS),
        ("hubspot_owner_id", S), ("contact_id", S), ("company_id", S))),
    "crm.deal_stage_history": pa.schema([
        ("deal_id", S), ("dealstage", S), ("changed_at", TS), ("source_type", S)]),
    "crm.orders": pa.schema(_crm(
        ("hs_order_name", S), ("hs_currency_code", S), ("hs_subtotal_price", F),
        ("hs_order_discount", F), ("hs_total_price", F), ("hs_pipeline_stage", S),
        ("hs_external_created_date", TS), ("contact_id", S), ("coupon_code", S))),
    "crm.line_items": pa.schema(_crm(
        ("order_id", S), ("hs_product_id", S), ("name", S), ("quantity", INT), ("price", F),
        ("amount", F))),
    "crm.products": pa.schema(_crm(("name", S), ("hs_sku", S), ("category", S), ("price", F))),
    "support.tickets": pa.schema([
        ("id", INT), ("requester_id", INT), ("submitter_id", INT), ("assignee_id", INT),
        ("organization_id", INT), ("group_id", INT), ("subject", S), ("description", S),
        ("external_id", S), ("type", S), ("priority", S), ("status", S), ("tags", L),
        ("via__channel", S), ("created_at", TS), ("updated_at", TS)]),
    "support.users": pa.schema([
        ("id", INT), ("name", S), ("email", S), ("phone", S), ("time_zone", S), ("role", S),
        ("external_id", S), ("created_at", TS), ("updated_at", TS)]),
    "support.ticket_events": pa.schema([
        ("id", INT), ("ticket_id", INT), ("updater_id", INT), ("via__channel", S),
        ("event_type", S), ("created_at", TS)]),
    "support.ticket_event_children": pa.schema([
        ("id", INT), ("audit_id", INT), ("ticket_id", INT), ("author_id", INT), ("event_type", S),
        ("public", B), ("body", S), ("field_name", S), ("value", S), ("previous_value", S),
        ("created_at", TS)]),
    "support.satisfaction_ratings": pa.schema([
        ("id", INT), ("ticket_id", INT), ("requester_id", INT), ("assignee_id", INT), ("score", S),
        ("comment", S), ("reason", S), ("created_at", TS), ("updated_at", TS)]),
    "marketing.campaigns": pa.schema([
        ("id", S), ("name", S), ("channel", S), ("utm_source", S), ("utm_medium", S),
        ("utm_campaign", S), ("subject", S), ("send_time", TS), ("start_date", TS),
        ("end_date", TS), ("budget", F), ("created", TS), ("updated", TS)]),
    "marketing.profiles": pa.schema([
        ("id", S), ("email", S), ("first_name", S), ("last_name", S), ("external_id", S),
        ("consent", S), ("consent_updated_at", TS), ("created", TS), ("updated", TS)]),
    "marketing.email_events": pa.schema([
        ("id", S), ("profile_id", S), ("campaign_id", S), ("event_type", S), ("url", S),
        ("datetime", TS), ("updated", TS)]),
    "marketing.coupons": pa.schema([
        ("id", S), ("code", S), ("campaign_id", S), ("discount_type", S),
        ("discount_value", F), ("valid_from", TS), ("valid_to", TS), ("created", TS),
        ("updated", TS)]),
    "marketing.coupon_redemptions": pa.schema([
        ("id", S), ("coupon_id", S), ("code", S), ("order_id", S), ("profile_id", S),
        ("email", S), ("redeemed_at", TS), ("updated", TS)]),
}

# CSV landing files (column order as in the contract; types as the loader should cast them)
CSV_COLUMNS = {
    "ad_spend": ["date", "platform", "campaign_id", "utm_campaign", "impressions", "clicks",
                 "spend", "currency"],
    "surveys": ["response_id", "survey", "email", "contact_id", "score", "comment", "trigger",
                "ticket_id", "submitted_at"],
    "experiments": ["experiment_id", "experiment_name", "variant", "anonymous_id", "user_id",
                    "assigned_at"],
}
CSV_RAW_TABLE = {"ad_spend": "marketing.ad_spend", "surveys": "marketing.survey_responses",
                 "experiments": "marketing.experiment_assignments"}
PRIMARY_KEYS = {
    "crm.contacts": ["id"], "crm.companies": ["id"], "crm.deals": ["id"],
    "crm.deal_stage_history": ["deal_id", "changed_at"], "crm.orders": ["id"],
    "crm.line_items": ["id"], "crm.products": ["id"], "support.tickets": ["id"],
    "support.users": ["id"], "support.ticket_events": ["id"],
    "support.ticket_event_children": ["id"], "support.satisfaction_ratings": ["id"],
    "marketing.campaigns": ["id"], "marketing.profiles": ["id"],
    "marketing.email_events": ["id"], "marketing.coupons": ["id"],
    "marketing.coupon_redemptions": ["id"],
}
JUNK = {"0", "null", "anonymous", ""}


def table(name: str, cols: dict) -> pa.Table:
    """Build a table with exactly the contract schema (order and types)."""
    schema = SCHEMAS[name]
    arrays = []
    for f in schema:
        v = cols[f.name]
        if isinstance(v, pa.ChunkedArray):
            v = v.combine_chunks()
        if not isinstance(v, pa.Array):
            v = pa.array(v)
        if v.type != f.type:
            v = v.cast(f.type)
        arrays.append(v)
    extra = set(cols) - set(schema.names)
    if extra:
        raise KeyError(f"{name}: columns not in the contract: {sorted(extra)}")
    return pa.Table.from_arrays(arrays, schema=schema)


class Identifiers:
    """Collects (identifier_type, identifier_value as it appears, person_id) for the truth."""

    def __init__(self):
        self.parts: list[tuple[str, pa.Array, np.ndarray]] = []

    def add(self, kind: str, values, person: np.ndarray, normalise_email: bool = False):
        v = values if isinstance(values, pa.Array) else pa.array(values)
        if isinstance(v, pa.ChunkedArray):
            v = v.combine_chunks()
        v = v.cast(pa.string())
        if normalise_email:
            v = pc.utf8_lower(pc.utf8_trim_whitespace(v))
        ok = pc.and_(pc.is_valid(v), pc.invert(pc.is_in(v, pa.array(sorted(JUNK))))).fill_null(
            False)
        ok = ok.to_numpy(zero_copy_only=False)
        self.parts.append((kind, v.filter(pa.array(ok)), np.asarray(person)[ok]))

    def table(self) -> pa.Table:
        kinds = [pa.array(np.full(len(v), k, dtype=object), pa.string()) for k, v, _ in self.parts]
        t = pa.table({
            "identifier_type": pa.concat_arrays(kinds),
            "identifier_value": pa.concat_arrays([v for _, v, _ in self.parts]),
            "person_id": pa.array(np.concatenate([p for _, _, p in self.parts]).astype(np.int64)),
        })
        # one row per (type, value); keep the first person (values are unique per person anyway)
        g = t.group_by(["identifier_type", "identifier_value"], use_threads=False).aggregate(
            [("person_id", "min"), ("person_id", "max")])
        clash = pc.not_equal(g["person_id_min"], g["person_id_max"])
        if pc.any(clash).as_py():
            bad = g.filter(clash).slice(0, 5).to_pylist()
            raise AssertionError(f"identifiers shared by different people: {bad}")
        t = pa.table({"identifier_type": g["identifier_type"],
                      "identifier_value": g["identifier_value"], "person_id": g["person_id_min"]})
        return t.sort_by([("identifier_type", "ascending"), ("identifier_value", "ascending")])
