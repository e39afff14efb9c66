"""Soak: many feeds polled cycle after cycle through the real code path; does anything leak?

Run from the repository root::

    python benchmarks/soak.py [--feeds 500] [--cycles 100] [--warmup 5] [--changed 0.05]

A local HTTP server (a child process, so its memory and sockets are not counted) serves
``--feeds`` RSS feeds, each item with its own article page. Each cycle is ``run_cycle`` (what the
daemon's tick runs: due feeds fetched with conditional GET, parsed, new entries' pages fetched
and extracted, matched and stored in SQLite, the outbox emptied) with a clock that moves on past
every feed's interval, so every feed is due every cycle. Between cycles the server changes a
little: a ``--changed`` share of the feeds gets a new item (and page) and one item is re-issued
with new words; the other feeds answer 304 to their ETag. The database is checkpointed after each
cycle, as the daemon does.

Reported beside their targets: peak RSS (target <= 300 MB); RSS growth from the end of the
warm-up (the first ``--warmup`` cycles, which fill caches and the first big ingest) to the end
(target < 10%); open file descriptors and sockets before the first cycle, after the warm-up and
at the end (target: no growth); cycles per second. The script only reports (exit status 0);
``--check`` makes it exit with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.alert import Notifier  # noqa: E402
from monitor.config import load_settings  # noqa: E402
from monitor.localsite import LocalSite, Resource  # noqa: E402
from monitor.match import load_watchlist  # noqa: E402
from monitor.refresh import run_cycle  # noqa: E402
from monitor.store import checkpoint, open_db  # noqa: E402
from monitor.store.feeds import sync_feeds  # noqa: E402

PEAK_RSS_MB = 300.0
GROWTH_PERCENT = 10.0
WINDOW = 10  # items a feed lists, newest first
PLACES = ["Sotk", "Tegh", "Kapan", "Goris", "Jermuk", "Berd", "Ijevan", "Vardenis", "Meghri"]
TOPICS = ["the harvest", "a new school", "road repairs", "the water supply", "the local market"]


# --- the server (child process) ----------------------------------------------------------


class SoakSite:
    """The feeds and pages, changed a little on each ``advance``."""

    def __init__(self, site: LocalSite, feeds: int) -> None:
        self.site = site
        self.counts = [1] * feeds
        self.revisions = [0] * feeds
        for feed in range(feeds):
            self._page(feed, 0)
            self._publish(feed)

    def _page(self, feed: int, number: int) -> None:
        place, topic = PLACES[(feed + number) % len(PLACES)], TOPICS[number % len(TOPICS)]
        title = f"Desk {feed} report {number}: {topic} in {place}"
        paragraphs = "".join(
            f"<p>{text}</p>"
            for text in (
                f"Officials in {place} spoke about {topic} on day {number}; the district of "
                f"{1000 + 37 * number + feed} residents has waited for it for weeks.",
                f"The work on {topic} will cost {number * 13 + feed} thousand and should end "
                f"within {number % 11 + 2} months, desk {feed} reported in item {number}.",
                f"Residents of {place} expect results before winter, according to the "
                f"correspondent of desk {feed}, who filed at {number % 24:02d}:{feed % 60:02d}.",
            )
        )
        html = (
            f"<html lang='en'><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{paragraphs}</article></body></html>"
        )
        self.site.resources[f"/soak/{feed}/{number}.html"] = Resource(html.encode())

    def _publish(self, feed: int) -> None:
        newest = self.counts[feed]
        items = []
        for number in reversed(range(max(0, newest - WINDOW), newest)):
            edit = f" (update {self.revisions[feed]})" if number == newest - 1 else ""
            items.append(
                f"<item><title>Desk {feed} report {number}{edit}</title>"
                f"<link>{self.site.url(f'/soak/{feed}/{number}.html')}</link>"
                f"<guid>urn:soak:{feed}:{number}</guid>"
                f"<description>Item {number} of desk {feed}{edit}.</description></item>"
            )
        body = (
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
            f"<title>Desk {feed}</title><link>{self.site.base_url}/</link>{''.join(items)}"
            "</channel></rss>"
        )
        self.site.resources[f"/soak/{feed}.xml"] = Resource(body.encode(), "application/rss+xml")

    def advance(self, cycle: int, share: float) -> None:
        feeds = len(self.counts)
        changed = max(1, round(feeds * share))
        start = (cycle * changed) % feeds
        for feed in (start + step for step in range(changed)):
            feed %= feeds
            self._page(feed, self.counts[feed])
            self.counts[feed] += 1
            self._publish(feed)
        reissued = (start + changed) % feeds  # new words for an item already stored
        self.revisions[reissued] += 1
        self._publish(reissued)

    def forget_requests(self) -> None:
        with self.site._lock:
            self.site.requests.clear()


def serve(feeds: int, share: float, control: Connection) -> None:
    """The child process: serve the feeds, advance on request, stop on None."""
    with LocalSite() as site:
        soak = SoakSite(site, feeds)
        control.send(site.base_url)
        while (cycle := control.recv()) is not None:
            soak.advance(cycle, share)
            soak.forget_requests()  # the server's request log must not grow for hours
            control.send("ok")


# --- the measurements (this process) ------------------------------------------------------


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process, in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def descriptors() -> tuple[int, int]:
    """(open file descriptors, of which sockets) of this process."""
    fds = sockets = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue  # the descriptor listdir itself used, closed meanwhile
        fds += 1
        sockets += target.startswith("socket:")
    return fds, sockets


def write_config(folder: Path, base_url: str, feeds: int) -> Path:
    lines = [
        "[storage]",
        'path = "soak.db"',
        "[polling]",
        'interval = "10m"',
        "concurrency = 16",
        "per_host = 16",
        "[fetch]",
        'timeout = "20s"',
        "[alerts]",
        "corroboration = 0",
    ]
    for feed in range(feeds):
        lines += ["[[feeds]]", f'name = "Desk {feed}"', f'url = "{base_url}/soak/{feed}.xml"']
    config = folder / "soak.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def db_megabytes(path: Path) -> float:
    """The size of the database with its WAL and shared-memory files."""
    sides = (path.with_name(path.name + suffix) for suffix in ("", "-wal", "-shm"))
    return sum(side.stat().st_size for side in sides if side.exists()) / 1024 / 1024


class Clock:
    """Real time, moved on by ``skip`` so that every feed is due at the next cycle."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def skip(self, delta: timedelta) -> None:
        self.offset += delta


