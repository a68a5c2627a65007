"""Support source: Zendesk Support API (docs/sources.md, "support").

Resources (= raw tables): tickets, users (incremental cursor exports), ticket_events (the
time-based audit export, + sibling table `ticket_event_children` from each audit's
`child_events`), satisfaction_ratings (cursor-paginated list filtered by `start_time`).

Incremental: each resource keeps a `dlt.sources.incremental` on its cursor column (`updated_at`;
`created_at` for audits). The saved last value, as unix seconds (floored, so the `>=` filter
stays inclusive; rows the previous run already loaded are dropped locally), is the
`start_time` of the next run.

Record handling (decided here, applies to every Zendesk record):
- nested objects flatten with `__` (`via.channel` -> `via__channel`, `via.source.from.address`
  -> `via__source__from__address`), like dlt would;
- lists of scalars (`tags`, `collaborator_ids`) stay list columns;
- lists of objects other than `child_events` (`custom_fields`, `fields`, ...) are kept as JSON
  text in one column, so nothing is lost and no unplanned child tables appear;
- fields outside the spec flow through as new columns (the schema contract lets columns
  evolve; a type change of a known column fails the load and names the column);
- audits: `timestamp` (unix twin of `created_at`) is dropped; `child_events` become rows of
  `ticket_event_children` with `audit_id`, `ticket_id` and `created_at` of their audit and
  their `type` as `event_type`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.http import ApiClient, Page, SourceError, lazy_client
from ingestion.common.incremental import (
    BATCH_ROWS,
    CursorWindow,
    Sibling,
    conform_arrow,
    cursor_incremental,
    explode,
    flatten,
    flatten_structs,
    from_exports,
    from_pages,
    rows_to_arrow,
)
from ingestion.common.schema import TableSpec
from ingestion.support.schema import TABLES

SOURCE = "support"
RESOURCES = ("tickets", "users", "ticket_events", "satisfaction_ratings")
CURSOR_EXPORTS = {"tickets": "/api/v2/incremental/tickets/cursor.json",
                  "users": "/api/v2/incremental/users/cursor.json"}
TICKET_EVENTS = "/api/v2/incremental/ticket_events.json"
RATINGS = "/api/v2/satisfaction_ratings"
# Zendesk's page size limits: incremental exports 1000, cursor-paginated lists 100
DEFAULT_PAGE = {"tickets": 1000, "users": 1000, "ticket_events": 1000,
                "satisfaction_ratings": 100}


def unix(dt: datetime) -> int:
    return int(dt.timestamp())


def cursor_export(client: ApiClient, path: str, key: str, start: datetime, per_page: int,
                  ) -> Iterator[Page]:
    """Incremental cursor export: `start_time`, then `cursor` until `end_of_stream`."""
    params: dict[str, Any] = {"start_time": unix(start), "per_page": per_page}
    while True:
        page = client.page("GET", path, key, params)
        yield page
        cursor = page.envelope.get("after_cursor")
        if page.envelope.get("end_of_stream") or not cursor:
            return
        params = {"cursor": cursor, "per_page": per_page}


def time_export(client: ApiClient, path: str, key: str, start: datetime, per_page: int,
                params: dict[str, Any] | None = None) -> Iterator[Page]:
    """Time-based incremental export: follow `next_page` until `end_of_stream`."""
    url: str = path
    query: dict[str, Any] | None = {"start_time": unix(start), "per_page": per_page,
                                    **(params or {})}
    seen: set[str] = set()
    while True:
        page = client.page("GET", url, key, query)
        yield page
        nxt = page.envelope.get("next_page")
        if page.envelope.get("end_of_stream") or not nxt:
            return
        if nxt in seen:  # > per_page events in one second: the export cannot page past them
            raise SourceError(SOURCE, f"GET {path}: next_page repeats {nxt}; more events share "
                              "one second than fit on a page (raise page_size or use exports)")
        seen.add(nxt)
        url, query = nxt, None


def cursor_list(client: ApiClient, path: str, key: str, start: datetime, size: int,
                ) -> Iterator[Page]:
    """Cursor-paginated list: `start_time` + `page[size]`, then `page[after]` while
    `meta.has_more`."""
    params: dict[str, Any] = {"start_time": unix(start), "page[size]": size}
    while True:
        page = client.page("GET", path, key, params)
        yield page
        meta = page.envelope.get("meta") or {}
        cursor = meta.get("after_cursor")
        if not meta.get("has_more") or not cursor:
            return
        params = {**params, "page[after]": cursor}


def record_table(page: Page, spec: TableSpec) -> pa.Table:
    if page.table is not None:
        return conform_arrow(page.table, spec)
    return rows_to_arrow([flatten(r) for r in page.records or ()], spec)


def audit_rows(audits: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Python fallback of `audit_tables`."""
    parents, children = [], []
    for a in audits:
        kids = a.pop("child_events", None) or []
        a.pop("timestamp", None)
        row = flatten(a)
        parents.append(row)
        for c in kids:
            child = flatten(c)
            if "type" in child:
                child["event_type"] = child.pop("type")
            child["audit_id"] = row.get("id")
            child["ticket_id"] = row.get("ticket_id")
            child["created_at"] = row.get("created_at")
            children.append(child)
    return {"ticket_events": parents, "ticket_event_children": children}


