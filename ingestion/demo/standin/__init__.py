"""Stand-in vendor APIs for the demo, the tests and the benchmark.

`StandInServer(data_dir)` loads the demo generator's vendor store
(`<data_dir>/demo/vendor/{crm,support,marketing}/<table>.parquet` + `faults.json`) and serves
it over real HTTP on 127.0.0.1 in the vendor shapes of docs/sources.md, so the dlt connectors
run exactly the code a user runs against HubSpot, Zendesk and a Klaviyo-like email API.

    with StandInServer(data_dir, token="demo-token") as api:
        requests.post(f"{api.base_url}/crm/v3/objects/contacts/search", json={...},
                      headers={"Authorization": "Bearer demo-token"})

Endpoints (one base_url for all three systems):

- `POST /crm/v3/objects/{object}/search` (contacts, companies, deals, orders, line_items,
  products; HubSpot object type ids like `0-1` too). Filters only on `hs_lastmodifieddate`
  (GTE, GT, LTE, LT, EQ, BETWEEN; ISO string or epoch-millis), one filterGroup, sorted
  ascending by (hs_lastmodifieddate, id). `limit` 1..1000 (HubSpot caps at 100; larger pages
  here make the demo fast), default 10. `after` is an offset into the search; `after >=
  page_cap` (10,000 like HubSpot) -> 400. `properties`: the requested ones that exist plus
  `createdate` and `hs_lastmodifieddate`; none requested -> every property (HubSpot would send
  a default set). Deals with `propertiesWithHistory: ["dealstage"]` get the stage history,
  newest first. Unlike real HubSpot, archived records are included (with `archived: true`).
- `GET /crm/v3/objects/{object}?limit&after&properties&propertiesWithHistory` (no filter).
- `GET /api/v2/incremental/{tickets,users}/cursor.json?start_time|cursor&per_page` (<= 1000).
- `GET /api/v2/incremental/ticket_events.json?start_time&include=comment_events&per_page`:
  time-based; a page always holds whole seconds (it is cut before, or extended over, a second
  that straddles the page end) and `next_page` asks for `start_time=end_time+1`, so walking
  `next_page` returns each audit exactly once; `next_page` is null at `end_of_stream`.
- `GET /api/v2/satisfaction_ratings[.json]?start_time&page[size]&page[after]`.
- `GET /api/{campaigns,profiles,email_events,coupons,coupon_redemptions}?filter=
  greater-or-equal(updated,<iso>)&page[size]&page[cursor]` (also greater-than, less-than,
  less-or-equal, equals; `page[size]` 1..1000, default 100).

Cursors (Zendesk `cursor`, `page[after]`, JSON:API `page[cursor]`) are opaque:
base64url(JSON {"t": "<system>.<table>", "g": store generation, "p": next row, "u"/"i": cursor
field (µs) and id of the last row returned, "f": the original filter}). Within one load of
the store they continue at the exact row (duplicates included, each row once); after
`reload()` they continue after the last (cursor field, id) returned.

Faults: `rate_limit_share` of requests -> 429 with `Retry-After: <retry_after>`;
`error_share` -> 503/502/500; `error_burst=N` -> the next N requests 503; `down` -> every
request 503. Which request fails is deterministic (seed + request counter, a golden-ratio
sequence, so a share holds over any window and faults never come in long streaks).
`faults.json` entries replace one field of one record when it is serialised (the field is
the flat column name: `amount` lands in `properties.amount`, `via__channel` in `via.channel`,
`created_at` in both `createdAt` and `createdate`; sibling tables match on their first key
column, so a `deal_stage_history` fault with `id` = a deal id hits that deal's history).

Performance: each table is sorted once by (cursor field, id) with the cursor as a numpy µs
array (filters are `searchsorted`); records are rendered to JSON with vectorised Arrow
kernels in chunks of 4096 rows into a byte-budgeted LRU cache (`cache_bytes`, 256 MB), the
next chunk is pre-rendered in a background thread, and a page is a slice of a buffer
(`python -m benchmarks.standin` measures it). The request log keeps the last
`max_log` entries.
"""

from ingestion.demo.standin.server import MAX_PAGE, RequestLog, StandInServer
from ingestion.demo.standin.store import Store, vendor_dir

__all__ = ["MAX_PAGE", "RequestLog", "StandInServer", "Store", "vendor_dir"]
