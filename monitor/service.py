"""Running as a service: one instance per database, what the daemon records about itself, and
the status that ``news-monitor status`` and ``/metrics`` report.

- The instance lock is an exclusive ``flock`` on ``<database>.lock`` (``monitor.db.lock``), held
  for the daemon's life (and for the length of ``once``). The kernel drops it when the process
  ends, however it ends, so a crash never leaves a stale lock behind. The file holds the pid.
- The ``service_state`` table is a small key/value store: the last cycle's time and duration,
  when the daemon started, its pid.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from monitor.errors import MonitorError, StoreError
from monitor.store.timefmt import from_iso, iso


class AlreadyRunning(MonitorError):
    """Another process holds the database's instance lock."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


@contextlib.contextmanager
def instance_lock(database: Path) -> Iterator[None]:
    """Hold the database's instance lock, or raise AlreadyRunning naming the holder's pid."""
    path = lock_path(database)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot open lock file {path}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            holder = f" (pid {pid})" if pid else ""
            raise AlreadyRunning(
                f"another news-monitor{holder} is already running on {database} "
                f"({path} is locked); stop it first, e.g. `systemctl stop news-monitor`"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def lock_holder(database: Path) -> int | None:
    """The pid holding the instance lock (0 when unknown), or None when nobody holds it."""
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or 0
        return None
    finally:
        os.close(fd)


def record_state(db: Database, values: Mapping[str, object], now: datetime) -> None:
    """Upsert keys of the ``service_state`` table in one transaction."""
    rows = [
        {"key": key, "value": None if value is None else str(value), "updated_at": iso(now)}
        for key, value in values.items()
    ]
    try:
        with db.atomic():
            db.table("service_state").upsert_all(rows, pk="key")
    except sqlite3.Error as exc:
        raise StoreError(f"cannot record the daemon's state: {exc}") from exc


def read_state(db: Database) -> dict[str, str]:
    if not db.table("service_state").exists():  # a database no daemon of this version opened
        return {}
    return {row["key"]: row["value"] for row in db.table("service_state").rows}


@dataclass(frozen=True, slots=True)
class Status:
    """What ``news-monitor status`` prints and ``/metrics`` exposes."""

    database: str
    daemon_running: bool
    daemon_pid: int | None
    feeds_total: int
    feeds_due: int
    feeds_erroring: int
    items_stored: int
    items_flagged: int
    alerts_pending: int
    alerts_failed: int
    alerts_dead: int
    last_cycle_at: str | None
    last_cycle_seconds: float | None
    cycles: int
    daemon_started_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _count(db: Database, sql: str, params: tuple[object, ...] = ()) -> int:
    return int(db.execute(sql, params).fetchone()[0])


def collect_status(db: Database, database: Path, now: datetime) -> Status:
    """Counts from the database, the daemon's own record, and whether the lock is held."""
    try:
        state = read_state(db)
        feeds_total = _count(db, "select count(*) from feeds where active = 1")
        due = _count(
            db,
            "select count(*) from feeds where active = 1 "
            "and (next_check_at is null or next_check_at <= ?)",
            (iso(now),),
        )
        erroring = _count(
            db, "select count(*) from feeds where active = 1 and last_status = 'error'"
        )
        stored = _count(db, "select count(*) from articles")
        flagged = _count(db, "select count(*) from articles where flagged = 1")
        deliveries = dict(
            db.execute(
                "select status, count(*) from deliveries "
                "where status in ('pending', 'failed', 'dead') group by status"
            ).fetchall()
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read status from {database}: {exc}") from exc
    pid = lock_holder(database)
    seconds = state.get("last_cycle_seconds")
    return Status(
        database=str(database),
        daemon_running=pid is not None,
        daemon_pid=pid or None,
        feeds_total=feeds_total,
        feeds_due=due,
        feeds_erroring=erroring,
        items_stored=stored,
        items_flagged=flagged,
        alerts_pending=int(deliveries.get("pending", 0)),
        alerts_failed=int(deliveries.get("failed", 0)),
        alerts_dead=int(deliveries.get("dead", 0)),
        last_cycle_at=state.get("last_cycle_at"),
        last_cycle_seconds=float(seconds) if seconds else None,
        cycles=int(state.get("cycles") or 0),
        daemon_started_at=state.get("started_at"),
    )


def _ago(when: str | None, now: datetime) -> str:
    moment = from_iso(when)
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    span = f"{seconds}s" if seconds < 120 else f"{seconds // 60}m" if seconds < 7200 else None
    return f"{when} ({span or f'{seconds // 3600}h'} ago)"


def status_lines(status: Status, now: datetime) -> list[str]:
    if status.daemon_running:
        daemon = f"running (pid {status.daemon_pid})" if status.daemon_pid else "running"
    else:
        daemon = "not running"
    took = (
        f", took {status.last_cycle_seconds:.1f}s" if status.last_cycle_seconds is not None else ""
    )
    return [
        f"daemon:     {daemon}",
        f"database:   {status.database}",
        f"feeds:      {status.feeds_total} active, {status.feeds_due} due, "
        f"{status.feeds_erroring} erroring",
        f"items:      {status.items_stored} stored, {status.items_flagged} flagged",
        f"alerts:     {status.alerts_pending} pending, {status.alerts_failed} failed, "
        f"{status.alerts_dead} dead (deliveries)",
        f"last cycle: {_ago(status.last_cycle_at, now)}{took}",
    ]


def open_for_status(database: Path) -> Database | None:
    """Open the database read-only for a look, or None when it does not exist yet. (Run as
    root, SQLite gives any ``-wal``/``-shm`` file it creates to the database's owner, so the
    daemon's dynamic user can still open them.)"""
    if not database.exists():
        return None
    try:
        conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        conn.execute("PRAGMA busy_timeout = 10000")
        return Database(conn)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {database}: {exc}") from exc
