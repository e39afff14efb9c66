"""The fetcher against servers that misbehave on purpose, all on loopback (tests/hostile.py).

Every forbidden address outside loopback is checked as a decision only (policy and guard units
below, with a connector that fails the test if it is ever asked to connect); end to end, a canary
listener on 127.0.0.2 must count zero connections.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpcore
import pytest

from monitor.config import FetchSettings
from monitor.errors import AddressRefused, FetchError, RateLimited
from monitor.fetch import Fetcher
from monitor.guard import ConnectRefused, GuardedBackend, connect_policy
from monitor.models import FetchResult
from monitor.policy import (
    IPAddress,
    addresses_refusal,
    is_public_address,
    link_refusal,
    parse_host_address,
    redirect_refusal,
)
from tests.hostile import (
    HostileServer,
    answer,
    endless,
    gzip_bomb,
    loopback_alias,
    make_certificate,
    redirect,
    settle,
    silent,
    trickle,
)

MiB = 1024 * 1024
SETTINGS = FetchSettings(timeout=1.5, max_bytes=MiB, max_redirects=5)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def fetch(url: str, settings: FetchSettings = SETTINGS, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings, **_fetcher_options(kwargs)) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def _fetcher_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs.pop(k) for k in ("resolve", "ssl_context", "clock") if k in kwargs}


def peak_of(call: Any) -> tuple[Any, int]:
    """(what ``call()`` returned or raised, the peak of Python memory it allocated)."""
    tracemalloc.start()
    try:
        try:
            outcome: Any = call()
        except Exception as exc:
            outcome = exc
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def canary() -> Iterator[HostileServer]:
    """A listener on another loopback address that nothing may ever reach."""
    with HostileServer(loopback_alias("127.0.0.2"), fallback=answer(200, b"canary")) as server:
        yield server


# -- slow and silent servers: the total deadline ---------------------------------------------


def test_a_server_that_never_answers_is_cut_off_by_the_deadline() -> None:
    with HostileServer(routes={"/feed": silent}) as server:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            fetch(server.url("/feed"))
        assert time.monotonic() - started < SETTINGS.timeout + 1.0
        assert server.stats.connections == 1


def test_one_byte_a_second_is_cut_off_by_the_total_deadline() -> None:
    # Each byte comes well within httpx's own read timeout: only a total deadline stops it.
    with HostileServer(routes={"/feed": trickle(b"<rss/>" * 100, interval=1.0)}) as server:
        started = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            fetch(server.url("/feed"))
        assert time.monotonic() - started < SETTINGS.timeout + 1.0
        assert server.stats.sent <= 3


def test_a_silent_host_does_not_hold_up_requests_to_other_hosts() -> None:
    # Five requests to a host that never answers, one to a good host, three slots overall and
    # two per host: the good request must not queue behind the silent host's third request.
    with (
        HostileServer(routes={"/feed": silent}) as stuck,
        HostileServer(routes={"/feed": answer(200, b"<rss/>")}) as good,
    ):

        async def go() -> float:
            async with Fetcher(SETTINGS, concurrency=3, per_host=2) as fetcher:
                hung = [asyncio.create_task(fetcher.fetch(stuck.url("/feed"))) for _ in range(5)]
                await asyncio.sleep(0.2)  # the silent host's requests are all waiting by now
                started = time.monotonic()
                result = await fetcher.fetch(good.url("/feed"))
                took = time.monotonic() - started
                assert result.body == b"<rss/>"
                for task in hung:
                    task.cancel()
                await asyncio.gather(*hung, return_exceptions=True)
                return took

        assert asyncio.run(go()) < 0.5
        assert stuck.stats.connections == 2  # never more than per_host at once


# -- bodies too big to hold: capped while streaming, memory bounded ---------------------------


def test_gzip_bomb_is_stopped_at_the_cap_with_bounded_memory() -> None:
    body, handler = gzip_bomb()  # 1 GiB of zeros in about 1 MB
    assert len(body) < 2 * MiB
    with HostileServer(routes={"/bomb": handler}) as server:
        outcome, peak = peak_of(lambda: fetch(server.url("/bomb")))
    assert isinstance(outcome, FetchError) and "cap" in outcome.reason
    # httpx's decoder alone inflates one 64 KiB network read to 64 MiB; ours stops at the cap.
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_multi_member_gzip_is_decoded_whole() -> None:
    import gzip

    body = gzip.compress(b"<rss>one") + gzip.compress(b" two</rss>")
    routes = {"/z": answer(200, body, {"Content-Encoding": "gzip"}, "application/rss+xml")}
    with HostileServer(routes=routes) as server:
        assert fetch(server.url("/z")).body == b"<rss>one two</rss>"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_100_mb_body_is_refused_without_reading_it(chunked: bool) -> None:
    with HostileServer(routes={"/big": endless(100 * MiB, chunked=chunked)}) as server:
        outcome, peak = peak_of(lambda: fetch(server.url("/big")))
        sent = server.stats.sent
    assert isinstance(outcome, FetchError)
    assert "cap" in outcome.reason
    assert sent < 20 * MiB  # the client hung up long before the end
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_unknown_content_encoding_is_an_error_not_garbage() -> None:
    routes = {"/br": answer(200, b"\x1b\x03", {"Content-Encoding": "br"})}
    with HostileServer(routes=routes) as server:
        with pytest.raises(FetchError, match="Content-Encoding"):
            fetch(server.url("/br"))
        assert server.stats.hits[0].headers["accept-encoding"] == "gzip, deflate"


# -- redirects ---------------------------------------------------------------------------------


def test_redirect_loop_and_long_chain_stop_at_the_limit() -> None:
    routes = {"/a": redirect("/b"), "/b": redirect("/a")}
    routes |= {f"/r{i}": redirect(f"/r{i + 1}", 301) for i in range(30)}
    with HostileServer(routes=routes) as server:
        with pytest.raises(FetchError, match="more than 5 redirects"):
            fetch(server.url("/a"))
        assert len(server.stats.hits) == SETTINGS.max_redirects + 1
        with pytest.raises(FetchError, match="more than 5 redirects"):
            fetch(server.url("/r0"))
        assert len(server.stats.hits) == 2 * (SETTINGS.max_redirects + 1)


def test_301_reports_the_new_address_302_does_not() -> None:
    routes = {
        "/moved": redirect("/new", 301),
        "/perm308": redirect("/new", 308),
        "/temp": redirect("/new", 302),
        "/moved-then-temp": redirect("/temp", 301),
        "/temp-then-moved": redirect("/moved", 302),
        "/new": answer(200, b"<rss/>"),
    }
    with HostileServer(routes=routes) as server:
        assert fetch(server.url("/moved")).moved_to == server.url("/new")
        assert fetch(server.url("/perm308")).moved_to == server.url("/new")
        assert fetch(server.url("/temp")).moved_to is None
        assert fetch(server.url("/moved-then-temp")).moved_to == server.url("/temp")
        assert fetch(server.url("/temp-then-moved")).moved_to is None
        assert fetch(server.url("/new")).moved_to is None


def test_https_to_http_downgrade_is_refused(tmp_path: Path) -> None:
    cert = make_certificate(tmp_path)
    with HostileServer(fallback=answer(200, b"<rss/>")) as plain:
        routes = {"/feed": redirect(plain.url("/feed"), 301), "/ok": answer(200, b"<rss/>")}
        with HostileServer(routes=routes, tls=cert.server_context()) as secure:
            context = cert.client_context()
            assert fetch(secure.url("/ok"), ssl_context=context).body == b"<rss/>"  # TLS works
            with pytest.raises(AddressRefused, match="downgrade"):
                fetch(secure.url("/feed"), ssl_context=context)
        assert plain.stats.connections == 0


def test_tls_errors_are_never_retried_without_verification(tmp_path: Path) -> None:
    cert = make_certificate(tmp_path)  # signed by a CA nobody trusts
    with HostileServer(fallback=answer(200, b"<rss/>"), tls=cert.server_context()) as server:
        for attempt in (1, 2):
            with pytest.raises(FetchError, match=r"TLS error.*CERTIFICATE_VERIFY_FAILED"):
                fetch(server.url("/feed"))
            assert settle(lambda n=attempt: server.stats.tls_failures == n)
            assert server.stats.connections == attempt  # one handshake per fetch, no second try
        assert server.stats.hits == []  # no request was ever sent over an unverified channel


# -- rate limits: Retry-After per server --------------------------------------------------------


def test_retry_after_holds_the_whole_server_for_the_rest_of_the_cycle() -> None:
    routes = {
        "/a": answer(429, b"slow down", {"Retry-After": "120"}),
        "/when": answer(503, b"later", {"Retry-After": "Wed, 25 Nov 2026 12:05:00 GMT"}),
        "/b": answer(200, b"<rss/>"),
    }
    with HostileServer(routes=routes) as busy, HostileServer(routes=routes) as other:

        async def go() -> list[object]:
            async with Fetcher(SETTINGS, clock=lambda: NOW) as fetcher:
                outcomes: list[object] = []
                for url in (busy.url("/a"), busy.url("/b"), other.url("/b"), other.url("/when")):
                    try:
                        outcomes.append(await fetcher.fetch(url))
                    except RateLimited as exc:
                        outcomes.append(exc)
                return outcomes

        first, held, elsewhere, dated = asyncio.run(go())
        assert isinstance(first, RateLimited) and first.retry_after == 120
        assert isinstance(held, RateLimited) and held.retry_after == 120
        assert busy.paths() == ["/a"]  # /b was not even asked for
        assert isinstance(elsewhere, FetchResult) and elsewhere.status == 200
        assert isinstance(dated, RateLimited) and dated.status == 503
        assert dated.retry_after == 300  # HTTP-date form, five minutes after NOW


# -- addresses: the canary end to end, the rest as decisions -----------------------------------


def forms_of(address: str, port: int) -> list[str]:
    """Spellings of one IPv4 address in a URL that resolvers and browsers accept."""
    value = int(ipaddress.IPv4Address(address))
    mapped = ipaddress.IPv6Address((0xFFFF << 32) | value)
    return [
        f"http://{address}:{port}/x",
        f"http://{value}:{port}/x",  # decimal
        f"http://{hex(value)}:{port}/x",  # hex
        f"http://{'.'.join(f'0{int(p):o}' for p in address.split('.'))}:{port}/x",  # octal
        f"http://[{mapped}]:{port}/x",  # IPv4-mapped IPv6
        f"http://[::ffff:{address}]:{port}/x",
    ]


def test_redirects_and_links_never_reach_the_canary(canary: HostileServer) -> None:
    targets = [*forms_of(canary.host, canary.port), f"http://[::1]:{canary.port}/x"]
    routes = {f"/go{i}": redirect(t) for i, t in enumerate(targets)}
    routes["/page"] = answer(200, b"<p>own page</p>")
    with HostileServer(routes=routes) as feed_server:
        feed = feed_server.url("/feed.xml")
        for i, target in enumerate(targets):
            with pytest.raises(AddressRefused):  # an article link in the feed
                fetch(target, on_behalf_of=feed)
            # httpx itself rejects some spellings in a Location header (octal): refused too.
            with pytest.raises(FetchError):  # a redirect from the feed URL itself
                fetch(feed_server.url(f"/go{i}"))
            with pytest.raises(FetchError):  # an article link that redirects
                fetch(feed_server.url(f"/go{i}"), on_behalf_of=feed)
        # The feed's own server stays reachable, so the refusals above are the policy's doing.
        assert fetch(feed_server.url("/page"), on_behalf_of=feed).status == 200
    assert canary.stats.connections == 0


def test_another_port_of_the_feeds_own_loopback_host_is_refused() -> None:
    with HostileServer(fallback=answer(200, b"secret")) as other_service:
        with HostileServer(routes={"/go": redirect(other_service.url("/admin"))}) as feed_server:
            feed = feed_server.url("/feed.xml")
            with pytest.raises(AddressRefused):
                fetch(other_service.url("/admin"), on_behalf_of=feed)
            with pytest.raises(AddressRefused):
                fetch(feed_server.url("/go"))
            with pytest.raises(AddressRefused):
                fetch(f"http://localhost:{other_service.port}/admin", on_behalf_of=feed)
        assert other_service.stats.connections == 0


class Resolver:
    """A name resolver for tests: each name answers from a list, one answer per lookup."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.lookups.append(host)
        queue = self.answers.get(host, [[]])
        chosen = queue.pop(0) if len(queue) > 1 else queue[0]
        return [ipaddress.ip_address(a) for a in chosen]


