"""Badly behaved HTTP servers on loopback, for the hostile-source tests.

``HostileServer`` is a raw asyncio HTTP/1.1 server in its own thread, bound to any loopback
address (``127.0.0.2`` for the canary), optionally speaking TLS. Each path has a behaviour: a
canned answer, silence, one byte a second, an endless body, a gzip bomb. It counts every TCP
connection it accepts (before any byte is read), so a canary proves it was never reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gzip
import ipaddress
import ssl
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import pytest


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


@dataclass
class Stats:
    connections: int = 0  # TCP connections accepted
    tls_failures: int = 0  # of those, TLS handshakes that failed
    hits: list[Hit] = field(default_factory=list)  # requests read
    sent: int = 0  # body bytes written, all requests together


Handler = Callable[["Exchange"], Awaitable[None]]


@dataclass
class Exchange:
    """One request and the means to answer it."""

    server: HostileServer
    path: str
    headers: dict[str, str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def head(self, status: int, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status} X", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()

    async def body(self, data: bytes) -> None:
        self.writer.write(data)
        self.server.stats.sent += len(data)
        await self.writer.drain()


def answer(
    status: int = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    content_type: str = "text/html; charset=utf-8",
) -> Handler:
    """A plain response with a Content-Length."""

    async def handle(ex: Exchange) -> None:
        await ex.head(
            status,
            {"Content-Type": content_type, "Content-Length": str(len(body)), **(headers or {})},
        )
        await ex.body(body)

    return handle


def redirect(location: str, status: int = 302) -> Handler:
    return answer(status, b"", {"Location": location})


async def silent(ex: Exchange) -> None:
    """Accept the request and never say a word."""
    await ex.reader.read()  # until the client gives up and closes


def trickle(body: bytes, interval: float = 1.0) -> Handler:
    """The whole response, headers included, one byte every ``interval`` seconds."""

    async def handle(ex: Exchange) -> None:
        raw = (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/rss+xml\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        for i in range(len(raw)):
            ex.writer.write(raw[i : i + 1])
            ex.server.stats.sent += 1
            await ex.writer.drain()
            await asyncio.sleep(interval)

    return handle


def endless(total: int, *, chunked: bool, chunk: int = 64 * 1024) -> Handler:
    """``total`` zero bytes, announced by Content-Length or sent chunked, until the client
    hangs up. ``stats.sent`` tells how much of it was written."""
    block = b"\0" * chunk

    async def handle(ex: Exchange) -> None:
        framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(total)}
        await ex.head(200, {"Content-Type": "text/html", **framing})
        left = total
        while left > 0:
            piece = block[: min(chunk, left)]
            data = b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece
            await ex.body(data)
            left -= len(piece)
        if chunked:
            await ex.body(b"0\r\n\r\n")

    return handle


def gzip_bomb(decoded: int = 1 << 30, member: int = 64 << 20) -> tuple[bytes, Handler]:
    """A gzip body that inflates to ``decoded`` zero bytes (1 GiB in about 1 MB): identical
    gzip members of ``member`` bytes each, one after the other (RFC 1952 allows several)."""
    one = gzip.compress(b"\0" * member, compresslevel=9)
    body = one * (decoded // member)
    return body, answer(200, body, {"Content-Encoding": "gzip"}, "application/rss+xml")


# -- documents that hurt -----------------------------------------------------------------

RSS = "application/rss+xml; charset=utf-8"


def rss(items: str | bytes, title: str = "Hostile") -> bytes:
    body = items.encode() if isinstance(items, str) else items
    return (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>'
        + title.encode()
        + b"</title>"
        + body
        + b"</channel></rss>"
    )


def item(title: str, link: str | None = None, guid: str | None = None, extra: str = "") -> str:
    parts = [f"<title>{title}</title>"]
    if link is not None:
        parts.append(f"<link>{link}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{guid}</guid>')
    return "<item>" + "".join(parts) + extra + "</item>"


def billion_laughs() -> bytes:
    lol = b"lol" * 10
    decl = b"".join(
        b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1)) * 10 if i else lol) for i in range(10)
    )
    items = b"<item><title>x &a9;</title><link>/a</link></item>" * 50
    return (
        b'<?xml version="1.0"?><!DOCTYPE rss [' + decl + b']><rss version="2.0"><channel>'
        b"<title>t</title>" + items + b"</channel></rss>"
    )


def quadratic_blowup() -> bytes:
    entity = b"A" * 50_000
    title = b"&a;" * 100_000  # 5 GB if expanded
    return (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + entity + b'">]>'
        b'<rss version="2.0"><channel><title>t</title><item><title>' + title + b"</title>"
        b"<link>/q</link></item></channel></rss>"
    )


def deep_markup() -> bytes:
    nested = b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000
    return rss(
        b"<item><title>deep</title><description><![CDATA[" + nested + b"]]></description></item>"
    )


def flood(items: int = 10_000) -> bytes:
    filler = "word " * 180
    body = "".join(
        item(f"Item {i}", f"/flood/{i}", f"flood-{i}", f"<description>{filler}</description>")
        for i in range(items)
    )
    return rss(body)


def deep_page() -> bytes:
    lead = "<p>" + "A page whose markup goes on and on, deeper than any page needs. " * 8
    nested = "<div>" * 200_000 + "bottom" + "</div>" * 200_000
    return f"<html><body>{lead}</p>{nested}</body></html>".encode()


class HostileServer:
    """Serve ``routes`` (path -> Handler) on ``host``; unknown paths get 404. Use as a context
    manager. With ``tls``, connections are TLS (handshake failures are counted)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        routes: dict[str, Handler] | None = None,
        fallback: Handler | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.routes: dict[str, Handler] = dict(routes or {})
        self.fallback = fallback or answer(404, b"not found")
        self.tls = tls
        self.stats = Stats()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def paths(self) -> list[str]:
        return [hit.path for hit in self.stats.hits]

    def __enter__(self) -> Self:
        self._thread.start()
        self._ready.wait(5)
        if self._server is None:
            raise OSError(f"could not listen on {self.host}")
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._connected, self.host, 0)
            )
            self.port = int(self._server.sockets[0].getsockname()[1])
        except OSError:
            self._server = None
        self._ready.set()
        if self._server is not None:
            self._loop.run_forever()

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.stats.connections += 1
        try:
            if self.tls is not None:
                try:
                    await writer.start_tls(self.tls)
                except (ssl.SSLError, OSError):
                    self.stats.tls_failures += 1
                    return
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        path = request_line.split(" ")[1] if " " in request_line else "/"
        headers = {}
        for line in lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        self.stats.hits.append(Hit(path, headers))
        handler = self.routes.get(path.split("?", 1)[0], self.fallback)
        await handler(Exchange(self, path, headers, reader, writer))


