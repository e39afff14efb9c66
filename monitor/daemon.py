"""The long-running service: an APScheduler tick job over feeds whose due-times live in SQLite.

One interval job ("tick") runs a cycle over the feeds that are due and then the outbox. It never
overlaps itself (max_instances=1), late runs are merged (coalesce) and still run when the loop
was busy (a generous misfire grace). Each finished cycle is recorded in ``service_state``.

Signals: SIGTERM/SIGINT cancel the running cycle and exit cleanly (every write is a transaction,
so a cancelled cycle leaves nothing half-written). SIGHUP re-reads the config file: feeds are
added and retired, watches and destinations replaced, between cycles; a config with errors is
logged and the running one kept.

systemd: READY, RELOADING and STOPPING go over NOTIFY_SOCKET when it is set, and WATCHDOG=1 every
half ``WATCHDOG_USEC`` from a task of the event loop, so the pings stop when the loop hangs,
however long a cycle takes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.config import Settings, load_settings
from monitor.errors import ConfigError, StoreError
from monitor.match import Watchlist, WatchlistError, load_watchlist
from monitor.metrics import Counters, MetricsServer, render_metrics
from monitor.refresh import CycleReport, run_cycle
from monitor.service import collect_status, record_state
from monitor.store import checkpoint, open_db
from monitor.store.feeds import sync_feeds
from monitor.store.timefmt import iso
from monitor.workers import Extractors

log = logging.getLogger(__name__)

HEALTH_MARGIN = 60.0  # /healthz: a cycle must have finished within 3 ticks and this many seconds


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


def watchdog_interval(env: Mapping[str, str] = os.environ) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None when not asked for."""
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2 / 1_000_000


def _utcnow() -> datetime:
    return datetime.now(UTC)


