"""CRM source: HubSpot CRM v3 objects through the search API (docs/sources.md, "crm").

One resource per raw table: contacts, companies, deals (+ `deal_stage_history`, a sibling
table built from `propertiesWithHistory.dealstage` and emitted by the `deals` resource),
orders, line_items, products.

Incremental: `POST /crm/v3/objects/{object}/search` with `hs_lastmodifieddate GTE <start>`,
sorted ascending, where `<start>` is the last `updated_at` saved by the previous run
(`dlt.sources.incremental("updated_at")`, ISO with milliseconds). Pages follow
`paging.next.after`. A search pages through at most `search_cap` results (HubSpot: 10,000):
when the next `after` would reach the cap, or the API answers 400 for it, a new search starts
`GTE` the last `hs_lastmodifieddate` delivered and skips the ids already delivered at it. If a
whole capped search shares one timestamp, the rest of that timestamp is read with `EQ` and the
walk continues with `GT`; only when more records share one timestamp than one search can page
through does the resource fail, with a message that says so.

Flat record: `id, created_at, updated_at, archived` + every property under its own name (the
always-returned duplicates `createdate`, `hs_lastmodifieddate`, `hs_object_id` are dropped);
values stay strings as HubSpot sends them and the validator casts them to the spec. With
`exports_path` set, every resource reads `<exports_path>/<table>.*` instead (same window,
validation and emit; `deal_stage_history` rows are kept when their deal is).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.http import ApiClient, ApiError, Page, SourceError, lazy_client
from ingestion.common.incremental import (
    BATCH_ROWS,
    CursorWindow,
    Sibling,
    conform_arrow,
    cursor_incremental,
    explode,
    flatten_structs,
    from_exports,
    from_pages,
    iso_z,
    key_strings,
    rows_to_arrow,
    to_datetime,
)
from ingestion.common.schema import TableSpec
from ingestion.crm.schema import OBJECTS, TABLES

SOURCE = "crm"
SEARCH_CAP = 10_000
LAST_MODIFIED = "hs_lastmodifieddate"
_BASE_FIELDS = ("id", "created_at", "updated_at", "archived")
RESOURCES = ("contacts", "companies", "deals", "orders", "line_items", "products")


def search_path(object_type: str) -> str:
    return f"/crm/v3/objects/{object_type}/search"


# properties HubSpot always returns that duplicate top-level fields (createdAt, updatedAt, id)
DUPLICATE_PROPERTIES = ("createdate", "hs_createdate", "hs_lastmodifieddate",
                        "lastmodifieddate", "hs_object_id")
_TOP = {"createdAt": "created_at", "updatedAt": "updated_at"}
_HISTORY_COLUMNS = {"value": "dealstage", "timestamp": "changed_at", "sourceType": "source_type"}


def flat_record(r: dict[str, Any]) -> dict[str, Any]:
    flat = dict(r.get("properties") or {})
    for k in DUPLICATE_PROPERTIES:
        flat.pop(k, None)
    flat["id"] = r.get("id")
    flat["created_at"] = r.get("createdAt")
    flat["updated_at"] = r.get("updatedAt")
    flat["archived"] = r.get("archived")
    return flat


def stage_history(r: dict[str, Any]) -> list[dict[str, Any]]:
    hist = (r.get("propertiesWithHistory") or {}).get("dealstage") or []
    return [{"deal_id": r.get("id"), "dealstage": h.get("value"),
             "changed_at": h.get("timestamp"), "source_type": h.get("sourceType")}
            for h in hist]


def page_tables(page: Page, object_name: str) -> dict[str, pa.Table]:
    """One search page -> flat records of the object (+ deal_stage_history for deals)."""
    spec = TABLES[object_name]
    hist_spec = TABLES["deal_stage_history"]
    if page.table is None:  # Python fallback (a field Arrow could not type)
        recs = page.records or []
        out = {object_name: rows_to_arrow([flat_record(r) for r in recs], spec)}
        if object_name == "deals":
            out["deal_stage_history"] = rows_to_arrow(
                [h for r in recs for h in stage_history(r)], hist_spec)
        return out
    t = flatten_structs(page.table)
    out = {}
    hist_col = "propertiesWithHistory__dealstage"
    if hist_col in t.column_names:
        if object_name == "deals":
            items, parents = explode(t, hist_col)
            if items.num_rows:
                hist = pa.table({"deal_id": pc.take(t.column("id"), parents)})
                for src, dst in _HISTORY_COLUMNS.items():
                    hist = hist.append_column(
                        dst, items.column(src) if src in items.column_names
                        else pa.nulls(items.num_rows, pa.string()))
                out["deal_stage_history"] = conform_arrow(hist, hist_spec)
        t = t.drop_columns([c for c in t.column_names if c.startswith("propertiesWithHistory")])
    t = t.rename_columns([n[len("properties__"):] if n.startswith("properties__")
                          else _TOP.get(n, n) for n in t.column_names])
    t = t.drop_columns([n for n in DUPLICATE_PROPERTIES if n in t.column_names])
    out[object_name] = conform_arrow(t, spec)
    return out


def search(client: ApiClient, object_name: str, properties: list[str], start: datetime, *,
           page_size: int = 100, search_cap: int = SEARCH_CAP,
           ) -> Iterator[dict[str, pa.Table]]:
    """Flat pages of the records modified at or after `start`, each exactly once, across as
    many searches as the result cap requires.

    Results come sorted by (hs_lastmodifieddate, id). A search that reaches the cap is
    followed by a new one from the last timestamp it delivered (`GTE`), skipping the ids
    already delivered at that timestamp. If a whole capped search shares one timestamp, the
    rest of that timestamp is read with an `EQ` search and the walk continues with `GT`; only
    when more than `search_cap` records share one timestamp does the resource fail."""
    object_type = OBJECTS[object_name]
    path = search_path(object_type)
    op, value = "GTE", iso_z(start, "ms")  # value: our ISO text, or the API's own value
    skip: tuple[pa.Scalar, pa.Array] | None = None  # (timestamp, ids) already delivered
    while True:
        after: str | None = None
        last: pa.Scalar | None = None  # latest updated_at delivered by this search
        ids_at_last: list[pa.Array] = []
        capped = False
        while True:
            body: dict[str, Any] = {
                "filterGroups": [{"filters": [
                    {"propertyName": LAST_MODIFIED, "operator": op, "value": value}]}],
                "sorts": [{"propertyName": LAST_MODIFIED, "direction": "ASCENDING"}],
                "properties": properties,
                "limit": page_size,
            }
            if object_name == "deals":
                body["propertiesWithHistory"] = ["dealstage"]
            if after is not None:
                body["after"] = after
            try:
                page = client.page("POST", path, "results", json_body=body)
            except ApiError as e:
                # the result cap (HubSpot answers 400 for an `after` beyond it)
                if e.status == 400 and after is not None and _int(after) > 0:
                    capped = True
                    break
                raise
            tables = page_tables(page, object_name)
            main = tables[object_name]
            if main.num_rows and "updated_at" in main.column_names:
                ts = main.column("updated_at").combine_chunks()
                if skip is not None:
                    tables = _skip_delivered(tables, object_name, ts, skip)
                    main = tables[object_name]
                    ts = main.column("updated_at").combine_chunks()
                if main.num_rows:
                    tail = ts[len(ts) - 1]
                    at_tail = pc.fill_null(pc.equal(ts, tail), False)
                    tail_ids = key_strings(main, ("id",)).filter(at_tail)
                    if last is not None and last.equals(tail):
                        ids_at_last.append(tail_ids)
                    else:
                        last, ids_at_last = tail, [tail_ids]
            if main.num_rows:
                yield tables
            nxt = ((page.envelope.get("paging") or {}).get("next") or {}).get("after")
            if not nxt or page.num_records == 0:
                break
            if _int(nxt) >= search_cap:
                capped = True
                break
            after = str(nxt)
        if skip is not None and (last is None or last.equals(skip[0])):
            # everything this search returned was delivered earlier, or it ended on the same
            # timestamp: the ids delivered there by earlier searches count too
            last = skip[0]
            ids_at_last.append(skip[1])
        if not capped:
            if op != "EQ":
                return
            op, skip = "GT", None  # every record at `value` is delivered: move past it
            continue
        if op == "EQ":
            raise SourceError(
                SOURCE,
                f"POST {path}: more {object_type} share {LAST_MODIFIED} = {value} than one "
                "search can page through (the API's search result cap), so they cannot all be "
                "read; load this object from an export folder (sources.crm.exports_path)")
        if last is None or not last.is_valid:
            raise SourceError(SOURCE, f"POST {path}: the search reached its result cap "
                              f"({search_cap}) without delivering a record to restart from")
        last_value = last.as_py() if pa.types.is_string(last.type) else \
            iso_z(last.as_py(), "ms")
        skip = (last, pa.concat_arrays([a.cast(pa.string()) for a in ids_at_last]))
        # a whole capped search at one timestamp: read the rest of that timestamp with EQ
        op = "EQ" if to_datetime(last_value) == to_datetime(value) else "GTE"
        value = last_value


def _skip_delivered(tables: dict[str, pa.Table], object_name: str, ts: pa.Array,
                    skip: tuple[pa.Scalar, pa.Array]) -> dict[str, pa.Table]:
    """Drop rows a previous search of this run delivered (same timestamp, same id)."""
    value, ids = skip
    main = tables[object_name]
    if ts.type != value.type:
        return tables
    seen = pc.and_(pc.fill_null(pc.equal(ts, value), False),
                   pc.is_in(key_strings(main, ("id",)), value_set=ids))
    if not pc.any(seen).as_py():
        return tables
    main = main.filter(pc.invert(seen))
    out = {**tables, object_name: main}
    if "deal_stage_history" in tables:
        h = tables["deal_stage_history"]
        kept = key_strings(main, ("id",))
        out["deal_stage_history"] = h.filter(pc.fill_null(
            pc.is_in(key_strings(h, ("deal_id",)), value_set=kept), False))
    return out


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # opaque cursor: never treated as the cap


def _pages(client: ApiClient, spec: TableSpec, since: datetime, page_size: int,
           search_cap: int) -> Iterator[dict[str, pa.Table]]:
    properties = [c.name for c in spec.columns if c.name not in _BASE_FIELDS]
    yield from search(client, spec.name, properties, since, page_size=page_size,
                      search_cap=search_cap)


def _resource(spec: TableSpec, get_client: Callable[[], ApiClient],
              exports_path: str | None, page_size: int, search_cap: int, batch_rows: int,
              start_date: Any) -> Any:
    siblings = [Sibling(TABLES["deal_stage_history"], "deal_id")] if spec.name == "deals" \
        else []

    def rows(updated_at=cursor_incremental("updated_at", start_date),  # noqa: B008
             ) -> Iterator[Any]:
        window = CursorWindow(updated_at, spec.primary_key, spec.name)
        if exports_path:
            yield from from_exports(SOURCE, spec, window, exports_path, siblings)
            return
        client = get_client()
        pages = _pages(client, spec, window.start, page_size, search_cap)
        yield from from_pages(SOURCE, spec, window, pages,
                              f"POST {search_path(OBJECTS[spec.name])}", siblings, batch_rows)

    return dlt.resource(rows, name=spec.name, parallelized=True)


@dlt.source(name="crm", section="crm")
def crm_source(
    base_url: str | None = dlt.config.value,
    access_token: str | None = dlt.secrets.value,
    page_size: int = 100,
    exports_path: str | None = None,
    start_date: str | None = None,
    search_cap: int = SEARCH_CAP,
    batch_rows: int = BATCH_ROWS,
) -> Any:
    """HubSpot-shaped CRM: contacts, companies, deals (+ deal_stage_history), orders,
    line_items, products.

    Config (`sources.crm.*` / `SOURCES__CRM__*`): base_url, access_token (secret), page_size
    (search `limit`, HubSpot allows up to 200), exports_path (read `<table>.parquet|csv|jsonl`
    from that folder instead of the API), start_date (first-run lower bound, ISO; default
    1970), search_cap (results one search can page through; HubSpot: 10,000), batch_rows
    (records buffered per validation batch)."""

    get_client = lazy_client(SOURCE, base_url, access_token)

    # configuration errors surface when a resource runs, not here: orchestrators build the
    # source object at definition time, before secrets may be present
    return [_resource(TABLES[name], get_client, exports_path, page_size, search_cap,
                      batch_rows, start_date) for name in RESOURCES]
