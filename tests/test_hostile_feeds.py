"""Hostile feeds through the whole pipeline: run_cycle against misbehaving servers on loopback.

One cycle polls a well-behaved demo feed beside every kind of bad one, in a child process so
its peak memory can be measured: the good feed is stored as usual, each bad one records its
error with backoff, nothing crashes, memory stays bounded and the canary on 127.0.0.2 (and
another port of 127.0.0.1) is never reached. The polling behaviours that need several polls
(GUID churn, moves, 304, Retry-After) run in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.config import AlertSettings, FetchSettings, PollingSettings, Settings
from monitor.localsite import LocalSite, Resource
from monitor.match import Watchlist, load_watchlist
from monitor.models import FeedSource
from monitor.refresh import CycleReport, run_cycle
from monitor.store import open_db
from monitor.store.feeds import ADOPT_MOVE_AFTER, sync_feeds
from tests.hostile import (
    RSS,
    HostileServer,
    answer,
    billion_laughs,
    deep_markup,
    deep_page,
    endless,
    flood,
    gzip_bomb,
    item,
    loopback_alias,
    make_certificate,
    quadratic_blowup,
    redirect,
    rss,
    silent,
    trickle,
)

from .conftest import ROOT

MiB = 1024 * 1024
INTERVAL = 60.0
TIMEOUT = 1.5


@pytest.fixture
def canaries() -> Iterator[tuple[HostileServer, HostileServer]]:
    """One listener on 127.0.0.2, one on another port of 127.0.0.1: both must stay at zero."""
    other = loopback_alias("127.0.0.2")
    with (
        HostileServer(other, fallback=answer(200, b"canary")) as far,
        HostileServer(fallback=answer(200, b"canary")) as near,
    ):
        yield far, near


def hostile_routes(far: HostileServer, near: HostileServer) -> dict[str, Any]:
    chain = {f"/chain{i}": redirect(f"/chain{i + 1}", 301) for i in range(30)}
    links = [
        item("javascript link", "javascript:alert(document.cookie)", "l1"),
        item("data link", "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;", "l2"),
        item("file link", "file:///etc/passwd", "l3"),
        item("relative link", "/pages/relative.html", "l4"),
        item("canary literal", f"http://{far.host}:{far.port}/a", "l5"),
        item("canary decimal", f"http://2130706434:{far.port}/b", "l6"),
        item("canary hex", f"http://0x7f000002:{far.port}/c", "l7"),
        item("canary mapped", f"http://[::ffff:{far.host}]:{far.port}/d", "l8"),
        item("canary via redirect", "/go-far", "l9"),
        item("other port by name", f"http://localhost:{near.port}/e", "l10"),
        item("other port literal", f"http://127.0.0.1:{near.port}/f", "l11"),
        item("other port via redirect", "/go-near", "l12"),
    ]
    dated = "<pubDate>{}</pubDate>".format
    dates = [
        item("from 2099", "/pages/d.html?d=2099", "d1", dated("Thu, 01 Jan 2099 00:00:00 GMT")),
        item("from 1970", "/pages/d.html?d=1970", "d2", dated("Thu, 01 Jan 1970 00:00:00 GMT")),
        item("no date", "/pages/d.html?d=none", "d3"),
        item("dated", "/pages/d.html?d=ok", "d4", dated("Mon, 02 Mar 2020 10:00:00 GMT")),
    ]
    guids = [
        item("first of a pair", "/pages/relative.html?g=1", "same"),
        item("second of a pair", "/pages/relative.html?g=2", "same"),
        item("no guid, a link", "/pages/relative.html?g=3"),
        item("no guid, another link", "/pages/relative.html?g=4"),
        item("no guid, no link"),
    ]
    broken = (
        "<item><title>Գորիս ".encode()
        + b"\xff\x00 shelling</title><link>/pages/relative.html?b=1</link>"
        + b"<description>NUL\x00inside, then \xfe</description></item>"
    )
    _, bomb = gzip_bomb()
    page = "<html><body><article><h1>Relative</h1>" + "<p>A relative page. </p>" * 30
    return {
        "/silent": silent,
        "/trickle": trickle(rss(item("slow", "/s")), interval=1.0),
        "/bomb": bomb,
        "/huge-length": endless(100 * MiB, chunked=False),
        "/huge-chunked": endless(100 * MiB, chunked=True),
        "/loop-a": redirect("/loop-b"),
        "/loop-b": redirect("/loop-a"),
        **chain,
        "/to-far": redirect(far.url("/feed")),
        "/to-near": redirect(near.url("/feed"), 301),
        "/go-far": redirect(far.url("/page")),
        "/go-near": redirect(near.url("/page")),
        "/laughs": answer(200, billion_laughs(), content_type=RSS),
        "/quadratic": answer(200, quadratic_blowup(), content_type=RSS),
        "/deep": answer(200, deep_markup(), content_type=RSS),
        "/links": answer(200, rss("".join(links)), content_type=RSS),
        "/dates": answer(200, rss("".join(dates)), content_type=RSS),
        "/guids": answer(200, rss("".join(guids)), content_type=RSS),
        "/broken": answer(200, rss(broken), content_type=RSS),
        "/wrong-charset": answer(
            200,
            rss(item("Ереван и Горис", "/pages/relative.html?c=1", "c1")).replace(
                b'encoding="utf-8"', b'encoding="windows-1251"'
            ),
            content_type="application/rss+xml; charset=windows-1251",
        ),
        "/big-pages": answer(
            200,
            rss(
                item("twenty megabytes", "/page-20mb", "p1")
                + item("twenty megabytes, chunked", "/page-20mb-chunked", "p2")
                + item("two hundred thousand levels", "/page-deep", "p3")
            ),
            content_type=RSS,
        ),
        "/page-20mb": endless(20 * MiB, chunked=False),
        "/page-20mb-chunked": endless(20 * MiB, chunked=True),
        "/page-deep": answer(200, deep_page()),
        "/pages/relative.html": answer(200, (page + "</article></body></html>").encode()),
    }


def own_servers() -> dict[str, dict[str, Any]]:
    """Feeds that need a server of their own: a 429 or 503 holds back its whole server, and a
    flood's 500 page requests queue on theirs."""
    return {
        "limited": {"/feed": answer(429, b"slow down", {"Retry-After": "7200"})},
        "unavailable": {"/feed": answer(503, b"later", {"Retry-After": "5400"})},
        "flood": {"/feed": answer(200, flood(), content_type=RSS)},
    }


