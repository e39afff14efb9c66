"""The fetcher against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime

import pytest

from monitor.config import FetchSettings
from monitor.errors import AddressRefused, FetchError, RateLimited
from monitor.fetch import Fetcher, parse_retry_after
from monitor.localsite import LocalSite, Resource
from monitor.models import FetchResult


def fetch(url: str, settings: FetchSettings | None = None, **kwargs: object) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(settings or FetchSettings(timeout=5)) as fetcher:
            return await fetcher.fetch(url, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_conditional_get_sends_etag_and_gets_not_modified(site: LocalSite) -> None:
    site.resources["/feed.xml"] = Resource(b"<rss/>", "application/rss+xml")
    first = fetch(site.url("/feed.xml"))
    assert first.status == 200 and first.body == b"<rss/>" and first.etag
    second = fetch(site.url("/feed.xml"), etag=first.etag)
    assert second.status == 304 and second.body is None
    assert site.requests_for("/feed.xml")[1].headers["if-none-match"] == first.etag


def test_user_agent_and_gzip(site: LocalSite) -> None:
    payload = b"<rss>" + b"x" * 5000 + b"</rss>"
    site.resources["/z"] = Resource(
        gzip.compress(payload), "application/rss+xml", headers={"Content-Encoding": "gzip"}
    )
    result = fetch(site.url("/z"))
    assert result.body == payload
    assert site.requests_for("/z")[0].headers["user-agent"].startswith("news-monitor/")


def test_body_over_the_cap_is_refused(site: LocalSite) -> None:
    site.resources["/big"] = Resource(b"x" * 50_000, "text/plain")
    with pytest.raises(FetchError, match="cap"):
        fetch(site.url("/big"), FetchSettings(max_bytes=10_000))


def test_decoded_size_counts_for_the_cap(site: LocalSite) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    site.resources["/bomb"] = Resource(bomb, "text/xml", headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 10_000
    with pytest.raises(FetchError, match="cap"):
        fetch(site.url("/bomb"), FetchSettings(max_bytes=1_000_000))


def test_total_deadline(site: LocalSite) -> None:
    site.resources["/slow"] = Resource(b"late", delay=2.0)
    with pytest.raises(FetchError, match="timed out"):
        fetch(site.url("/slow"), FetchSettings(timeout=0.5))


def test_http_errors_and_rate_limits(site: LocalSite) -> None:
    site.resources["/500"] = Resource(b"oops", status=500)
    site.resources["/429"] = Resource(b"slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError, match="HTTP 500") as err:
        fetch(site.url("/500"))
    assert err.value.status == 500
    with pytest.raises(RateLimited) as limited:
        fetch(site.url("/429"))
    assert limited.value.retry_after == 120


def test_redirects_are_followed_up_to_the_limit(site: LocalSite) -> None:
    site.resources["/r0"] = Resource(b"", status=301, headers={"Location": "/r1"})
    site.resources["/r1"] = Resource(b"", status=302, headers={"Location": "/final"})
    site.resources["/final"] = Resource(b"arrived")
    result = fetch(site.url("/r0"))
    assert result.body == b"arrived" and result.final_url == site.url("/final")
    site.resources["/loop"] = Resource(b"", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="redirects"):
        fetch(site.url("/loop"))


def test_article_link_redirect_to_a_private_address_is_refused(site: LocalSite) -> None:
    site.resources["/go"] = Resource(
        b"", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}
    )
    with pytest.raises(AddressRefused, match="not public"):
        fetch(site.url("/go"), on_behalf_of=site.url("/feed.xml"))
    assert [r.path for r in site.requests] == ["/go"]  # nothing sent anywhere else


def test_article_link_with_a_bad_scheme_is_refused_before_any_request(site: LocalSite) -> None:
    with pytest.raises(AddressRefused):
        fetch("file:///etc/passwd", on_behalf_of=site.url("/feed.xml"))
    assert site.requests == []


def test_connection_refused_is_a_fetch_error() -> None:
    with LocalSite() as closed:
        url = closed.url("/gone")
    with pytest.raises(FetchError, match="network error"):
        fetch(url)


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Wed, 25 Nov 2026 12:05:00 GMT", now) == 300
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