def test_a_name_that_resolves_to_a_private_address_is_refused(canary: HostileServer) -> None:
    resolve = Resolver({"news.example": [[canary.host]]})
    with HostileServer(routes={"/go": redirect(f"http://news.example:{canary.port}/x")}) as feed:
        with pytest.raises(AddressRefused, match="non-public"):
            fetch(
                f"http://news.example:{canary.port}/x",
                on_behalf_of=feed.url("/feed.xml"),
                resolve=resolve,
            )
        with pytest.raises(AddressRefused, match="non-public"):
            fetch(feed.url("/go"), resolve=resolve)
    assert canary.stats.connections == 0


def test_the_address_connected_to_is_checked_not_only_the_name(canary: HostileServer) -> None:
    # DNS rebinding: public for the check before the request, the canary a moment later.
    # The public answer is never connected to: the second lookup is the one that is used.
    resolve = Resolver({"news.example": [["93.184.216.34"], [canary.host]]})
    with pytest.raises(AddressRefused, match=f"non-public address {canary.host}"):
        fetch(
            f"http://news.example:{canary.port}/x",
            on_behalf_of="http://feeds.example.org/rss",
            resolve=resolve,
        )
    assert resolve.lookups == ["news.example", "news.example"]
    assert canary.stats.connections == 0


