"""A feed farm on loopback for benchmarks: N feeds of M items, every item linking to its own
article page, served from H loopback addresses (127.0.0.1, 127.0.0.2, ...), one threaded HTTP
server per address, each feed and its pages on the same address.

Every response (feed, page, 304, 404) waits ``latency`` seconds before it is written, as a
distant server would. Every resource has an ETag and answers ``If-None-Match`` with 304. The
farm counts what it answers (requests by kind and status, bytes on the wire including the
status line and headers, the most requests in flight at once overall and on one address, when
the first request arrived and the last response left) between two ``reset()`` calls.

Item j of feed i serves ``pages[(i * M + j) % len(pages)]`` under its own URL, followed by a
comment naming the item (``<!-- item i-j -->``): no two items have the same bytes (or ETag), so
a client cannot skip work by recognising a body it has seen, yet every copy extracts the same.
The page bytes are shared and the comment added as the response is written, so a thousand items
cost the memory of the distinct pages only.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, formatdate
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

FEED_TYPE = "application/rss+xml; charset=utf-8"
PAGE_TYPE = "text/html"  # no charset: the pages declare their own, as real ones do


@dataclass(frozen=True, slots=True)
class SourcePage:
    """One real article page and what a feed item about it says."""

    body: bytes
    title: str
    summary: str


@dataclass(frozen=True, slots=True)
class _Body:
    data: bytes
    content_type: str
    etag: str
    kind: str  # "feed" or "page"


@dataclass(frozen=True, slots=True)
class _Resource:
    body: _Body
    suffix: bytes  # written after the body: what makes this item's bytes its own
    etag: str


@dataclass
class Traffic:
    """What the farm answered between two resets. Times are seconds since the reset."""

    requests: int = 0
    feeds: int = 0
    pages: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    bytes_sent: int = 0
    peak_in_flight: int = 0
    peak_per_host: int = 0
    first_arrival: float | None = None
    last_departure: float | None = None
    busy_seconds: float = 0.0  # summed time requests spent in the server (latency included)

    @property
    def not_modified(self) -> int:
        return self.statuses[304]


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha1(data).hexdigest()[:20] + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return "*" in tags or etag in tags or f"W/{etag}" in tags


class Farm:
    """N feeds x M items on ``hosts`` loopback addresses. Use as a context manager."""

    def __init__(
        self,
        pages: Sequence[SourcePage],
        *,
        feeds: int,
        items: int,
        hosts: int,
        latency: float,
    ) -> None:
        if not pages:
            raise ValueError("the farm needs at least one page")
        if feeds < 1 or items < 0 or hosts < 1:
            raise ValueError("feeds and hosts must be positive, items not negative")
        self.latency = latency
        self.feeds = feeds
        self.items = items
        self.hosts = min(hosts, feeds)
        self._pages = [
            _Body(page.body, PAGE_TYPE, _etag(page.body), "page") for page in pages
        ]  # one ETag per distinct body, computed once
        self._lock = threading.Lock()
        self._in_flight = 0
        self._host_in_flight = [0] * self.hosts
        self._t0 = time.monotonic()
        self._traffic = Traffic()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        self._resources: list[dict[str, _Resource]] = [{} for _ in range(self.hosts)]
        first = ipaddress.IPv4Address("127.0.0.1")
        for host in range(self.hosts):
            address = first + host
            if not address.is_loopback:
                raise ValueError(f"{address} is not a loopback address: use fewer hosts")
            server = _Server((str(address), 0), _handler(self, host))
            self._servers.append(server)
        self.addresses = [self._base(host) for host in range(self.hosts)]
        self.feed_urls: list[str] = []
        self.item_urls: list[list[str]] = []
        self._feed_bodies: list[bytes] = []
        published = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
        for i in range(feeds):
            host = i % self.hosts
            base = self.addresses[host]
            feed_path = f"/feeds/f{i:04d}.xml"
            item_paths = [f"/news/f{i:04d}/item-{j:03d}.html" for j in range(items)]
            urls = [base + path for path in item_paths]
            for j, path in enumerate(item_paths):
                page = self._pages[self.page_index(i, j)]
                suffix = self._suffix(i, j)
                self._resources[host][path] = _Resource(
                    page, suffix, _etag(page.etag.encode() + suffix)
                )
            body = self._feed_xml(
                i, base, urls, [pages[self.page_index(i, j)] for j in range(items)], published
            )
            feed_body = _Body(body, FEED_TYPE, _etag(body), "feed")
            self._resources[host][feed_path] = _Resource(feed_body, b"", feed_body.etag)
            self.feed_urls.append(base + feed_path)
            self.item_urls.append(urls)
            self._feed_bodies.append(body)

    def page_index(self, feed: int, item: int) -> int:
        """Which of the distinct pages item ``item`` of feed ``feed`` serves."""
        return (feed * self.items + item) % len(self._pages)

    def feed_body(self, feed: int) -> bytes:
        return self._feed_bodies[feed]

    def page_body(self, feed: int, item: int) -> bytes:
        """The bytes the farm serves for item ``item`` of feed ``feed`` (a new copy)."""
        return self._pages[self.page_index(feed, item)].data + self._suffix(feed, item)

    @staticmethod
    def _suffix(feed: int, item: int) -> bytes:
        return f"\n<!-- item {feed}-{item} -->\n".encode("ascii")

    @property
    def distinct_pages(self) -> int:
        return len(self._pages)

    def _base(self, host: int) -> str:
        address, port = self._servers[host].server_address[:2]
        return f"http://{address!s}:{port}"

    def _feed_xml(
        self,
        feed: int,
        base: str,
        urls: list[str],
        pages: list[SourcePage],
        published: datetime,
    ) -> bytes:
        lines = [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<rss version="2.0"><channel>',
            f"<title>Farm feed {feed:04d}</title>",
            f"<link>{base}/</link>",
            f"<description>Benchmark feed {feed} of {self.feeds}</description>",
            "<language>en</language>",
        ]
        for j, (url, page) in enumerate(zip(urls, pages, strict=True)):
            when = format_datetime(published - timedelta(minutes=feed + j), usegmt=True)
            lines += [
                "<item>",
                f"<title>{escape(page.title or f'Article {feed}-{j}')}</title>",
                f"<link>{escape(url)}</link>",
                f'<guid isPermaLink="true">{escape(url)}</guid>',
                f"<pubDate>{when}</pubDate>",
                f"<description>{escape(page.summary)}</description>",
                "</item>",
            ]
        lines.append("</channel></rss>")
        return ("\n".join(lines) + "\n").encode("utf-8")

    def __enter__(self) -> Self:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.reset()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def reset(self) -> Traffic:
        """The traffic since the last reset; counting starts again from zero now."""
        with self._lock:
            done = self._snapshot()
            self._traffic = Traffic()
            self._t0 = time.monotonic()
        return done

    def traffic(self) -> Traffic:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> Traffic:
        return replace(self._traffic, statuses=Counter(self._traffic.statuses))

    def _arrive(self, host: int) -> float:
        now = time.monotonic()
        with self._lock:
            self._in_flight += 1
            self._host_in_flight[host] += 1
            t = self._traffic
            t.peak_in_flight = max(t.peak_in_flight, self._in_flight)
            t.peak_per_host = max(t.peak_per_host, self._host_in_flight[host])
            if t.first_arrival is None:
                t.first_arrival = now - self._t0
        return now

    def _leave(self, host: int, arrived: float, kind: str, status: int, sent: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._in_flight -= 1
            self._host_in_flight[host] -= 1
            t = self._traffic
            t.requests += 1
            t.feeds += kind == "feed"
            t.pages += kind == "page"
            t.statuses[status] += 1
            t.bytes_sent += sent
            t.busy_seconds += now - arrived
            t.last_departure = now - self._t0

    def answer(self, handler: BaseHTTPRequestHandler, host: int) -> None:
        arrived = self._arrive(host)
        kind, status, sent = "other", 500, 0
        try:
            path = handler.path.split("?", 1)[0].split("#", 1)[0]
            resource = self._resources[host].get(path)
            if self.latency > 0:
                time.sleep(self.latency)
            headers = [f"Date: {formatdate(usegmt=True)}", "Server: farm"]
            if resource is None:
                status, body = 404, b"not found"
                headers += ["Content-Type: text/plain", f"Content-Length: {len(body)}"]
            else:
                kind = resource.body.kind
                headers += [f"ETag: {resource.etag}", "Cache-Control: no-cache"]
                if _matches(handler.headers.get("If-None-Match"), resource.etag):
                    status, body = 304, b""
                else:
                    status = 200
                    body = resource.body.data + resource.suffix
                    headers += [
                        f"Content-Type: {resource.body.content_type}",
                        f"Content-Length: {len(body)}",
                    ]
            phrase = HTTPStatus(status).phrase
            head = f"HTTP/1.1 {status} {phrase}\r\n" + "".join(h + "\r\n" for h in headers)
            raw = head.encode("latin-1") + b"\r\n" + body  # one write: no Nagle stall
            handler.wfile.write(raw)
            sent = len(raw)
        finally:
            self._leave(host, arrived, kind, status, sent)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # a burst of connections must not meet a full accept queue


def _handler(farm: Farm, host: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            try:
                farm.answer(self, host)
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client went away

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionError, TimeoutError):
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler
