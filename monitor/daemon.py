"""The long-running service: an APScheduler tick job over feeds whose due-times live in SQLite.

One interval job ("tick") runs a cycle over the feeds that are due and then the outbox. It never
overlaps itself (max_instances=1), late runs are merged (coalesce) and still run when the loop
was busy (a generous misfire grace). SIGTERM/SIGINT cancel the running cycle and exit cleanly:
every write is a transaction, so a cancelled cycle leaves nothing half-written. READY, STOPPING
and WATCHDOG go to systemd over NOTIFY_SOCKET when it is set.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.config import Settings
from monitor.errors import StoreError
from monitor.match import Watchlist
from monitor.refresh import run_cycle
from monitor.store import checkpoint, open_db
from monitor.store.feeds import sync_feeds

log = logging.getLogger(__name__)


def sd_notify(message: str) -> bool:
    """Send one sd_notify message to systemd if we run under it. Returns whether it was sent."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.debug("sd_notify failed: %s", exc)
        return False
    return True


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Daemon:
    def __init__(
        self,
        settings: Settings,
        *,
        watchlist: Watchlist,
        notifier: Notifier,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.settings = settings
        self.watchlist = watchlist
        self.notifier = notifier
        self.clock = clock
        self.db: Database | None = None
        self._current: asyncio.Task[object] | None = None
        self._stop = asyncio.Event()
        self.cycles = 0
        self.failure: BaseException | None = None

    async def tick(self) -> None:
        assert self.db is not None
        self._current = asyncio.current_task()
        try:
            report = await run_cycle(
                self.db,
                self.settings,
                watchlist=self.watchlist,
                notifier=self.notifier,
                clock=self.clock,
            )
        except StoreError as exc:
            log.error("cycle aborted: %s", exc)
            return
        finally:
            self._current = None
        self.cycles += 1
        checkpoint(self.db)
        errors = sum(1 for f in report.feeds if f.status == "error")
        busy = report.feeds or report.sent or report.failed
        log.log(
            logging.INFO if busy else logging.DEBUG,
            "cycle=%d feeds=%d errors=%d new=%d flagged=%d alerts_sent=%d alerts_failed=%d",
            self.cycles,
            len(report.feeds),
            errors,
            sum(f.new_articles for f in report.feeds),
            len(report.flagged),
            report.sent,
            report.failed,
        )
        sd_notify("WATCHDOG=1")

    def stop(self) -> None:
        self._stop.set()

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        self.db = open_db(self.settings.storage_path)
        sync_feeds(self.db, self.settings.feeds, self.clock())
        scheduler = AsyncIOScheduler(timezone=UTC)
        tick = self.settings.polling.tick
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=tick,
            id="tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(60, int(tick * 10)),
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        log.info(
            "started feeds=%d database=%s tick=%gs destinations=%d",
            len(self.settings.feeds),
            self.settings.storage_path,
            tick,
            len(self.notifier.destinations),
        )
        sd_notify("READY=1")
        try:
            await self._stop.wait()
        finally:
            sd_notify("STOPPING=1")
            scheduler.shutdown(wait=False)
            current = self._current
            if current is not None and not current.done():
                current.cancel()
                await asyncio.wait([current], timeout=10)
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            checkpoint(self.db)
            self.db.close()
            log.info("stopped after %d cycles", self.cycles)


def run_daemon(settings: Settings, *, watchlist: Watchlist, notifier: Notifier) -> None:
    asyncio.run(Daemon(settings, watchlist=watchlist, notifier=notifier).serve())
