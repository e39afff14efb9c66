"""Crash safety of ingest: SIGKILLed at random moments while it polls a feed farm (pages fetched
with latency, so kills land mid-ingest), the daemon loses no committed item, stores none twice,
and leaves a database that passes its integrity check."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from monitor.localsite import LocalSite
from tests.farm import Farm, stored_entries
from tests.test_daemon import Process

KILLS = 50
GROWTH = 3  # items added to each feed when the daemon has stored the last ones


def committed(db: Path) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """The entry and article rows committed so far, read from a separate connection."""
    if not db.exists():
        return set(), set()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        entries = conn.execute("select id, feed_id, entry_key, article_id from entries").fetchall()
        articles = conn.execute("select id, url, content_hash from articles").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return set(), set()
        raise
    finally:
        conn.close()
    return set(entries), set(articles)


def test_sigkill_during_ingest_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, site: LocalSite
) -> None:
    rng = random.Random(1915)
    farm = Farm(site, feeds=4, page_delay=0.03)
    config = farm.write_config(tmp_path)
    db = tmp_path / "state" / "monitor.db"
    seen_entries: set[tuple[object, ...]] = set()
    seen_articles: set[tuple[object, ...]] = set()
    midway = 0  # kills that struck while served items were still not stored
    between = 0  # ... after some of those items were committed and before the others
    logs: list[str] = []
    for _ in range(KILLS):
        stored = stored_entries(db)
        if stored == farm.expected_entries():
            farm.grow(GROWTH)  # new work once the last is stored: the backlog stays small
        daemon = Process(config, tmp_path)
        daemon.wait_for("started feeds=", timeout=30)
        time.sleep(rng.uniform(0.0, 0.55))
        entries, articles = committed(db)
        daemon.kill()
        logs += daemon.lines
        seen_entries |= entries
        seen_articles |= articles
        served = len(farm.expected_entries())
        midway += len(entries) < served
        between += len(stored) < len(entries) < served

    daemon = Process(config, tmp_path)
    deadline = time.monotonic() + 60
    while stored_entries(db) != farm.expected_entries() and time.monotonic() < deadline:
        time.sleep(0.2)
    code, _ = daemon.stop()
    logs += daemon.lines
    assert code == 0

    assert midway >= KILLS // 3, (midway, between)  # the kills did land during ingest
    assert seen_entries, "nothing was committed before any kill"
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert conn.execute("pragma foreign_key_check").fetchall() == []
    final_entries, final_articles = committed(db)
    # Every row seen committed before a kill is still there, unchanged (same id, same article).
    assert seen_entries - final_entries == set()
    assert seen_articles - final_articles == set()
    # Every served item is stored exactly once, each page as exactly one article.
    assert stored_entries(db) == farm.expected_entries()
    assert len(final_entries) == len(farm.expected_entries())
    assert {url for _, url, _ in final_articles} == farm.expected_pages()
    assert len(final_articles) == len(farm.expected_pages())
    assert len({digest for _, _, digest in final_articles}) == len(final_articles)
    assert all(article_id is not None for *_, article_id in final_entries)
    assert len({article_id for *_, article_id in final_entries}) == len(final_entries)
    problems = [
        "\n".join(logs[number : number + 30])
        for number, line in enumerate(logs)
        if "Traceback" in line or "internal error" in line or "locked" in line or " ERROR " in line
    ]
    assert problems == [], "\n\n".join(problems)
