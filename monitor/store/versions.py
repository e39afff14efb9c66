"""Updates: the same page with changed content is a new version of its article.

The article row always holds the newest version; each earlier one is kept in
``article_versions`` with what changed. An update alerts again only when the article newly
matches or its severity rises above what its story was alerted with (a death toll added).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from monitor.changes import describe
from monitor.models import AlertDraft, Destination, Item, severity_rank
from monitor.routing import Route
from monitor.similarity import Sketch, lsh_keys, sketch
from monitor.store.alerts import add_alert
from monitor.store.articles import insert_details
from monitor.store.stories import alerted_severity, remember
from monitor.store.timefmt import iso


@dataclass(frozen=True, slots=True)
class Updated:
    article_id: int
    version: int  # the new version's number (2 for the first update)
    changes: str
    alert_id: int | None


def set_revision(db: Database, entry_id: int, revision: str) -> None:
    db.execute("update entries set revision = ? where id = ?", [revision, entry_id])


def save_update(
    db: Database,
    *,
    entry_id: int,
    article_id: int,
    item: Item,
    now: datetime,
    draft_alert: Callable[[Item, int, str], AlertDraft | None],
    destinations: Iterable[Destination],
    routes: Sequence[Route] = (),
) -> Updated | None:
    """Store a re-read page as a new version of its article, if its content changed."""
    with db.atomic():
        set_revision(db, entry_id, item.entry.revision)
        row = db.execute(
            "select title, text, content_hash, flagged, severity, score, reason, first_seen_at, "
            "version, story_id from articles where id = ?",
            [article_id],
        ).fetchone()
        if row is None or row[2] == item.content_hash:
            return None
        title, text, old_hash, flagged, severity, score, reason, seen, version, story_id = row
        article, verdict = item.article, item.verdict
        new_title = article.title or item.entry.title
        changes = describe(title or "", text or "", new_title, article.text)
        last = db.execute(
            "select replaced_at from article_versions where article_id = ? "
            "order by version desc limit 1",
            [article_id],
        ).fetchone()
        db.table("article_versions").insert(
            {
                "article_id": article_id,
                "version": version or 1,
                "title": title,
                "text": text,
                "content_hash": old_hash,
                "flagged": flagged,
                "severity": severity,
                "score": score,
                "reason": reason,
                "seen_at": last[0] if last else seen,
                "replaced_at": iso(now),
                "changes": changes,
            }
        )
        taken = db.execute(
            "select 1 from articles where content_hash = ? and id != ?",
            [item.content_hash, article_id],
        ).fetchone()
        db.execute(
            "update articles set title = ?, text = ?, content_hash = ?, flagged = ?, score = ?, "
            "severity = ?, watches = ?, matched_terms = ?, places = ?, reason = ?, "
            "version = ? where id = ?",
            [
                new_title,
                article.text,
                old_hash if taken else item.content_hash,
                int(verdict.flagged),
                round(verdict.score, 3),
                verdict.severity,
                json.dumps(list(verdict.watches)),
                json.dumps(sorted({m.canonical for m in verdict.matches})),
                json.dumps([asdict(p) for p in verdict.places], ensure_ascii=False),
                verdict.reason,
                (version or 1) + 1,
                article_id,
            ],
        )
        _replace_details(db, article_id, item)
        _reindex(db, article_id, article.text)
        alert_id = None
        if story_id is not None:
            db.execute(
                "update stories set last_seen_at = ?, flagged = max(flagged, ?) where id = ?",
                [iso(now), int(verdict.flagged), story_id],
            )
            if severity_rank(verdict.severity) > severity_rank(_story_severity(db, story_id)):
                db.execute(
                    "update stories set severity = ? where id = ?", [verdict.severity, story_id]
                )
        sent = alerted_severity(db, story_id) if story_id is not None else None
        newly = verdict.flagged and not flagged
        graver = verdict.flagged and severity_rank(verdict.severity) > max(
            severity_rank(severity), severity_rank(sent or "none")
        )
        if newly or graver:
            draft = draft_alert(item, article_id, changes)
            if draft is not None:
                alert_id = add_alert(
                    db, article_id, draft, destinations, now, kind="update", routes=routes
                )
        return Updated(article_id, (version or 1) + 1, changes, alert_id)


def _story_severity(db: Database, story_id: int) -> str:
    row = db.execute("select severity from stories where id = ?", [story_id]).fetchone()
    return str(row[0]) if row and row[0] else "none"


def _replace_details(db: Database, article_id: int, item: Item) -> None:
    db.execute("delete from matches where article_id = ?", [article_id])
    db.execute("delete from firings where article_id = ?", [article_id])
    insert_details(db, article_id, item.verdict)


def _reindex(db: Database, article_id: int, text: str) -> None:
    row = db.execute(
        "select size, body, lead, specifics from fingerprints where article_id = ?", [article_id]
    ).fetchone()
    if row is not None:
        old = Sketch.from_blobs(int(row[0]), row[1], row[2], row[3])
        db.conn.executemany(
            "delete from lsh where key = ? and article_id = ?",
            [(key, article_id) for key in lsh_keys(old)],
        )
    remember(db, article_id, sketch(text))


def versions(db: Database, article_id: int) -> list[dict[str, Any]]:
    """The earlier versions of an article, oldest first."""
    cursor = db.execute(
        "select version, title, severity, flagged, seen_at, replaced_at, changes "
        "from article_versions where article_id = ? order by version",
        [article_id],
    )
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
