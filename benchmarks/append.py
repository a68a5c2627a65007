"""New web events for the incremental benchmark: a fraction of the existing landing events,
copied with new message ids and shifted a week later, written as one new gzip JSONL file in a
new date partition of the landing folder (what the tracker would deliver the next day)."""

from __future__ import annotations

import contextlib
import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.paths import landing_dir, warehouse_path

SHIFT = timedelta(days=7)
TIME_FIELDS = ("timestamp", "sentAt", "receivedAt")


def _shift(value: str) -> str:
    t = datetime.fromisoformat(value.replace("Z", "+00:00")) + SHIFT
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_events(lines: list[str], tag: str) -> list[str]:
    """The events of `lines` (JSON objects) as new events: messageId suffixed with `tag`,
    times a week later. Lines that are not JSON objects with a messageId are skipped."""
    out = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict) or not isinstance(event.get("messageId"), str):
            continue
        event["messageId"] = f"{event['messageId']}-{tag}"
        for f in TIME_FIELDS:
            if isinstance(event.get(f), str):
                with contextlib.suppress(ValueError):
                    event[f] = _shift(event[f])
        out.append(json.dumps(event, separators=(",", ":")))
    return out


def _read_lines(path: Path) -> list[str]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return f.read().splitlines()
    except (OSError, EOFError, UnicodeDecodeError):
        return []  # a corrupt file planted by the generator


def append_web_events(base: Path, fraction: float) -> tuple[Path, int]:
    """Write ~fraction x (events in raw_web.events) new events, taken from the latest landing
    files, into a new partition; returns the file and its number of events."""
    root = landing_dir(base) / "web" / "events"
    files = sorted(root.glob("dt=*/*.jsonl.gz"))
    with duckdb.connect(str(warehouse_path(base)), read_only=True) as con:
        total = con.sql("select count(*) from raw_web.events").fetchall()[0][0]
    want = max(1, round(total * fraction))
    picked: list[str] = []
    for f in reversed(files):
        picked = _read_lines(f) + picked
        if len(picked) >= want:
            break
    last_day = max(datetime.strptime(f.parent.name[3:], "%Y-%m-%d") for f in files)
    n = len(list(root.glob("dt=*/part-bench-*.jsonl.gz")))
    tag = f"bench{n}"
    events = new_events(picked[-want:], tag)
    day = (last_day + SHIFT + timedelta(days=1)).strftime("%Y-%m-%d")
    path = root / f"dt={day}" / f"part-bench-{n:04d}.jsonl.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(events) + "\n")
    return path, len(events)
