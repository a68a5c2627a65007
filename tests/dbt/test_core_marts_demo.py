"""The core star schema on the generated demo company, measured against the generator's truth.

Every expected number here is computed independently of dbt: row counts from
demo/truth/expected.json (and the vendor store for archived records), people from
demo/truth/identifiers.parquet, and NPS / CSAT / first reply with pandas from the files the
generator wrote (vendor parquet, survey CSV exports)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

pytestmark = pytest.mark.timeout(900)


def vendor(company, table: str) -> pd.DataFrame:
    system, name = table.split(".")
    return pd.read_parquet(company.base / "demo" / "vendor" / system / f"{name}.parquet")


def faulty_ids(company, table: str) -> set:
    """Ids of the records the stand-in serves malformed (they are quarantined, never loaded)."""
    system, name = table.split(".")
    faults = json.loads((company.base / "demo" / "vendor" / "faults.json").read_text())
    return {f["id"] for f in faults if f["system"] == system and f["table"] == name}


def loaded(company, table: str) -> pd.DataFrame:
    df = vendor(company, table)
    return df[~df["id"].isin(faulty_ids(company, table))]


def scalar(company, sql: str):
    return company.query(sql)[0][0]


def test_core_marts_build_without_failures(company):
    assert company.build_failures == []
    core = {t for (t,) in company.query(
        "select table_name from information_schema.tables where table_schema = 'core'")}
    assert {"dim_date", "dim_customers", "dim_companies", "dim_campaigns", "dim_products",
            "fct_orders", "fct_order_items", "fct_email_events", "fct_ad_spend",
            "fct_support_tickets", "fct_survey_responses"} <= core


def test_fact_row_counts_equal_the_generated_truth(company):
    expected = company.truth["expected_rows"]
    orders = vendor(company, "crm.orders")
    archived = orders["archived"] & ~orders["id"].isin(faulty_ids(company, "crm.orders"))
    truth = {
        "fct_orders": expected["crm.orders"] - int(archived.sum()),
        "fct_support_tickets": expected["support.tickets"],
        "fct_survey_responses": expected["marketing.survey_responses"],
        "fct_email_events": expected["marketing.email_events"],
        "fct_ad_spend": expected["marketing.ad_spend"],
        "dim_campaigns": expected["marketing.campaigns"],
        "dim_products": expected["crm.products"],
    }
    got = {t: scalar(company, f"select count(*) from core.{t}") for t in truth}
    assert got == truth
    assert min(truth.values()) > 0


def test_every_order_belongs_to_the_person_who_placed_it(company):
    """contact -> truth person -> customer: each order's customer_id is the one identity
    resolution gives every identified identifier (contact, email, app user, profile,
    support user) of the person behind the order's contact, and persons and customers
    correspond one to one."""
    ids = pd.read_parquet(company.truth_dir / "identifiers.parquet")
    ids = ids[ids["identifier_type"] != "anonymous_id"].drop_duplicates()
    resolved = pd.DataFrame(company.query(
        "select identifier_type, identifier_value, customer_id "
        "from intermediate.int_identity__identifiers"),
        columns=["identifier_type", "identifier_value", "customer_id"])
    person_customers = ids.merge(resolved, on=["identifier_type", "identifier_value"])
    contact_person = ids[ids["identifier_type"] == "crm_contact_id"].set_index(
        "identifier_value")["person_id"]

    orders = pd.DataFrame(company.query("select order_id, contact_id, customer_id "
                                        "from core.fct_orders"),
                          columns=["order_id", "contact_id", "customer_id"])
    orders["person_id"] = orders["contact_id"].map(contact_person)
    assert orders["person_id"].notna().all()
    assert orders["customer_id"].notna().all()

    buyers = person_customers[person_customers["person_id"].isin(orders["person_id"])]
    per_person = buyers.groupby("person_id")["customer_id"].agg(set)
    split = per_person[per_person.map(len) > 1]
    assert split.empty, f"persons whose identifiers resolve to several customers: {split}"
    expected = orders["person_id"].map(per_person.map(lambda s: next(iter(s))))
    wrong = orders[orders["customer_id"] != expected]
    assert wrong.empty, wrong
    # one customer per person and one person per customer
    pairs = orders[["person_id", "customer_id"]].drop_duplicates()
    assert pairs["person_id"].is_unique and pairs["customer_id"].is_unique
    # the first order of each person is numbered 1, and each person's orders count up
    n_orders = orders.groupby("person_id").size()
    numbered = dict(company.query(
        "select customer_id, max(customer_order_number) from core.fct_orders group by 1"))
    assert {pairs.set_index("person_id")["customer_id"][p]: n
            for p, n in n_orders.items()} == numbered


def test_nps_from_the_mart_equals_the_survey_exports(company):
    files = sorted((company.base / "landing" / "marketing" / "surveys").glob("*.csv"))
    surveys = pd.concat([pd.read_csv(f) for f in files])
    nps = surveys[surveys["survey"].str.strip().str.lower() == "nps"]["score"]
    assert len(nps) > 20
    truth = 100 * ((nps >= 9).sum() - (nps <= 6).sum()) / len(nps)
    got = scalar(company, "select 100 * (avg(cast(is_promoter as int)) "
                          "- avg(cast(is_detractor as int))) from core.fct_survey_responses")
    assert math.isclose(got, truth, abs_tol=1e-9)
    # the same from the categories
    cats = dict(company.query("select score_category, count(*) from core.fct_survey_responses "
                              "where survey_type = 'nps' group by 1"))
    assert cats == {k: v for k, v in {
        "promoter": int((nps >= 9).sum()), "passive": int(nps.between(7, 8).sum()),
        "detractor": int((nps <= 6).sum())}.items() if v}


def test_csat_from_the_mart_equals_the_vendor_ratings(company):
    """CSAT % = 100 x good / (good + bad), latest rating per ticket, of the tickets loaded."""
    tickets = loaded(company, "support.tickets")
    ratings = loaded(company, "support.satisfaction_ratings")
    ratings = ratings[ratings["ticket_id"].isin(tickets["id"])
                      & ratings["score"].isin(["good", "bad"])]
    latest = ratings.sort_values(["updated_at", "id"]).groupby("ticket_id").tail(1)
    assert len(latest) > 10
    truth = 100 * (latest["score"] == "good").mean()
    got = scalar(company, "select 100 * avg(csat_score) from core.fct_support_tickets")
    n = scalar(company, "select count(csat_rating) from core.fct_support_tickets")
    assert n == len(latest)
    assert math.isclose(got, truth, abs_tol=1e-9)


def test_first_reply_and_reopens_from_the_mart_equal_the_vendor_audit_log(company):
    """First reply = created -> first public comment by an agent who is not the requester;
    reopens = solves - 1; computed from the vendor parquet with pandas."""
    tickets = loaded(company, "support.tickets").set_index("id")
    users = vendor(company, "support.users")
    agents = set(users.loc[users["role"].isin(["agent", "admin"]), "id"])
    children = vendor(company, "support.ticket_event_children")
    children = children[children["ticket_id"].isin(tickets.index)]

    comments = children[(children["event_type"] == "Comment") & children["public"].fillna(False)
                        & children["author_id"].isin(agents)]
    comments = comments[comments["author_id"].to_numpy()
                        != tickets.loc[comments["ticket_id"], "requester_id"].to_numpy()]
    first = comments.groupby("ticket_id")["created_at"].min()
    minutes = (first - tickets.loc[first.index, "created_at"]).dt.total_seconds() / 60
    assert len(minutes) > 10 and (minutes > 0).all()
    got = scalar(company, "select median(first_reply_minutes) from core.fct_support_tickets")
    assert math.isclose(got, minutes.median(), abs_tol=1e-6)
    n = scalar(company, "select count(first_reply_minutes) from core.fct_support_tickets")
    assert n == len(minutes)

    solves = children[(children["event_type"] == "Change") & (children["field_name"] == "status")
                      & (children["value"] == "solved")].groupby("ticket_id").size()
    reopens = int((solves - 1).clip(lower=0).sum())
    assert reopens > 0
    assert scalar(company, "select sum(reopen_count) from core.fct_support_tickets") == reopens