def audit_tables(page: Page) -> dict[str, pa.Table]:
    """Audits -> `ticket_events` rows and their `child_events` -> `ticket_event_children`."""
    spec, child_spec = TABLES["ticket_events"], TABLES["ticket_event_children"]
    if page.table is None:
        rows = audit_rows(page.records or [])
        return {"ticket_events": rows_to_arrow(rows["ticket_events"], spec),
                "ticket_event_children": rows_to_arrow(rows["ticket_event_children"],
                                                       child_spec)}
    t = page.table
    out: dict[str, pa.Table] = {}
    if "child_events" in t.column_names:
        items, parents = explode(t, "child_events")
        if items.num_rows:
            items = flatten_structs(items)
            if "type" in items.column_names:
                items = items.rename_columns(
                    ["event_type" if n == "type" else n for n in items.column_names])
            for name, col in (("audit_id", "id"), ("ticket_id", "ticket_id"),
                              ("created_at", "created_at")):
                if name in items.column_names:
                    items = items.drop_columns([name])
                value = pc.take(t.column(col), parents) if col in t.column_names \
                    else pa.nulls(items.num_rows)
                items = items.append_column(name, value)
            out["ticket_event_children"] = conform_arrow(items, child_spec)
    t = t.drop_columns([c for c in ("child_events", "timestamp") if c in t.column_names])
    out["ticket_events"] = conform_arrow(t, spec)
    return out


def _pages(client: ApiClient, spec: TableSpec, start: datetime, page_size: int | None,
           ) -> tuple[str, Iterator[dict[str, pa.Table]]]:
    name = spec.name
    size = page_size or DEFAULT_PAGE[name]
    if name in CURSOR_EXPORTS:
        path = CURSOR_EXPORTS[name]
        pages = ({name: record_table(p, spec)}
                 for p in cursor_export(client, path, name, start, size))
    elif name == "ticket_events":
        path = TICKET_EVENTS
        pages = (audit_tables(p) for p in time_export(
            client, path, "ticket_events", start, size, {"include": "comment_events"}))
    else:
        path = RATINGS
        pages = ({name: record_table(p, spec)}
                 for p in cursor_list(client, path, name, start, size))
    return f"GET {path}", pages


def _resource(spec: TableSpec, get_client: Callable[[], ApiClient],
              exports_path: str | None, page_size: int | None, batch_rows: int,
              start_date: Any) -> Any:
    siblings = [Sibling(TABLES["ticket_event_children"], "audit_id")] \
        if spec.name == "ticket_events" else []

    def rows(cursor=cursor_incremental(spec.cursor, start_date),  # noqa: B008
             ) -> Iterator[Any]:
        window = CursorWindow(cursor, spec.primary_key, spec.name)
        if exports_path:
            yield from from_exports(SOURCE, spec, window, exports_path, siblings)
            return
        origin, pages = _pages(get_client(), spec, window.start, page_size)
        yield from from_pages(SOURCE, spec, window, pages, origin, siblings, batch_rows)

    return dlt.resource(rows, name=spec.name, parallelized=True)


@dlt.source(name="support", section="support")
def support_source(
    base_url: str | None = dlt.config.value,
    access_token: str | None = dlt.secrets.value,
    page_size: int | None = None,
    exports_path: str | None = None,
    start_date: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Any:
    """Zendesk-shaped support desk: tickets, users, ticket_events (+ ticket_event_children),
    satisfaction_ratings.

    Config (`sources.support.*` / `SOURCES__SUPPORT__*`): base_url, access_token (secret),
    page_size (default: Zendesk's maximum per endpoint, 1000 for the incremental exports and
    100 for satisfaction ratings), exports_path, start_date (first-run lower bound, ISO),
    batch_rows."""

    get_client = lazy_client(SOURCE, base_url, access_token)

    return [_resource(TABLES[name], get_client, exports_path, page_size, batch_rows,
                      start_date) for name in RESOURCES]
