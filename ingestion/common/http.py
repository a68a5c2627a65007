"""HTTP client for the REST sources, built on dlt's retrying `requests` helper.

`dlt.sources.helpers.requests.Client` wraps every `send` in a tenacity retry that fires on 429,
any 5xx, connection errors, timeouts and broken chunked responses, waits with exponential
backoff (`backoff_factor * 2**(attempt-1)`, at most `max_retry_delay` seconds) and, when the
response carries `Retry-After` (seconds or an HTTP date), waits that long instead (also capped
by `max_retry_delay`); checked in dlt 1.31 `sources/helpers/requests/retry.py`. The retry budget
comes from dlt's runtime settings, so it is configured like any dlt pipeline:

    RUNTIME__REQUEST_MAX_ATTEMPTS       (default 5 attempts in total)
    RUNTIME__REQUEST_BACKOFF_FACTOR     (default 1 -> 1, 2, 4, 8 s)
    RUNTIME__REQUEST_MAX_RETRY_DELAY    (default 300 s; also caps Retry-After)
    RUNTIME__REQUEST_TIMEOUT            (default 60 s per request)

or `[runtime]` in `.dlt/config.toml`; `make_client(..., max_attempts=...)` overrides them.

On top of that this module turns failures into errors a user can act on: every error names the
source, the endpoint (method + path, without query string or token) and the last status:
`AuthError` (401/403: the token is missing or wrong, with the config key to set), `ApiError`
(any other error status, after the retries for 429/5xx; or no response at all),
`SourceConfigError` (no or invalid base_url).

For throughput, a page body is read in one call (`stream=True`; a body that breaks off is
retried here with the same budget, as dlt would for a non-streamed one) and decoded straight to
Arrow (`decode_page`); proxy/CA settings are resolved once per client instead of per request.
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pyarrow as pa
import pyarrow.json as pj
import urllib3
from dlt.common.json import json
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests import RequestException, Response
from requests.utils import get_environ_proxies


class SourceError(RuntimeError):
    """A source failed in a way the user must fix or retry later; the message says which."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source


class SourceConfigError(SourceError):
    """Missing or invalid source configuration (base_url, token, ...)."""


class AuthError(SourceError):
    """401/403: the API token is missing or wrong."""

    def __init__(self, source: str, endpoint: str = "", status: int | None = None) -> None:
        msg = (f"the API token is missing or wrong (set sources.{source}.access_token in "
               f".dlt/secrets.toml or SOURCES__{source.upper()}__ACCESS_TOKEN)")
        if endpoint:
            msg += f"; {endpoint} answered {status}"
        super().__init__(source, msg)
        self.endpoint = endpoint
        self.status = status


class ApiError(SourceError):
    """The API answered with an error status (after retries, for retryable ones) or could
    not be reached."""

    def __init__(self, source: str, endpoint: str, status: int | None, detail: str = "",
                 retried: bool = False) -> None:
        what = f"status {status}" if status is not None else "no response"
        msg = f"{endpoint} failed with {what}"
        if retried:
            msg += " after retries ran out"
        if detail:
            msg += f": {detail}"
        super().__init__(source, msg)
        self.endpoint = endpoint
        self.status = status


def missing_token_error(source: str) -> AuthError:
    return AuthError(source)


def require_base_url(source: str, base_url: str | None) -> str:
    if not base_url or not str(base_url).strip():
        raise SourceConfigError(
            source,
            f"no API base_url configured (set sources.{source}.base_url in .dlt/config.toml "
            f"or SOURCES__{source.upper()}__BASE_URL), or set sources.{source}.exports_path "
            "to read an export folder instead")
    url = str(base_url).strip()
    if urlsplit(url).scheme not in ("http", "https"):
        raise SourceConfigError(source, f"base_url {url!r} is not an http(s) URL")
    return url.rstrip("/")


