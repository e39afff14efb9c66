"""Stories: every stored article belongs to one; copies and light edits join the first's.

An article's sketch (``monitor.similarity``) is stored in ``fingerprints`` and its LSH keys in
``lsh`` (one row per key, a covering primary key). A new article looks up its keys, compares
its sketch with each candidate's and joins the story of the most alike one that is the same
text; otherwise it starts a story. All of it runs inside the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from monitor.incidents import WINDOW, Signature, same_incident
from monitor.models import SEVERITIES, gravest
from monitor.similarity import MIN_SHINGLES, Likeness, Sketch, likeness, lsh_keys, sketch
from monitor.store.db import insert_row
from monitor.store.timefmt import iso

_CHUNK = 400
_STORY_FIELDS = (
    "id",
    "title",
    "first_seen",
    "last_seen",
    "flagged",
    "severity",
    "count",
    "incident",
)


@dataclass(frozen=True, slots=True)
class Placement:
    story_id: int
    new_story: bool


def candidates(db: Database, keys: list[int]) -> list[int]:
    """Articles that share at least one LSH key, most shared keys first."""
    counts: dict[int, int] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for (article_id,) in db.execute(
            f"select article_id from lsh where key in ({marks})", chunk
        ).fetchall():
            counts[article_id] = counts.get(article_id, 0) + 1
    return sorted(counts, key=lambda a: -counts[a])


def find_alike(db: Database, item: Sketch, limit: int = 50) -> tuple[int, Likeness] | None:
    """The stored article whose text this one is the same story as, if any."""
    found = candidates(db, lsh_keys(item))[:limit]
    best: tuple[int, Likeness] | None = None
    for article_id in found:
        row = db.execute(
            "select size, body, lead, specifics from fingerprints where article_id = ?",
            [article_id],
        ).fetchone()
        if row is None:
            continue
        other = Sketch.from_blobs(int(row[0]), row[1], row[2], row[3])
        if min(item.size, other.size) < MIN_SHINGLES:
            continue
        like = likeness(item, other)
        if like.same and (best is None or _rank(like) > _rank(best[1])):
            best = (article_id, like)
    return best


def _rank(like: Likeness) -> tuple[float, float]:
    return (like.body, like.contained)


def remember(db: Database, article_id: int, item: Sketch) -> None:
    """Store an article's sketch and index its keys."""
    body, lead, details = item.to_blobs()
    db.execute(
        "insert or replace into fingerprints (article_id, size, body, lead, specifics) "
        "values (?, ?, ?, ?, ?)",
        [article_id, item.size, body, lead, details],
    )
    db.conn.executemany(
        "insert or ignore into lsh (key, article_id) values (?, ?)",
        [(key, article_id) for key in lsh_keys(item)],
    )


def place_article(
    db: Database,
    article_id: int,
    *,
    title: str,
    text: str,
    flagged: bool,
    severity: str,
    now: datetime,
) -> Placement:
    """Put a newly stored article in a story (joining an alike one, or a new one)."""
    item = sketch(text)
    alike = find_alike(db, item)
    remember(db, article_id, item)
    if alike is not None:
        other, _ = alike
        row = db.execute("select story_id from articles where id = ?", [other]).fetchone()
        if row is not None and row[0] is not None:
            story_id = int(row[0])
            _join(db, story_id, article_id, flagged=flagged, severity=severity, now=now)
            return Placement(story_id, False)
    story_id = insert_row(
        db,
        "stories",
        {
            "title": title,
            "first_seen_at": iso(now),
            "last_seen_at": iso(now),
            "flagged": int(flagged),
            "severity": severity,
            "article_count": 1,
            "first_article_id": article_id,
        },
    )
    db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])
    return Placement(story_id, True)


def _join(
    db: Database, story_id: int, article_id: int, *, flagged: bool, severity: str, now: datetime
) -> None:
    db.execute("update articles set story_id = ? where id = ?", [story_id, article_id])
    current = db.execute("select severity from stories where id = ?", [story_id]).fetchone()
    graver = gravest(current[0] or "none", severity) if current else severity
    db.execute(
        "update stories set article_count = article_count + 1, last_seen_at = ?, "
        "flagged = max(flagged, ?), severity = ? where id = ?",
        [iso(now), int(flagged), graver, story_id],
    )


# A feed's side, from its `side` or, failing that, its `country`.
_SIDE_OF_COUNTRY = {"AM": "armenian", "AZ": "azerbaijani", "RU": "russian"}


@dataclass(frozen=True, slots=True)
class Source:
    feed: str
    side: str  # armenian, azerbaijani, russian, international, or "" when the feed says neither


def story_sources(db: Database, story_id: int) -> list[Source]:
    """The feeds that carried the story's articles, first seen first, once each."""
    found: dict[str, Source] = {}
    for name, side, country in db.execute(
        "select f.name, f.side, f.country from articles a join entries e on e.article_id = a.id "
        "join feeds f on f.id = e.feed_id where a.story_id = ? order by e.id",
        [story_id],
    ).fetchall():
        if name not in found:
            resolved = side or _SIDE_OF_COUNTRY.get((country or "").upper(), "")
            if not resolved and country:
                resolved = "international"
            found[name] = Source(name, resolved)
    return list(found.values())