# name -> (server, path, expected last_status, a fragment of last_error); "bad" is shared
EXPECTED: dict[str, tuple[str, str, str, str]] = {
    "silent": ("bad", "/silent", "error", "timed out"),
    "trickle": ("bad", "/trickle", "error", "timed out"),
    "gzip bomb": ("bad", "/bomb", "error", "cap"),
    "100 MB by length": ("bad", "/huge-length", "error", "exceeds"),
    "100 MB chunked": ("bad", "/huge-chunked", "error", "cap"),
    "redirect loop": ("bad", "/loop-a", "error", "redirects"),
    "redirect chain": ("bad", "/chain0", "error", "redirects"),
    "redirect to 127.0.0.2": ("bad", "/to-far", "error", "not public"),
    "redirect to another port": ("bad", "/to-near", "error", "not public"),
    "429": ("limited", "/feed", "error", "HTTP 429"),
    "503": ("unavailable", "/feed", "error", "HTTP 503"),
    "billion laughs": ("bad", "/laughs", "ok", ""),
    "quadratic blowup": ("bad", "/quadratic", "ok", ""),
    "200,000 levels": ("bad", "/deep", "error", "too much markup"),
    "10 MB, 10,000 items": ("flood", "/feed", "ok", ""),
    "links": ("bad", "/links", "ok", ""),
    "dates": ("bad", "/dates", "ok", ""),
    "guids": ("bad", "/guids", "ok", ""),
    "broken bytes": ("bad", "/broken", "ok", ""),
    "wrong charset": ("bad", "/wrong-charset", "ok", ""),
    "big pages": ("bad", "/big-pages", "ok", ""),
}


