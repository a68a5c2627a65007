"""A BI tool in miniature (run as a script by tests/faults/harness.py): hold
published.duckdb open read-only, count the rows of every public table, reconnect every
second; one JSON line per connection (what it saw, or the error) until the stop file
exists."""

import json
import sys
import time
from pathlib import Path


def main(published: str, out: str, stop: str) -> None:
    import duckdb

    with open(out, "w") as log:
        while not Path(stop).exists():
            if not Path(published).exists():
                time.sleep(0.2)
                continue
            entry: dict = {}
            try:
                con = duckdb.connect(published, read_only=True)
                try:
                    held = time.monotonic()
                    while time.monotonic() - held < 1.0:
                        tables = con.execute(
                            "select table_schema || '.' || table_name from "
                            "information_schema.tables where table_schema not in "
                            "('main', 'information_schema', 'pg_catalog')").fetchall()
                        entry = {"tables": {t: con.execute(
                            f"select count(*) from {t}").fetchone()[0]
                            for (t,) in sorted(tables)}}
                        time.sleep(0.2)
                finally:
                    con.close()
            except Exception as exc:  # what a dashboard would show as an error
                entry = {"error": f"{type(exc).__name__}: {exc}"}
            log.write(json.dumps(entry) + "\n")
            log.flush()


if __name__ == "__main__":
    main(*sys.argv[1:4])
