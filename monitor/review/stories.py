"""The flagged stories a review shows or a feed reader subscribes to, filtered by watch and
severity."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlite_utils import Database

from monitor.models import severity_at_least


def flagged_stories(
    db: Database, *, watch: str | None = None, severity: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest flagged stories first (by last seen), each with its first article's link, reason,
    places and watches and the feeds that carried it; only those flagged by ``watch`` and at
    least as grave as ``severity`` when given."""
    out: list[dict[str, Any]] = []
    cursor = db.execute(
        """
        select s.id, s.title, s.severity, s.first_seen_at, s.last_seen_at, s.article_count,
               a.url, a.reason, a.watches, a.places
        from stories s join articles a on a.id = s.first_article_id
        where s.flagged = 1
        order by s.last_seen_at desc, s.id desc
        """
    )
    for row in cursor:
        story_id, title, grade, first, last, count, url, reason, watches, places = row
        watch_list = json.loads(watches or "[]")
        if watch and watch not in watch_list:
            continue
        if severity and not severity_at_least(grade or "info", severity):
            continue
        sources = [
            name
            for (name,) in db.execute(
                "select distinct f.name from entries e join articles a on a.id = e.article_id "
                "join feeds f on f.id = e.feed_id where a.story_id = ? order by e.id",
                [story_id],
            ).fetchall()
        ]
        out.append(
            {
                "id": story_id,
                "title": title,
                "severity": grade,
                "first_seen_at": first,
                "last_seen_at": last,
                "articles": count,
                "url": url,
                "reason": reason,
                "watches": watch_list,
                "places": [p["name"] for p in json.loads(places or "[]")],
                "sources": sources,
            }
        )
        if len(out) >= limit:
            break
    return out


def stories_per_day(db: Database, since: str) -> dict[tuple[date, str], int]:
    """How many flagged stories were first seen each UTC day since ``since`` (ISO date), by
    severity."""
    rows = db.execute(
        "select substr(first_seen_at, 1, 10), severity, count(*) from stories "
        "where flagged = 1 and first_seen_at >= ? group by 1, 2",
        [since],
    ).fetchall()
    return {(date.fromisoformat(day), severity or "info"): n for day, severity, n in rows}