def load_all(path: Path | None) -> tuple[Settings, Watchlist, Notifier]:
    """Everything the daemon runs on, read from one config file. Raises ConfigError."""
    settings = load_settings(path)
    try:
        watchlist = load_watchlist(settings.watchlist)
    except WatchlistError as exc:
        raise ConfigError([str(exc)]) from exc
    return settings, watchlist, Notifier.from_settings(settings.alerts)


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
        self.extractors = Extractors()  # worker processes, started at the first page to read
        self.clock = clock
        self.db: Database | None = None
        self._current: asyncio.Task[object] | None = None
        self._stop = asyncio.Event()
        self._cycle = asyncio.Lock()  # a cycle and a reload never interleave
        self._reload: asyncio.Task[None] | None = None
        self._reload_again = False
        self._scheduler: AsyncIOScheduler | None = None
        self._started = time.monotonic()
        self._last_cycle: float | None = None  # time.monotonic() when the last cycle finished
        self.cycles = 0
        self.feed_errors = 0
        self.last_cycle_seconds: float | None = None

    async def tick(self) -> None:
        assert self.db is not None
        self._current = asyncio.current_task()
        try:
            async with self._cycle:
                started = time.monotonic()
                report = await run_cycle(
                    self.db,
                    self.settings,
                    watchlist=self.watchlist,
                    notifier=self.notifier,
                    clock=self.clock,
                    extractors=self.extractors,
                )
                self._finished(report, time.monotonic() - started)
        except StoreError as exc:
            log.error("cycle aborted: %s", exc)
        except asyncio.CancelledError:
            if not self._stop.is_set():
                raise
            # Stopping: the cycle was cancelled on purpose (every write is a transaction, so
            # nothing is half-written). The job ends here rather than reporting a failure.
            log.info("cycle cancelled: stopping")
        finally:
            self._current = None

    def _finished(self, report: CycleReport, took: float) -> None:
        assert self.db is not None
        self.cycles += 1
        errors = sum(1 for f in report.feeds if f.status == "error")
        self.feed_errors += errors
        self._last_cycle, self.last_cycle_seconds = time.monotonic(), took
        state: dict[str, object] = {
            "last_cycle_at": iso(self.clock()),
            "last_cycle_seconds": f"{took:.3f}",
            "last_cycle_feeds": len(report.feeds),
            "last_cycle_errors": errors,
            "cycles": self.cycles,
        }
        try:
            record_state(self.db, state, self.clock())
        except StoreError as exc:
            log.warning("%s", exc)
        checkpoint(self.db)
        busy = report.feeds or report.sent or report.failed
        log.log(
            logging.INFO if busy else logging.DEBUG,
            "cycle=%d feeds=%d errors=%d new=%d flagged=%d alerts_sent=%d alerts_failed=%d "
            "took=%.2fs",
            self.cycles,
            len(report.feeds),
            errors,
            sum(f.new_articles for f in report.feeds),
            len(report.flagged),
            report.sent,
            report.failed,
            took,
        )

    def stop(self) -> None:
        self._stop.set()

    def request_reload(self) -> None:
        """SIGHUP: re-read the config; a reload asked for during one runs again after it."""
        if self._reload is not None and not self._reload.done():
            self._reload_again = True
            return
        self._reload = asyncio.get_running_loop().create_task(self._reload_loop())

    async def _reload_loop(self) -> None:
        while True:
            self._reload_again = False
            monotonic_usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
            sd_notify(f"RELOADING=1\nMONOTONIC_USEC={monotonic_usec}")  # as notify-reload wants
            try:
                await self.reload()
            finally:
                sd_notify("READY=1")
            if not self._reload_again:
                return

    async def reload(self) -> None:
        source = self.settings.source
        if source is None:
            log.warning("reload: started without a config file; nothing to re-read")
            return
        log.info("reload: reading %s", source)
        try:
            settings, watchlist, notifier = await asyncio.to_thread(load_all, source)
        except ConfigError as exc:
            log.error(
                "reload failed: %d config problem(s); the running config is kept",
                len(exc.problems),
            )
            for problem in exc.problems:
                log.error("reload: config error: %s", problem)
            return
        for name in ("storage_path", "service"):
            if getattr(settings, name) != getattr(self.settings, name):
                log.warning("reload: a change of %s takes effect on restart", name)
                settings = dataclasses.replace(settings, **{name: getattr(self.settings, name)})
        async with self._cycle:  # between cycles
            assert self.db is not None
            before = {f.url for f in self.settings.feeds}
            after = {f.url for f in settings.feeds}
            try:
                sync_feeds(self.db, settings.feeds, self.clock())
            except Exception as exc:
                log.error("reload failed: cannot update the feeds table: %s", exc)
                return
            tick = settings.polling.tick
            if tick != self.settings.polling.tick and self._scheduler is not None:
                self._scheduler.reschedule_job("tick", trigger="interval", seconds=tick)
            self.settings, self.watchlist, self.notifier = settings, watchlist, notifier
        log.info(
            "reloaded feeds=%d added=%d removed=%d destinations=%d tick=%gs",
            len(after),
            len(after - before),
            len(before - after),
            len(notifier.destinations),
            tick,
        )

    def health(self) -> tuple[bool, str]:
        """/healthz: a cycle finished within 3 ticks and a margin."""
        limit = 3 * self.settings.polling.tick + HEALTH_MARGIN
        now = time.monotonic()
        if self._last_cycle is None:
            return False, f"no cycle finished yet (up {now - self._started:.0f}s)"
        age = now - self._last_cycle
        if age > limit:
            return False, f"stale: last cycle finished {age:.0f}s ago (limit {limit:.0f}s)"
        return True, f"ok: last cycle finished {age:.0f}s ago, cycles={self.cycles}"

    def metrics(self) -> str:
        assert self.db is not None
        status = collect_status(self.db, self.settings.storage_path, self.clock())
        return render_metrics(
            status, Counters(self.cycles, self.feed_errors, self.last_cycle_seconds)
        )

    async def _watchdog(self, interval: float) -> None:
        while True:
            sd_notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        self.db = open_db(self.settings.storage_path)
        metrics: MetricsServer | None = None
        watchdog: asyncio.Task[None] | None = None
        try:
            sync_feeds(self.db, self.settings.feeds, self.clock())
            record_state(
                self.db, {"started_at": iso(self.clock()), "pid": os.getpid()}, self.clock()
            )
            if self.settings.service.metrics is not None:
                host, port = self.settings.service.metrics
                metrics = MetricsServer(host, port, metrics=self.metrics, health=self.health)
                await metrics.start()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
            loop.add_signal_handler(signal.SIGHUP, self.request_reload)
            self._scheduler = scheduler = AsyncIOScheduler(timezone=UTC)
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
            interval = watchdog_interval()
            if interval is not None:
                watchdog = loop.create_task(self._watchdog(interval))
            log.info(
                "started feeds=%d database=%s tick=%gs destinations=%d watchdog=%s",
                len(self.settings.feeds),
                self.settings.storage_path,
                tick,
                len(self.notifier.destinations),
                f"{interval:g}s" if interval is not None else "off",
            )
            sd_notify("READY=1")
            await self._stop.wait()
            sd_notify("STOPPING=1")
            scheduler.shutdown(wait=False)
            pending = [t for t in (self._current, self._reload, watchdog) if t and not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=10)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            if metrics is not None:
                await metrics.close()
            self.extractors.close()
            checkpoint(self.db)
            self.db.close()
        log.info("stopped after %d cycles", self.cycles)


def run_daemon(settings: Settings, *, watchlist: Watchlist, notifier: Notifier) -> None:
    asyncio.run(Daemon(settings, watchlist=watchlist, notifier=notifier).serve())
