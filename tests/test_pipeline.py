"""End to end with real sockets: feeds and pages over HTTP, SQLite on disk, alerts over HTTP
and SMTP, through the `once` command."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.cli import main
from monitor.config import load_settings
from monitor.deliver import deliver_pending
from monitor.localsite import LocalSite, Resource
from monitor.store import open_db
from tests.servers import SmtpSink, WebhookReceiver

DEMO_FEEDS = [
    ("Armenian Wire", "/feeds/armenian-wire.xml", "armenian"),
    ("Caucasus World", "/feeds/caucasus-world.atom", "international"),
    ("Regional RU", "/feeds/regional-ru.xml", "russian"),
]
SEED_PAGE = "/pages/armenia-accuses-azerbaijan-of-attack.html"


def write_config(
    tmp_path: Path,
    site: LocalSite,
    alert_urls: list[str],
    extra_feeds: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> Path:
    lines = [
        "[storage]",
        'path = "data/monitor.db"',
        "[fetch]",
        'timeout = "2s"',
        "[alerts]",
        f"urls = {json.dumps(alert_urls)}",
    ]
    for name, path, side in DEMO_FEEDS:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{site.url(path)}"', f'side = "{side}"']
    for name, path in extra_feeds:
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{site.url(path)}"']
    config = tmp_path / "monitor.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def once(config: Path) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), "once"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def rows(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


@pytest.fixture
def faulty_site(demo_site: LocalSite) -> LocalSite:
    demo_site.resources["/feeds/broken.xml"] = Resource(b"<html><p>moved</p>", "text/html")
    demo_site.resources["/feeds/error.xml"] = Resource(b"oops", status=500)
    demo_site.resources["/feeds/slow.xml"] = Resource(b"<rss/>", delay=4.0)
    return demo_site


def test_once_end_to_end(
    tmp_path: Path, faulty_site: LocalSite, webhook: WebhookReceiver, smtp: SmtpSink
) -> None:
    site = faulty_site
    config = write_config(
        tmp_path,
        site,
        [f"json://127.0.0.1:{webhook.port}/hook", smtp.url()],
        [
            ("Broken", "/feeds/broken.xml"),
            ("Error", "/feeds/error.xml"),
            ("Slow", "/feeds/slow.xml"),
        ],
    )
    output = once(config)
    assert "FLAGGED" in output
    db = Database(tmp_path / "data" / "monitor.db")

    # Every demo item is stored, the page text (not the feed summary) for the seed article.
    assert db.table("entries").count == 11
    # The seed page and its syndicated copy are one article, whichever was stored first.
    (seed,) = rows(
        db,
        "select a.* from articles a join entries e on e.article_id = a.id where e.url = ?",
        [site.url(SEED_PAGE)],
    )
    assert seed["text_source"] == "page"
    assert "shelling in the direction of the southern Armenian towns of Goris" in seed["text"]
    assert seed["flagged"] == 1 and seed["severity"] in ("high", "critical")
    places = {p["name"]: p for p in json.loads(seed["places"])}
    assert {"Goris", "Kapan", "Jermuk"} <= set(places)
    assert places["Goris"]["lat"] == pytest.approx(39.51, abs=0.05)
    assert places["Kapan"]["lon"] == pytest.approx(46.40, abs=0.05)
    assert rows(db, "select count(*) as n from matches where article_id = ?", [seed["id"]])[0]["n"]
    # The rules and weights behind the score are stored with it, and add up to it.
    parts = rows(db, "select * from firings where article_id = ?", [seed["id"]])
    assert {p["watch"] for p in parts} == {"armenia-azerbaijan-border"}
    assert any(p["rule"] == "co-occurrence" and "Goris" in p["detail"] for p in parts)
    assert sum(p["weight"] for p in parts) == pytest.approx(seed["score"], abs=0.01)

    # The syndicated copy is an entry pointing at the same article: stored once.
    (copy,) = rows(db, "select * from entries where url like '%shelling-copy%'")
    (original,) = rows(db, "select * from entries where url = ?", [site.url(SEED_PAGE)])
    assert copy["article_id"] == original["article_id"] == seed["id"]
    assert copy["duplicate"] + original["duplicate"] == 1

    # The page that fails extraction keeps the feed's own summary.
    (fallback,) = rows(
        db,
        "select a.* from articles a join entries e on e.article_id = a.id "
        "where e.url like '%broken.html'",
    )
    assert fallback["text_source"] == "feed" and len(fallback["text"]) > 50

    # Not flagged: the F1 race and the chess match.
    for slug in ("baku-grand-prix", "baku-open-chess"):
        (row,) = rows(db, f"select flagged from articles where url like '%{slug}%'")
        assert row["flagged"] == 0, slug

    # Broken, failing and slow feeds are recorded and did not disturb the others.
    health = {r["name"]: r for r in rows(db, "select * from feeds")}
    assert (
        health["Broken"]["last_status"] == "error"
        and "not a feed" in health["Broken"]["last_error"]
    )
    assert (
        health["Error"]["last_error"] == "HTTP 500" and health["Error"]["last_http_status"] == 500
    )
    assert "timed out" in health["Slow"]["last_error"]
    assert all(health[name]["last_status"] == "ok" for name, _, _ in DEMO_FEEDS)

    # One alert per flagged article at or above the default minimum severity ("low"):
    # the delimitation talks are flagged "info", stored, and not pushed.
    flagged = rows(db, "select id, title, severity from articles where flagged = 1")
    assert any(f["severity"] == "info" for f in flagged)
    alerts = rows(db, "select * from alerts")
    assert len(alerts) == len([f for f in flagged if f["severity"] != "info"]) >= 1
    deliveries = rows(db, "select * from deliveries")
    assert len(deliveries) == 2 * len(alerts)
    assert {d["status"] for d in deliveries} == {"sent"}
    hook_titles = [h.json()["title"] for h in webhook.received]
    assert len(hook_titles) == len(alerts)
    assert any("Armenia Accuses Azerbaijan" in t for t in hook_titles)
    seed_hook = next(h.json() for h in webhook.received if "Armenia Accuses" in h.json()["title"])
    assert "Goris" in seed_hook["message"], seed_hook["message"]
    assert "Armenian Wire" in seed_hook["message"] or "Caucasus World" in seed_hook["message"]
    mails = smtp.wait_for(len(alerts))
    assert len(mails) == len(alerts)
    assert any("Armenia Accuses Azerbaijan" in str(m["Subject"]) for m in mails)

    # A second run stores and alerts nothing new, and asks with If-None-Match.
    pages_before = len([r for r in site.requests if r.path.startswith("/pages/")])
    output = once(config)
    assert "new_articles=0" in output and "flagged=0" in output
    assert db.table("entries").count == 11
    assert db.table("alerts").count == len(alerts)
    assert len(webhook.received) == len(alerts)
    assert len(smtp.messages) == len(alerts)
    second = site.requests_for("/feeds/armenian-wire.xml")[1]
    assert second.headers.get("if-none-match") and second.status == 304
    assert len([r for r in site.requests if r.path.startswith("/pages/")]) == pages_before


EXTRA_PAGE = (
    "<html lang='en'><head><title>Border commission meets</title></head><body><article>"
    "<h1>Border commission meets</h1>"
    + "<p>The commissions on delimitation met in the capital and agreed on the next steps for "
    "the work of their expert groups, officials said after the meeting on Wednesday.</p>"
    * 4
    + "</article></body></html>"
).encode()


def test_a_changed_feed_fetches_only_the_new_page(tmp_path: Path, demo_site: LocalSite) -> None:
    config = write_config(tmp_path, demo_site, [])
    once(config)
    demo_site.resources["/pages/extra.html"] = Resource(EXTRA_PAGE)
    festival = demo_site.url("/pages/yerevan-autumn-arts-festival-opens.html")
    new_items = (
        f"<item><title>Festival (again)</title><link>{festival}?utm_source=x</link>"
        "<guid>new-item-1</guid><description>Same page, tracking link.</description></item>"
        f"<item><title>Border commission meets</title><link>{demo_site.url('/pages/extra.html')}"
        "</link><guid>new-item-2</guid><description>New.</description></item>"
    ).encode()
    feed = demo_site.resources["/feeds/armenian-wire.xml"]
    feed.body = feed.body.replace(b"</channel>", new_items + b"</channel>")
    before = len(demo_site.requests)
    output = once(config)
    fetched = [r.path for r in demo_site.requests[before:] if r.path.startswith("/pages/")]
    assert fetched == ["/pages/extra.html"]  # the known page is not fetched again
    assert "new_articles=1" in output
    db = Database(tmp_path / "data" / "monitor.db")
    assert db.table("entries").count == 13
    (again,) = rows(db, "select * from entries where entry_key like 'guid:%new-item-1'")
    (first,) = rows(db, "select article_id from entries where url = ?", [festival])
    assert again["article_id"] == first["article_id"]


def test_a_failing_destination_never_blocks_the_others_and_is_retried(
    tmp_path: Path, demo_site: LocalSite, webhook: WebhookReceiver, smtp: SmtpSink
) -> None:
    webhook.fail_next = 1000
    config = write_config(tmp_path, demo_site, [f"json://127.0.0.1:{webhook.port}/h", smtp.url()])
    once(config)
    db_path = tmp_path / "data" / "monitor.db"
    db = Database(db_path)
    alerts = db.table("alerts").count
    assert alerts >= 1
    assert len(smtp.wait_for(alerts)) == alerts  # email went out in full
    statuses = rows(db, "select status, count(*) as n from deliveries group by status")
    # The webhook's first delivery failed; the rest wait behind it so they arrive in order.
    expected_statuses = {"sent": alerts, "failed": 1}
    if alerts > 1:
        expected_statuses["pending"] = alerts - 1
    assert {r["status"]: r["n"] for r in statuses} == expected_statuses
    # The webhook is back; a later tick delivers everything, in order.
    webhook.fail_next = 0
    settings = load_settings(config)
    later = datetime.now(UTC) + timedelta(hours=2)
    store = open_db(db_path)
    sent, failed = asyncio.run(
        deliver_pending(store, Notifier.from_settings(settings.alerts), now=later, max_attempts=8)
    )
    assert (sent, failed) == (alerts, 0)
    titles = [h.json()["title"] for h in webhook.received]
    expected = [r["title"] for r in rows(store, "select title from alerts order by id")]
    assert titles == expected


def test_aggregator_redirects_and_canonical_links_join_the_stored_article(
    tmp_path: Path, demo_site: LocalSite
) -> None:
    config = write_config(tmp_path, demo_site, [])
    once(config)
    seed_url = demo_site.url(SEED_PAGE)
    # An aggregator link that redirects to the publisher, with tracking parameters.
    demo_site.resources["/agg/article"] = Resource(
        b"", status=302, headers={"Location": seed_url + "?utm_source=aggregator"}
    )
    # A partner's copy under its own address: shorter text, but rel=canonical names the original.
    partner = (
        '<html><head><title>Copy</title><link rel="canonical" href="'
        + seed_url.replace("http://127.0.0.1", "http://www.127.0.0.1")
        + '"></head><body><article><h1>Armenia accuses Azerbaijan</h1><p>'
        + "Armenia's Defence Ministry said Azerbaijani forces opened fire on its positions. " * 6
        + "</p></article></body></html>"
    )
    demo_site.resources["/partner/copy.html"] = Resource(partner.encode())
    new_items = (
        f"<item><title>Via aggregator</title><link>{demo_site.url('/agg/article?id=77')}</link>"
        "<guid>agg-1</guid><description>Aggregated.</description></item>"
        f"<item><title>Partner copy</title><link>{demo_site.url('/partner/copy.html')}</link>"
        "<guid>partner-1</guid><description>Partner.</description></item>"
    ).encode()
    feed = demo_site.resources["/feeds/regional-ru.xml"]
    feed.body = feed.body.replace(b"</channel>", new_items + b"</channel>")
    output = once(config)
    assert "new_articles=0" in output, output
    db = Database(tmp_path / "data" / "monitor.db")
    (seed,) = rows(db, "select article_id from entries where url = ?", [seed_url])
    for path in ("/agg/article?id=77", "/partner/copy.html"):
        (entry,) = rows(db, "select * from entries where url = ?", [demo_site.url(path)])
        assert entry["article_id"] == seed["article_id"], entry
        assert entry["duplicate"] == 1
        assert entry["canonical_url"] == seed_url
