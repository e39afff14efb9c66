"""The feeds table: configured sources and their polling state."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from monitor.models import FeedSource
from monitor.policy import server_key
from monitor.store.timefmt import iso

ADOPT_MOVE_AFTER = 3  # successful polls in a row that a 301/308 must repeat to be believed


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers of one feed between polls."""

    id: int
    source: FeedSource
    etag: str | None
    last_modified: str | None
    error_count: int
    next_check_at: str | None
    fetch_url: str | None = None  # where the feed moved to (adopted after ADOPT_MOVE_AFTER polls)

    @property
    def polled_url(self) -> str:
        """The URL polled: the configured one, or where it has stably moved to."""
        return self.fetch_url or self.source.url


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
                "kind": source.kind,
                "selector": source.selector or None,
                "include": json.dumps(source.include) if source.include else None,
                "exclude": json.dumps(source.exclude) if source.exclude else None,
                "notes": source.notes or None,
                "checked": source.checked or None,
                "active": 1,
            }
            if source.url in existing:
                row = existing[source.url]
                changed = {key: value for key, value in values.items() if row[key] != value}
                if changed:  # most runs change nothing: no write
                    _update(db, row["id"], changed)
            else:
                db.table("feeds").insert({"url": source.url, "created_at": iso(now), **values})
        for url, row in existing.items():
            if url not in wanted and row["active"]:
                _update(db, row["id"], {"active": 0})


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
            kind=row.get("kind") or "feed",
            selector=row.get("selector") or "",
            include=tuple(json.loads(row["include"])) if row.get("include") else (),
            exclude=tuple(json.loads(row["exclude"])) if row.get("exclude") else (),
            notes=row.get("notes") or "",
            checked=row.get("checked") or "",
        ),
        etag=row["etag"],
        last_modified=row["last_modified"],
        error_count=row["error_count"] or 0,
        next_check_at=row["next_check_at"],
        fetch_url=row.get("fetch_url") or None,
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
    moved_to: str | None = None,
) -> None:
    """Write the outcome of one poll. ``status`` is "ok", "not-modified" or "error".

    ``moved_to`` is where a 301/308 sent this poll; the feed's polled URL becomes it once the
    same answer came ADOPT_MOVE_AFTER successful polls in a row (a 302, a 200 or another target
    starts the count again), so one misconfigured response cannot move a feed for good.
    """
    cursor = db.execute(
        "select error_count, entries_seen, moved_to, moved_seen, held_until from feeds "
        "where id = ?",
        [feed_id],
    )
    found = cursor.fetchone()
    if found is None:
        raise NotFoundError(f"no feed with id {feed_id}")
    row = dict(zip([c[0] for c in cursor.description], found, strict=True))
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
        values.update(_move(row, moved_to))
    held = row.get("held_until")
    if held and held > values["next_check_at"]:  # the server asked for a pause meanwhile
        values["next_check_at"] = held
    with db.atomic():
        _update(db, feed_id, values)


def _update(db: Database, feed_id: int, values: dict[str, Any]) -> None:
    """One UPDATE statement (sqlite-utils' ``update`` reads the row and the schema first)."""
    assignments = ", ".join(f'"{column}" = ?' for column in values)
    db.execute(f"update feeds set {assignments} where id = ?", [*values.values(), feed_id])


def _move(row: dict[str, Any], moved_to: str | None) -> dict[str, Any]:
    """The move-tracking columns after a successful poll that was (or was not) moved."""
    if moved_to is None:
        return {"moved_to": None, "moved_seen": 0}
    seen = (row.get("moved_seen") or 0) + 1 if row.get("moved_to") == moved_to else 1
    if seen >= ADOPT_MOVE_AFTER:
        return {"fetch_url": moved_to, "moved_to": None, "moved_seen": 0}
    return {"moved_to": moved_to, "moved_seen": seen}


def hold_server(db: Database, url: str, until: datetime) -> int:
    """Poll no feed on the server of ``url`` before ``until`` (that server's Retry-After), even
    one whose poll is under way now. Returns how many feeds were held back."""
    server = server_key(url)
    held = 0
    with db.atomic():
        for row in db.table("feeds").rows_where("active = 1"):
            if server_key(row.get("fetch_url") or row["url"]) != server:
                continue
            values = {"held_until": max(row.get("held_until") or "", iso(until) or "")}
            if row["next_check_at"] is None or row["next_check_at"] < values["held_until"]:
                values["next_check_at"] = values["held_until"]
            _update(db, row["id"], values)
            held += 1
    return held
