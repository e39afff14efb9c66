"""What Datasette shows of the monitor's database: titles, column help, facets and the canned
queries a reviewer starts from."""

from __future__ import annotations

from typing import Any

_SEVERITY_ORDER = (
    "case severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 "
    "when 'low' then 3 else 4 end"
)

QUERIES: dict[str, dict[str, Any]] = {
    "flagged_today": {
        "title": "Flagged today",
        "description": "Items flagged since midnight UTC, gravest first.",
        "sql": (
            "select id, title, severity, score, feed, side, language, first_seen_at, url "
            f"from flagged_items where day = date('now') order by {_SEVERITY_ORDER}, "
            "first_seen_at desc"
        ),
    },
    "story": {
        "title": "A story: its sources and versions",
        "description": "Every copy of a story (feed, side, address) and every earlier version "
        "of its articles. Give the story id.",
        "sql": (
            "select 'source' as row, a.id as article, f.name as feed, f.side, "
            "coalesce(e.url, a.url) as url, coalesce(e.title, a.title) as title, "
            "e.first_seen_at as seen, null as changes from articles a "
            "join entries e on e.article_id = a.id left join feeds f on f.id = e.feed_id "
            "where a.story_id = :story "
            "union all "
            "select 'version ' || v.version, v.article_id, null, null, null, v.title, "
            "v.seen_at, v.changes from article_versions v join articles a "
            "on a.id = v.article_id where a.story_id = :story "
            "order by row, seen"
        ),
    },
    "alerts_and_deliveries": {
        "title": "Alerts and their deliveries",
        "description": "Every delivery of every alert: dead and failed first, then the newest.",
        "sql": (
            "select d.status, d.attempts, d.last_error, d.destination, d.sent_at, "
            "d.next_attempt_at, a.id as alert, a.kind, a.severity, a.title, a.created_at "
            "from deliveries d join alerts a on a.id = d.alert_id order by case d.status "
            "when 'dead' then 0 when 'failed' then 1 when 'pending' then 2 else 3 end, "
            "a.id desc"
        ),
    },
    "feed_health": {
        "title": "Feed health",
        "description": "Sources with errors first: last status, consecutive errors, last error, "
        "next check.",
        "sql": (
            "select name, kind, side, language, last_status, last_http_status, error_count, "
            "last_error, last_success_at, next_check_at, entries_seen, url from feeds "
            "where active = 1 order by error_count desc, last_status = 'ok', name"
        ),
    },
    "incidents_by_place": {
        "title": "Flagged items by place",
        "description": "How often each place was named in flagged items, and when last.",
        "sql": (
            "select place, country, count(*) as items, max(day) as last_day, "
            "min(latitude) as latitude, min(longitude) as longitude from flagged_places "
            "group by place, country order by items desc, last_day desc"
        ),
    },
}

HIDDEN = ("lsh", "fingerprints", "_sqlite_migrations", "service_state")


def metadata(database: str) -> dict[str, Any]:
    """Datasette metadata for the database named ``database`` (the file's stem)."""
    return {
        "title": "news-monitor review",
        "description": "What the border watch stored: flagged items, stories, alerts, feeds. "
        "The map of flagged places is at /-/map, flagged stories per day at /-/timeline, "
        "and an Atom feed of flagged stories at /-/atom.xml (?watch=NAME&severity=high).",
        "databases": {
            database: {
                "queries": QUERIES,
                "tables": {
                    **{name: {"hidden": True} for name in HIDDEN},
                    "flagged_items": {
                        "title": "Flagged items",
                        "description": "Articles a watch flagged, with their feed's side.",
                        "facets": [
                            "severity",
                            {"array": "watches"},
                            "feed",
                            "side",
                            "language",
                            "day",
                        ],
                        "sort_desc": "first_seen_at",
                        "columns": {
                            "severity": "info < low < medium < high < critical",
                            "score": "the flagging watch's score (see firings)",
                            "watches": "the watches that flagged it",
                            "reason": "why it was flagged, in one line",
                            "side": "armenian, azerbaijani, russian or international",
                            "day": "the UTC day it was first seen",
                            "story_id": "the story it belongs to (copies are one story)",
                        },
                    },
                    "flagged_places": {
                        "title": "Flagged items by place",
                        "description": "One row per place named in a flagged item.",
                        "facets": ["place", "country", "severity", "side", "day"],
                    },
                    "articles": {
                        "description": "Every stored article (full text searchable).",
                        "facets": ["flagged", "severity", "language", "text_source"],
                        "sort_desc": "first_seen_at",
                        "columns": {
                            "text_source": "page (extracted) or feed (the feed's own text)",
                            "version": "1, or how often the page was re-read and changed",
                        },
                    },
                    "stories": {
                        "description": "One story per reported event: an article and its copies.",
                        "facets": ["flagged", "severity"],
                        "sort_desc": "last_seen_at",
                    },
                    "alerts": {
                        "description": "Alerts made, one per story (and follow-ups).",
                        "facets": ["kind", "severity"],
                        "sort_desc": "id",
                    },
                    "deliveries": {
                        "description": "One row per (alert, destination): the outbox.",
                        "facets": ["status", "destination"],
                        "sort_desc": "id",
                    },
                    "feeds": {
                        "description": "Configured sources and their polling state.",
                        "facets": ["kind", "side", "language", "last_status", "active"],
                    },
                },
            }
        },
    }
