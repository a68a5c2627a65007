"""An L-sized identity graph without generating L: the raw identity inputs of a prepared
data dir (e.g. scale S), replicated `factor` times with disjoint identifiers.

    python3 -m uv run --locked python -m benchmarks.replicate --source /tmp/.../scale_S \\
        --factor 100 --out /tmp/cxm-identity-L [--measure]

Copy k (0 = the original) prefixes every text identifier with `r<k>_` and offsets every
integer id by k * 10^12, so copies never share an identifier and each copy's graph has the
same shape as the original: components(copy) = factor x components(original). Junk values
stay as they are (still junk). Only the tables the identity models read are copied; web
events keep the identity columns (message_id, anonymous_id, user_id, traits_email,
timestamp, type, _dlt_load_id) and leave the others null. With --measure: times
`dbt run --select +int_identity__identifiers` on the copy (wall time, peak RSS of the dbt
process tree) and writes <out>/identity_L.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb

from benchmarks.ceiling import _literals, _vars

OFFSET = 10**12
# table -> (text identifier columns, integer identifier columns)
IDENTITY_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "raw_crm.contacts": (("id", "email", "app_user_id"), ()),
    "raw_crm.orders": (("id", "contact_id"), ()),
    "raw_support.users": (("email", "external_id"), ("id",)),
    "raw_support.tickets": (("external_id",), ("id", "requester_id")),
    "raw_marketing.profiles": (("id", "email", "external_id"), ()),
    "raw_marketing.survey_responses": (("response_id", "email", "contact_id"), ("ticket_id",)),
    "raw_marketing.coupon_redemptions": (("id", "order_id", "profile_id", "email"), ()),
    "raw_marketing.experiment_assignments": (("anonymous_id", "user_id"), ()),
    "raw_web.events": (("message_id", "anonymous_id", "user_id", "traits_email"), ()),
}
WEB_KEEP = {"message_id", "anonymous_id", "user_id", "traits_email", "timestamp", "type",
            "_dlt_load_id"}


def text_copy(col: str) -> str:
    """Column `col` of copy k: unchanged for k = 0, null or junk; else 'r<k>_' || trim."""
    v = f"lower(trim({col}))"
    junk = _literals(_vars()["identity_junk_values"])
    junk_emails = _literals(_vars()["identity_junk_emails"])
    return (f"case when k = 0 or {col} is null or {v} in {junk} or {v} in {junk_emails} "
            f"then {col} else 'r' || k || '_' || trim({col}) end")


def int_copy(col: str) -> str:
    return (f"case when k = 0 or {col} is null or {col} in (0, -1) then {col} "
            f"else {col} + k * {OFFSET} end")


def replicate(source_warehouse: Path, target_warehouse: Path, factor: int) -> dict[str, int]:
    """Write the replicated identity tables into `target_warehouse`; rows per table."""
    target_warehouse.unlink(missing_ok=True)
    rows = {}
    with duckdb.connect(str(target_warehouse)) as con:
        con.execute("set preserve_insertion_order = false")
        con.execute(f"attach '{source_warehouse}' as src (read_only)")
        for table, (texts, ints) in IDENTITY_TABLES.items():
            schema, name = table.split(".")
            cols = con.sql(
                "select column_name, data_type from duckdb_columns() where database_name = "
                f"'src' and schema_name = '{schema}' and table_name = '{name}' "
                "order by column_index").fetchall()
            exprs = []
            for col, dtype in cols:
                q = f'"{col}"'
                if col in texts:
                    exprs.append(f"{text_copy(q)} as {q}")
                elif col in ints:
                    exprs.append(f"{int_copy(q)} as {q}")
                elif table == "raw_web.events" and col not in WEB_KEEP:
                    exprs.append(f"cast(null as {dtype}) as {q}")
                else:
                    exprs.append(q)
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {table} as select {', '.join(exprs)} "
                        f"from src.{table}, range({factor}) as copies(k)")
            rows[table] = con.sql(f"select count(*) from {table}").fetchall()[0][0]
    return rows


def measure(out: Path, factor: int, rows: dict[str, int]) -> list[str]:
    from benchmarks.ingest import machine
    from benchmarks.measure import run_stage

    m = run_stage(["dbt", str(out), "run --select +int_identity__identifiers"])
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        nodes, edges, customers = con.sql(
            "select (select count(*) from intermediate.int_identity__nodes), "
            "(select count(*) from intermediate.int_identity__edges), "
            "(select count(distinct customer_id) from intermediate.int_identity__identifiers)"
        ).fetchall()[0]
    lines = [f"Machine: {machine()}", "",
             f"Identity graph replicated {factor}x from the source data dir (disjoint ids; "
             "not a generated L company).", "",
             "| table | rows |", "|---|---:|",
             *[f"| {t} | {n:,} |" for t, n in rows.items()], "",
             "| step | seconds | peak RSS MB | nodes | edges | customers |",
             "|---|---:|---:|---:|---:|---:|",
             f"| dbt run --select +int_identity__identifiers | {m.seconds:.1f} | "
             f"{m.peak_rss_mb:,.0f} | {nodes:,} | {edges:,} | {customers:,} |", "",
             "| model | seconds |", "|---|---:|",
             *[f"| {n['unique_id'].split('.')[-1]} | {n['seconds']:.1f} |"
               for n in m.result["nodes"]]]
    if not m.result["success"]:
        lines.append("dbt run did not succeed")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="a prepared data dir")
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--measure", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = replicate(args.source / "warehouse.duckdb", args.out / "warehouse.duckdb",
                     args.factor)
    print(rows, flush=True)
    if args.measure:
        lines = measure(args.out, args.factor, rows)
        (args.out / "identity_L.md").write_text("\n".join(lines) + "\n")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
