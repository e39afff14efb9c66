"""Crash safety: SIGKILLed again and again while delivering, the daemon loses no alert and sends
at most one duplicate per kill."""

from __future__ import annotations

import random
import re
import sqlite3
import time
from collections import Counter
from pathlib import Path

from monitor.localsite import LocalSite, Resource
from tests.servers import WebhookReceiver
from tests.test_daemon import Process

KILLS = 20
ITEMS = 40
_ALERT_ID = re.compile(r"Alert id: (nm-[0-9a-f]{16})")


def feed(site: LocalSite) -> bytes:
    places = ["Sotk", "Tegh", "Kornidzor", "Jermuk", "Kapan", "Goris", "Berd", "Chinari"]
    items = []
    for number in range(ITEMS):
        place = places[number % len(places)]
        text = (
            f"Azerbaijani forces opened fire on Armenian positions near {place} at "
            f"{number % 24:02d}:{(number * 7) % 60:02d}, the Armenian Defence Ministry said, "
            f"reporting incident number {number + 1}."
        )
        items.append(
            f"<item><title>Fire near {place}, incident {number + 1}</title>"
            f"<link>{site.url(f'/news/{number}.html')}</link><guid>kill-{number}</guid>"
            f"<description>{text}</description></item>"
        )
    return f"<rss version='2.0'><channel><title>W</title>{''.join(items)}</channel></rss>".encode()


def sent_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(
                conn.execute("select count(*) from deliveries where status = 'sent'").fetchone()[0]
            )
    except sqlite3.OperationalError:
        return 0


def test_sigkill_during_delivery_loses_nothing(tmp_path: Path, site: LocalSite) -> None:
    rng = random.Random(2026)
    site.resources["/feed.xml"] = Resource(feed(site), "application/rss+xml")
    receivers = [WebhookReceiver(), WebhookReceiver()]
    with receivers[0], receivers[1]:
        for receiver in receivers:
            receiver.post_delay = 0.1
        urls = ", ".join(f'"json://127.0.0.1:{r.port}/hook"' for r in receivers)
        config = tmp_path / "monitor.toml"
        config.write_text(
            f"""
[storage]
path = "state/monitor.db"
[polling]
tick = "0.2s"
interval = "1h"
[fetch]
fetch_articles = false
[alerts]
urls = [{urls}]
max_per_hour = 0
corroboration = 0
[[feeds]]
name = "Wire"
url = "{site.url("/feed.xml")}"
""",
            encoding="utf-8",
        )
        db = tmp_path / "state" / "monitor.db"
        midway = 0  # kills that struck while deliveries were still outstanding
        for _ in range(KILLS):
            daemon = Process(config, tmp_path)
            daemon.wait_for("started feeds=", timeout=60)
            time.sleep(rng.uniform(0.05, 0.5))
            midway += sent_count(db) < 2 * ITEMS
            daemon.kill()
        daemon = Process(config, tmp_path)
        deadline = time.monotonic() + 60
        while sent_count(db) < 2 * ITEMS and time.monotonic() < deadline:
            time.sleep(0.2)
        daemon.stop()
        assert sent_count(db) == 2 * ITEMS
        assert midway >= KILLS // 2, midway  # the kills did land during delivery
        for receiver in receivers:
            got = Counter(
                match.group(1)
                for hook in receiver.received
                if (match := _ALERT_ID.search(hook.json()["message"]))
            )
            assert len(got) == ITEMS  # every alert reached every destination
            duplicates = sum(count - 1 for count in got.values())
            assert duplicates <= KILLS, got
