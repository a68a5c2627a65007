"""Fixtures for the demo stand-ins: a tiny hand-written vendor store and a running server.

`make_tiny_store(data_dir)` writes `<data_dir>/demo/vendor/{crm,support,marketing}/*.parquet`
and `faults.json` with a few rows per table in the flat-record columns and types of
docs/sources.md (the `TableSpec`s). It deliberately contains ties in the cursor fields,
audits within one second, text that needs JSON escaping, empty and null lists, an archived
record and three planted faults (see `TINY_FAULTS`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.crm.schema import TABLES as CRM
from ingestion.marketing.schema import API_TABLES as MARKETING
from ingestion.support.schema import TABLES as SUPPORT

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TOKEN = "demo-token"

TINY_FAULTS = [
    {"system": "crm", "table": "deals", "id": "202", "field": "amount", "value": "abc",
     "reason": "amount is not a number"},
    {"system": "support", "table": "tickets", "id": 3, "field": "updated_at",
     "value": "not-a-date", "reason": "unparsable timestamp"},
    {"system": "marketing", "table": "profiles", "id": "p3", "field": "id", "value": None,
     "reason": "missing id"},
]


def h(hours: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, seconds=seconds)


def _tiny_rows() -> dict[str, dict[str, list[dict]]]:
    base = {"archived": False}
    contacts = [
        {"id": "1", "created_at": h(0), "updated_at": h(1), "email": "Ann@Example.com ",
         "firstname": "Ann", "lastname": "Lee", "phone": "+1 555 0100",
         "associatedcompanyid": "101", "lifecyclestage": "customer", "hubspot_owner_id": "7",
         "hs_analytics_source": "ORGANIC_SEARCH", "app_user_id": "u1", "hs_email_optout": False},
        {"id": "2", "created_at": h(0), "updated_at": h(2), "email": "bob@example.com",
         "firstname": 'Bob "B"', "lastname": "O\\Neil", "lifecyclestage": "lead",
         "hs_analytics_source": "PAID_SEARCH", "hs_email_optout": True},
        {"id": "3", "created_at": h(1), "updated_at": h(2), "email": "cy@example.com",
         "firstname": "Cy", "lifecyclestage": "subscriber",
         "hs_analytics_source": "DIRECT_TRAFFIC"},
        {"id": "4", "created_at": h(1), "updated_at": h(3), "email": None, "firstname": "Dee",
         "lifecyclestage": "opportunity", "archived": True},
        {"id": "5", "created_at": h(2), "updated_at": h(5, 0.25), "email": "eve@example.com",
         "firstname": "Ève", "lifecyclestage": "other", "app_user_id": "u5"},
    ]
    companies = [
        {"id": "101", "created_at": h(0), "updated_at": h(1), "name": "Acme", "domain": "acme.io",
         "industry": "retail", "country": "DE", "numberofemployees": 120,
         "annualrevenue": 1_500_000.0},
        {"id": "102", "created_at": h(0), "updated_at": h(1), "name": "Beta", "domain": "beta.io",
         "numberofemployees": None, "annualrevenue": 0.1},
        {"id": "103", "created_at": h(0), "updated_at": h(4), "name": "Gamma"},
    ]
    deals = [
        {"id": "201", "created_at": h(0), "updated_at": h(2), "dealname": "Acme renewal",
         "amount": 1500.0, "dealstage": "closedwon", "pipeline": "default",
         "closedate": h(2), "contact_id": "1", "company_id": "101"},
        {"id": "202", "created_at": h(1), "updated_at": h(3), "dealname": "Beta pilot",
         "amount": 99.5, "dealstage": "qualifiedtobuy", "pipeline": "default",
         "contact_id": "2"},
        {"id": "203", "created_at": h(1), "updated_at": h(3), "dealname": "Gamma",
         "amount": None, "dealstage": "appointmentscheduled", "pipeline": "default"},
    ]
    history = [
        {"deal_id": "201", "dealstage": "appointmentscheduled", "changed_at": h(0),
         "source_type": "CRM_UI"},
        {"deal_id": "201", "dealstage": "contractsent", "changed_at": h(1), "source_type": "API"},
        {"deal_id": "201", "dealstage": "closedwon", "changed_at": h(2), "source_type": "API"},
        {"deal_id": "202", "dealstage": "qualifiedtobuy", "changed_at": h(1),
         "source_type": "CRM_UI"},
    ]
    orders = [
        {"id": "301", "created_at": h(1), "updated_at": h(1), "hs_order_name": "#1001",
         "hs_currency_code": "EUR", "hs_subtotal_price": 100.0, "hs_order_discount": 10.0,
         "hs_total_price": 90.0, "hs_pipeline_stage": "paid", "hs_external_created_date": h(1),
         "contact_id": "1", "coupon_code": "WELCOME10"},
        {"id": "302", "created_at": h(2), "updated_at": h(4), "hs_order_name": "#1002",
         "hs_currency_code": "EUR", "hs_subtotal_price": 50.0, "hs_order_discount": 0.0,
         "hs_total_price": 50.0, "hs_pipeline_stage": "refunded",
         "hs_external_created_date": h(2), "contact_id": "5", "coupon_code": None},
    ]
    line_items = [
        {"id": "401", "created_at": h(1), "updated_at": h(1), "order_id": "301",
         "hs_product_id": "501", "name": "Mug", "quantity": 2, "price": 25.0, "amount": 50.0},
        {"id": "402", "created_at": h(1), "updated_at": h(1), "order_id": "301",
         "hs_product_id": "502", "name": "Tee", "quantity": 1, "price": 50.0, "amount": 50.0},
        {"id": "403", "created_at": h(2), "updated_at": h(2), "order_id": "302",
         "hs_product_id": "502", "name": "Tee", "quantity": 1, "price": 50.0, "amount": 50.0},
    ]
    products = [
        {"id": "501", "created_at": h(0), "updated_at": h(0), "name": "Mug", "hs_sku": "MUG-1",
         "category": "kitchen", "price": 25.0},
        {"id": "502", "created_at": h(0), "updated_at": h(0), "name": "Tee", "hs_sku": "TEE-1",
         "category": "apparel", "price": 50.0},
    ]
    users = [
        {"id": 1001, "name": "Ann Lee", "email": "ann@example.com", "role": "end-user",
         "time_zone": "Berlin", "external_id": "1", "created_at": h(0), "updated_at": h(1)},
        {"id": 1002, "name": "Sam Agent", "email": "sam@corp.io", "role": "agent",
         "created_at": h(0), "updated_at": h(1)},
        {"id": 1003, "name": "Eve", "email": "eve@example.com", "role": "end-user",
         "created_at": h(2), "updated_at": h(6)},
    ]
    tickets = [
        {"id": 1, "requester_id": 1001, "submitter_id": 1001, "assignee_id": 1002,
         "organization_id": None, "group_id": 9, "subject": "Broken mug",
         "description": 'It arrived "broken".\nPlease help\t!', "type": "problem",
         "priority": "high", "status": "solved", "tags": ["damage", "refund"],
         "via__channel": "email", "created_at": h(1), "updated_at": h(2)},
        {"id": 2, "requester_id": 1003, "submitter_id": 1003, "assignee_id": None,
         "subject": "Where is my order?", "description": "ctrl\x01char", "type": "question",
         "priority": "normal", "status": "open", "tags": [], "via__channel": "web",
         "created_at": h(2), "updated_at": h(2)},
        {"id": 3, "requester_id": 1001, "submitter_id": 1002, "assignee_id": 1002,
         "subject": "Invoice", "type": "task", "priority": "low", "status": "pending",
         "tags": None, "via__channel": "chat", "created_at": h(3), "updated_at": h(4)},
        {"id": 4, "requester_id": 1003, "submitter_id": 1003, "assignee_id": 1002,
         "subject": "Thanks", "type": "question", "priority": "low", "status": "closed",
         "tags": ["praise"], "via__channel": "api", "created_at": h(4), "updated_at": h(6)},
    ]
    audits = [  # 501/502/503 share one second; 504 later
        {"id": 501, "ticket_id": 1, "updater_id": 1001, "via__channel": "email",
         "event_type": "Audit", "created_at": h(1)},
        {"id": 502, "ticket_id": 1, "updater_id": 1002, "via__channel": "web",
         "event_type": "Audit", "created_at": h(1, 0.5)},
        {"id": 503, "ticket_id": 2, "updater_id": 1003, "via__channel": "web",
         "event_type": "Audit", "created_at": h(1, 0.75)},
        {"id": 504, "ticket_id": 1, "updater_id": 1002, "via__channel": "web",
         "event_type": "Audit", "created_at": h(2)},
        {"id": 505, "ticket_id": 4, "updater_id": 1003, "via__channel": "api",
         "event_type": "Audit", "created_at": h(6)},
    ]
    children = [
        {"id": 9001, "audit_id": 501, "ticket_id": 1, "author_id": 1001, "event_type": "Comment",
         "public": True, "body": "My mug is broken", "created_at": h(1)},
        {"id": 9002, "audit_id": 501, "ticket_id": 1, "author_id": 1001, "event_type": "Change",
         "field_name": "status", "value": "new", "previous_value": None, "created_at": h(1)},
        {"id": 9003, "audit_id": 502, "ticket_id": 1, "author_id": 1002, "event_type": "Comment",
         "public": False, "body": "internal note", "created_at": h(1, 0.5)},
        {"id": 9004, "audit_id": 502, "ticket_id": 1, "author_id": 1002, "event_type": "Change",
         "field_name": "status", "value": "open", "previous_value": "new",
         "created_at": h(1, 0.5)},
        {"id": 9005, "audit_id": 504, "ticket_id": 1, "author_id": 1002, "event_type": "Change",
         "field_name": "status", "value": "solved", "previous_value": "open",
         "created_at": h(2)},
        {"id": 9006, "audit_id": 505, "ticket_id": 4, "author_id": 1002, "event_type": "Comment",
         "public": True, "body": "You're welcome", "created_at": h(6)},
    ]
    ratings = [
        {"id": 7001, "ticket_id": 1, "requester_id": 1001, "assignee_id": 1002, "score": "good",
         "comment": "fast", "created_at": h(3), "updated_at": h(3)},
        {"id": 7002, "ticket_id": 4, "requester_id": 1003, "assignee_id": 1002, "score": "bad",
         "reason": "slow", "created_at": h(6), "updated_at": h(6)},
        {"id": 7003, "ticket_id": 2, "requester_id": 1003, "score": "good",
         "created_at": h(3), "updated_at": h(3)},
    ]
    campaigns = [
        {"id": "c1", "name": "Spring", "channel": "email", "utm_source": "newsletter",
         "utm_medium": "email", "utm_campaign": "spring", "subject": "Spring sale!",
         "send_time": h(1), "start_date": h(0), "end_date": h(48), "budget": 1000.0,
         "created": h(0), "updated": h(1)},
        {"id": "c2", "name": "Search", "channel": "paid_search", "utm_source": "google",
         "utm_medium": "cpc", "utm_campaign": "brand", "budget": 250.5, "created": h(0),
         "updated": h(2)},
    ]
    profiles = [
        {"id": "p1", "email": "ann@example.com", "first_name": "Ann", "external_id": "u1",
         "consent": "subscribed", "consent_updated_at": h(0), "created": h(0), "updated": h(1)},
        {"id": "p2", "email": "bob@example.com", "consent": "unsubscribed", "created": h(0),
         "updated": h(2)},
        {"id": "p3", "email": "cy@example.com", "consent": "never_subscribed", "created": h(1),
         "updated": h(2)},
        {"id": "p4", "email": "dee@example.com", "consent": "subscribed", "created": h(1),
         "updated": h(3)},
    ]
    email_events = [
        {"id": f"e{i}", "profile_id": p, "campaign_id": "c1", "event_type": kind,
         "url": "https://shop.example/sale" if kind == "clicked" else None,
         "datetime": h(1, s), "updated": h(1, s)}
        for i, (p, kind, s) in enumerate([("p1", "sent", 0), ("p2", "sent", 0),
                                          ("p1", "opened", 60), ("p1", "clicked", 90),
                                          ("p2", "unsubscribed", 120)], start=1)
    ]
    coupons = [
        {"id": "k1", "code": "WELCOME10", "campaign_id": "c1", "discount_type": "percent",
         "discount_value": 10.0, "valid_from": h(0), "valid_to": h(720), "created": h(0),
         "updated": h(0)},
        {"id": "k2", "code": "FIVEOFF", "campaign_id": "c2", "discount_type": "amount",
         "discount_value": 5.0, "created": h(0), "updated": h(1)},
    ]
    redemptions = [
        {"id": "r1", "coupon_id": "k1", "code": "WELCOME10", "order_id": "301",
         "profile_id": "p1", "email": "ann@example.com", "redeemed_at": h(1), "updated": h(1)},
    ]
    for row in contacts + companies + deals + orders + line_items + products:
        for k, v in base.items():
            row.setdefault(k, v)
    return {
        "crm": {"contacts": contacts, "companies": companies, "deals": deals,
                "deal_stage_history": history, "orders": orders, "line_items": line_items,
                "products": products},
        "support": {"users": users, "tickets": tickets, "ticket_events": audits,
                    "ticket_event_children": children, "satisfaction_ratings": ratings},
        "marketing": {"campaigns": campaigns, "profiles": profiles,
                      "email_events": email_events, "coupons": coupons,
                      "coupon_redemptions": redemptions},
    }


SPECS = {"crm": CRM, "support": SUPPORT, "marketing": MARKETING}


def make_tiny_store(data_dir: str | Path, faults: list[dict] | None = None) -> Path:
    """Write a tiny vendor store under `data_dir` (returns data_dir)."""
    data_dir = Path(data_dir)
    vendor = data_dir / "demo" / "vendor"
    for system, tables in _tiny_rows().items():
        (vendor / system).mkdir(parents=True, exist_ok=True)
        for name, rows in tables.items():
            schema = SPECS[system][name].arrow_schema()
            pq.write_table(pa.Table.from_pylist(rows, schema=schema),
                           vendor / system / f"{name}.parquet")
    (vendor / "faults.json").write_text(json.dumps(TINY_FAULTS if faults is None else faults))
    return data_dir


def tiny_table(data_dir: str | Path, system: str, name: str) -> pa.Table:
    return pq.read_table(Path(data_dir) / "demo" / "vendor" / system / f"{name}.parquet")


@pytest.fixture
def tiny_store(tmp_path: Path) -> Path:
    """A data dir holding the tiny vendor store."""
    return make_tiny_store(tmp_path / "data")


@pytest.fixture
def standin(tiny_store: Path):
    """A running StandInServer over the tiny store (token `demo-token`)."""
    from ingestion.demo.standin import StandInServer

    with StandInServer(tiny_store, token=TOKEN) as server:
        yield server
