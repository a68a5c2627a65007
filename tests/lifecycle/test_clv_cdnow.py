"""The CLV fit reproduces the BG/NBD and Gamma-Gamma estimates Fader, Hardie & Lee (2005)
published for the CDNOW sample, with the data sent through the project's own path:
CDNOW transactions -> CRM export folder -> the CRM source (dlt, export transport) -> dbt
(`+customer_clv`, calibration end 1997-09-30, weeks) -> lifecycle.customer_clv_fit.
Origin of the data and of the published figures: tests/lifecycle/cdnow/README.md."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from ingestion.pipeline import ingest
from tests.dbt.helpers import SPECS, failures, query, raw_schema, run_dbt

CDNOW = Path(__file__).resolve().parent / "cdnow" / "CDNOW_sample.txt"
PUBLISHED = {
    ("bg_nbd", "r"): 0.243, ("bg_nbd", "alpha"): 4.414, ("bg_nbd", "a"): 0.793,
    ("bg_nbd", "b"): 2.426,
    ("gamma_gamma", "p"): 6.25, ("gamma_gamma", "q"): 3.74, ("gamma_gamma", "gamma"): 15.44,
}
VARS = "{clv_calibration_end: '1997-09-30', clv_time_unit: week}"


def write_crm_exports(folder: Path) -> int:
    """CDNOW_sample.txt as the CRM's export files (contacts.csv, orders.csv, HubSpot columns).
    One order per transaction line, placed at noon UTC of its day, paid, in USD."""
    rows = [line.split() for line in CDNOW.read_text().splitlines() if line.strip()]
    folder.mkdir(parents=True)
    stamp = "1998-07-01T00:00:00Z"
    contacts = sorted({r[1] for r in rows})
    pacsv.write_csv(pa.table({
        "id": contacts, "created_at": [stamp] * len(contacts),
        "updated_at": [stamp] * len(contacts), "archived": ["false"] * len(contacts),
        "lifecyclestage": ["customer"] * len(contacts)}), folder / "contacts.csv")
    n = len(rows)
    placed = [f"{d[:4]}-{d[4:6]}-{d[6:]}T12:00:00Z" for _, _, d, _, _ in rows]
    pacsv.write_csv(pa.table({
        "id": [str(i + 1) for i in range(n)], "created_at": placed, "updated_at": [stamp] * n,
        "archived": ["false"] * n, "hs_order_name": [f"CDNOW-{i + 1}" for i in range(n)],
        "hs_currency_code": ["USD"] * n, "hs_subtotal_price": [r[4] for r in rows],
        "hs_order_discount": ["0"] * n, "hs_total_price": [r[4] for r in rows],
        "hs_pipeline_stage": ["paid"] * n, "hs_external_created_date": placed,
        "contact_id": [r[1] for r in rows]}), folder / "orders.csv")
    return n


def create_missing_raw_tables(warehouse: Path) -> None:
    """Empty raw tables for everything the CRM export did not load (other sources, other CRM
    objects): the staging views of `+customer_clv` read them."""
    with duckdb.connect(str(warehouse)) as con:
        for source, specs in SPECS.items():
            con.execute(f"create schema if not exists raw_{source}")
            for name, spec in specs.items():
                con.register("_empty", raw_schema(spec).empty_table())
                con.execute(f'create table if not exists raw_{source}."{name}" as '
                            "select * from _empty")
                con.unregister("_empty")


@pytest.fixture(scope="module")
def cdnow_fit(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("cdnow")
    exports = base / "exports" / "crm"
    orders = write_crm_exports(exports)
    started = time.perf_counter()
    ingest(base, sources=["crm"], settings={"crm": {"exports_path": str(exports)}})
    create_missing_raw_tables(base / "warehouse.duckdb")
    loaded = time.perf_counter()
    # the unit tests run in every other build; data tests on models outside the selection
    # (cautious) are left out
    result = run_dbt(["build", "--select", "+customer_clv", "--vars", VARS,
                      "--indirect-selection", "cautious", "--exclude", "test_type:unit"],
                     base, tmp_path_factory.mktemp("t"))
    built = time.perf_counter()
    print(f"CDNOW path: ingest {loaded - started:.1f} s, dbt build +customer_clv "
          f"{built - loaded:.1f} s")
    return {"base": base, "orders": orders, "failures": failures(result)}


def test_every_transaction_is_loaded_and_the_build_is_green(cdnow_fit):
    assert cdnow_fit["failures"] == []
    (n,) = query(cdnow_fit["base"], "select count(*) from core.fct_orders")[0]
    assert n == cdnow_fit["orders"] == 6919


def test_fit_reproduces_the_published_estimates_within_one_percent(cdnow_fit):
    rows = query(cdnow_fit["base"], "select model, parameter, value, fit_status, n_customers, "
                 "n_repeat_customers from lifecycle.customer_clv_fit")
    got = {(m, p): v for m, p, v, *_ in rows}
    assert set(got) == set(PUBLISHED)
    for key, published in PUBLISHED.items():
        assert got[key] == pytest.approx(published, rel=0.01), key
    status = {m: (s, n, n_rep) for m, _, _, s, n, n_rep in rows}
    # the papers' samples: 2,357 customers, 946 of them with a repeat purchase
    assert status["bg_nbd"] == ("ok", 2357, 946)
    assert status["gamma_gamma"] == ("ok", 2357, 946)


def test_bgnbd_log_likelihood_is_the_published_one(cdnow_fit):
    # Fader, Hardie & Lee (2005), section 5: LL = -9582.4 at the estimates
    (ll,) = query(cdnow_fit["base"], "select distinct log_likelihood from "
                  "lifecycle.customer_clv_fit where model = 'bg_nbd'")[0]
    assert ll == pytest.approx(-9582.4, abs=0.1)


def test_customer_clv_scores_every_cdnow_customer(cdnow_fit):
    (n, bad, methods) = query(cdnow_fit["base"], """
        select count(*),
               count(*) filter (where not isfinite(predicted_clv) or p_alive not between 0 and 1),
               string_agg(distinct purchase_model || '/' || spend_model, ',')
        from lifecycle.customer_clv""")[0]
    assert (n, bad, methods) == (2357, 0, "bg_nbd/gamma_gamma")