def rows(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def test_hostile_feeds_in_one_cycle(
    tmp_path: Path,
    demo_site: LocalSite,
    canaries: tuple[HostileServer, HostileServer],
) -> None:
    far, near = canaries
    cert = make_certificate(tmp_path)
    with contextlib.ExitStack() as stack:
        servers = {
            name: stack.enter_context(HostileServer(routes=routes))
            for name, routes in own_servers().items()
        }
        bad = servers["bad"] = stack.enter_context(HostileServer(routes=hostile_routes(far, near)))
        untrusted = stack.enter_context(
            HostileServer(fallback=answer(200, rss("")), tls=cert.server_context())
        )
        feeds = [[name, servers[at].url(path)] for name, (at, path, _, _) in EXPECTED.items()]
        feeds += [
            ["untrusted TLS", untrusted.url("/feed")],
            ["good", demo_site.url("/feeds/armenian-wire.xml")],
        ]
        spec = tmp_path / "spec.json"
        db_path = tmp_path / "hostile.db"
        spec.write_text(
            json.dumps(
                {
                    "db": str(db_path),
                    "feeds": feeds,
                    "interval": INTERVAL,
                    "fetch": {"timeout": TIMEOUT, "max_bytes": 12 * MiB},
                }
            ),
            encoding="utf-8",
        )
        child = subprocess.run(
            [sys.executable, "-m", "tests.hostile", str(spec)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert child.returncode == 0, child.stderr[-3000:]
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        relative_hits = sum(1 for p in bad.paths() if p.startswith("/pages/relative.html"))
        untrusted_hits = untrusted.stats.hits

    # Nothing crashed and no internal error: every feed has a clean outcome.
    assert "Traceback" not in child.stderr
    # Never reached: not by a link, not by a redirect, in any spelling of the address.
    assert far.stats.connections == 0
    assert near.stats.connections == 0
    assert untrusted_hits == []  # the TLS failure was not retried without verification
    assert relative_hits >= 1  # while the feed's own server was read as usual

    # Bounded: two cycles over a 1 GiB bomb, 100 MB bodies and a 10 MB feed grow the process
    # by about 25 MiB (with httpx's own gzip decoding, by about 125 MiB).
    grown = (measured["peak_kib"] - measured["baseline_kib"]) / 1024
    assert grown < 80, f"peak memory grew by {grown:.0f} MiB"
    assert max(measured["seconds"]) < 12, measured["seconds"]

    db = Database(db_path)
    feeds_by_name = {r["name"]: r for r in rows(db, "select * from feeds")}
    start = datetime.fromisoformat(measured["start"])
    second = start + timedelta(seconds=3600)
    for name, (_at, _path, status, error) in EXPECTED.items():
        row = feeds_by_name[name]
        assert row["last_status"] == status, (name, row["last_error"])
        if status == "error":
            assert error in (row["last_error"] or ""), (name, row["last_error"])
            assert not row["last_error"].startswith("internal error"), name
            assert row["error_count"] == 2, name  # two cycles, two errors
            wait = (datetime.fromisoformat(row["next_check_at"]) - second).total_seconds()
            assert wait >= 2 * INTERVAL * 0.95 - 1, (name, wait)  # backed off: doubled
    tls = feeds_by_name["untrusted TLS"]
    assert tls["last_status"] == "error" and "CERTIFICATE_VERIFY_FAILED" in tls["last_error"]
    # Retry-After is honoured in full (and above the backoff).
    for name, seconds in (("429", 7200), ("503", 5400)):
        wait = datetime.fromisoformat(feeds_by_name[name]["next_check_at"]) - second
        assert wait.total_seconds() >= seconds - 1, name

    # The well-behaved feed beside them all was read as if they were not there.
    good = feeds_by_name["good"]
    assert good["last_status"] == "not-modified"  # second cycle: its ETag matched
    assert good["error_count"] == 0 and good["last_success_at"]
    good_entries = rows(db, "select * from entries where feed_id = ?", [good["id"]])
    assert len(good_entries) == 5
    assert (
        rows(
            db,
            "select count(*) as n from entries e join articles a on a.id = e.article_id "
            "where e.feed_id = ? and a.text_source = 'page'",
            [good["id"]],
        )[0]["n"]
        >= 4
    )

    def entries_of(name: str) -> list[dict[str, Any]]:
        return rows(
            db,
            "select e.*, a.title as article_title, a.text, a.text_source from entries e "
            "left join articles a on a.id = e.article_id where e.feed_id = ? order by e.id",
            [feeds_by_name[name]["id"]],
        )

    # Entity bombs: defused, quickly, and the items are still read.
    laughs = entries_of("billion laughs")
    assert laughs and all(len(e["title"]) < 100 for e in laughs)
    (quadratic,) = entries_of("quadratic blowup")
    assert len(quadratic["title"]) <= 300_000  # the entity stays unexpanded
    # A flood of 10,000 items: the newest 500 are read, the rest never cost anything.
    assert len(entries_of("10 MB, 10,000 items")) == 500
    # Links: only http(s) links are kept; refused ones fall back to the feed's own text.
    links = {e["title"]: e for e in entries_of("links")}
    assert len(links) == 12
    for title in ("javascript link", "data link", "file link"):
        assert links[title]["url"] is None, title
    assert links["relative link"]["url"] == bad.url("/pages/relative.html")
    assert links["relative link"]["text_source"] == "page"
    for title, entry in links.items():
        if title.startswith(("canary", "other port")):
            assert entry["text_source"] == "feed", title
    # Dates before the web or in the future are dropped, a believable one kept.
    dates = {e["title"]: e["published_at"] for e in entries_of("dates")}
    assert dates == {
        "from 2099": None,
        "from 1970": None,
        "no date": None,
        "dated": "2020-03-02T10:00:00+00:00",
    }
    # Duplicate GUIDs are one entry; missing ones fall back to the link, then the text.
    guids = entries_of("guids")
    keys = [e["entry_key"] for e in guids]
    assert len(keys) == len(set(keys)) == 4
    assert sum(1 for k in keys if k.startswith("guid:")) == 1
    # Invalid UTF-8 and NULs: the Armenian survives, the NULs do not.
    (broken,) = entries_of("broken bytes")
    assert "Գորիս" in broken["title"] and "\x00" not in broken["title"]
    assert "\x00" not in (broken["text"] or "")
    # A UTF-8 feed that claims windows-1251 is read as the UTF-8 it is.
    (charset,) = entries_of("wrong charset")
    assert charset["title"] == "Ереван и Горис"
    # Article pages of 20 MB and 200,000 levels: the feed's text is stored instead.
    pages = entries_of("big pages")
    assert len(pages) == 3 and all(e["text_source"] == "feed" for e in pages)


# -- several polls, in-process ---------------------------------------------------------------


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist(None)


def settings_for(tmp_path: Path, feeds: list[tuple[str, str]], **fetch: Any) -> Settings:
    return Settings(
        source=None,
        storage_path=tmp_path / "monitor.db",
        polling=PollingSettings(interval=INTERVAL),
        fetch=FetchSettings(timeout=TIMEOUT, **fetch),
        alerts=AlertSettings(corroboration=0),
        feeds=tuple(FeedSource(name, url, INTERVAL) for name, url in feeds),
    )


def poll(
    db: Database, settings: Settings, watchlist: Watchlist, now: datetime, *, only_due: bool = False
) -> CycleReport:
    return asyncio.run(
        run_cycle(
            db,
            settings,
            watchlist=watchlist,
            notifier=Notifier([]),
            clock=lambda: now,
            only_due=only_due,
        )
    )


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("link_changes", [False, True], ids=["same-link", "link-changes-too"])
def test_a_guid_that_changes_on_every_fetch_alerts_once_in_20_polls(
    tmp_path: Path, demo_site: LocalSite, watchlist: Watchlist, link_changes: bool
) -> None:
    page = "/pages/armenia-accuses-azerbaijan-of-attack.html"
    settings = settings_for(tmp_path, [("churn", demo_site.url("/churn.xml"))])
    db = open_db(settings.storage_path)
    sync_feeds(db, settings.feeds, NOW)
    for n in range(20):
        link = demo_site.url(page + (f"?session={n}" if link_changes else ""))
        body = rss(item("Armenia accuses Azerbaijan of attack", link, f"urn:uuid:{n}-{n * 7919}"))
        demo_site.resources["/churn.xml"] = Resource(body, RSS, etag=False)
        report = poll(db, settings, watchlist, NOW + timedelta(minutes=n))
        assert report.feeds[0].status == "ok"
    assert db.table("entries").count == 20  # every GUID is new to the feed...
    alerts = rows(db, "select * from alerts")
    assert len(alerts) == 1  # ...but it is one article, alerted once
    assert alerts[0]["severity"] in ("high", "critical")
    assert db.table("articles").count == 1
    db.close()


def test_301_is_adopted_after_consecutive_polls_302_never(
    tmp_path: Path, watchlist: Watchlist
) -> None:
    feed = rss(item("moved feed item", "/a.html", "m1"))
    routes = {
        "/old": redirect("/new", 301),
        "/temp": redirect("/new", 302),
        "/flip": redirect("/new", 301),
        "/new": answer(200, feed, content_type=RSS),
        "/new2": answer(200, feed, content_type=RSS),
    }
    with HostileServer(routes=routes) as server:
        feeds = [("moved", server.url("/old")), ("temp", server.url("/temp"))]
        feeds.append(("flip", server.url("/flip")))
        settings = settings_for(tmp_path, feeds, fetch_articles=False)
        db = open_db(settings.storage_path)
        sync_feeds(db, settings.feeds, NOW)

        def state(name: str) -> dict[str, Any]:
            return rows(db, "select * from feeds where name = ?", [name])[0]

        for n in range(ADOPT_MOVE_AFTER + 2):
            # The "flip" feed's server names another target every poll: never a stable move.
            server.routes["/flip"] = redirect("/new" if n % 2 else "/new2", 301)
            before = len(server.stats.hits)
            poll(db, settings, watchlist, NOW + timedelta(minutes=n))
            asked = server.paths()[before:]
            moved = state("moved")
            if n < ADOPT_MOVE_AFTER - 1:  # seen, counted, not yet believed
                assert "/old" in asked
                assert moved["fetch_url"] is None and moved["moved_seen"] == n + 1
            elif n == ADOPT_MOVE_AFTER - 1:  # the third 301 in a row: adopted
                assert "/old" in asked
                assert moved["fetch_url"] == server.url("/new")
            else:  # from then on the new URL is polled directly
                assert "/old" not in asked and "/new" in asked
                assert moved["fetch_url"] == server.url("/new")
            assert asked.count("/temp") == 1 and asked.count("/flip") == 1
            assert state("temp")["fetch_url"] is None
            assert state("flip")["fetch_url"] is None
        assert all(state(n)["last_status"] == "ok" for n in ("moved", "temp", "flip"))
        # The configured URL stays the feed's identity; only the polled URL moved.
        assert state("moved")["url"] == server.url("/old")
        db.close()


def test_304_keeps_the_feed_healthy_even_when_nobody_asked(
    tmp_path: Path, demo_site: LocalSite, watchlist: Watchlist
) -> None:
    demo_site.resources["/unasked.xml"] = Resource(b"", RSS, status=304, etag=False)
    settings = settings_for(
        tmp_path,
        [
            ("etag", demo_site.url("/feeds/armenian-wire.xml")),
            ("unasked", demo_site.url("/unasked.xml")),
        ],
        fetch_articles=False,
    )
    db = open_db(settings.storage_path)
    sync_feeds(db, settings.feeds, NOW)
    first = poll(db, settings, watchlist, NOW)
    second = poll(db, settings, watchlist, NOW + timedelta(minutes=5))
    assert [f.status for f in first.feeds] == ["ok", "not-modified"]
    assert [f.status for f in second.feeds] == ["not-modified", "not-modified"]
    requests = demo_site.requests_for("/feeds/armenian-wire.xml")
    assert requests[1].headers["if-none-match"] and requests[1].status == 304
    for row in rows(db, "select * from feeds"):
        assert row["error_count"] == 0 and row["last_error"] is None
        assert row["last_http_status"] == 304
    etag_row = rows(db, "select * from feeds where name = 'etag'")[0]
    assert etag_row["etag"]  # kept from the 200, not wiped by the 304
    assert db.table("entries").count == 5
    db.close()


def test_retry_after_holds_every_feed_of_that_server(
    tmp_path: Path, demo_site: LocalSite, watchlist: Watchlist
) -> None:
    feed = rss(item("an item", "/a.html", "r1"))
    routes = {
        "/limited": answer(429, b"slow down", {"Retry-After": "Wed, 25 Nov 2026 14:00:00 GMT"}),
        "/sibling": answer(200, feed, content_type=RSS),
    }
    with HostileServer(routes=routes) as server:
        settings = settings_for(
            tmp_path,
            [
                ("limited", server.url("/limited")),
                ("sibling", server.url("/sibling")),
                ("elsewhere", demo_site.url("/feeds/armenian-wire.xml")),
            ],
            fetch_articles=False,
        )
        db = open_db(settings.storage_path)
        sync_feeds(db, settings.feeds, NOW)
        poll(db, settings, watchlist, NOW)
        held = {
            r["name"]: datetime.fromisoformat(r["next_check_at"])
            for r in rows(db, "select * from feeds")
        }
        two_hours = NOW + timedelta(hours=2)
        assert held["limited"] >= two_hours  # the HTTP-date form, honoured in full
        assert held["sibling"] >= two_hours  # the same server's other feed waits as well
        assert held["elsewhere"] < NOW + timedelta(minutes=5)  # another server does not
        asked = len(server.stats.hits)
        for minutes in (5, 30, 90):
            report = poll(db, settings, watchlist, NOW + timedelta(minutes=minutes), only_due=True)
            assert {f.name for f in report.feeds} == {"elsewhere"}
        assert len(server.stats.hits) == asked  # not one request to the server that said 429
        # Due again once the pause (and the schedule's +-5% spread on it) is over.
        report = poll(db, settings, watchlist, two_hours + timedelta(minutes=10), only_due=True)
        assert {"limited", "sibling"} <= {f.name for f in report.feeds}
        db.close()
