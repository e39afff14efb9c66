"""Entries (feed items) and articles (their text, stored once per distinct content)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from monitor.incidents import signature
from monitor.models import AlertDraft, Destination, Item, MatchResult, severity_rank
from monitor.routing import Route
from monitor.store.alerts import add_alert
from monitor.store.db import insert_row, insert_rows
from monitor.store.stories import (
    Source,
    alerted_severity,
    corroborated_at,
    link_incident,
    mark_corroborated,
    place_article,
    story_of,
    story_sources,
)
from monitor.store.timefmt import iso


@dataclass(frozen=True, slots=True)
class Saved:
    """What happened to one item on save."""

    item: Item
    article_id: int
    new_article: bool
    alert_id: int | None
    story_id: int | None = None
    new_story: bool = False


@dataclass(frozen=True, slots=True)
class KnownEntry:
    id: int
    article_id: int | None
    revision: str | None


def known_entries(db: Database, feed_id: int, keys: Iterable[str]) -> dict[str, KnownEntry]:
    """The entries of this batch that the feed already has, by key."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, KnownEntry] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for key, entry_id, article_id, revision in db.execute(
            "select entry_key, id, article_id, revision from entries "
            f"where feed_id = ? and entry_key in ({marks})",
            [feed_id, *chunk],
        ).fetchall():
            found[key] = KnownEntry(int(entry_id), article_id, revision)
    return found


def article_for_url(db: Database, canonical_url: str) -> int | None:
    """The article already stored for this canonical URL (from any feed), if any."""
    row = db.execute(
        "select article_id from entries where canonical_url = ? and article_id is not null limit 1",
        [canonical_url],
    ).fetchone()
    return int(row[0]) if row else None


def article_for_content(db: Database, content_hash: str) -> int | None:
    """The article already stored with this content fingerprint, if any."""
    row = db.execute("select id from articles where content_hash = ?", [content_hash]).fetchone()
    return int(row[0]) if row else None


def _corroborate(
    db: Database,
    story_id: int,
    article_id: int,
    corroborate: Callable[[int, list[Source]], AlertDraft | None],
    destinations: list[Destination],
    now: datetime,
    routes: Sequence[Route],
) -> int | None:
    """One follow-up per alerted story, when its sources are independent enough."""
    if alerted_severity(db, story_id) is None or corroborated_at(db, story_id) is not None:
        return None
    draft = corroborate(story_id, story_sources(db, story_id))
    if draft is None:
        return None
    mark_corroborated(db, story_id, now)
    return add_alert(db, article_id, draft, destinations, now, kind="corroboration", routes=routes)


def _article_row(feed_id: int, item: Item, now: datetime) -> dict[str, Any]:
    article, verdict = item.article, item.verdict
    return {
        "feed_id": feed_id,
        "url": article.url or item.entry.url,
        "canonical_url": item.canonical_url,
        "title": article.title or item.entry.title,
        "text": article.text,
        "summary": item.entry.summary,
        "text_source": article.source,
        "language": article.language,
        "author": article.author,
        "site": article.site,
        "published_at": iso(article.published or item.entry.published),
        "first_seen_at": iso(now),
        "content_hash": item.content_hash,
        "flagged": int(verdict.flagged),
        "score": round(verdict.score, 3),
        "severity": verdict.severity,
        "watches": json.dumps(list(verdict.watches)),
        "matched_terms": json.dumps(sorted({m.canonical for m in verdict.matches})),
        "places": json.dumps([asdict(p) for p in verdict.places], ensure_ascii=False),
        "reason": verdict.reason,
    }


def insert_details(db: Database, article_id: int, verdict: MatchResult) -> None:
    """An article's matched terms and the parts of its score."""
    insert_rows(db, "matches", ({"article_id": article_id, **m._asdict()} for m in verdict.matches))
    insert_rows(db, "firings", ({"article_id": article_id, **asdict(f)} for f in verdict.fired))


def save_items(
    db: Database,
    feed_id: int,
    items: Iterable[Item],
    *,
    now: datetime,
    draft_alert: Callable[[Item, int], AlertDraft | None],
    destinations: Iterable[Destination],
    corroborate: Callable[[int, list[Source]], AlertDraft | None] | None = None,
    routes: Sequence[Route] = (),
) -> list[Saved]:
    """Store a feed's new items in one transaction, with their alerts in the outbox.

    An item whose content is already stored (same text under another URL or feed) becomes an
    entry pointing at the existing article: stored once, alerted once.
    """
    destinations = list(destinations)
    saved: list[Saved] = []
    with db.atomic():
        for item in items:
            article_id = item.known_article_id
            if article_id is None:
                article_id = article_for_content(db, item.content_hash)
            new_article = article_id is None
            alert_id = None
            story_id: int | None = None
            new_story = False
            if article_id is None:
                article_id = insert_row(db, "articles", _article_row(feed_id, item, now))
                insert_details(db, article_id, item.verdict)
                verdict = item.verdict
                placement = place_article(
                    db,
                    article_id,
                    title=item.article.title or item.entry.title,
                    text=item.article.text,
                    flagged=verdict.flagged,
                    severity=verdict.severity,
                    now=now,
                )
                story_id, new_story = placement.story_id, placement.new_story
                if verdict.flagged:
                    link_incident(db, story_id, signature(verdict, now))
                # One story, one alert: a copy alerts only when it is graver than what was sent.
                sent = None if new_story else alerted_severity(db, story_id)
                if sent is None or severity_rank(verdict.severity) > severity_rank(sent):
                    draft = draft_alert(item, article_id)
                    if draft is not None:
                        kind = "first" if sent is None else "graver"
                        alert_id = add_alert(
                            db, article_id, draft, destinations, now, kind=kind, routes=routes
                        )
            else:
                story_id, new_story = story_of(db, article_id), False
            insert_row(
                db,
                "entries",
                {
                    "feed_id": feed_id,
                    "entry_key": item.entry.key,
                    "url": item.entry.url,
                    "canonical_url": item.canonical_url,
                    "title": item.entry.title,
                    "published_at": iso(item.entry.published),
                    "first_seen_at": iso(now),
                    "article_id": article_id,
                    "duplicate": int(not new_article),
                    "revision": item.entry.revision,
                },
            )
            if story_id is not None and not new_story and corroborate is not None:
                followup = _corroborate(
                    db, story_id, article_id, corroborate, destinations, now, routes
                )
                alert_id = alert_id or followup
            saved.append(Saved(item, article_id, new_article, alert_id, story_id, new_story))
    return saved
