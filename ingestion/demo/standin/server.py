"""HTTP front of the stand-in: routing, vendor envelopes and errors, auth, faults, request log.

One `ThreadingHTTPServer` (HTTP/1.1 keep-alive, 127.0.0.1 only) serves all three systems:
`/crm/v3/...` (HubSpot), `/api/v2/...` (Zendesk), `/api/<resource>` (Klaviyo-like JSON:API).
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import socketserver
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from ingestion.demo.standin.jsonenc import US_PER_S, dumps, loads
from ingestion.demo.standin.shapes import JSONAPI_TYPES, Renderer
from ingestion.demo.standin.store import CursorError, Store, TableData

log = logging.getLogger("cxm.standin")

MAX_PAGE = 1000  # largest page any endpoint serves (HubSpot itself caps search at 100/200)
HUBSPOT_OBJECTS = {"contacts": "contacts", "companies": "companies", "deals": "deals",
                   "orders": "orders", "line_items": "line_items", "products": "products",
                   "0-1": "contacts", "0-2": "companies", "0-3": "deals", "0-123": "orders",
                   "0-8": "line_items", "0-7": "products"}
HUBSPOT_TIME_PROPS = {"hs_lastmodifieddate", "lastmodifieddate"}
ZENDESK_CURSOR = {"/api/v2/incremental/tickets/cursor.json": "tickets",
                  "/api/v2/incremental/users/cursor.json": "users"}
ZENDESK_EVENTS = "/api/v2/incremental/ticket_events.json"
ZENDESK_RATINGS = ("/api/v2/satisfaction_ratings", "/api/v2/satisfaction_ratings.json")
_PHI = 0.6180339887498949  # golden-ratio Weyl sequence: fault shares hold over any window
_FILTER = re.compile(
    r"(greater-or-equal|greater-than|less-or-equal|less-than|equals)\(\s*([A-Za-z_]+)\s*,"
    r"\s*([^)]*?)\s*\)")
FAULT_KEYS = ("rate_limit_share", "retry_after", "error_share", "error_burst", "down")
_MAX_LINE = 65536
_MAX_HEADERS = 100
_PHRASES = {s.value: s.phrase for s in HTTPStatus}


@dataclass
class RequestLog:
    """One request as the stand-in saw it (for tests that check cursors and retries)."""

    method: str
    path: str
    query: dict[str, Any]  # single values as str, repeated parameters as lists
    json: Any  # parsed request body or None
    status: int
    records: int = 0  # records returned
    system: str | None = None
    table: str | None = None
    fault: str | None = None  # "down", "burst", "rate_limit", "error" when injected
    seconds: float = 0.0
    seq: int = -1  # arrival order; `requests` is in completion order, which differs under load


@dataclass
class Response:
    status: int
    body: bytes
    records: int = 0
    table: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None,
                 parameter: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.parameter = status, message, code, parameter


def system_of(path: str) -> str:
    if path.startswith("/crm/"):
        return "crm"
    if path.startswith("/api/v2/"):
        return "support"
    return "marketing"


def _wrap(key: str, records: bytes, before: dict | None = None,
          after: dict | None = None) -> bytes:
    """`{...before, "key": [records], ...after}` without re-encoding the records."""
    parts = [b"{"]
    if before:
        parts += [dumps(before)[1:-1].encode(), b","]
    parts += [dumps(key).encode(), b":[", records, b"]"]
    if after:
        parts += [b",", dumps(after)[1:-1].encode()]
    parts.append(b"}")
    return b"".join(parts)


def _int(value: Any, name: str, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise ApiError(400, f"{name} is required", "InvalidValue", name)
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {value!r}", "InvalidValue",
                       name) from None


def parse_time_us(value: Any, name: str = "value") -> int:
    """ISO-8601 (Z, offset or naive=UTC) or epoch milliseconds (HubSpot) -> µs."""
    text = str(value).strip().strip("'\"")
    if re.fullmatch(r"-?\d+", text):
        return int(text) * 1000
    try:
        dt = datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise ApiError(400, f"{name}: cannot parse {value!r} as a timestamp", "InvalidValue",
                       name) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * US_PER_S + delta.microseconds


class App:
    """Request handling, independent of the socket layer."""

    def __init__(self, server: StandInServer):
        self.srv = server
        self._local = threading.local()

    # -- entry ---------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str],
               body: bytes) -> tuple[Response, RequestLog]:
        """Answer one request; `headers` has lower-case names."""
        t0 = time.perf_counter()
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        raw_q = parse_qs(url.query, keep_blank_values=True)
        query = {k: v[-1] if len(v) == 1 else v for k, v in raw_q.items()}
        system = system_of(path)
        parsed_body: Any = None
        entry = RequestLog(method, path, query, None, 0, system=system)
        bad_body = False
        if body:
            try:
                entry.json = parsed_body = loads(body)
            except ValueError:
                bad_body = True
        try:
            fault, n = self.srv._draw_fault()
            entry.seq = n
            if fault is not None:
                entry.fault = fault
                resp = self._fault_response(system, fault, n)
            elif headers.get("authorization", "") != f"Bearer {self.srv.token}":
                resp = self._error(system, ApiError(401, "Authentication credentials not found "
                                                    "or invalid", "not_authenticated"))
            elif bad_body:
                raise ApiError(400, "request body is not valid JSON", "InvalidJSON")
            else:
                resp = self.route(method, path, raw_q, parsed_body, headers)
        except ApiError as exc:
            resp = self._error(system, exc)
        except Exception as exc:  # a bug: answer 500 like a vendor would, keep serving
            log.exception("stand-in failed on %s %s", method, target)
            resp = self._error(system, ApiError(500, f"internal error: {exc}"))
        entry.status, entry.records, entry.table = resp.status, resp.records, resp.table
        entry.seconds = time.perf_counter() - t0
        return resp, entry

    def _fault_response(self, system: str, fault: str, n: int) -> Response:
        if fault == "rate_limit":
            resp = self._error(system, ApiError(429, "rate limit exceeded, retry later",
                                                "throttled"))
            resp.headers["Retry-After"] = str(self.srv.retry_after)
            return resp
        status = 503
        if fault == "error":
            status = (503, 502, 500)[n % 3]
        return self._error(system, ApiError(status, "service temporarily unavailable",
                                            "unavailable"))

    def _error(self, system: str, exc: ApiError) -> Response:
        status = exc.status
        phrase = HTTPStatus(status).phrase
        if system == "crm":
            category = {400: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION",
                        404: "OBJECT_NOT_FOUND", 429: "RATE_LIMITS"}.get(status, "INTERNAL_ERROR")
            body: dict[str, Any] = {"status": "error", "message": exc.message,
                                    "correlationId": str(uuid.uuid4()), "category": category}
            if status == 429:
                body["errorType"] = "RATE_LIMIT"
            ctype = "application/json;charset=utf-8"
        elif system == "support":
            code = {401: "Couldn't authenticate you", 404: "InvalidEndpoint",
                    429: "APIRateLimitExceeded"}.get(status, exc.code or phrase)
            body = {"error": code, "description": exc.message} if status != 401 else \
                {"error": code}
            ctype = "application/json; charset=utf-8"
        else:
            err: dict[str, Any] = {"id": str(uuid.uuid4()), "status": status,
                                   "code": exc.code or phrase.lower().replace(" ", "_"),
                                   "title": phrase, "detail": exc.message}
            if exc.parameter:
                err["source"] = {"parameter": exc.parameter}
            body = {"errors": [err]}
            ctype = "application/vnd.api+json"
        return Response(status, dumps(body).encode(), content_type=ctype)

    # -- routing -------------------------------------------------------------------------

    def route(self, method: str, path: str, q: dict[str, list[str]], body: Any,
              headers: Any) -> Response:
        self._local.renderer = self.srv._renderer  # one store per request, even across reload()
        store = self._store
        base = f"http://{headers.get('host') or self.srv.base_url.split('//', 1)[1]}"
        if path.startswith("/crm/v3/objects/"):
            parts = path[len("/crm/v3/objects/"):].split("/")
            obj = HUBSPOT_OBJECTS.get(parts[0])
            if obj is None:
                raise ApiError(404, f"Unable to infer object type from: {parts[0]}")
            t = store.table("crm", obj)
            if parts[1:] == ["search"] and method == "POST":
                return self.hubspot_search(t, body if body is not None else {})
            if len(parts) == 1 and method == "GET":
                return self.hubspot_list(t, q, base + path)
            raise ApiError(404 if method in ("GET", "POST") else 405,
                           f"no route for {method} {path}")
        if method != "GET":
            raise ApiError(405, f"{method} is not supported on {path}")
        if path in ZENDESK_CURSOR:
            return self.zendesk_cursor(store.table("support", ZENDESK_CURSOR[path]), q,
                                       base + path)
        if path == ZENDESK_EVENTS:
            return self.zendesk_events(store.table("support", "ticket_events"), q, base + path)
        if path in ZENDESK_RATINGS:
            return self.zendesk_ratings(store.table("support", "satisfaction_ratings"), q,
                                        base + path)
        if path.startswith("/api/") and path[len("/api/"):] in JSONAPI_TYPES:
            return self.jsonapi(store.table("marketing", path[len("/api/"):]), q, base + path)
        raise ApiError(404, f"no route for {method} {path}")

    def _page(self, t: TableData, lo: int, hi: int, variant: tuple = ()) -> bytes:
        return self._local.renderer.page(t, lo, hi, variant)

    @property
    def _store(self) -> Store:
        return self._local.renderer.store

    # -- HubSpot -------------------------------------------------------------------------

    def hubspot_search(self, t: TableData, body: Any) -> Response:
        if not isinstance(body, dict):
            raise ApiError(400, "search body must be a JSON object")
        limit = _int(body.get("limit"), "limit", 10)
        if not 1 <= limit <= MAX_PAGE:
            raise ApiError(400, f"limit must be between 1 and {MAX_PAGE} (HubSpot: 100)")
        after = _int(body.get("after"), "after", 0)
        if after < 0:
            raise ApiError(400, "after must be >= 0")
        if after >= self.srv.page_cap:
            raise ApiError(400, f"Cannot page past {self.srv.page_cap} results of a search "
                           f"(after={after}); start a new search filtered on the last "
                           "hs_lastmodifieddate seen")
        lo, hi = self._hubspot_bounds(t, body.get("filterGroups") or [])
        for s in body.get("sorts") or []:
            name = s.get("propertyName") if isinstance(s, dict) else str(s).lstrip("-")
            direction = s.get("direction", "ASCENDING") if isinstance(s, dict) else \
                ("DESCENDING" if str(s).startswith("-") else "ASCENDING")
            if name not in HUBSPOT_TIME_PROPS | {"id", "hs_object_id"} or \
                    direction != "ASCENDING":
                raise ApiError(400, "the stand-in sorts only ascending by "
                               "(hs_lastmodifieddate, id)")
        variant = self._hubspot_variant(t, body.get("properties"),
                                        body.get("propertiesWithHistory"))
        start, end = lo + after, min(lo + after + limit, hi)
        records = self._page(t, start, end, variant)
        after_body: dict[str, Any] = {}
        if lo + after + limit < hi:
            after_body["paging"] = {"next": {"after": str(after + limit)}}
        return Response(200, _wrap("results", records, {"total": hi - lo}, after_body or None),
                        max(0, end - start), t.name)

    def _hubspot_bounds(self, t: TableData, groups: Any) -> tuple[int, int]:
        lo, hi = 0, t.n
        if not isinstance(groups, list) or len(groups) > 1:
            raise ApiError(400, "the stand-in supports at most one filterGroup")
        for group in groups:
            for f in group.get("filters") or []:
                name, op = f.get("propertyName"), str(f.get("operator", "")).upper()
                if name not in HUBSPOT_TIME_PROPS:
                    raise ApiError(400, f"the stand-in filters only on hs_lastmodifieddate, "
                                   f"not {name!r}")
                if op == "BETWEEN":
                    lo = max(lo, t.lower(parse_time_us(f.get("value"), name)))
                    hi = min(hi, t.upper(parse_time_us(f.get("highValue"), name)))
                    continue
                v = parse_time_us(f.get("value"), name)
                if op in ("GTE", "EQ"):
                    lo = max(lo, t.lower(v))
                if op == "GT":
                    lo = max(lo, t.upper(v))
                if op in ("LTE", "EQ"):
                    hi = min(hi, t.upper(v))
                if op == "LT":
                    hi = min(hi, t.lower(v))
                if op not in ("GTE", "GT", "LTE", "LT", "EQ"):
                    raise ApiError(400, f"operator {op!r} is not supported by the stand-in")
        return lo, max(lo, hi)

    @staticmethod
    def _hubspot_variant(t: TableData, props: Any, history: Any) -> tuple:
        if isinstance(props, str):
            props = [p for p in props.split(",") if p]
        if isinstance(history, str):
            history = [p for p in history.split(",") if p]
        wanted = tuple(sorted(set(props))) if props else None
        return wanted, bool(history) and "dealstage" in history and t.name == "deals"

    def hubspot_list(self, t: TableData, q: dict[str, list[str]], url: str) -> Response:
        limit = _int(_last(q, "limit"), "limit", 10)
        if not 1 <= limit <= MAX_PAGE:
            raise ApiError(400, f"limit must be between 1 and {MAX_PAGE} (HubSpot: 100)")
        after = _int(_last(q, "after"), "after", 0)
        props = [p for v in q.get("properties", []) for p in v.split(",") if p]
        history = [p for v in q.get("propertiesWithHistory", []) for p in v.split(",") if p]
        variant = self._hubspot_variant(t, props, history)
        start, end = min(after, t.n), min(after + limit, t.n)
        records = self._page(t, start, end, variant)
        tail = None
        if end < t.n:
            params = {k: v for k, v in q.items() if k != "after"}
            link = url + "?" + urlencode({**params, "after": [str(end)]}, doseq=True)
            tail = {"paging": {"next": {"after": str(end), "link": link}}}
        return Response(200, _wrap("results", records, None, tail), end - start, t.name)

    # -- Zendesk -------------------------------------------------------------------------

    def _start(self, t: TableData, q: dict[str, list[str]], required: bool,
               cursor_param: str) -> tuple[int, int | None]:
        token = _last(q, cursor_param)
        if token:
            try:
                return self._store.resolve_cursor(t, token)
            except CursorError as exc:
                raise ApiError(400, str(exc), "InvalidPaginationParameter",
                               cursor_param) from None
        start = _last(q, "start_time")
        if start is None:
            if required:
                raise ApiError(400, f"start_time or {cursor_param} is required", "InvalidValue",
                               "start_time")
            return 0, None
        floor = _int(start, "start_time") * US_PER_S
        return t.lower(floor), floor

    @staticmethod
    def _size(q: dict[str, list[str]], name: str, default: int, clamp: bool) -> int:
        size = _int(_last(q, name), name, default)
        if clamp:
            return max(1, min(size, MAX_PAGE))
        if not 1 <= size <= MAX_PAGE:
            raise ApiError(400, f"{name} must be between 1 and {MAX_PAGE}", "invalid", name)
        return size

    def zendesk_cursor(self, t: TableData, q: dict[str, list[str]], url: str) -> Response:
        store = self._store
        per_page = self._size(q, "per_page", 1000, clamp=True)
        pos, floor = self._start(t, q, True, "cursor")
        end = min(pos + per_page, t.n)
        records = self._page(t, pos, end)
        cursor = store.make_cursor(t, end, floor)
        keep = {k: v for k, v in q.items() if k not in ("cursor", "start_time")}
        after_url = url + "?" + urlencode({**keep, "cursor": [cursor]}, doseq=True)
        tail = {"after_url": after_url, "after_cursor": cursor, "before_url": None,
                "before_cursor": None, "end_of_stream": end >= t.n}
        return Response(200, _wrap(t.name, records, None, tail), end - pos, t.name)

    def zendesk_events(self, t: TableData, q: dict[str, list[str]], url: str) -> Response:
        per_page = self._size(q, "per_page", 1000, clamp=True)
        start_time = _int(_last(q, "start_time"), "start_time")
        include = {p for v in q.get("include", []) for p in v.split(",")}
        lo = t.lower(start_time * US_PER_S)
        hi = min(lo + per_page, t.n)
        if lo < hi < t.n:  # pages hold whole seconds, so start_time=end_time+1 loses nothing
            last = int(t.keys[hi - 1]) // US_PER_S
            if int(t.keys[hi]) // US_PER_S == last:
                cut = t.lower(last * US_PER_S)
                hi = cut if cut > lo else t.lower((last + 1) * US_PER_S)
        end_of_stream = hi >= t.n
        end_time = int(t.keys[hi - 1]) // US_PER_S if hi > lo else start_time
        next_page = None
        if not end_of_stream:
            keep = {k: v for k, v in q.items() if k != "start_time"}
            next_page = url + "?" + urlencode({"start_time": [str(end_time + 1)], **keep},
                                              doseq=True)
        records = self._page(t, lo, hi, ("comment_events" in include,))
        tail = {"next_page": next_page, "count": hi - lo, "end_time": end_time,
                "end_of_stream": end_of_stream}
        return Response(200, _wrap("ticket_events", records, None, tail), hi - lo, t.name)

    def zendesk_ratings(self, t: TableData, q: dict[str, list[str]], url: str) -> Response:
        store = self._store
        size = self._size(q, "page[size]", 100, clamp=True)
        pos, floor = self._start(t, q, False, "page[after]")
        end = min(pos + size, t.n)
        records = self._page(t, pos, end)
        has_more = end < t.n
        cursor = store.make_cursor(t, end, floor) if end > pos or has_more else None
        nxt = None
        if has_more:
            keep = {k: v for k, v in q.items() if k not in ("page[after]",)}
            nxt = url + "?" + urlencode({**keep, "page[after]": [cursor]}, doseq=True)
        tail = {"meta": {"has_more": has_more, "after_cursor": cursor, "before_cursor": None},
                "links": {"next": nxt, "prev": None}}
        return Response(200, _wrap("satisfaction_ratings", records, None, tail), end - pos,
                        t.name)

    # -- JSON:API (marketing) ------------------------------------------------------------

    def jsonapi(self, t: TableData, q: dict[str, list[str]], url: str) -> Response:
        store = self._store
        size = self._size(q, "page[size]", 100, clamp=False)
        lo, hi = 0, t.n
        for expr in q.get("filter", []):
            matches = _FILTER.findall(expr)
            if not matches:
                raise ApiError(400, f"cannot parse filter {expr!r}", "invalid", "filter")
            for op, name, value in matches:
                if name != t.spec.cursor:
                    raise ApiError(400, f"the stand-in filters {t.name} only on "
                                   f"{t.spec.cursor!r}, not {name!r}", "invalid", "filter")
                v = parse_time_us(value, "filter")
                if op in ("greater-or-equal", "equals"):
                    lo = max(lo, t.lower(v))
                if op == "greater-than":
                    lo = max(lo, t.upper(v))
                if op in ("less-or-equal", "equals"):
                    hi = min(hi, t.upper(v))
                if op == "less-than":
                    hi = min(hi, t.lower(v))
        hi = max(lo, hi)
        pos = lo
        token = _last(q, "page[cursor]")
        if token:
            try:
                pos = max(lo, store.resolve_cursor(t, token)[0])
            except CursorError as exc:
                raise ApiError(400, str(exc), "invalid", "page[cursor]") from None
        end = min(pos + size, hi)
        records = self._page(t, pos, end)
        self_url = url + ("?" + urlencode(q, doseq=True) if q else "")
        nxt = None
        if end < hi:
            keep = {k: v for k, v in q.items() if k != "page[cursor]"}
            nxt = url + "?" + urlencode({**keep, "page[cursor]": [store.make_cursor(t, end)]},
                                        doseq=True)
        resp = Response(200, _wrap("data", records, None,
                                   {"links": {"self": self_url, "next": nxt}}),
                        max(0, end - pos), t.name)
        resp.content_type = "application/vnd.api+json"
        return resp


def _last(q: dict[str, list[str]], name: str) -> str | None:
    values = q.get(name)
    return values[-1] if values else None


class _Handler(socketserver.StreamRequestHandler):
    """A lean HTTP/1.1 keep-alive handler (the stdlib's email-based header parsing costs more
    than serving a page from the cache)."""

    disable_nagle_algorithm = True
    timeout = 300  # idle keep-alive connections are closed after this many seconds

    def handle(self) -> None:
        srv: StandInServer = self.server.standin
        srv._track(self.connection, True)
        try:
            while self._one(srv):
                pass
        except OSError:  # client went away, timeout, server stopping
            pass
        finally:
            srv._track(self.connection, False)

    def _one(self, srv: StandInServer) -> bool:
        line = self.rfile.readline(_MAX_LINE + 1)
        if not line or not line.strip():
            return bool(line)  # tolerate a stray CRLF between requests
        parts = line.decode("latin-1").split()
        if len(line) > _MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._send(Response(400, b'{"error":"bad request line"}'), close=True)
            return False
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS):
            h = self.rfile.readline(_MAX_LINE + 1)
            if h in (b"\r\n", b"\n", b""):
                break
            key, _, value = h.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        else:
            self._send(Response(431, b'{"error":"too many headers"}'), close=True)
            return False
        conn = headers.get("connection", "").lower()
        keep = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
        resp, entry = srv._app.handle(method, target, headers, body)
        srv._log(entry)
        self._send(resp, close=not keep)
        return keep

    def _send(self, resp: Response, close: bool) -> None:
        head = [f"HTTP/1.1 {resp.status} {_PHRASES.get(resp.status, 'Unknown')}",
                f"Content-Type: {resp.content_type}", f"Content-Length: {len(resp.body)}"]
        head += [f"{k}: {v}" for k, v in resp.headers.items()]
        if close:
            head.append("Connection: close")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + resp.body)

    def _read_chunked(self) -> bytes:
        out = []
        while True:
            size = int(self.rfile.readline(_MAX_LINE).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(out)
            out.append(self.rfile.read(size))
            self.rfile.readline(_MAX_LINE)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: StandInServer

    def server_bind(self) -> None:  # skip HTTPServer's getfqdn() lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class StandInServer:
    """Stand-in vendor APIs (HubSpot CRM v3, Zendesk, Klaviyo-like) over a demo vendor store.

    See the package docstring for endpoints and behaviour."""

    def __init__(self, data_dir, token: str = "demo-token", port: int = 0,
                 rate_limit_share: float = 0.0, retry_after: int = 1, error_share: float = 0.0,
                 error_burst: int = 0, down: bool = False, page_cap: int = 10_000,
                 seed: int = 0, cache_bytes: int = 256 << 20, max_log: int = 200_000):
        self.data_dir = data_dir
        self.token = token
        self.port = port
        self.page_cap = page_cap
        self.seed = seed
        self.cache_bytes = cache_bytes
        self.max_log = max_log
        self.rate_limit_share = rate_limit_share
        self.retry_after = retry_after
        self.error_share = error_share
        self.error_burst = error_burst
        self.down = down
        self.requests: list[RequestLog] = []
        self.base_url: str | None = None
        self._lock = threading.Lock()
        self._counter = 0
        self._burst_left = error_burst
        self._phase = ((seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (1 << 64)) / 2**64
        self._conns: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._app = App(self)
        self.reload()

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> StandInServer:
        if self._httpd is not None:
            return self
        if self._renderer._pool is None:  # restarted after stop()
            self._renderer = Renderer(self._renderer.store, self.cache_bytes)
        httpd = _HTTPServer(("127.0.0.1", self.port), _Handler)
        httpd.standin = self
        self._httpd = httpd
        host, port = httpd.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"standin-{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # idle keep-alive connections would otherwise linger
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        self._renderer.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StandInServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Block until KeyboardInterrupt (the CLI)."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # -- store and faults ----------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the vendor store (after the generator extended it). Cursors issued before
        continue after the last record they returned."""
        store = Store(self.data_dir)
        renderer = Renderer(store, self.cache_bytes)
        with self._lock:
            old, self._renderer = getattr(self, "_renderer", None), renderer
        if old is not None:
            old.close()  # requests in flight keep rendering synchronously

    @property
    def store(self) -> Store:
        return self._renderer.store

    def configure(self, **faults: Any) -> None:
        """Change rate_limit_share / retry_after / error_share / error_burst / down at runtime.
        `error_burst=N` answers the next N requests with 503."""
        unknown = set(faults) - set(FAULT_KEYS)
        if unknown:
            raise TypeError(f"unknown fault settings {sorted(unknown)}; use {FAULT_KEYS}")
        with self._lock:
            for key, value in faults.items():
                setattr(self, key, value)
            if "error_burst" in faults:
                self._burst_left = int(faults["error_burst"])

    def _draw_fault(self) -> tuple[str | None, int]:
        """The fault (if any) for the next request, deterministic from seed and counter."""
        with self._lock:
            n = self._counter
            self._counter += 1
            if self.down:
                return "down", n
            if self._burst_left > 0:
                self._burst_left -= 1
                return "burst", n
            u = (self._phase + n * _PHI) % 1.0
            if u < self.rate_limit_share:
                return "rate_limit", n
            if u < self.rate_limit_share + self.error_share:
                return "error", n
        return None, n

    def _log(self, entry: RequestLog) -> None:
        with self._lock:
            self.requests.append(entry)
            if len(self.requests) > self.max_log:  # a long-running `cxm serve`
                del self.requests[: len(self.requests) // 2]

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()