def corroborated_at(db: Database, story_id: int) -> str | None:
    row = db.execute("select corroborated_at from stories where id = ?", [story_id]).fetchone()
    return row[0] if row else None


def mark_corroborated(db: Database, story_id: int, now: datetime) -> None:
    db.execute("update stories set corroborated_at = ? where id = ?", [iso(now), story_id])


def get_story(db: Database, story_id: int) -> dict[str, Any] | None:
    """A story's title, severity, flag and the address of its first article."""
    row = db.execute(
        "select s.title, s.severity, s.flagged, a.url from stories s "
        "left join articles a on a.id = s.first_article_id where s.id = ?",
        [story_id],
    ).fetchone()
    if row is None:
        return None
    return {"title": row[0], "severity": row[1], "flagged": bool(row[2]), "url": row[3]}


def link_incident(db: Database, story_id: int, sig: Signature) -> int:
    """Put a flagged story in the incident it reports (a recent one that agrees, or a new one)."""
    row = db.execute("select incident_id from stories where id = ?", [story_id]).fetchone()
    if row is not None and row[0] is not None:
        return int(row[0])
    since = iso(sig.seen - WINDOW)
    chosen = None
    for incident_id, places, regions, families, last in db.execute(
        "select id, places, regions, families, last_seen_at from incidents "
        "where last_seen_at >= ? order by last_seen_at desc",
        [since],
    ).fetchall():
        other = Signature(
            frozenset((str(n), float(a), float(b)) for n, a, b in json.loads(places)),
            frozenset(json.loads(regions)),
            frozenset(json.loads(families)),
            datetime.fromisoformat(last),
        )
        if same_incident(sig, other):
            chosen = int(incident_id)
            db.execute(
                "update incidents set last_seen_at = max(last_seen_at, ?), places = ?, "
                "regions = ?, families = ?, story_count = story_count + 1 where id = ?",
                [
                    iso(sig.seen),
                    json.dumps(sorted(other.places | sig.places), ensure_ascii=False),
                    json.dumps(sorted(other.regions | sig.regions), ensure_ascii=False),
                    json.dumps(sorted(other.families | sig.families)),
                    chosen,
                ],
            )
            break
    if chosen is None:
        chosen = insert_row(
            db,
            "incidents",
            {
                "first_seen_at": iso(sig.seen),
                "last_seen_at": iso(sig.seen),
                "places": json.dumps(sorted(sig.places), ensure_ascii=False),
                "regions": json.dumps(sorted(sig.regions), ensure_ascii=False),
                "families": json.dumps(sorted(sig.families)),
                "story_count": 1,
            },
        )
    db.execute("update stories set incident_id = ? where id = ?", [chosen, story_id])
    return chosen


def story_of(db: Database, article_id: int) -> int | None:
    row = db.execute("select story_id from articles where id = ?", [article_id]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def alerted_severity(db: Database, story_id: int) -> str | None:
    """The gravest severity this story has already been alerted with, if it has been."""
    rows = db.execute(
        "select al.severity from alerts al join articles a on a.id = al.article_id "
        "where a.story_id = ?",
        [story_id],
    ).fetchall()
    known = [row[0] for row in rows if row[0] in SEVERITIES]
    return gravest(*known) if known else None


def list_stories(
    db: Database, *, flagged_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    """Newest stories first, each with its articles (url, feed, title)."""
    where = "where s.flagged = 1" if flagged_only else ""
    stories = [
        dict(zip(_STORY_FIELDS, r, strict=True))
        for r in db.execute(
            "select s.id, s.title, s.first_seen_at, s.last_seen_at, s.flagged, s.severity, "
            f"s.article_count, s.incident_id from stories s {where} "
            "order by s.last_seen_at desc, s.id desc "
            "limit ?",
            [limit],
        ).fetchall()
    ]
    for story in stories:
        story["flagged"] = bool(story["flagged"])
        story["articles"] = [
            {"id": r[0], "url": r[1], "feed": r[2], "title": r[3], "first_seen": r[4]}
            for r in db.execute(
                "select a.id, coalesce(e.url, a.url), f.name, coalesce(e.title, a.title), "
                "e.first_seen_at from articles a left join entries e on e.article_id = a.id "
                "left join feeds f on f.id = e.feed_id where a.story_id = ? order by e.id",
                [story["id"]],
            ).fetchall()
        ]
        story["sources"] = sorted({a["feed"] for a in story["articles"] if a["feed"]})
        story["related"] = (
            [
                int(r[0])
                for r in db.execute(
                    "select id from stories where incident_id = ? and id != ? order by id",
                    [story["incident"], story["id"]],
                ).fetchall()
            ]
            if story["incident"] is not None
            else []
        )
    return stories


def dumps(story: dict[str, Any]) -> str:
    return json.dumps(story, ensure_ascii=False)
