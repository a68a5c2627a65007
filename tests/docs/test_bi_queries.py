"""docs/bi.md: every ```sql example runs read-only against a real published.duckdb (the demo
company's marts) and returns rows with the columns the doc promises; one per mart group."""

import re
from pathlib import Path

import duckdb
import pytest

from ingestion import paths

BI_MD = Path(__file__).resolve().parents[2] / "docs" / "bi.md"
EXPECTED = {
    "core": ["order_month", "orders", "first_orders", "revenue", "average_order_value"],
    "customer": ["acquisition_channel", "customers", "buyers", "revenue",
                 "mean_predicted_clv", "mean_latest_nps"],
    "journey": ["campaign_name", "campaign_channel", "spend", "attributed_revenue", "roas",
                "cpa"],
    "lifecycle": ["cohort_month", "cohort_customers", "month_1", "month_3", "month_6"],
    "cx": ["kpi_month", "nps_responses", "nps", "csat_pct", "tickets_created"],
}


def sql_examples(markdown: str) -> dict[str, str]:
    """```sql blocks by the mart group named on their first line (`-- core`)."""
    blocks = re.findall(r"```sql\n(.*?)```", markdown, flags=re.S)
    return {b.splitlines()[0].removeprefix("--").strip(): b for b in blocks}


def test_sql_examples_are_found_by_group():
    md = "x\n```sql\n-- core\nselect 1\n```\n```python\nno\n```\n```sql\n-- cx\nselect 2\n```"
    assert sql_examples(md) == {"core": "-- core\nselect 1\n", "cx": "-- cx\nselect 2\n"}


def test_one_example_per_mart_group():
    assert set(sql_examples(BI_MD.read_text())) == set(EXPECTED)


@pytest.mark.parametrize("group", sorted(EXPECTED))
def test_example_query_runs_on_the_published_marts(published, group):
    sql = sql_examples(BI_MD.read_text())[group]
    con = duckdb.connect(str(paths.published_path(published)), read_only=True)
    try:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    assert columns == EXPECTED[group]
    assert rows, f"{group}: no rows"
    assert all(r[0] is not None for r in rows)
