"""Schema drift from a vendor, through the real `ingest` job and the stand-in APIs: a new
field on Zendesk tickets flows through to raw_support.tickets as a new column; CRM orders
whose `hs_total_price` (a double in the spec) turns into text like "12.5 EUR" are rejected
into raw_crm._quarantine, each naming source, table, column and value, the rest loads, and
the run fails on the orders' blocking raw-table suite."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ingestion import paths
from ingestion.demo.standin import StandInServer
from tests.faults.conftest import copy_company
from tests.faults.harness import TOKEN, job_env, raw_counts, start_job, truth
from tests.faults.harness import planted as planted_counts

# the session's clean run and a chain of job runs exceed the suite's 900 s default
pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(3600)]
NEW = "sla_tier"


def _vendor(base: Path, table: str) -> Path:
    return base / "demo" / "vendor" / f"{table}.parquet"


def _set_column(path: Path, name: str, values: pa.Array) -> None:
    t = pq.read_table(path)
    if name in t.column_names:
        t = t.set_column(t.column_names.index(name), name, values)
    else:
        t = t.append_column(name, values)
    pq.write_table(t, path)


@pytest.fixture(scope="module")
def drift(fault_company: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = copy_company(fault_company, tmp_path_factory.mktemp("drift"))
    tickets = _vendor(base, "support/tickets")
    n_tickets = pq.read_metadata(tickets).num_rows
    _set_column(tickets, NEW, pa.array(["gold" if i % 2 else "silver"
                                        for i in range(n_tickets)]))
    orders = _vendor(base, "crm/orders")
    price = pq.read_table(orders, columns=["hs_total_price"])["hs_total_price"]
    priced = len(price) - price.null_count
    _set_column(orders, "hs_total_price",
                pc.binary_join_element_wise(pc.cast(price, pa.string()), " EUR", ""))
    with StandInServer(base, token=TOKEN) as server:
        job = start_job(base, job_env(server.base_url, base), "drift", "--job", "ingest")
        rc = job.wait()
    con = duckdb.connect(str(paths.warehouse_path(base)), read_only=True)
    try:
        new_values = con.execute(f"select {NEW}, count(*) from raw_support.tickets "
                                 "group by 1 order by 1").fetchall()
        rejected = con.execute(
            "select source, table_name, field, count(*), count(*) filter (where reason like "
            "'hs_total_price: value % EUR is not a valid double') from raw_crm._quarantine "
            "where table_name = 'orders' group by all order by all").fetchall()
    finally:
        con.close()
    return {"rc": rc, "log": job.output(), "new_values": new_values, "rejected": rejected,
            "priced": priced,
            "raw": raw_counts(base), "truth": truth(base)}


def test_a_new_vendor_field_flows_through_to_the_raw_table(drift: dict) -> None:
    tickets = drift["truth"]["expected_rows"]["support.tickets"]
    assert drift["raw"]["support.tickets"] == tickets
    assert dict(drift["new_values"]) == {"gold": tickets // 2, "silver": tickets - tickets // 2}


def test_a_type_change_on_a_known_column_is_rejected_naming_source_table_column(
        drift: dict) -> None:
    # every order with a price is rejected, each with the value that does not fit; the
    # generator's own planted bad price ("abc") is among them
    planted = [m for m in drift["truth"]["malformed"]["crm.orders"]
               if m["field"] == "hs_total_price"]
    assert drift["priced"] > 50 and len(planted) == 1
    assert drift["rejected"] == [("crm", "orders", "hs_total_price", drift["priced"],
                                  drift["priced"] - 1)], drift["rejected"]
    assert "crm.orders" not in drift["raw"]  # not one good order: no table
    # the other tables of the source still load
    assert drift["raw"]["crm.contacts"] == drift["truth"]["expected_rows"]["crm.contacts"]
    # the run fails on the orders' blocking raw suite: nothing downstream would publish
    assert drift["rc"] == 1
    assert "failed: crm/orders:gx_suite (ERROR)" in drift["log"]
    others = sum(n for key, n in planted_counts(drift["truth"]).items()
                 if key.startswith("crm.") and key != "crm.orders")
    assert re.search(rf"crm/_quarantine +{drift['priced'] + others} rows", drift["log"])
