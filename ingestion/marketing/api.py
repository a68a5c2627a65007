"""Marketing email API (Klaviyo-like JSON:API; docs/sources.md, "marketing").

Resources (= raw tables): campaigns, profiles, email_events, coupons, coupon_redemptions.
`GET /api/{resource}?filter=greater-or-equal(updated,<iso>)&page[size]=<n>`, then the
`links.next` URL (it carries `page[cursor]`) until it is null. `<iso>` is the last `updated`
saved by the previous run (`dlt.sources.incremental("updated")`), truncated to seconds so the
filter stays inclusive; rows the previous run already loaded are dropped locally.

Flat record: `id` + the attributes without prefix; nested attribute objects flatten with
`__`, lists of objects become JSON text, fields outside the spec flow through as new columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa

from ingestion.common.http import ApiClient, Page, lazy_client
from ingestion.common.incremental import (
    BATCH_ROWS,
    CursorWindow,
    conform_arrow,
    cursor_incremental,
    flatten,
    from_exports,
    from_pages,
    iso_z,
    rows_to_arrow,
)
from ingestion.common.schema import TableSpec
from ingestion.marketing.schema import API_TABLES

SOURCE = "marketing"
RESOURCES = ("campaigns", "profiles", "email_events", "coupons", "coupon_redemptions")


def resource_path(name: str) -> str:
    return f"/api/{name}"


def flat_record(r: dict[str, Any]) -> dict[str, Any]:
    row = flatten(r.get("attributes") or {})
    row["id"] = r.get("id")
    return row


def record_table(page: Page, spec: TableSpec) -> pa.Table:
    """JSON:API resources -> flat records: `id` + attributes without prefix (the resource
    `type`, `links` and `relationships` are not part of the record)."""
    if page.table is None:
        return rows_to_arrow([flat_record(r) for r in page.records or ()], spec)
    t = page.table
    cols = {}
    if "attributes" in t.column_names and pa.types.is_struct(t.column("attributes").type):
        attrs = t.column("attributes").combine_chunks()
        cols = {f.name: child for f, child in zip(attrs.type, attrs.flatten(), strict=True)}
    cols["id"] = t.column("id") if "id" in t.column_names else pa.nulls(t.num_rows, pa.string())
    return conform_arrow(pa.table(cols), spec)


def jsonapi_pages(client: ApiClient, path: str, cursor: str, start: datetime, page_size: int,
                  ) -> Iterator[Page]:
    url = path
    params: dict[str, Any] | None = {
        "filter": f"greater-or-equal({cursor},{iso_z(start)})", "page[size]": page_size}
    while True:
        page = client.page("GET", url, "data", params)
        yield page
        nxt = (page.envelope.get("links") or {}).get("next")
        if not nxt:
            return
        url, params = nxt, None


def _resource(spec: TableSpec, get_client: Callable[[], ApiClient],
              exports_path: str | None, page_size: int, batch_rows: int, start_date: Any) -> Any:
    path = resource_path(spec.name)

    def rows(cursor=cursor_incremental(spec.cursor, start_date),  # noqa: B008
             ) -> Iterator[Any]:
        window = CursorWindow(cursor, spec.primary_key, spec.name)
        if exports_path:
            yield from from_exports(SOURCE, spec, window, exports_path)
            return
        pages = ({spec.name: record_table(p, spec)}
                 for p in jsonapi_pages(get_client(), path, spec.cursor, window.start,
                                        page_size))
        yield from from_pages(SOURCE, spec, window, pages, f"GET {path}", batch_rows=batch_rows)

    return dlt.resource(rows, name=spec.name, parallelized=True)


def api_resources(base_url: str | None, access_token: str | None, page_size: int = 100,
                  exports_path: str | None = None, start_date: Any = None,
                  batch_rows: int = BATCH_ROWS) -> list[Any]:
    """The email-API resources (one per raw table in `API_TABLES`)."""

    get_client = lazy_client(SOURCE, base_url, access_token)

    return [_resource(API_TABLES[name], get_client, exports_path, page_size, batch_rows,
                      start_date) for name in RESOURCES]
