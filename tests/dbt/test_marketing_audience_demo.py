"""customer.marketing_audience on the demo company against the generator's ground truth: the
consent it served (vendor store: profiles, CRM contacts, unsubscribe events) and the true
person behind every identifier. The audience is exactly the people with a subscribed
profile and no opt-out anywhere; nobody who opted out is in it."""

from __future__ import annotations

import json

import duckdb
import pytest


def _eligible_people(vendor, person: dict[tuple[str, str], int]) -> tuple[set[int], set[int]]:
    """(people the mart must hold, people who opted out), from what the stand-in served.
    Records the stand-in served malformed (faults.json) are quarantined at ingestion, so they
    carry no consent into the warehouse."""
    faulty = {(f["table"], str(f["id"])) for f in json.loads((vendor / "faults.json").read_text())}
    con = duckdb.connect()
    subscribed: set[int] = set()
    opted_out: set[int] = set()
    for pid, consent in con.execute(
            f"select id, consent from '{vendor}/marketing/profiles.parquet'").fetchall():
        p = person.get(("marketing_profile_id", str(pid)))
        if p is None or ("profiles", str(pid)) in faulty:
            continue
        if consent == "subscribed":
            subscribed.add(p)
        elif consent == "unsubscribed":
            opted_out.add(p)
    for cid, opt_out in con.execute(
            f"select id, hs_email_optout from '{vendor}/crm/contacts.parquet'").fetchall():
        p = person.get(("crm_contact_id", str(cid)))
        if opt_out and p is not None and ("contacts", str(cid)) not in faulty:
            opted_out.add(p)
    for (pid,) in con.execute(
            f"select distinct profile_id from '{vendor}/marketing/email_events.parquet' "
            "where event_type = 'unsubscribed'").fetchall():
        if ("marketing_profile_id", str(pid)) in person:
            opted_out.add(person[("marketing_profile_id", str(pid))])
    return subscribed - opted_out, opted_out


@pytest.fixture(scope="module")
def audience(company):
    person, person_of = company.person_of_identifier(), company.person_of_customer()
    members = [person_of[c] for (c,) in
               company.query("select customer_id from customer.marketing_audience")]
    eligible, opted_out = _eligible_people(company.base / "demo" / "vendor", person)
    return members, eligible, opted_out


def test_the_audience_is_exactly_the_consenting_people(audience):
    members, eligible, opted_out = audience
    assert len(members) == len(set(members))  # one row per person
    assert len(opted_out) > 10 and len(eligible) > 100  # the demo plants both kinds
    assert set(members) & opted_out == set()
    assert set(members) == eligible


def test_audience_emails_are_hashed_and_masked(company):
    rows = company.query("select email_hash, email from customer.marketing_audience")
    assert rows and all(len(h) == 64 and "***@" in e for h, e in rows)
