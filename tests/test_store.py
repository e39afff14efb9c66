from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.models import AlertDraft, Article, Destination, Entry, FeedSource, Item, MatchResult
from monitor.store import open_db
from monitor.store.alerts import due_deliveries, mark_failed, mark_sent
from monitor.store.articles import article_for_url, known_entries, save_items
from monitor.store.feeds import active_feeds, record_poll, sync_feeds

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOTHING = MatchResult(False, 0.0, "none", (), (), (), "no border incident terms")
FLAG = MatchResult(True, 9.0, "high", ("w",), (), (), "shelling near Goris")
DESTS = [Destination("k1", "json://127.0.0.1/a")]


def item(key: str, text: str, verdict: MatchResult = NOTHING, url: str | None = None) -> Item:
    link = url or f"https://n.example/{key}"
    entry = Entry(key, link, f"title {key}", "summary", "", NOW)
    from monitor.identity import content_hash

    article = Article(link, f"title {key}", text)
    return Item(entry, article, verdict, content_hash(article.title, text), link)


def draft(it: Item, article_id: int) -> AlertDraft | None:
    if not it.verdict.flagged:
        return None
    return AlertDraft(f"nm-{article_id}", it.verdict.severity, it.article.title, "body", None)


def test_database_is_wal_with_busy_timeout_and_migrates_once(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "m.db"
    db = open_db(path)
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma busy_timeout").fetchone()[0] >= 5000
    db.close()
    again = open_db(path)
    applied = again.execute("select name from _sqlite_migrations order by id").fetchall()
    assert [name for (name,) in applied] == [
        "m001_initial",
        "m002_firings",
        "m003_stories",
        "m004_followups",
        "m005_versions",
        "m006_incidents",
        "m007_alert_payload",
        "m008_service_state",
        "m009_source_kinds",
        "m010_feed_moves",
        "m011_review_views",
    ]
    assert {"feeds", "entries", "articles", "matches", "firings", "alerts", "deliveries"} <= set(
        again.table_names()
    )


def test_feeds_follow_the_config(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    a = FeedSource("A", "https://a.example/rss", 600)
    b = FeedSource("B", "https://b.example/rss", 600)
    sync_feeds(db, [a, b], NOW)
    assert [s.source.name for s in active_feeds(db)] == ["A", "B"]
    sync_feeds(db, [FeedSource("A renamed", a.url, 300)], NOW)
    (only,) = active_feeds(db)
    assert only.source.name == "A renamed" and only.source.interval_seconds == 300
    record_poll(db, only.id, now=NOW, next_check=NOW + timedelta(minutes=5), status="ok")
    assert active_feeds(db, due_at=NOW) == []
    assert len(active_feeds(db, due_at=NOW + timedelta(minutes=6))) == 1
    record_poll(db, only.id, now=NOW, next_check=NOW, status="error", error="HTTP 500")
    record_poll(db, only.id, now=NOW, next_check=NOW, status="error", error="HTTP 500")
    row = db.table("feeds").get(only.id)
    assert row["error_count"] == 2 and row["last_error"] == "HTTP 500"


def test_same_text_under_two_urls_is_stored_once_and_alerted_once(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    sync_feeds(db, [FeedSource("A", "https://a.example/rss", 600)], NOW)
    (feed,) = active_feeds(db)
    text = "Shelling near Goris was reported on Tuesday morning by the ministry. " * 5
    first = item("guid:1", text, FLAG, "https://a.example/1")
    copy = item("guid:2", text, FLAG, "https://b.example/copy")
    other = item("guid:3", "A festival opens in Yerevan with music and dance. " * 5)
    saved = save_items(
        db, feed.id, [first, copy, other], now=NOW, draft_alert=draft, destinations=DESTS
    )
    assert [s.new_article for s in saved] == [True, False, True]
    assert saved[1].article_id == saved[0].article_id
    assert db.table("articles").count == 2
    assert db.table("entries").count == 3
    assert db.table("alerts").count == 1
    assert db.table("deliveries").count == 1
    assert set(known_entries(db, feed.id, ["guid:1", "guid:9"])) == {"guid:1"}
    assert article_for_url(db, "https://b.example/copy") == saved[0].article_id
    hits = db.execute(
        "select rowid from articles_fts where articles_fts match 'festival'"
    ).fetchall()
    assert [h[0] for h in hits] == [saved[2].article_id]


def test_a_failed_batch_leaves_nothing_half_written(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    sync_feeds(db, [FeedSource("A", "https://a.example/rss", 600)], NOW)
    (feed,) = active_feeds(db)
    good = item("guid:1", "Text one about the border. " * 10, FLAG)
    twice = item("guid:1", "Different text with the same key. " * 10)
    try:
        save_items(db, feed.id, [good, twice], now=NOW, draft_alert=draft, destinations=DESTS)
    except sqlite3.IntegrityError:
        pass
    else:  # pragma: no cover - the unique key must refuse the second row
        raise AssertionError("duplicate entry key accepted")
    assert db.table("articles").count == 0
    assert db.table("alerts").count == 0
    assert db.table("entries").count == 0


def test_outbox_retries_then_sends(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    sync_feeds(db, [FeedSource("A", "https://a.example/rss", 600)], NOW)
    (feed,) = active_feeds(db)
    save_items(
        db,
        feed.id,
        [item("guid:1", "Border shelling text. " * 20, FLAG)],
        now=NOW,
        draft_alert=draft,
        destinations=DESTS,
    )
    (pending,) = due_deliveries(db, NOW)
    mark_failed(db, pending.id, "HTTP 500", next_attempt=NOW + timedelta(minutes=1))
    assert due_deliveries(db, NOW) == []
    (retry,) = due_deliveries(db, NOW + timedelta(minutes=2))
    assert retry.attempts == 1
    mark_sent(db, retry.id, NOW + timedelta(minutes=2))
    row = db.table("deliveries").get(retry.id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)
    assert due_deliveries(db, NOW + timedelta(days=1)) == []
