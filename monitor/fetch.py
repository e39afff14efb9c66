"""HTTP fetching with httpx: conditional GET, a total deadline, a size cap, checked redirects,
bounded concurrency overall and per host. The only module that talks HTTP to sources.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.config import FetchSettings
from monitor.errors import AddressRefused, FetchError, RateLimited
from monitor.models import FetchResult
from monitor.policy import IPAddress, addresses_refusal, link_refusal, parse_host_address

_REDIRECTS = (301, 302, 303, 307, 308)


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


class Fetcher:
    """One shared HTTP client for a cycle. Use as an async context manager."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        concurrency: int = 8,
        per_host: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._overall = asyncio.Semaphore(concurrency)
        self._per_host_limit = per_host
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self._per_host_limit)
        )
        self._clock = clock
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout),
            headers={"User-Agent": settings.user_agent},
            limits=httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=20),
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        on_behalf_of: str | None = None,
        accept: str = "*/*",
    ) -> FetchResult:
        """GET ``url``. With ``on_behalf_of`` (the feed URL), the link policy applies to every hop.

        Raises FetchError (or AddressRefused / RateLimited). 304 gives ``body=None``.
        """
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.settings.timeout):
                return await self._follow(url, headers, on_behalf_of)
        except TimeoutError as exc:
            raise FetchError(url, f"timed out after {self.settings.timeout:g}s") from exc

    async def _follow(
        self, url: str, headers: dict[str, str], on_behalf_of: str | None
    ) -> FetchResult:
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            if on_behalf_of is not None:
                await self._check_link(current, on_behalf_of)
            elif urlsplit(current).scheme.lower() not in ("http", "https"):
                raise AddressRefused(current, "only http and https URLs are fetched")
            host = urlsplit(current).hostname or ""
            async with self._overall, self._hosts[host]:
                result = await self._get_once(url, current, headers)
            if isinstance(result, FetchResult):
                return result
            current = result
            headers = {k: v for k, v in headers.items() if k == "Accept"}
        raise FetchError(url, f"more than {self.settings.max_redirects} redirects")

    async def _get_once(
        self, original: str, current: str, headers: dict[str, str]
    ) -> FetchResult | str:
        """One request. Returns the result, or the next URL for a redirect."""
        try:
            async with self._client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS and "location" in response.headers:
                    return urljoin(current, response.headers["location"])
                if status == 304:
                    return self._result(original, current, response, None)
                if status in (429, 503):
                    wait = parse_retry_after(response.headers.get("retry-after"), self._clock())
                    raise RateLimited(current, status, wait)
                if status >= 400:
                    raise FetchError(current, f"HTTP {status}", status=status)
                body = await self._read_capped(current, response)
                return self._result(original, current, response, body)
        except httpx.TimeoutException as exc:
            raise FetchError(current, f"timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(current, f"network error: {reason}") from exc

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        cap = self.settings.max_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(url, f"body of {int(declared)} bytes exceeds the {cap}-byte cap")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchError(url, f"body exceeds the {cap}-byte cap")
            chunks.append(chunk)
        return b"".join(chunks)

    def _result(
        self, original: str, final: str, response: httpx.Response, body: bytes | None
    ) -> FetchResult:
        headers = {k.lower(): v for k, v in response.headers.items()}
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

    async def _check_link(self, url: str, feed_url: str) -> None:
        refusal = link_refusal(url, feed_url)
        if refusal:
            raise AddressRefused(url, refusal)
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.hostname == urlsplit(feed_url).hostname or parse_host_address(host):
            return
        addresses = await _resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
        refusal = addresses_refusal(addresses)
        if refusal:
            raise AddressRefused(url, refusal)


async def _resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        try:
            found.append(ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0]))
        except ValueError:
            continue
    return found
