"""Opening the SQLite file and its schema. Every schema change is a sqlite-utils migration."""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from monitor.errors import StoreError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
MMAP_BYTES = 1 << 30
migrations = Migrations("news-monitor")


@migrations()
def m001_initial(db: Database) -> None:
    db.table("feeds").create(
        {
            "id": int,
            "url": str,
            "name": str,
            "language": str,
            "country": str,
            "side": str,
            "active": int,
            "interval_seconds": float,
            "etag": str,
            "last_modified": str,
            "last_status": str,
            "last_http_status": int,
            "last_error": str,
            "error_count": int,
            "last_checked_at": str,
            "last_success_at": str,
            "next_check_at": str,
            "entries_seen": int,
            "created_at": str,
        },
        pk="id",
        not_null={"url", "name"},
        defaults={"active": 1, "error_count": 0, "entries_seen": 0},
    )
    db.table("feeds").create_index(["url"], unique=True)
    db.table("articles").create(
        {
            "id": int,
            "feed_id": int,
            "url": str,
            "canonical_url": str,
            "title": str,
            "text": str,
            "summary": str,
            "text_source": str,
            "language": str,
            "author": str,
            "site": str,
            "published_at": str,
            "first_seen_at": str,
            "content_hash": str,
            "flagged": int,
            "score": float,
            "severity": str,
            "watches": str,
            "matched_terms": str,
            "places": str,
            "reason": str,
        },
        pk="id",
        foreign_keys=[("feed_id", "feeds", "id")],
    )
    db.table("articles").create_index(["content_hash"], unique=True)
    db.table("articles").create_index(["canonical_url"])
    db.table("articles").create_index(["flagged", "first_seen_at"])
    db.table("entries").create(
        {
            "id": int,
            "feed_id": int,
            "entry_key": str,
            "url": str,
            "canonical_url": str,
            "title": str,
            "published_at": str,
            "first_seen_at": str,
            "article_id": int,
            "duplicate": int,
        },
        pk="id",
        foreign_keys=[("feed_id", "feeds", "id"), ("article_id", "articles", "id")],
    )
    db.table("entries").create_index(["feed_id", "entry_key"], unique=True)
    db.table("entries").create_index(["canonical_url"])
    db.table("matches").create(
        {
            "id": int,
            "article_id": int,
            "kind": str,
            "text": str,
            "canonical": str,
            "sentence": str,
            "weight": float,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("matches").create_index(["article_id"])
    db.table("alerts").create(
        {
            "id": int,
            "alert_key": str,
            "article_id": int,
            "created_at": str,
            "severity": str,
            "title": str,
            "body": str,
            "url": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("alerts").create_index(["alert_key"], unique=True)
    db.table("alerts").create_index(["article_id"], unique=True)
    db.table("deliveries").create(
        {
            "id": int,
            "alert_id": int,
            "destination": str,
            "destination_key": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "sent_at": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("alert_id", "alerts", "id")],
        defaults={"status": "pending", "attempts": 0},
    )
    db.table("deliveries").create_index(["alert_id", "destination_key"], unique=True)
    db.table("deliveries").create_index(["status", "next_attempt_at"])
    db.table("articles").enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")


@migrations()
def m002_firings(db: Database) -> None:
    """What made up each stored verdict: the rules and weights that fired, per watch."""
    db.table("firings").create(
        {
            "id": int,
            "article_id": int,
            "watch": str,
            "rule": str,
            "weight": float,
            "severity": str,
            "detail": str,
            "sentence": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("firings").create_index(["article_id"])
    db.table("firings").create_index(["watch", "rule"])


@migrations()
def m003_stories(db: Database) -> None:
    """Stories, and the near-duplicate index that puts articles in them (``stories.py``)."""
    db.table("stories").create(
        {
            "id": int,
            "title": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "flagged": int,
            "severity": str,
            "article_count": int,
            "first_article_id": int,
        },
        pk="id",
    )
    db.table("stories").create_index(["last_seen_at"])
    db.table("articles").add_column("story_id", int)
    db.table("articles").create_index(["story_id"])
    db.execute(
        "create table fingerprints (article_id integer primary key references articles(id), "
        "size integer not null, body blob not null, lead blob not null, "
        "specifics blob not null)"
    )
    db.execute(
        "create table lsh (key integer not null, article_id integer not null, "
        "primary key (key, article_id)) without rowid"
    )
    # Articles stored before stories existed: placed in the order they came.
    from monitor.store.stories import place_article

    rows = db.execute(
        "select id, title, text, flagged, severity, first_seen_at from articles order by id"
    ).fetchall()
    for article_id, title, text, flagged, severity, seen in rows:
        when = datetime.fromisoformat(seen) if seen else datetime.now(UTC)
        place_article(
            db,
            article_id,
            title=title or "",
            text=text or "",
            flagged=bool(flagged),
            severity=severity or "none",
            now=when,
        )


@migrations()
def m004_followups(db: Database) -> None:
    """An article may carry several alerts (its first, a graver copy, a corroboration follow-up,
    an update); a story remembers when its corroboration was announced."""
    db.execute("drop index if exists idx_alerts_article_id")
    db.table("alerts").create_index(["article_id"])
    db.table("alerts").add_column("kind", str)
    db.execute("update alerts set kind = 'first' where kind is null")
    db.table("stories").add_column("corroborated_at", str)


@migrations()
def m005_versions(db: Database) -> None:
    """Earlier versions of articles whose page changed, and what the feed last said of each
    entry (its revision), to notice a re-issued item."""
    db.table("entries").add_column("revision", str)
    db.table("articles").add_column("version", int, not_null_default=1)
    db.table("article_versions").create(
        {
            "id": int,
            "article_id": int,
            "version": int,
            "title": str,
            "text": str,
            "content_hash": str,
            "flagged": int,
            "severity": str,
            "score": float,
            "reason": str,
            "seen_at": str,
            "replaced_at": str,
            "changes": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_versions").create_index(["article_id", "version"], unique=True)


@migrations()
def m006_incidents(db: Database) -> None:
    """Incidents: flagged stories that agree on place, time and kind (``incidents.py``)."""
    db.table("incidents").create(
        {
            "id": int,
            "first_seen_at": str,
            "last_seen_at": str,
            "places": str,
            "regions": str,
            "families": str,
            "story_count": int,
        },
        pk="id",
    )
    db.table("incidents").create_index(["last_seen_at"])
    db.table("stories").add_column("incident_id", int)
    db.table("stories").create_index(["incident_id"])


@migrations()
def m007_alert_payload(db: Database) -> None:
    """The alert as a message to write per destination format (``formats.py``)."""
    db.table("alerts").add_column("payload", str)


@migrations()
def m008_service_state(db: Database) -> None:
    """What the daemon says about itself (``service.py``): its last cycle, when it started."""
    db.table("service_state").create(
        {"key": str, "value": str, "updated_at": str}, pk="key", not_null={"key"}
    )


@migrations()
def m009_source_kinds(db: Database) -> None:
    """Sources other than feeds (``monitor/sources``) and what the user knows of each."""
    feeds = db.table("feeds")
    feeds.add_column("kind", str, not_null_default="feed")
    for column in ("selector", "include", "exclude", "notes", "checked"):
        feeds.add_column(column, str)


@migrations()
def m010_feed_moves(db: Database) -> None:
    """Feeds that moved (301/308): the URL polled once the move is stable, and its tally;
    and until when their server asked for a pause (Retry-After)."""
    feeds = db.table("feeds")
    feeds.add_column("fetch_url", str)
    feeds.add_column("moved_to", str)
    feeds.add_column("moved_seen", int, not_null_default=0)
    feeds.add_column("held_until", str)


class WriterDatabase(Database):
    """A sqlite-utils Database whose outermost ``atomic()`` begins IMMEDIATE.

    sqlite-utils begins a deferred transaction: one that reads and then writes while another
    connection (a CLI command beside the daemon) has committed meanwhile cannot upgrade its
    snapshot, and SQLite fails it at once with "database is locked", whatever the busy timeout.
    Taking the write lock at BEGIN makes the second writer wait its turn instead. Nested blocks
    stay savepoints; readers are never blocked (WAL).
    """

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise


@migrations()
def m011_review_views(db: Database) -> None:
    """Views for review (``news-monitor serve``): flagged items with their feed's side and
    day, and one row per (flagged item, place) with coordinates for the map."""
    db.execute(
        """
        create view if not exists flagged_items as
        select a.id, a.title, a.severity, a.score, a.watches, a.reason,
               substr(a.first_seen_at, 1, 10) as day, a.first_seen_at, a.published_at,
               f.name as feed, f.side, f.country as feed_country, a.language,
               a.story_id, a.url
        from articles a left join feeds f on f.id = a.feed_id
        where a.flagged = 1
        """
    )
    db.execute(
        """
        create view if not exists flagged_places as
        select a.id as article_id, json_extract(p.value, '$.name') as place,
               json_extract(p.value, '$.country') as country,
               json_extract(p.value, '$.lat') as latitude,
               json_extract(p.value, '$.lon') as longitude,
               a.title, a.severity, substr(a.first_seen_at, 1, 10) as day,
               f.name as feed, f.side, a.url
        from articles a left join feeds f on f.id = a.feed_id, json_each(a.places) p
        where a.flagged = 1 and json_valid(a.places)
        """
    )


def open_db(path: Path) -> Database:
    """Open (creating if needed) the database in WAL mode with a busy timeout, migrated."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # Reads through a memory map, not a read() per page: a new article's near-duplicate
        # lookup probes ~28 random index pages, and at a million articles on a cold page cache
        # this more than halves it (p95 2.1 -> 0.9 ms, benchmarks/store_scale.py). The pages are the
        # kernel's file cache, shared with other readers and reclaimable.
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = WriterDatabase(conn)
        migrations.apply(db)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    return db


def checkpoint(db: Database) -> None:
    """Fold the WAL back into the main file so it does not grow without bound."""
    try:
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error as exc:
        log.warning("checkpoint failed: %s", exc)


def _column_value(value: Any) -> Any:
    """A Python value as SQLite stores it (sqlite-utils' conventions: JSON for containers)."""
    if value is None or isinstance(value, str | int | float | bytes):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=repr, ensure_ascii=False)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    names = ", ".join(f'"{column}"' for column in columns)
    return f'insert into "{table}" ({names}) values ({", ".join("?" * len(columns))})'


@contextlib.contextmanager
def _writing(db: Database) -> Iterator[None]:
    """Within the caller's transaction, or in one of its own (never an implicit one left
    open: that would hold the write lock)."""
    if db.conn.in_transaction:
        yield
        return
    with db.atomic():
        yield


def insert_row(db: Database, table: str, row: dict[str, Any]) -> int:
    """Insert one row into an existing table and return its integer primary key.

    One statement: sqlite-utils' ``insert`` reads the schema first (table list, columns),
    several queries a row on the hot path of a cycle."""
    with _writing(db):
        cursor = db.conn.execute(
            _insert_sql(table, list(row)), [_column_value(v) for v in row.values()]
        )
    if cursor.lastrowid is None:
        raise StoreError(f"insert into {table} returned no key")
    return int(cursor.lastrowid)


def insert_rows(db: Database, table: str, rows: Iterable[dict[str, Any]]) -> None:
    """Insert rows (each with the same columns as the first) into an existing table."""
    rows = list(rows)
    if not rows:
        return
    columns = list(rows[0])
    with _writing(db):
        db.conn.executemany(
            _insert_sql(table, columns), [[_column_value(row[c]) for c in columns] for row in rows]
        )
