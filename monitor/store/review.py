"""Read-only queries for review: items, search, one article in full, feed health."""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from monitor.store.versions import versions

_ITEM_COLUMNS = (
    "a.id, a.title, a.url, a.severity, a.score, a.flagged, a.places, a.published_at, "
    "a.first_seen_at, a.language, a.text_source, f.name as feed"
)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("places", "watches", "matched_terms"):
        if isinstance(row.get(key), str):
            row[key] = json.loads(row[key])
    if "flagged" in row:
        row["flagged"] = bool(row["flagged"])
    return row


def _rows(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [_decode(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def list_items(db: Database, *, flagged: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    where = "where a.flagged = 1" if flagged else ""
    sql = (
        f"select {_ITEM_COLUMNS} from articles a left join feeds f on f.id = a.feed_id "
        f"{where} order by a.id desc limit ?"
    )
    return _rows(db, sql, [limit])


def search(
    db: Database, query: str, *, limit: int = 20, best: bool = False
) -> list[dict[str, Any]]:
    """Full-text search (FTS5 syntax) over titles and texts, with a snippet: newest first, or
    with ``best`` the most relevant first (bm25). Newest first stops after ``limit`` matches;
    relevance ranks every match, which takes long when hundreds of thousands match."""
    order = "rank" if best else "articles_fts.rowid desc"
    sql = (
        f"select {_ITEM_COLUMNS}, "
        "snippet(articles_fts, 1, '[', ']', ' … ', 12) as snippet "
        "from articles_fts join articles a on a.rowid = articles_fts.rowid "
        "left join feeds f on f.id = a.feed_id "
        f"where articles_fts match ? order by {order} limit ?"
    )
    return _rows(db, sql, [query, limit])


def get_article(db: Database, article_id: int) -> dict[str, Any] | None:
    found = _rows(
        db,
        "select a.*, f.name as feed, f.side as side from articles a "
        "left join feeds f on f.id = a.feed_id where a.id = ?",
        [article_id],
    )
    if not found:
        return None
    article = found[0]
    article["sources"] = _rows(
        db,
        "select f.name as feed, e.url, e.title, e.first_seen_at from entries e "
        "join feeds f on f.id = e.feed_id where e.article_id = ? order by e.id",
        [article_id],
    )
    article["matches"] = _rows(
        db,
        "select kind, text, canonical, weight, sentence from matches where article_id = ? "
        "order by weight desc, id",
        [article_id],
    )
    article["versions"] = versions(db, article_id)
    article["fired"] = _rows(
        db,
        "select watch, rule, weight, severity, detail, sentence from firings "
        "where article_id = ? order by id",
        [article_id],
    )
    article["alerts"] = _rows(
        db,
        "select a.alert_key, a.created_at, d.destination, d.status, d.attempts, d.last_error "
        "from alerts a left join deliveries d on d.alert_id = a.id where a.article_id = ?",
        [article_id],
    )
    return article


def feed_health(db: Database) -> list[dict[str, Any]]:
    return _rows(
        db,
        "select id, name, url, side, active, last_status, last_http_status, last_error, "
        "error_count, last_checked_at, last_success_at, next_check_at, entries_seen "
        "from feeds order by active desc, error_count desc, name",
        [],
    )
