"""The feeds table: configured sources and their polling state."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from monitor.models import FeedSource
from monitor.store.timefmt import iso


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers of one feed between polls."""

    id: int
    source: FeedSource
    etag: str | None
    last_modified: str | None
    error_count: int
    next_check_at: str | None


def sync_feeds(db: Database, sources: Iterable[FeedSource], now: datetime) -> None:
    """Make the feeds table follow the config: add new feeds, update names, retire removed ones."""
    sources = list(sources)
    wanted = {s.url for s in sources}
    with db.atomic():
        existing = {row["url"]: row for row in db.table("feeds").rows}
        for source in sources:
            values: dict[str, Any] = {
                "name": source.name,
                "language": source.language,
                "country": source.country,
                "side": source.side,
                "interval_seconds": source.interval_seconds,
                "active": 1,
            }
            if source.url in existing:
                db.table("feeds").update(existing[source.url]["id"], values)
            else:
                db.table("feeds").insert({"url": source.url, "created_at": iso(now), **values})
        for url, row in existing.items():
            if url not in wanted and row["active"]:
                db.table("feeds").update(row["id"], {"active": 0})


def _state(row: dict[str, Any]) -> FeedState:
    return FeedState(
        id=row["id"],
        source=FeedSource(
            name=row["name"],
            url=row["url"],
            interval_seconds=row["interval_seconds"],
            language=row["language"],
            country=row["country"],
            side=row["side"],
        ),
        etag=row["etag"],
        last_modified=row["last_modified"],
        error_count=row["error_count"] or 0,
        next_check_at=row["next_check_at"],
    )


def active_feeds(db: Database, *, due_at: datetime | None = None) -> list[FeedState]:
    """Active feeds, or only those due at ``due_at``, the longest-waiting first."""
    where = "active = 1"
    params: list[Any] = []
    if due_at is not None:
        where += " and (next_check_at is null or next_check_at <= ?)"
        params.append(iso(due_at))
    rows = db.table("feeds").rows_where(where, params, order_by="coalesce(next_check_at, ''), id")
    return [_state(row) for row in rows]


def record_poll(
    db: Database,
    feed_id: int,
    *,
    now: datetime,
    next_check: datetime,
    status: str,
    http_status: int | None = None,
    error: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    new_entries: int = 0,
) -> None:
    """Write the outcome of one poll. ``status`` is "ok", "not-modified" or "error"."""
    row = db.table("feeds").get(feed_id)
    values: dict[str, Any] = {
        "last_status": status,
        "last_http_status": http_status,
        "last_checked_at": iso(now),
        "next_check_at": iso(next_check),
    }
    if status == "error":
        values["last_error"] = error
        values["error_count"] = (row["error_count"] or 0) + 1
    else:
        values.update(last_error=None, error_count=0, last_success_at=iso(now))
        values["entries_seen"] = (row["entries_seen"] or 0) + new_entries
        if status == "ok":
            values.update(etag=etag, last_modified=last_modified)
    with db.atomic():
        db.table("feeds").update(feed_id, values)