async def soak(args: argparse.Namespace, folder: Path, control: Connection) -> int:
    base_url = control.recv()
    settings = load_settings(write_config(folder, base_url, args.feeds))
    watchlist = load_watchlist(settings.watchlist)
    notifier = Notifier.from_settings(settings.alerts)
    clock = Clock()
    db = open_db(settings.storage_path)
    sync_feeds(db, settings.feeds, clock())
    loop = asyncio.get_running_loop()

    def advance(cycle: int) -> None:
        control.send(cycle)
        control.recv()

    before = descriptors()
    warm: tuple[float, tuple[int, int], float] | None = None  # RSS, descriptors, time
    times: list[float] = []
    polled = not_modified = errors = new = 0
    started = time.monotonic()
    for cycle in range(1, args.cycles + 1):
        if cycle > 1:
            await loop.run_in_executor(None, advance, cycle)
            clock.skip(timedelta(seconds=settings.polling.interval * 1.2))
        began = time.monotonic()
        report = await run_cycle(db, settings, watchlist=watchlist, notifier=notifier, clock=clock)
        checkpoint(db)
        times.append(time.monotonic() - began)
        polled += len(report.feeds)
        not_modified += sum(f.status == "not-modified" for f in report.feeds)
        errors += sum(f.status == "error" for f in report.feeds)
        new += sum(f.new_entries for f in report.feeds)
        if len(report.feeds) != args.feeds:
            print(f"cycle {cycle}: {len(report.feeds)} feeds due, not {args.feeds}", flush=True)
        if cycle == args.warmup:
            warm = (rss_mb()[0], descriptors(), time.monotonic())
        if cycle % 10 == 0 or cycle == args.cycles:
            current, peak = rss_mb()
            print(
                f"cycle {cycle:>4}: {times[-1]:5.2f}s  rss {current:6.1f} MB (peak {peak:.1f})  "
                f"fds/sockets {descriptors()}",
                flush=True,
            )
    elapsed = time.monotonic() - started
    end_rss, peak = rss_mb()
    after = descriptors()
    db.close()
    assert warm is not None
    warm_rss, warm_fds, warm_time = warm
    growth = 100.0 * (end_rss - warm_rss) / warm_rss
    after_warmup = args.cycles - args.warmup
    rate = args.cycles / elapsed
    warm_rate = after_warmup / (time.monotonic() - warm_time) if after_warmup else rate
    stored = db_megabytes(settings.storage_path)
    rows = [
        ("peak RSS", f"{peak:.1f} MB", f"<= {PEAK_RSS_MB:.0f} MB", peak <= PEAK_RSS_MB),
        (
            f"RSS after warm-up (cycle {args.warmup}) -> end",
            f"{warm_rss:.1f} -> {end_rss:.1f} MB ({growth:+.1f}%)",
            f"< {GROWTH_PERCENT:.0f}% growth",
            growth < GROWTH_PERCENT,
        ),
        (
            "open fds: start / after warm-up / end",
            f"{before[0]} / {warm_fds[0]} / {after[0]}",
            "end <= after warm-up",
            after[0] <= warm_fds[0],
        ),
        (
            "sockets: start / after warm-up / end",
            f"{before[1]} / {warm_fds[1]} / {after[1]}",
            "end <= start",
            after[1] <= before[1],
        ),
        ("cycles per second (all / after warm-up)", f"{rate:.2f} / {warm_rate:.2f}", "-", True),
        (
            "cycle time p50 / max",
            f"{statistics.median(times):.2f} / {max(times):.2f} s",
            "-",
            True,
        ),
        (
            "feed polls (304 / errors)",
            f"{polled} ({not_modified} / {errors})",
            "0 errors",
            not errors,
        ),
        ("entries stored, database size", f"{new}, {stored:.1f} MB", "-", True),
    ]
    print(f"\nsoak: {args.feeds} feeds x {args.cycles} cycles in {elapsed:.0f} s\n")
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    print(f"{'measure':<{width}}  {'figure':<{value_width}}  target")
    for name, value, target, ok in rows:
        mark = "" if target == "-" else ("  ok" if ok else "  MISSED")
        print(f"{name:<{width}}  {value:<{value_width}}  {target}{mark}")
    return 0 if all(ok for *_, ok in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=500, help="feeds served (default 500)")
    parser.add_argument("--cycles", type=int, default=100, help="cycles run (default 100)")
    parser.add_argument(
        "--warmup", type=int, default=5, help="cycles before growth is measured (default 5)"
    )
    parser.add_argument(
        "--changed",
        type=float,
        default=0.05,
        help="share of the feeds with a new item each cycle (default 0.05)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if not 1 <= args.warmup < args.cycles:
        parser.error("--warmup must be at least 1 and below --cycles")
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve, args=(args.feeds, args.changed, theirs), daemon=True)
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="news-monitor-soak-") as folder:
            status = asyncio.run(soak(args, Path(folder), ours))
    finally:
        ours.send(None)
        server.join(timeout=10)
    return status if args.check else 0


if __name__ == "__main__":
    sys.exit(main())