def settle(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    """Wait for a server thread to catch up with what the client already saw."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def loopback_alias(host: str = "127.0.0.2") -> str:
    """``host`` if this machine can listen on it (Linux routes all of 127/8), else skip."""
    try:
        with HostileServer(host):
            return host
    except OSError:
        pytest.skip(f"cannot listen on {host} here")


@dataclass
class Certificate:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""

    ca_pem: Path
    cert_pem: Path
    key_pem: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_pem, self.key_pem)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_pem))


_KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def make_certificate(folder: Path) -> Certificate:
    """Needs ``cryptography`` (installed with the dev tools); skips without it."""
    pytest.importorskip("cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile test CA")])

    def build(subject: str, key: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            usage = dict.fromkeys(_KEY_USAGES, False) | {"key_cert_sign": True, "crl_sign": True}
            builder = builder.add_extension(x509.KeyUsage(**usage), critical=True)
        else:
            address = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
            builder = builder.add_extension(x509.SubjectAlternativeName([address]), critical=False)
        return builder.sign(ca_key, hashes.SHA256())

    ca = build("hostile test CA", ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = build("127.0.0.1", key, False)
    paths = Certificate(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    paths.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def run_cycles(spec_path: Path) -> dict[str, object]:
    """In a child process (``python -m tests.hostile SPEC``): sync the feeds of the JSON spec,
    run two cycles (the second an hour later) and report peak memory and time.

    The spec: ``{"db": path, "feeds": [[name, url], ...], "fetch": {...}, "interval": s}``.
    """
    import json
    import resource
    import time
    from datetime import UTC, datetime, timedelta

    from monitor.alert import Notifier
    from monitor.config import AlertSettings, FetchSettings, PollingSettings, Settings
    from monitor.match import load_watchlist
    from monitor.models import FeedSource
    from monitor.refresh import run_cycle
    from monitor.store import open_db
    from monitor.store.feeds import sync_feeds

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    interval = float(spec["interval"])
    settings = Settings(
        source=None,
        storage_path=Path(spec["db"]),
        polling=PollingSettings(interval=interval),
        fetch=FetchSettings(**spec["fetch"]),
        alerts=AlertSettings(corroboration=0),
        feeds=tuple(FeedSource(name, url, interval) for name, url in spec["feeds"]),
    )
    watchlist = load_watchlist(None)
    db = open_db(settings.storage_path)
    start = datetime.now(UTC)
    sync_feeds(db, settings.feeds, start)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seconds = []
    for offset in (0, 3600):
        now = start + timedelta(seconds=offset)
        began = time.monotonic()
        asyncio.run(
            run_cycle(
                db,
                settings,
                watchlist=watchlist,
                notifier=Notifier([]),
                clock=lambda now=now: now,
                only_due=False,
            )
        )
        seconds.append(time.monotonic() - began)
    db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "start": start.isoformat(),
        "baseline_kib": baseline,
        "peak_kib": peak,
        "seconds": seconds,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run_cycles(Path(sys.argv[1]))))
