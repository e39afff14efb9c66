"""HTTP fetching with httpx: conditional GET, one deadline per fetch, a size cap on the decoded
body, checked redirects, Retry-After honoured per server, bounded concurrency overall and per
server (host and port). The only module that talks HTTP to sources. Every connection goes
through ``monitor.guard``, so the address actually connected to obeys ``monitor.policy``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ssl
import time
import zlib
from collections import Counter, OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import FetchSettings
from monitor.errors import AddressRefused, FetchError, RateLimited
from monitor.guard import (
    ConnectRefused,
    GuardedTransport,
    Resolver,
    connect_policy,
    system_resolve,
)
from monitor.models import FetchResult
from monitor.policy import (
    addresses_refusal,
    link_refusal,
    parse_host_address,
    redirect_refusal,
    same_server,
    server_key,
)

_REDIRECTS = (301, 302, 303, 307, 308)
_KEPT_SERVERS = 64  # servers whose connections are kept between requests
_PERMANENT = (301, 308)
_CHUNK = 64 * 1024
_DEFAULT_HOLD = 60.0  # a 429/503 without Retry-After still spares the server for this long
_MAX_HOLD = 86400.0


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _Inflater:
    """Content-Encoding gzip/deflate decoded with bounded output: a 1 GiB gzip bomb costs at
    most the cap (httpx's own decoder inflates a whole network chunk at once, ~1000x its size)."""

    def __init__(self, encoding: str, url: str) -> None:
        self.url = url
        self.encoding = encoding.strip().lower()
        if self.encoding in ("gzip", "x-gzip"):
            self._wbits = zlib.MAX_WBITS | 16
        elif self.encoding == "deflate":
            self._wbits = zlib.MAX_WBITS
        elif self.encoding in ("", "identity"):
            self._wbits = 0
        else:
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")
        self._inflate = zlib.decompressobj(self._wbits) if self._wbits else None
        self._started = False
        self._members = 0
        self._ended = False

    def decode(self, data: bytes, limit: int) -> bytes:
        """The bytes ``data`` decodes to, at most ``limit`` of them (more means: over the cap)."""
        if self._inflate is None:
            return data[:limit]
        out = bytearray()
        while data and len(out) < limit and not self._ended:
            try:
                out += self._inflate.decompress(data, limit - len(out))
            except zlib.error as exc:
                if self._members:  # junk after a complete member: ignored, as browsers do
                    self._ended = True
                    break
                if not self._started and self._wbits == zlib.MAX_WBITS:
                    self._wbits = -zlib.MAX_WBITS  # "deflate" sent raw, without zlib's header
                    self._inflate = zlib.decompressobj(self._wbits)
                    continue
                raise FetchError(self.url, f"bad {self.encoding} body: {exc}") from exc
            self._started = True
            data = self._inflate.unconsumed_tail
            if self._inflate.eof:  # gzip may carry several members, one after another
                self._members += 1
                data = self._inflate.unused_data
                self._inflate = zlib.decompressobj(self._wbits)
        return bytes(out)


class Fetcher:
    """One shared HTTP client for a cycle. Use as an async context manager.

    ``resolve`` and ``ssl_context`` are for tests and special setups: the name resolver used
    for both the policy check and the connection, and the TLS trust to use.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        concurrency: int = 8,
        per_host: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        resolve: Resolver = system_resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self._overall = asyncio.Semaphore(concurrency)
        self._per_host_limit = per_host
        self._servers: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self._per_host_limit)
        )
        self._held: dict[str, tuple[datetime, int]] = {}  # server -> (until, status)
        self._clock = clock
        self._resolve = resolve
        # One small connection pool per server, the most recently used ``_KEPT_SERVERS`` kept:
        # connections to a server are reused for its pages, and no pool grows large (httpcore
        # checks every kept connection, a poll() each, on every request it places).
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        # One TLS context for all of them (loading the CA store takes ~15 ms each time).
        context = ssl_context or httpx.create_ssl_context(trust_env=False)
        self._client_settings = (per_host, resolve, context)
        self._busy: Counter[str] = Counter()  # requests in flight per server's client

    def _make_client(self) -> httpx.AsyncClient:
        per_host, resolve, ssl_context = self._client_settings
        return httpx.AsyncClient(
            transport=GuardedTransport(
                limits=httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host),
                resolve=resolve,
                ssl_context=ssl_context,
            ),
            follow_redirects=False,
            timeout=httpx.Timeout(self.settings.timeout),
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )

    @contextlib.asynccontextmanager
    async def _client_for(self, url: str) -> AsyncIterator[httpx.AsyncClient]:
        key = server_key(url)
        client = self._clients.pop(key, None) or self._make_client()
        self._clients[key] = client  # most recently used last
        self._busy[key] += 1
        try:
            yield client
        finally:
            self._busy[key] -= 1
            await self._trim()

    async def _trim(self) -> None:
        """Close the least recently used idle servers' pools beyond ``_KEPT_SERVERS``."""
        for key in list(self._clients):
            if len(self._clients) <= _KEPT_SERVERS:
                break
            if not self._busy[key]:
                del self._busy[key]
                await self._clients.pop(key).aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            await client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        on_behalf_of: str | None = None,
        accept: str = "*/*",
    ) -> FetchResult:
        """GET ``url``. With ``on_behalf_of`` (the feed URL), the link policy applies to every hop;
        without it (a feed), to every redirect hop, measured from ``url``.

        Raises FetchError (or AddressRefused / RateLimited). 304 gives ``body=None``.
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._follow(url, headers, on_behalf_of)

    async def _follow(
        self, url: str, headers: dict[str, str], on_behalf_of: str | None
    ) -> FetchResult:
        anchor = on_behalf_of or url
        current = url
        moved_to: str | None = None  # where the leading run of 301/308 redirects points
        permanent = True
        left = self.settings.timeout  # one deadline for all hops, lookups and the whole body
        for hop in range(self.settings.max_redirects + 1):
            trusted = on_behalf_of is None and hop == 0  # the configured feed URL itself
            if trusted and urlsplit(current).scheme.lower() not in ("http", "https"):
                raise AddressRefused(current, "only http and https URLs are fetched")
            check = None if trusted or same_server(current, anchor) else addresses_refusal
            # Waiting for a free slot is our own queue, not the server's time: the clock runs
            # only while this request holds one.
            async with self._servers[server_key(current)], self._overall:
                started = time.monotonic()
                try:
                    async with asyncio.timeout(left):
                        if not trusted:
                            await self._check_link(current, anchor)
                        self._check_hold(current)
                        with connect_policy(check):
                            outcome = await self._get_once(url, current, headers)
                except TimeoutError as exc:
                    raise FetchError(url, f"timed out after {self.settings.timeout:g}s") from exc
                left -= time.monotonic() - started
            if isinstance(outcome, FetchResult):
                return replace(outcome, moved_to=moved_to)
            status, target = outcome
            refusal = redirect_refusal(current, target)
            if refusal:
                raise AddressRefused(target, refusal)
            permanent = permanent and status in _PERMANENT
            moved_to = target if permanent else moved_to
            current = target
            headers = {k: v for k, v in headers.items() if k == "Accept"}
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")

    async def _get_once(
        self, original: str, current: str, headers: dict[str, str]
    ) -> FetchResult | tuple[int, str]:
        """One request. Returns the result, or (status, next URL) for a redirect."""
        try:
            async with (
                self._client_for(current) as client,
                client.stream("GET", current, headers=headers) as response,
            ):
                status = response.status_code
                if status in _REDIRECTS and "location" in response.headers:
                    return status, urljoin(current, response.headers["location"])
                if status == 304:
                    return self._result(original, current, response, None)
                if status in (429, 503):
                    wait = parse_retry_after(response.headers.get("retry-after"), self._clock())
                    self._hold(current, status, wait)
                    raise RateLimited(current, status, wait)
                if status >= 400:
                    raise FetchError(current, f"HTTP {status}", status=status)
                body = await self._read_capped(current, response)
                return self._result(original, current, response, body)
        except ConnectRefused as exc:
            raise AddressRefused(current, exc.reason) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(current, f"timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(current, _network_reason(exc)) from exc

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(url, f"body of {int(declared)} bytes exceeds the {cap}-byte cap")
        inflater = _Inflater(response.headers.get("content-encoding", ""), url)
        body = bytearray()
        async for chunk in response.aiter_raw(_CHUNK):
            body += inflater.decode(chunk, cap + 1 - len(body))
            if len(body) > cap:
                raise FetchError(url, f"body exceeds the {cap}-byte cap")
        return bytes(body)

    def _result(
        self, original: str, final: str, response: httpx.Response, body: bytes | None
    ) -> FetchResult:
        headers = {k.lower(): v for k, v in response.headers.items()}
        headers.pop("content-encoding", None)  # the body handed on is decoded
        return FetchResult(
            url=original,
            final_url=final,
            status=response.status_code,
            body=body,
            headers=headers,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            retry_after=parse_retry_after(headers.get("retry-after"), self._clock()),
        )

    def _hold(self, url: str, status: int, wait: float | None) -> None:
        """Spare the server that said 429/503 for the rest of this fetcher's life (or until)."""
        seconds = min(_MAX_HOLD, _DEFAULT_HOLD if wait is None else wait)
        self._held[server_key(url)] = (self._clock() + timedelta(seconds=seconds), status)

    def _check_hold(self, url: str) -> None:
        held = self._held.get(server_key(url))
        if held is None:
            return
        until, status = held
        left = (until - self._clock()).total_seconds()
        if left > 0:
            raise RateLimited(url, status, left)

    async def _check_link(self, url: str, feed_url: str) -> None:
        refusal = link_refusal(url, feed_url)
        if refusal:
            raise AddressRefused(url, refusal)
        parts = urlsplit(url)
        host = parts.hostname or ""
        if same_server(url, feed_url) or parse_host_address(host):
            return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        refusal = addresses_refusal(await self._resolve(host, port))
        if refusal:
            raise AddressRefused(url, refusal)


def _network_reason(exc: httpx.HTTPError) -> str:
    """A line for the feed row: TLS failures say so (they are never retried unverified)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {getattr(cause, 'reason', None) or cause}"
        cause = cause.__cause__ or cause.__context__
    return f"network error: {exc or type(exc).__name__}"
