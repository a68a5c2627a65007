"""A generated demo company, loaded through the real connectors and built by dbt: the shared
fixture of the tests that check marts against the generator's ground truth.

generate (XS, fixed seed) -> stand-in APIs on 127.0.0.1 + event files -> the four dlt sources
-> `dbt build` on the real DuckDB file. Built once per test session (tests/conftest.py)."""

from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from cxm_cli.main import demo_settings
from ingestion.demo.generator import generate
from ingestion.demo.standin import StandInServer
from ingestion.pipeline import ingest
from tests.dbt.helpers import failures, query, run_dbt

TOKEN = "company-token"
SCALE = "XS"
SEED = 11


@dataclass
class Company:
    base: Path  # CXM_DATA_DIR: demo/ (vendor store, truth), landing/, warehouse.duckdb
    target: Path  # dbt target dir of the build
    truth: dict  # demo/truth/expected.json
    build_failures: list[str] = field(default_factory=list)

    @property
    def truth_dir(self) -> Path:
        return self.base / "demo" / "truth"

    def query(self, sql: str) -> list[tuple]:
        return query(self.base, sql)

    def copy_warehouse(self, dest: Path) -> Path:
        """Copy warehouse.duckdb into the directory `dest`, with its WAL (dbt-duckdb keeps
        the company's database open in this process: its last writes may sit there), for
        tests that write or attach it. Returns the copy's path."""
        dest.mkdir(parents=True, exist_ok=True)
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            if (self.base / name).exists():
                shutil.copyfile(self.base / name, dest / name)
        return dest / "warehouse.duckdb"

    def person_of_identifier(self) -> dict[tuple[str, str], int]:
        """(identifier type, value) -> the true person behind it (generator ground truth)."""
        rows = pq.read_table(self.truth_dir / "identifiers.parquet").to_pylist()
        return {(r["identifier_type"], r["identifier_value"]): r["person_id"] for r in rows}

    def person_of_customer(self) -> dict[str, int]:
        """customer_id -> the true person most of its identifiers belong to."""
        person = self.person_of_identifier()
        votes: dict[str, Counter] = defaultdict(Counter)
        for t, v, c in self.query("select identifier_type, identifier_value, customer_id "
                                  "from intermediate.int_identity__identifiers"):
            if (t, v) in person:
                votes[c][person[(t, v)]] += 1
        return {c: v.most_common(1)[0][0] for c, v in votes.items()}


def build_company(base: Path, target: Path, scale: str = SCALE, seed: int = SEED) -> Company:
    generate(base, scale=scale, seed=seed)
    with StandInServer(base, token=TOKEN) as server:
        ingest(base, settings=demo_settings(server.base_url, base, token=TOKEN))
    result = run_dbt(["build"], base, target)
    truth = json.loads((base / "demo/truth/expected.json").read_text())
    return Company(base, target, truth, failures(result))
