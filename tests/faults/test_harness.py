"""The fingerprint that decides "equal to the clean run": row order and float noise do not
matter, any changed, missing or extra row does, and the diff names the table."""

import duckdb
import pytest

from tests.faults.harness import diff, fingerprint, row_counts

pytestmark = pytest.mark.faults


def _published(path, rows):
    con = duckdb.connect(str(path))
    con.execute("create schema core")
    con.execute("create table core.t (id integer, v double, s varchar)")
    con.executemany("insert into core.t values (?, ?, ?)", rows)
    con.execute("create table main.ignored as select 1 as x")  # not a public schema
    con.close()
    return path


def test_equal_rows_in_any_order_and_float_noise_are_equal(tmp_path):
    a = fingerprint(_published(tmp_path / "a.duckdb", [(1, 0.1 + 0.2, "x"), (2, None, None)]))
    b = fingerprint(_published(tmp_path / "b.duckdb", [(2, None, None), (1, 0.3, "x")]))
    assert a == b and row_counts(a) == {"core.t": 2}
    assert diff(a, b) == ""


@pytest.mark.parametrize("rows, says", [
    ([(1, 0.3, "x"), (2, None, "")], "core.t: got 2 rows, clean run 2 rows (same count, "
                                      "other values)"),  # null vs empty text
    ([(1, 0.3, "x"), (2, None, None), (2, None, None)], "core.t: got 3 rows, clean run 2"),
    ([(1, 0.3, "x")], "core.t: got 1 rows, clean run 2 rows"),
])
def test_a_changed_duplicated_or_lost_row_is_a_difference(tmp_path, rows, says):
    clean = fingerprint(_published(tmp_path / "clean.duckdb", [(1, 0.3, "x"), (2, None, None)]))
    got = fingerprint(_published(tmp_path / "got.duckdb", rows))
    assert got != clean
    assert diff(got, clean).startswith(says)
