"""The pandas baseline: the ceiling's key marts (benchmarks/ceiling.py) written the way a user
might write them in pandas instead of SQL — read the raw tables into DataFrames, then
merge/groupby. Same records, junk lists, dedupe, anchor order and customer ids as the ceiling
(tests/benchmarks/test_pandas_baseline.py holds them equal), so the benchmark compares like
with like.

    run_pandas(warehouse)  # seconds per step; results in the returned frames
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from benchmarks.ceiling import MAX_ROUNDS, SESSION_TIMEOUT_MINUTES, TYPES, _vars

EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s.]+"


def as_text(s: pd.Series) -> pd.Series:
    """Values as text, as SQL `cast(x as varchar)` does (integers without a decimal point)."""
    if pd.api.types.is_float_dtype(s):
        s = s.astype("Int64")
    return s.astype("string")


def clean_id(s: pd.Series) -> pd.Series:
    junk = {str(v).lower() for v in _vars()["identity_junk_values"]}
    t = as_text(s).str.strip()
    return t.mask(t.str.lower().isin(junk))


def clean_email(s: pd.Series) -> pd.Series:
    v = as_text(s).str.strip().str.lower()
    junk = {str(x).lower() for x in _vars()["identity_junk_values"] + _vars()[
        "identity_junk_emails"]}
    return v.where(~v.isin(junk) & v.str.fullmatch(EMAIL).fillna(False).astype(bool))


def latest(df: pd.DataFrame, key: list[str], order: list[str]) -> pd.DataFrame:
    """The latest version per key: sort by `order` descending (nulls last), keep the first."""
    return df.sort_values(order, ascending=False, na_position="last").drop_duplicates(key)


def _loaded(df: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(df["_dlt_load_id"].astype(float), unit="s", utc=True)


def _coalesce(*series: pd.Series) -> pd.Series:
    out = series[0]
    for s in series[1:]:
        out = out.fillna(s)
    return out


class Baseline:
    """The steps, each reading what the previous ones left in `self`."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.out: dict[str, pd.DataFrame] = {}

    def raw(self, table: str, key: str, updated: str | None = "updated_at") -> pd.DataFrame:
        df = self.con.sql(f"select * from {table}").df()
        df["_loaded"] = _loaded(df)
        df["_key"] = as_text(df[key]).str.strip()
        return latest(df, ["_key"], [updated, "_loaded"] if updated else ["_loaded"])

    def identity_records(self) -> None:
        contacts = self.raw("raw_crm.contacts", "id")
        orders = self.raw("raw_crm.orders", "id")
        users = self.raw("raw_support.users", "id")
        tickets = self.raw("raw_support.tickets", "id")
        profiles = self.raw("raw_marketing.profiles", "id", "updated")
        surveys = self.raw("raw_marketing.survey_responses", "response_id", None)
        redemptions = self.raw("raw_marketing.coupon_redemptions", "id", "updated")
        assignments = self.con.sql("select * from raw_marketing.experiment_assignments").df()
        assignments["_loaded"] = _loaded(assignments)
        assignments["_key"] = (as_text(assignments["experiment_id"]).str.strip() + "\x00"
                               + as_text(assignments["anonymous_id"]).str.strip())
        assignments = latest(assignments, ["_key"], ["_loaded"])
        web = self.con.sql("select anonymous_id, user_id, traits_email, \"timestamp\" "
                           "from raw_web.events").df()
        web = pd.DataFrame({"anonymous_id": clean_id(web["anonymous_id"]),
                            "app_user_id": clean_id(web["user_id"]),
                            "email": clean_email(web["traits_email"]),
                            "seen_at": web["timestamp"]})
        web = web.groupby(["anonymous_id", "app_user_id", "email"], dropna=False,
                          as_index=False)["seen_at"].min()

        users = users[as_text(users["role"]).str.strip().str.lower().fillna("end-user")
                      == "end-user"]
        surveys = surveys.merge(tickets[["id", "requester_id"]].rename(
            columns={"id": "ticket_id"}), on="ticket_id", how="left")
        redemptions = redemptions.assign(_order=clean_id(redemptions["order_id"])).merge(
            orders[["_key", "contact_id"]].rename(columns={"_key": "_order"}),
            on="_order", how="left")
        parts = [
            pd.DataFrame({"seen_at": _coalesce(contacts["created_at"], contacts["updated_at"],
                                               contacts["_loaded"]),
                          "crm_contact_id": contacts["_key"],
                          "app_user_id": contacts["app_user_id"], "email": contacts["email"]}),
            pd.DataFrame({"seen_at": _coalesce(users["created_at"], users["updated_at"],
                                               users["_loaded"]),
                          "crm_contact_id": users["external_id"],
                          "support_user_id": as_text(users["id"]), "email": users["email"]}),
            pd.DataFrame({"seen_at": _coalesce(profiles["created"], profiles["updated"],
                                               profiles["_loaded"]),
                          "marketing_profile_id": profiles["_key"],
                          "app_user_id": profiles["external_id"], "email": profiles["email"]}),
            pd.DataFrame({"seen_at": surveys["submitted_at"],
                          "crm_contact_id": surveys["contact_id"],
                          "support_user_id": as_text(surveys["requester_id"]),
                          "email": surveys["email"]}),
            pd.DataFrame({"seen_at": redemptions["redeemed_at"],
                          "crm_contact_id": clean_id(redemptions["contact_id"]),
                          "marketing_profile_id": redemptions["profile_id"],
                          "email": redemptions["email"]}),
            pd.DataFrame({"seen_at": assignments["assigned_at"],
                          "app_user_id": assignments["user_id"],
                          "anonymous_id": assignments["anonymous_id"]}),
            web,
        ]
        records = pd.concat(parts, ignore_index=True)
        for t in TYPES:
            col = records[t] if t in records else pd.Series(pd.NA, index=records.index)
            records[t] = clean_email(col) if t == "email" else clean_id(col)
        records = records[records[list(TYPES)].notna().any(axis=1)].reset_index(drop=True)
        records["record_id"] = np.arange(1, len(records) + 1)
        self.out["records"] = records

    def identity_nodes(self) -> None:
        r = self.out["records"]
        obs = pd.concat([pd.DataFrame({"record_id": r["record_id"], "seen_at": r["seen_at"],
                                       "identifier_type": t, "identifier_value": r[t],
                                       "type_rank": i + 1}).dropna(subset=["identifier_value"])
                         for i, t in enumerate(TYPES)], ignore_index=True)
        nodes = obs.groupby(["identifier_type", "identifier_value", "type_rank"],
                            as_index=False)["seen_at"].min()
        nodes = nodes.sort_values(["seen_at", "type_rank", "identifier_value"],
                                  na_position="last", kind="stable").reset_index(drop=True)
        nodes["node_id"] = np.arange(1, len(nodes) + 1)
        self.out["observations"] = obs
        self.out["nodes"] = nodes

    def identity_edges(self) -> None:
        rn = self.out["observations"].merge(
            self.out["nodes"][["identifier_type", "identifier_value", "node_id"]],
            on=["identifier_type", "identifier_value"])[["record_id", "node_id"]]
        rn["hub"] = rn.groupby("record_id")["node_id"].transform("min")
        edges = rn.loc[rn["node_id"] != rn["hub"], ["hub", "node_id"]].drop_duplicates()
        self.out["edges"] = edges.set_axis(["a", "b"], axis=1)

    def identity_components(self) -> None:
        """Min-label propagation with pointer jumping, as the ceiling does it."""
        e = self.out["edges"]
        both = pd.concat([e, e.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
        label = pd.Series(self.out["nodes"]["node_id"].to_numpy(),
                          index=self.out["nodes"]["node_id"].to_numpy())
        for _ in range(MAX_ROUNDS):
            neighbour = both.assign(label=label.reindex(both["b"]).to_numpy()).groupby(
                "a")["label"].min()
            hooked = label.combine(neighbour.reindex(label.index).fillna(label), min)
            jumped = pd.Series(np.minimum(hooked.to_numpy(),
                                          hooked.reindex(hooked.to_numpy()).to_numpy()),
                               index=label.index)
            changed = int((jumped != label).sum())
            label = jumped
            if changed == 0:
                self.out["components"] = label.rename("label").rename_axis("node_id"
                                                                          ).reset_index()
                return
        raise RuntimeError(f"components did not converge in {MAX_ROUNDS} rounds")

    def identity_identifiers(self) -> None:
        nodes = self.out["nodes"]
        anchors = nodes.set_index("node_id")
        comp = self.out["components"]
        anchor = anchors.loc[comp["label"]]
        keys = (anchor["identifier_type"] + ":" + anchor["identifier_value"]).tolist()
        cid = pd.Series([hashlib.md5(k.encode()).hexdigest() for k in keys],
                        index=comp["node_id"].to_numpy())
        ids = nodes[["identifier_type", "identifier_value", "node_id"]].copy()
        ids["customer_id"] = cid.reindex(ids["node_id"]).to_numpy()
        self.out["identifiers"] = ids

    def web_sessions(self) -> None:
        """Sessions per device (anonymous_id, else app_user_id), ordered by time and event
        id; the customer of the device, else of the session's last user id."""
        ids = self.out["identifiers"]
        ev = self.con.sql("select trim(message_id) as event_id, anonymous_id, user_id, "
                          "\"timestamp\" as ts, type from raw_web.events").df()
        ev["anonymous_id"], ev["user_id"] = clean_id(ev["anonymous_id"]), clean_id(ev["user_id"])
        ev = ev[ev["anonymous_id"].notna() | ev["user_id"].notna()]
        ev = pd.DataFrame({
            "device_key": _coalesce("anonymous_id:" + ev["anonymous_id"],
                                    "app_user_id:" + ev["user_id"]),
            "anonymous_id": ev["anonymous_id"], "user_id": ev["user_id"], "ts": ev["ts"],
            "event_id": ev["event_id"],
            "is_page": as_text(ev["type"]).str.strip().str.lower() == "page"})
        ev = ev.sort_values(["device_key", "ts", "event_id"], kind="stable")
        gap = ev.groupby("device_key")["ts"].diff()
        ev["is_new"] = ~(gap <= pd.Timedelta(minutes=SESSION_TIMEOUT_MINUTES))
        ev["session_number"] = ev.groupby("device_key")["is_new"].cumsum()
        s = ev.groupby(["device_key", "session_number"], as_index=False).agg(
            anonymous_id=("anonymous_id", "first"), user_id=("user_id", "last"),
            started_at=("ts", "min"), ended_at=("ts", "max"), events=("ts", "size"),
            page_views=("is_page", "sum"))
        s["is_bounce"] = (s["events"] == 1) & (s["page_views"] == 1)
        by = {t: ids.loc[ids["identifier_type"] == t].set_index("identifier_value")[
            "customer_id"] for t in ("anonymous_id", "app_user_id")}
        s["customer_id"] = _coalesce(
            pd.Series(by["anonymous_id"].reindex(s["anonymous_id"]).to_numpy(), index=s.index),
            pd.Series(by["app_user_id"].reindex(s["user_id"]).to_numpy(), index=s.index))
        self.out["sessions"] = s

    def touchpoints(self) -> None:
        ids = self.out["identifiers"]

        def by(kind: str) -> pd.DataFrame:
            return ids.loc[ids["identifier_type"] == kind, ["identifier_value", "customer_id"]
                           ].rename(columns={"identifier_value": "k"})

        orders = self.raw("raw_crm.orders", "id")
        orders = orders.assign(k=clean_id(orders["contact_id"]))
        orders = orders[~orders["archived"].fillna(False).astype(bool)].merge(
            by("crm_contact_id"), on="k")
        emails = self.raw("raw_marketing.email_events", "id", "updated")
        emails = emails.assign(k=clean_id(emails["profile_id"])).merge(
            by("marketing_profile_id"), on="k")
        raw_tickets = self.raw("raw_support.tickets", "id")
        tickets = raw_tickets.assign(k=as_text(raw_tickets["requester_id"])).merge(
            by("support_user_id"), on="k")
        # a survey's customer: its contact's, else its email's, else its ticket requester's
        surveys = self.raw("raw_marketing.survey_responses", "response_id", None)
        requester = raw_tickets.set_index("id")["requester_id"]
        surveys["customer_id"] = _coalesce(*(
            pd.Series(by(kind).set_index("k")["customer_id"].reindex(keys).to_numpy(),
                      index=surveys.index)
            for kind, keys in (
                ("crm_contact_id", clean_id(surveys["contact_id"])),
                ("email", clean_email(surveys["email"])),
                ("support_user_id", as_text(requester.reindex(surveys["ticket_id"]))))))
        surveys = surveys[surveys["customer_id"].notna()]
        s = self.out["sessions"]
        s = s[s["customer_id"].notna()]
        lower = (lambda c: as_text(c).str.strip().str.lower())  # noqa: E731
        self.out["touchpoints"] = pd.concat([
            pd.DataFrame({"customer_id": s["customer_id"], "occurred_at": s["started_at"],
                          "kind": "web_session"}),
            pd.DataFrame({"customer_id": emails["customer_id"],
                          "occurred_at": emails["datetime"],
                          "kind": "email_" + lower(emails["event_type"])}),
            pd.DataFrame({"customer_id": orders["customer_id"],
                          "occurred_at": _coalesce(orders["hs_external_created_date"],
                                                   orders["created_at"]),
                          "kind": "order", "revenue": orders["hs_total_price"]}),
            pd.DataFrame({"customer_id": tickets["customer_id"],
                          "occurred_at": tickets["created_at"], "kind": "support_ticket"}),
            pd.DataFrame({"customer_id": surveys["customer_id"],
                          "occurred_at": surveys["submitted_at"],
                          "kind": "survey_" + lower(surveys["survey"])}),
        ], ignore_index=True)

    def customer_360(self) -> None:
        t = self.out["touchpoints"]
        kind = t["kind"]
        t = t.assign(is_order=kind == "order", is_session=kind == "web_session",
                     sent=kind == "email_sent", opened=kind == "email_opened",
                     ticket=kind == "support_ticket",
                     order_at=t["occurred_at"].where(kind == "order"))
        first = t.sort_values("occurred_at", kind="stable").drop_duplicates("customer_id")
        agg = t.groupby("customer_id").agg(
            first_touch_at=("occurred_at", "min"), order_count=("is_order", "sum"),
            total_revenue=("revenue", "sum"), last_order_at=("order_at", "max"),
            session_count=("is_session", "sum"), emails_sent=("sent", "sum"),
            emails_opened=("opened", "sum"), ticket_count=("ticket", "sum"),
            last_seen_at=("occurred_at", "max"))
        agg["first_touch_type"] = first.set_index("customer_id")["kind"]
        agg["aov"] = agg["total_revenue"] / agg["order_count"].where(agg["order_count"] > 0)
        customers = pd.DataFrame({"customer_id": self.out["identifiers"]["customer_id"].unique()})
        self.out["customer_360"] = customers.merge(agg.reset_index(), on="customer_id",
                                                   how="left")


STEPS: dict[str, Callable[[Baseline], None]] = {
    name: getattr(Baseline, name) for name in (
        "identity_records", "identity_nodes", "identity_edges", "identity_components",
        "identity_identifiers", "web_sessions", "touchpoints", "customer_360")}


def run_pandas(warehouse, steps: list[str] | None = None
               ) -> tuple[dict[str, float], dict[str, pd.DataFrame]]:
    """Run the steps (all by default) on a read-only connection; seconds per step and the
    result frames (identifiers, sessions, touchpoints, customer_360, ...)."""
    seconds: dict[str, float] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        b = Baseline(con)
        for name in steps or list(STEPS):
            started = time.perf_counter()
            STEPS[name](b)
            seconds[name] = time.perf_counter() - started
    return seconds, b.out