class ApiClient:
    """One vendor API: base URL + bearer token + dlt's retrying session.

    `request_json` returns the decoded JSON body or raises `AuthError` / `ApiError`."""

    # statuses dlt's Client retries; if one is still the answer, the retries ran out
    RETRIED = frozenset((429, *range(500, 600)))

    def __init__(self, source: str, base_url: str, access_token: str | None,
                 client: Client) -> None:
        self.source = source
        self.base_url = base_url
        self._auth = BearerTokenAuth(access_token) if access_token else None
        self._client = client
        self.requests_made = 0

    def url(self, path_or_url: str) -> str:
        if urlsplit(path_or_url).scheme in ("http", "https"):
            return path_or_url
        return urljoin(self.base_url + "/", path_or_url.lstrip("/"))

    def endpoint(self, method: str, url: str) -> str:
        """`METHOD /path` for messages: no host, no query string (may carry cursors)."""
        return f"{method.upper()} {urlsplit(url).path}"

    def request(self, method: str, path_or_url: str, params: dict[str, Any] | None = None,
                json_body: Any = None) -> Response:
        if self._auth is None:
            raise missing_token_error(self.source)
        url = self.url(path_or_url)
        endpoint = self.endpoint(method, url)
        retry = getattr(self._client, "_retry_kwargs", {})  # dlt's resolved retry settings
        attempts = max(1, int(retry.get("max_attempts") or 1))
        for attempt in range(1, attempts + 1):
            try:
                # stream=True: the body is read below in one call instead of requests'
                # 10 KB chunks; error answers are drained by the hook, so dlt's retry loop
                # (around `send`) gets its connection back
                resp = self._client.request(method, url, params=params, json=json_body,
                                            auth=self._auth, stream=True,
                                            hooks={"response": _drain_errors})
            except RequestException as e:  # connection errors/timeouts after the retries
                raise ApiError(self.source, endpoint, None,
                               f"{type(e).__name__}: {e}", retried=True) from e
            try:
                _read_body(resp)
                break
            except _BODY_ERRORS as e:  # the body broke off: outside dlt's retry, so here
                if attempt == attempts:
                    raise ApiError(self.source, endpoint, resp.status_code,
                                   f"the answer broke off ({type(e).__name__}: {e})",
                                   retried=True) from e
                time.sleep(min(float(retry.get("backoff_factor") or 1) * 2 ** (attempt - 1),
                               float(retry.get("max_delay") or 300)))
        self.requests_made += 1
        status = resp.status_code
        if status in (401, 403):
            raise AuthError(self.source, endpoint, status)
        if status >= 400:
            raise ApiError(self.source, endpoint, status, _detail(resp),
                           retried=status in self.RETRIED)
        return resp

    def request_json(self, method: str, path_or_url: str, params: dict[str, Any] | None = None,
                     json_body: Any = None) -> Any:
        resp = self.request(method, path_or_url, params=params, json_body=json_body)
        try:
            return json.loadb(resp.content)
        except ValueError as e:
            raise ApiError(self.source, self.endpoint(method, resp.url), resp.status_code,
                           f"the answer is not JSON ({_detail(resp)})") from e

    def get(self, path_or_url: str, params: dict[str, Any] | None = None) -> Any:
        return self.request_json("GET", path_or_url, params=params)

    def post(self, path_or_url: str, body: Any) -> Any:
        return self.request_json("POST", path_or_url, json_body=body)

    def page(self, method: str, path_or_url: str, records_key: str,
             params: dict[str, Any] | None = None, json_body: Any = None) -> Page:
        """One page of a list endpoint, its records decoded straight to Arrow (see `Page`)."""
        resp = self.request(method, path_or_url, params=params, json_body=json_body)
        try:
            return decode_page(resp.content, records_key)
        except ValueError as e:
            raise ApiError(self.source, self.endpoint(method, resp.url), resp.status_code,
                           f"the answer is not JSON ({_detail(resp)})") from e


@dataclass
class Page:
    """A decoded list response: `envelope` = every top-level field except the records (paging
    cursors, flags) as Python values; the records either as an Arrow table (`table`, decoded by
    Arrow's C++ JSON reader, nested objects as struct columns) or, when Arrow cannot give a
    field one type across the page (a planted or real vendor inconsistency), as Python dicts
    (`records`)."""

    envelope: dict[str, Any]
    table: pa.Table | None = None
    records: list[dict[str, Any]] | None = None

    @property
    def num_records(self) -> int:
        if self.table is not None:
            return self.table.num_rows
        return len(self.records or ())


