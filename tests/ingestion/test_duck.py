"""SQL quoting and the per-thread connection of ingestion.common.duck, checked by DuckDB
itself: quoted names and literals round-trip, whatever quotes they hold."""

from __future__ import annotations

import threading

from ingestion.common.duck import quote_ident, quote_literal, sql_list, thread_connection


def test_quoted_names_and_values_round_trip_through_duckdb():
    con = thread_connection()
    name, value = 'we"ird col', "o'brien"
    got = con.sql(f"select {quote_literal(value)} as {quote_ident(name)}")
    assert got.columns == [name]
    assert got.fetchall() == [(value,)]
    assert con.sql(f"select {sql_list(['a', value, ''])}").fetchall() == [(["a", value, ""],)]


def test_one_connection_per_thread_in_utc():
    mine = thread_connection()
    assert thread_connection() is mine
    assert mine.sql("select current_setting('TimeZone')").fetchall() == [("UTC",)]
    other: list[object] = []
    t = threading.Thread(target=lambda: other.append(thread_connection()))
    t.start()
    t.join()
    assert other[0] is not mine
