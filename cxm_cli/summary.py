"""Lines of the `cxm demo` summary read from the published marts."""

from __future__ import annotations

from pathlib import Path

import duckdb

PERSONA_ORDER = ["champions", "loyal", "new", "promising", "need_attention", "at_risk",
                 "hibernating"]


def persona_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Customers per persona (lifecycle.customer_segments), in the order of PERSONA_ORDER;
    empty when the mart is not there."""
    try:
        rows = con.sql("select persona, count(*) from lifecycle.customer_segments "
                       "group by persona").fetchall()
    except duckdb.CatalogException:
        return {}
    counts = dict(rows)
    order = PERSONA_ORDER + sorted(set(counts) - set(PERSONA_ORDER))
    return {p: counts[p] for p in order if p in counts}


def render_personas(counts: dict[str, int]) -> str:
    if not counts:
        return "Personas: lifecycle.customer_segments not published"
    total = sum(counts.values())
    parts = ", ".join(f"{p} {n:,}" for p, n in counts.items())
    return f"Personas ({total:,} customers with orders): {parts}"


def published_personas(published: Path) -> str:
    if not published.exists():
        return render_personas({})
    with duckdb.connect(str(published), read_only=True) as con:
        return render_personas(persona_counts(con))