_PARSE = pj.ParseOptions(newlines_in_values=True)


def decode_page(body: bytes, records_key: str) -> Page:
    try:
        doc = pj.read_json(io.BytesIO(body), parse_options=_PARSE,
                           read_options=pj.ReadOptions(use_threads=False,
                                                       block_size=max(len(body) + 1, 1 << 16)))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        parsed = json.loadb(body)
        if not isinstance(parsed, dict):
            raise ValueError("expected a JSON object") from None
        records = parsed.pop(records_key, None) or []
        return Page(parsed, records=records)
    if doc.num_rows != 1:
        raise ValueError("expected one JSON object")
    envelope = {name: doc.column(name)[0].as_py() for name in doc.column_names
                if name != records_key}
    if records_key not in doc.column_names:
        return Page(envelope, table=pa.table({}))
    col = doc.column(records_key).combine_chunks()
    if not (pa.types.is_list(col.type) and pa.types.is_struct(col.type.value_type)):
        if pa.types.is_list(col.type) and pa.types.is_null(col.type.value_type):
            return Page(envelope, table=pa.table({}))  # empty list
        parsed = json.loadb(body)
        return Page(envelope, records=parsed.get(records_key) or [])
    items = col.flatten()
    return Page(envelope, table=pa.Table.from_struct_array(items))


_BODY_ERRORS = (RequestException, urllib3.exceptions.HTTPError, OSError)


def _drain_errors(resp: Response, *args: Any, **kwargs: Any) -> None:
    if resp.status_code >= 400:
        try:
            _read_body(resp)
        except _BODY_ERRORS:
            resp._content = b""  # the detail is lost, the status is what counts


def _read_body(resp: Response) -> None:
    """Read a streamed body in one call and release the connection to the pool."""
    if resp._content is False:  # not read yet (requests' own marker)
        try:
            resp._content = resp.raw.read(decode_content=True) or b""
        except BaseException:
            resp._content = None
            raise
        finally:
            resp._content_consumed = True
            resp.close()


def _detail(resp: Response, limit: int = 300) -> str:
    text = (resp.text or "").strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")


def lazy_client(source: str, base_url: str | None, access_token: str | None,
                   ) -> Callable[[], ApiClient]:
    """A function returning one shared client for `source`, made on first use, so a source
    can be built without configuration (orchestrators build sources at definition time) and
    a missing base_url or token is reported when a resource first needs the API."""
    made: list[ApiClient] = []
    lock = threading.Lock()

    def get() -> ApiClient:
        with lock:
            if not made:
                made.append(make_client(source, base_url, access_token))
            return made[0]

    return get


def _environment_settings(base_url: str) -> dict[str, Any]:
    """Proxy and CA-bundle settings from the environment, resolved once for the API's host.

    requests re-reads them from `os.environ` on every request (`trust_env`), which costs
    milliseconds per page with a large environment; an API lives on one host, so they are
    resolved once here (HTTP(S)_PROXY / NO_PROXY, REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE)."""
    verify: Any = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return {"trust_env": False, "proxies": get_environ_proxies(base_url),
            "verify": verify or True}


def make_client(source: str, base_url: str | None, access_token: str | None, *,
                max_attempts: int | None = None, backoff_factor: float | None = None,
                max_retry_delay: float | None = None, timeout: float | None = None,
                ) -> ApiClient:
    """A client for `source`'s API. Retry settings default to dlt's runtime configuration
    (`RUNTIME__REQUEST_*`); pass values to override them for this client."""
    url = require_base_url(source, base_url)
    overrides: dict[str, Any] = {}
    if max_attempts is not None:
        overrides["request_max_attempts"] = max_attempts
    if backoff_factor is not None:
        overrides["request_backoff_factor"] = backoff_factor
    if max_retry_delay is not None:
        overrides["request_max_retry_delay"] = max_retry_delay
    if timeout is not None:
        overrides["request_timeout"] = timeout
    # Client.__init__ is wrapped by dlt's with_config: unset arguments come from [runtime]
    client = Client(raise_for_status=False, respect_retry_after_header=True,
                    session_attrs=_environment_settings(url), **overrides)
    return ApiClient(source, url, access_token, client)
