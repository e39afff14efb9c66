"""A feed farm on a LocalSite for the crash and concurrency tests: several RSS feeds that grow a
few items at a time, every item with its own article page served with some latency, and the
daemon config that polls them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from monitor.identity import entry_key
from monitor.localsite import LocalSite, Resource

PLACES = ["Sotk", "Tegh", "Kornidzor", "Jermuk", "Kapan", "Goris", "Berd", "Chinari", "Ijevan"]
TOPICS = ["the harvest", "a new school", "road repairs", "a water pipeline", "the local market"]


def page(feed: int, number: int) -> bytes:
    """An article page with enough distinct text for the extractor (over 200 characters)."""
    place = PLACES[(feed + number) % len(PLACES)]
    topic = TOPICS[number % len(TOPICS)]
    title = f"Report {feed}-{number}: {topic} in {place}"
    paragraphs = [
        f"Officials in {place} spoke on day {number} about {topic}, which has occupied the "
        f"community of {1000 + 37 * number} residents for several weeks.",
        f"According to the district office, the work on {topic} will cost {number * 13 + 7} "
        f"thousand and should finish within {number % 11 + 2} months, report {feed}-{number}.",
        f"Residents of {place} told the correspondent of desk {feed} that they expect the "
        f"results before winter; item {number} was filed at {number % 24:02d}:00.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html lang='en'><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>{body}</article></body></html>"
    ).encode()


class Farm:
    """``feeds`` RSS feeds on ``site`` under /farm/N/feed.xml. ``grow`` adds items to each."""

    def __init__(self, site: LocalSite, *, feeds: int = 4, page_delay: float = 0.03) -> None:
        self.site = site
        self.feeds = feeds
        self.page_delay = page_delay
        self.counts = [0] * feeds
        for number in range(feeds):
            self._publish(number)

    def feed_url(self, feed: int) -> str:
        return self.site.url(f"/farm/{feed}/feed.xml")

    def page_url(self, feed: int, number: int) -> str:
        return self.site.url(f"/farm/{feed}/news/{number}.html")

    def _publish(self, feed: int) -> None:
        items = []
        for number in reversed(range(self.counts[feed])):
            items.append(
                f"<item><title>Report {feed}-{number}</title>"
                f"<link>{self.page_url(feed, number)}</link><guid>urn:farm:{feed}:{number}</guid>"
                f"<description>Item {number} of desk {feed}.</description></item>"
            )
        body = (
            f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Desk {feed}</title><link>{self.site.base_url}</link>{''.join(items)}"
            "</channel></rss>"
        ).encode()
        self.site.resources[f"/farm/{feed}/feed.xml"] = Resource(body, "application/rss+xml")

    def grow(self, per_feed: int) -> None:
        """Add ``per_feed`` items (and their pages) to every feed."""
        for feed in range(self.feeds):
            for _ in range(per_feed):
                number = self.counts[feed]
                self.counts[feed] += 1
                path = f"/farm/{feed}/news/{number}.html"
                delay = self.page_delay * (1 + feed)  # the feeds finish one after another
                self.site.resources[path] = Resource(page(feed, number), delay=delay)
            self._publish(feed)

    def expected_entries(self) -> set[tuple[str, str]]:
        """(feed URL, entry key) of every item served so far."""
        return {
            (self.feed_url(feed), entry_key(f"urn:farm:{feed}:{number}", None, "", ""))
            for feed in range(self.feeds)
            for number in range(self.counts[feed])
        }

    def expected_pages(self) -> set[str]:
        return {
            self.page_url(feed, number)
            for feed in range(self.feeds)
            for number in range(self.counts[feed])
        }

    def write_config(self, folder: Path, *, tick: str = "0.2s", interval: str = "0.5s") -> Path:
        """A daemon config polling every feed of the farm into ``folder/state/monitor.db``."""
        feeds = "".join(
            f'[[feeds]]\nname = "Desk {n}"\nurl = "{self.feed_url(n)}"\n' for n in range(self.feeds)
        )
        config = folder / "monitor.toml"
        config.write_text(
            f"""
[storage]
path = "state/monitor.db"
[polling]
tick = "{tick}"
interval = "{interval}"
concurrency = 8
per_host = 8
[fetch]
timeout = "10s"
[alerts]
corroboration = 0
{feeds}""",
            encoding="utf-8",
        )
        return config


def stored_entries(db: Path) -> set[tuple[str, str]]:
    """(feed URL, entry key) of the entries committed to ``db``, read over a read-only
    connection; empty while the database or its schema does not exist yet."""
    if not db.exists():
        return set()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        rows = conn.execute(
            "select feeds.url, entries.entry_key from entries join feeds on feeds.id = feed_id"
        ).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return set()
        raise
    finally:
        conn.close()
    return {(str(url), str(key)) for url, key in rows}
