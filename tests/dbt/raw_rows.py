"""Hand-written raw rows for the dbt tests: a tiny company whose identities are worked out by hand.

People (what identity resolution must find):
- alice: anonymous device a1 (first seen 2023-12-01, the anchor) -> identifies as user u1 with
  email ALICE@example.com; CRM contact c1 (email alice, app user u1); Zendesk end-user 101
  with a second email alice.work@example.com and external_id c1; a second device a2 that
  identifies as u1; a post-support survey and a coupon redemption.
- bob: CRM contact c2 (app_user_id "0" is junk), Zendesk user 103, NPS survey by email.
- carol: CRM contact c4 (two versions: staging keeps the latest) and marketing profile mp1.
- kate: a chain k1 -> k-user -> mp3 -> kate@example.com -> k2 (one customer).
- grace: user u7 on device g1; she and alice both also used the junk device id "0": junk is
  never a node, so they stay apart.
- junk-only contact c3 (email "NULL", app user "anonymous"): a customer of its own.
- agent 102 (Zendesk staff): not a customer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


LOAD_1 = "1732400000.123456"
LOAD_2 = "1732486400.654321"

CRM = {
    "contacts": [
        dict(id="c1", created_at=ts("2024-01-10T09:00:00"), updated_at=ts("2024-01-10T09:00:00"),
             archived=False, email=" ALICE@Example.COM ", firstname="Alice", lastname="A",
             phone=None, associatedcompanyid="co1", lifecyclestage="customer",
             hubspot_owner_id="9", hs_analytics_source="ORGANIC_SEARCH", app_user_id="u1",
             hs_email_optout=False),
        dict(id="c2", created_at=ts("2024-02-01T09:00:00"), updated_at=ts("2024-02-01T09:00:00"),
             archived=False, email="bob@example.com", firstname="Bob", lastname="B",
             phone="", associatedcompanyid="", lifecyclestage="lead",
             hubspot_owner_id=None, hs_analytics_source="PAID_SEARCH", app_user_id="0",
             hs_email_optout=None),
        dict(id="c3", created_at=ts("2024-03-01T09:00:00"), updated_at=ts("2024-03-01T09:00:00"),
             archived=False, email="NULL", firstname=None, lastname=None, phone=None,
             associatedcompanyid=None, lifecyclestage="Subscriber", hubspot_owner_id=None,
             hs_analytics_source="something_new", app_user_id="anonymous",
             hs_email_optout=True),
        # carol, two versions: the later (updated_at) one wins in staging
        dict(id="c4", created_at=ts("2024-03-05T09:00:00"), updated_at=ts("2024-03-05T09:00:00"),
             archived=False, email="carol.old@example.com", firstname="Carol", lastname="C",
             phone=None, associatedcompanyid=None, lifecyclestage="lead",
             hubspot_owner_id=None, hs_analytics_source="EMAIL_MARKETING", app_user_id=None,
             hs_email_optout=False),
        dict(id="c4", created_at=ts("2024-03-05T09:00:00"), updated_at=ts("2024-04-01T09:00:00"),
             archived=False, email="Carol@Example.com", firstname="Carol", lastname="C",
             phone=None, associatedcompanyid=None, lifecyclestage="customer",
             hubspot_owner_id=None, hs_analytics_source="EMAIL_MARKETING", app_user_id=None,
             hs_email_optout=False, _dlt_load_id=LOAD_2),
    ],
    "companies": [
        dict(id="co1", created_at=ts("2023-06-01T00:00:00"), updated_at=ts("2023-06-01T00:00:00"),
             archived=False, name="Acme", domain="https://www.Acme.com/about", industry="Retail",
             country="DE", numberofemployees=50, annualrevenue=1.5e6),
    ],
    "deals": [
        dict(id="d1", created_at=ts("2024-01-11T00:00:00"), updated_at=ts("2024-01-20T00:00:00"),
             archived=False, dealname="Acme deal", amount=1200.0, dealstage="closedwon",
             pipeline="default", closedate=ts("2024-01-20T00:00:00"), hubspot_owner_id="9",
             contact_id="c1", company_id="co1"),
    ],
    "deal_stage_history": [
        dict(deal_id="d1", dealstage="qualifiedtobuy", changed_at=ts("2024-01-11T00:00:00"),
             source_type="CRM_UI"),
        dict(deal_id="d1", dealstage="closedwon", changed_at=ts("2024-01-20T00:00:00"),
             source_type="CRM_UI"),
    ],
    "orders": [
        dict(id="o1", created_at=ts("2024-01-20T00:00:00"), updated_at=ts("2024-01-20T00:00:00"),
             archived=False, hs_order_name="#1001", hs_currency_code="eur",
             hs_subtotal_price=100.0, hs_order_discount=10.0, hs_total_price=90.0,
             hs_pipeline_stage="paid", hs_external_created_date=ts("2024-01-20T10:00:00"),
             contact_id="c1", coupon_code=" spring10"),
        dict(id="o2", created_at=ts("2024-02-10T00:00:00"), updated_at=ts("2024-02-12T00:00:00"),
             archived=False, hs_order_name="#1002", hs_currency_code="EUR",
             hs_subtotal_price=50.0, hs_order_discount=None, hs_total_price=50.0,
             hs_pipeline_stage="refunded", hs_external_created_date=ts("2024-02-10T10:00:00"),
             contact_id="c2", coupon_code=None),
    ],
    "line_items": [
        dict(id="li1", created_at=ts("2024-01-20T00:00:00"), updated_at=ts("2024-01-20T00:00:00"),
             archived=False, order_id="o1", hs_product_id="p1", name="Widget", quantity=2,
             price=50.0, amount=100.0),
        dict(id="li2", created_at=ts("2024-02-10T00:00:00"), updated_at=ts("2024-02-10T00:00:00"),
             archived=False, order_id="o2", hs_product_id="p1", name="Widget", quantity=1,
             price=50.0, amount=50.0),
    ],
    "products": [
        dict(id="p1", created_at=ts("2023-01-01T00:00:00"), updated_at=ts("2023-01-01T00:00:00"),
             archived=False, name="Widget", hs_sku="W-1", category="widgets", price=50.0),
    ],
}

SUPPORT = {
    "tickets": [
        dict(id=1, requester_id=101, submitter_id=101, assignee_id=102, organization_id=None,
             group_id=5, subject="Help", description="It broke", external_id=None,
             type="incident", priority="high", status="solved", tags=["broken", "vip"],
             via__channel="web", created_at=ts("2024-01-25T08:00:00"),
             updated_at=ts("2024-01-26T08:00:00")),
        dict(id=2, requester_id=103, submitter_id=103, assignee_id=None, organization_id=None,
             group_id=None, subject="Refund", description=None, external_id="",
             type=None, priority="normal", status="open", tags=[], via__channel="mail",
             created_at=ts("2024-02-11T08:00:00"), updated_at=ts("2024-02-11T08:00:00")),
    ],
    "users": [
        dict(id=101, name="Alice A", email="alice.work@example.com", phone=None,
             time_zone="Europe/Berlin", role="end-user", external_id="c1",
             created_at=ts("2024-01-25T07:59:00"), updated_at=ts("2024-01-25T07:59:00")),
        dict(id=102, name="Agent Smith", email="smith@support.example.com", phone=None,
             time_zone=None, role="agent", external_id=None,
             created_at=ts("2020-01-01T00:00:00"), updated_at=ts("2020-01-01T00:00:00")),
        dict(id=103, name="Bob", email=" Bob@example.com", phone=None, time_zone=None,
             role="end-user", external_id=None, created_at=ts("2024-02-11T07:59:00"),
             updated_at=ts("2024-02-11T07:59:00")),
    ],
    "ticket_events": [
        dict(id=1001, ticket_id=1, updater_id=101, via__channel="web", event_type="Audit",
             created_at=ts("2024-01-25T08:00:00")),
        dict(id=1002, ticket_id=1, updater_id=102, via__channel="web", event_type="Audit",
             created_at=ts("2024-01-25T09:30:00")),
        dict(id=1003, ticket_id=2, updater_id=103, via__channel="mail", event_type="Audit",
             created_at=ts("2024-02-11T08:00:00")),
    ],
    "ticket_event_children": [
        dict(id=2001, audit_id=1001, ticket_id=1, author_id=101, event_type="Comment",
             public=True, body="It broke", field_name=None, value=None, previous_value=None,
             created_at=ts("2024-01-25T08:00:00")),
        dict(id=2002, audit_id=1002, ticket_id=1, author_id=102, event_type="Comment",
             public=True, body="Fixed", field_name=None, value=None, previous_value=None,
             created_at=ts("2024-01-25T09:30:00")),
        dict(id=2003, audit_id=1002, ticket_id=1, author_id=102, event_type="Change",
             public=None, body=None, field_name="status", value="solved",
             previous_value="new", created_at=ts("2024-01-25T09:30:00")),
    ],
    "satisfaction_ratings": [
        dict(id=3001, ticket_id=1, requester_id=101, assignee_id=102, score="Good",
             comment="thanks", reason=None, created_at=ts("2024-01-26T08:00:00"),
             updated_at=ts("2024-01-26T08:00:00")),
    ],
}

MARKETING = {
    "campaigns": [
        dict(id="cmp1", name="Spring sale", channel="email", utm_source="Newsletter",
             utm_medium="email", utm_campaign="Spring_Sale", subject="Spring!",
             send_time=ts("2024-01-05T08:00:00"), start_date=ts("2024-01-05T00:00:00"),
             end_date=ts("2024-02-05T00:00:00"), budget=500.0,
             created=ts("2024-01-01T00:00:00"), updated=ts("2024-01-01T00:00:00")),
    ],
    "profiles": [
        dict(id="mp1", email="carol@example.com", first_name="Carol", last_name="C",
             external_id=None, consent="subscribed", consent_updated_at=ts("2024-03-06T00:00:00"),
             created=ts("2024-03-06T00:00:00"), updated=ts("2024-03-06T00:00:00")),
        dict(id="mp3", email="KATE@example.com ", first_name="Kate", last_name="K",
             external_id="k-user", consent="never_subscribed", consent_updated_at=None,
             created=ts("2024-05-01T00:00:00"), updated=ts("2024-05-01T00:00:00")),
    ],
    "email_events": [
        dict(id="ee1", profile_id="mp1", campaign_id="cmp1", event_type="opened", url=None,
             datetime=ts("2024-03-07T00:00:00"), updated=ts("2024-03-07T00:00:00")),
        dict(id="ee2", profile_id="mp1", campaign_id="cmp1", event_type="clicked",
             url="https://shop.example.com/", datetime=ts("2024-03-07T00:01:00"),
             updated=ts("2024-03-07T00:01:00")),
    ],
    "coupons": [
        dict(id="cp1", code="SPRING10", campaign_id="cmp1", discount_type="percent",
             discount_value=10.0, valid_from=ts("2024-01-05T00:00:00"),
             valid_to=ts("2024-02-05T00:00:00"), created=ts("2024-01-01T00:00:00"),
             updated=ts("2024-01-01T00:00:00")),
    ],
    "coupon_redemptions": [
        dict(id="cr1", coupon_id="cp1", code="spring10", order_id="o1", profile_id=None,
             email="alice@example.com", redeemed_at=ts("2024-01-20T10:00:00"),
             updated=ts("2024-01-20T10:00:00")),
    ],
    "ad_spend": [
        dict(date=date(2024, 1, 5), platform="google_ads", campaign_id="cmp1",
             utm_campaign="spring_sale", impressions=1000, clicks=50, spend=25.5, currency="eur"),
    ],
    "survey_responses": [
        dict(response_id="s1", survey="NPS", email=" Bob@Example.com", contact_id="",
             score=9, comment="great! call +49 (170) 123-4567 or bob.b@example.co.uk",
             trigger="post-purchase", ticket_id=None,
             submitted_at=ts("2024-02-15T00:00:00")),
        dict(response_id="s2", survey="ces", email=None, contact_id="c1", score=6,
             comment=None, trigger="post_support", ticket_id=1,
             submitted_at=ts("2024-01-27T00:00:00")),
    ],
    "experiment_assignments": [
        dict(experiment_id="exp1", experiment_name="Checkout button", variant="control",
             anonymous_id="a1", user_id=None, assigned_at=ts("2023-12-01T10:00:00")),
        dict(experiment_id="exp1", experiment_name="Checkout button", variant="Treatment",
             anonymous_id="g1", user_id="u7", assigned_at=ts("2024-06-01T10:00:00")),
    ],
}


def _event(mid, typ, at, anon=None, user=None, email=None, event=None, **kw):
    row = dict(message_id=mid, type=typ, event=event, anonymous_id=anon, user_id=user,
               timestamp=ts(at), sent_at=ts(at), received_at=ts(at), traits_email=email,
               source_file="dt=2024-01-01/part-0000.jsonl.gz", properties="{}")
    row.update(kw)
    return row


WEB = {
    "events": [
        # alice: device a1 (the earliest identifier of her whole component), then identifies
        _event("m1", "page", "2023-12-01T10:00:00", anon="a1", page_path="/",
               utm_source="Google", utm_medium="cpc", utm_campaign="Spring_Sale",
               device_type="Desktop"),
        _event("m2", "identify", "2024-01-10T08:59:00", anon="a1", user="u1",
               email="ALICE@example.com"),
        _event("m3", "identify", "2024-02-01T08:00:00", anon="a2", user="u1"),
        _event("m4", "track", "2024-01-20T10:00:00", anon="a1", user="u1",
               event="Order Completed", order_id="o1", revenue=90.0,
               properties='{"order_id": "o1", "revenue": 90.0}'),
        # the junk device id "0" is used by alice and by grace: must not merge them
        _event("m5", "page", "2024-03-01T10:00:00", anon="0", user="u1"),
        _event("m6", "page", "2024-06-01T10:00:00", anon="0", user="u7"),
        _event("m7", "identify", "2024-06-01T10:05:00", anon="g1", user="u7",
               email="grace@example.com"),
        _event("m8", "page", "2024-06-02T10:00:00", anon="anonymous", email=" null "),
        # kate: k1 -> k-user -> (profile mp3) -> kate@example.com -> k2
        _event("m9", "identify", "2024-04-01T10:00:00", anon="k1", user="k-user"),
        _event("m10", "identify", "2024-05-02T10:00:00", anon="k2", email="kate@example.com"),
        # an unidentified visitor
        _event("m11", "page", "2024-07-01T10:00:00", anon="v1", device_type="mobile"),
    ],
}

RAW = {"crm": CRM, "support": SUPPORT, "marketing": MARKETING, "web": WEB}
