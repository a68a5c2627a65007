"""Erasure in the landing folder: the files the pipeline re-reads (web event gzip JSON lines,
marketing CSV exports) lose an erased person's records, so a re-read cannot bring them back.

A file is decompressed and searched for the person's identifier strings as bytes first (C
speed; most files do not mention the person and are left untouched, mtime included). Only a
file that does is parsed: a record goes when one of its identifier fields (the table spec's
`identifiers`, at the vendor field path) normalises to one of the person's values; a line
that cannot be parsed goes when it contains one of the person's identifier strings. The file
is rewritten (temp file + `os.replace`), so the web source reads it again (new mtime) and the
merge replaces its rows. A truncated gzip file is rewritten from what can be decompressed, as
a valid file: its readable records then load, which they did not before.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.common.erasure import normalize
from ingestion.common.schema import TableSpec
from ingestion.marketing.schema import FILE_TABLES
from ingestion.web import FIELDS
from ingestion.web.schema import EVENTS

# identifiers shorter than this are not searched as substrings of an unparsable line
# (a short numeric id occurs by chance in any text)
MIN_SUBSTRING = 8


@dataclass
class LandingReport:
    files_scanned: int = 0
    files_rewritten: list[str] = field(default_factory=list)  # relative to the landing dir
    records_removed: int = 0


def read_gzip_prefix(path: Path) -> bytes:
    """The decompressed content of a gzip file, or as much of it as can be decompressed (a
    truncated or corrupt file)."""
    raw = path.read_bytes()
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error):
        out = io.BytesIO()
        d = zlib.decompressobj(wbits=31)
        with contextlib.suppress(zlib.error):
            out.write(d.decompress(raw))
        return out.getvalue()


def _field(record: Mapping, path: str) -> object:
    node: object = record
    for part in path.removeprefix("$.").split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def record_matches(record: Mapping, paths: Mapping[str, str],
                   values: Mapping[str, set[str]]) -> bool:
    """Does one of `record`'s identifier fields (path -> identifier type) normalise to a value
    in `values` (identifier type -> normalised values)?"""
    return any(normalize(t, _field(record, p)) in values.get(t, ()) for p, t in paths.items())


def _needles(values: Mapping[str, set[str]]) -> list[bytes]:
    return [v.lower().encode() for vs in values.values() for v in vs]


def _long_needles(values: Mapping[str, set[str]]) -> list[str]:
    return [v.lower() for vs in values.values() for v in vs if len(v) >= MIN_SUBSTRING]


def keep_line(line: str, paths: Mapping[str, str], values: Mapping[str, set[str]]) -> bool:
    """Keep one JSON line unless it is an erased person's record (or, unparsable, names one
    of their long identifiers)."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if isinstance(record, Mapping):
        return not record_matches(record, paths, values)
    low = line.lower()
    return not any(n in low for n in _long_needles(values))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.erasing")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def erase_web_file(path: Path, values: Mapping[str, set[str]], dry_run: bool) -> int:
    """Remove the person's events from one gzip JSON-lines file; the number removed."""
    data = read_gzip_prefix(path)
    low = data.lower()
    if not any(n in low for n in _needles(values)):
        return 0
    paths = {FIELDS[c]: t for c, t in EVENTS.identifiers.items()}
    lines = data.decode("utf-8", errors="replace").splitlines()
    kept = [ln for ln in lines if not ln.strip() or keep_line(ln, paths, values)]
    removed = len(lines) - len(kept)
    if removed and not dry_run:
        _write_atomic(path, gzip.compress(("\n".join(kept) + "\n").encode(), mtime=0))
    return removed


def erase_csv_file(path: Path, spec: TableSpec, values: Mapping[str, set[str]],
                   dry_run: bool) -> int:
    """Remove the person's rows from one CSV export (header names = spec columns)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    low = text.lower().encode()
    if not any(n in low for n in _needles(values)):
        return 0
    rows = list(csv.DictReader(io.StringIO(text)))
    fieldnames = list(rows[0].keys()) if rows else []
    kept = [r for r in rows if not record_matches(r, spec.identifiers, values)]
    removed = len(rows) - len(kept)
    if removed and not dry_run:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        _write_atomic(path, out.getvalue().encode())
    return removed


def erase_landing(landing: Path, web_dir: Path, values: Mapping[str, set[str]],
                  dry_run: bool = False) -> LandingReport:
    """Remove the person (`values`: identifier type -> normalised values) from the web event
    files under `web_dir` and the marketing exports under `landing/marketing`."""
    report = LandingReport()
    jobs: list[tuple[Path, Callable[[Path], int]]] = []
    jobs += [(p, lambda p: erase_web_file(p, values, dry_run))
             for p in _files(web_dir, "*.jsonl.gz")]
    for spec in FILE_TABLES.values():
        if spec.identifiers:
            folder = landing / "marketing" / spec.extra["folder"]
            jobs += [(p, lambda p, s=spec: erase_csv_file(p, s, values, dry_run))
                     for p in _files(folder, "*.csv")]
    for path, job in jobs:
        report.files_scanned += 1
        removed = job(path)
        if removed:
            report.records_removed += removed
            report.files_rewritten.append(_relative(path, landing))
    return report


def _files(folder: Path, pattern: str) -> Iterable[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file()) if folder.exists() else []


def _relative(path: Path, landing: Path) -> str:
    try:
        return path.relative_to(landing).as_posix()
    except ValueError:
        return str(path)


def purge_loaded_jobs(pipelines: Path, dry_run: bool = False) -> int:
    """Delete the job files of loaded dlt packages (`<pipeline>/load/loaded/*/completed_jobs`):
    copies of loaded rows, kept by dlt unless `load.delete_completed_jobs` (set by
    `configure_dlt` since the erasure work; older data dirs still hold them). The number of
    files."""
    files = [p for p in pipelines.glob("*/load/loaded/*/completed_jobs/*") if p.is_file()] \
        if pipelines.exists() else []
    if not dry_run:
        for p in files:
            p.unlink()
    return len(files)