def test_a_configured_feed_may_live_on_a_private_name() -> None:
    # The user's own feed URL is trusted; the fetcher connects to the address it resolved.
    with HostileServer(fallback=answer(200, b"<rss/>")) as intranet:
        resolve = Resolver({"intranet.example": [[intranet.host]]})
        result = fetch(f"http://intranet.example:{intranet.port}/feed", resolve=resolve)
        assert result.body == b"<rss/>"
        assert intranet.stats.hits[0].headers["host"] == f"intranet.example:{intranet.port}"


class NoConnect(httpcore.AsyncNetworkBackend):
    """Fails the test if anything tries to open a connection."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.attempts.append(host)
        raise AssertionError(f"tried to connect to {host}:{port}")


FORBIDDEN = [
    "169.254.169.254",
    "10.0.0.1",
    "10.255.255.254",
    "172.16.5.4",
    "192.168.0.1",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "127.0.0.1",
    "224.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:c0a8:1::1",  # 6to4 of 192.168.0.1
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_the_guard_refuses_forbidden_addresses_without_connecting(address: str) -> None:
    never = NoConnect()

    async def go() -> None:
        backend = GuardedBackend(Resolver({"evil.example": [[address]]}))
        backend._inner = never  # type: ignore[assignment]
        with connect_policy(addresses_refusal):
            await backend.connect_tcp("evil.example", 80, timeout=1)

    with pytest.raises(ConnectRefused, match="non-public"):
        asyncio.run(go())
    assert never.attempts == []
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "2852039166",  # decimal 169.254.169.254
        "0xa9fea9fe",  # hex
        "0xA9.0xFE.0xA9.0xFE",
        "0251.0376.0251.0376",  # octal
        "169.254.43518",  # inet_aton's a.b.c form
        "167772161",  # decimal 10.0.0.1
        "012.0.0.1",  # octal 10.0.0.1
        "[::ffff:a9fe:a9fe]",
        "[64:ff9b::169.254.169.254]",
        "[2002:a9fe:a9fe::]",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
    ],
)
def test_literal_forms_of_forbidden_addresses_are_refused_as_links(host: str) -> None:
    link = f"http://{host}/latest/meta-data/"
    assert parse_host_address(host) is not None
    assert link_refusal(link, "https://feeds.example.org/rss") is not None


def test_a_public_name_is_allowed_by_the_guard_and_connected_by_address() -> None:
    class Recorder(NoConnect):
        async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            self.attempts.append(host)
            raise httpcore.ConnectError("recorded, not connected")

    recorder = Recorder()

    async def go() -> None:
        backend = GuardedBackend(Resolver({"news.example": [["93.184.216.34"]]}))
        backend._inner = recorder  # type: ignore[assignment]
        with connect_policy(addresses_refusal):
            await backend.connect_tcp("news.example", 80, timeout=1)

    with pytest.raises(httpcore.ConnectError):
        asyncio.run(go())
    assert recorder.attempts == ["93.184.216.34"]  # the checked address, never the name again


@pytest.mark.parametrize(
    ("current", "target", "refused"),
    [
        ("https://a.example/feed", "http://a.example/feed", True),
        ("https://a.example/feed", "https://b.example/feed", False),
        ("http://a.example/feed", "https://a.example/feed", False),
        ("http://a.example/feed", "file:///etc/passwd", True),
        ("http://a.example/feed", "javascript:alert(1)", True),
    ],
)
def test_redirect_policy(current: str, target: str, refused: bool) -> None:
    assert (redirect_refusal(current, target) is not None) is refused
