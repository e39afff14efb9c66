"""``news-monitor serve``: Datasette on the live database, with the map and the Atom feed.

The database is opened as Datasette opens any file it may not change: read connections only
(never immutable mode, so the daemon's writes show at once; WAL lets both run). Bound to
loopback by default; beyond it, HTTP Basic authentication with a password is required.
"""

from __future__ import annotations

import base64
import hmac
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils.asgi import Response
from sqlite_utils import Database

from monitor.models import SEVERITIES, gravest
from monitor.review.atom import atom_feed
from monitor.review.mapsvg import COLOURS, Spot, map_svg
from monitor.review.metadata import metadata
from monitor.review.stories import flagged_stories, stories_per_day
from monitor.review.timeline import timeline_svg

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class _Routes:
    """The plugin: the map page and the Atom feed, read from Datasette's own connection."""

    def __init__(self) -> None:
        self.__name__ = "news_monitor_review"  # Datasette lists plugins by name

    @hookimpl  # type: ignore[untyped-decorator]
    def register_routes(self) -> list[tuple[str, Any]]:
        return [
            (r"^/-/map$", _map_page),
            (r"^/-/atom\.xml$", _atom),
            (r"^/-/timeline$", _timeline),
        ]


async def _map_page(datasette: Datasette, request: Any) -> Response:
    db = datasette.get_database()
    rows = await db.execute(
        "select place, country, avg(latitude), avg(longitude), count(*), "
        "group_concat(severity) from flagged_places where latitude is not null "
        "group by place, country"
    )
    spots = [
        Spot(place, country, float(lat), float(lon), int(n), gravest(*(sev or "").split(",")))
        for place, country, lat, lon, n, sev in rows.rows
    ]
    svg = map_svg(spots, link=datasette.urls.table(db.name, "flagged_places"))
    legend = " ".join(
        f'<span style="color:{COLOURS[s]}">&#9679;</span> {s}' for s in reversed(SEVERITIES[1:])
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Map of flagged places</title>"
        "</head><body style='font-family:sans-serif'><h1>Flagged places</h1>"
        f"<p>{len(spots)} places named in flagged items. {legend}. "
        f"<a href='{datasette.urls.instance()}'>Back to the review</a></p>"
        f"<div id='map'>{svg}</div></body></html>"
    )
    return Response.html(page)


async def _timeline(datasette: Datasette, request: Any) -> Response:
    given = request.args.get("weeks") or "6"
    weeks = int(given) if given.isdigit() else 6
    last = datetime.now(UTC).date()
    first = last - timedelta(days=7 * max(1, min(weeks, 520)) - 1)
    counts = await datasette.get_database().execute_fn(
        lambda conn: stories_per_day(Database(conn), first.isoformat())
    )
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Timeline</title></head>"
        "<body style='font-family:sans-serif'><h1>Flagged stories per day</h1>"
        f"<p><a href='{datasette.urls.instance()}'>Back to the review</a></p>"
        f"{timeline_svg(counts, first=first, last=last)}</body></html>"
    )
    return Response.html(page)


async def _atom(datasette: Datasette, request: Any) -> Response:
    watch = request.args.get("watch") or None
    severity = request.args.get("severity") or None
    if severity is not None and severity not in SEVERITIES:
        return Response.text(f"severity must be one of {', '.join(SEVERITIES[1:])}", status=400)
    db = datasette.get_database()
    stories = await db.execute_fn(
        lambda conn: flagged_stories(Database(conn), watch=watch, severity=severity)
    )
    body = atom_feed(
        stories,
        title=feed_title(watch, severity),
        self_url=datasette.absolute_url(request, request.full_path),
        updated=datetime.now(UTC),
        feed_id=f"tag:news-monitor,2026:flagged:{watch or '*'}:{severity or '*'}",
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def feed_title(watch: str | None, severity: str | None) -> str:
    title = "news-monitor: flagged stories"
    if watch:
        title += f" of {watch}"
    if severity:
        title += f", {severity} and graver"
    return title


def _register() -> None:
    if not pm.is_registered(_ROUTES):
        pm.register(_ROUTES, name="news-monitor-review")


_ROUTES = _Routes()


def review_app(path: Path) -> Datasette:
    """The Datasette instance over the database at ``path``."""
    _register()
    return Datasette(
        files=[str(path)],
        metadata=metadata(path.stem),
        settings={"sql_time_limit_ms": 3000, "facet_time_limit_ms": 500},
    )


def with_password(app: ASGIApp, user: str, password: str) -> ASGIApp:
    """The app behind HTTP Basic authentication (compared in constant time)."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    async def guarded(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
            if not hmac.compare_digest(given, expected):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"www-authenticate", b'Basic realm="news-monitor"'),
                            (b"content-type", b"text/plain"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": b"authentication required"})
                return
        await app(scope, receive, send)

    return guarded


def check_database(path: Path) -> None:
    """Raise FileNotFoundError / sqlite3.DatabaseError if ``path`` is not a monitor database."""
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}: run `news-monitor once` first")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = {r[0] for r in conn.execute("select name from sqlite_master")}
    if "flagged_items" not in names:
        raise sqlite3.DatabaseError(f"{path} is not a news-monitor database (or too old)")


def serve(path: Path, *, host: str, port: int, password: str | None) -> None:
    import uvicorn

    app: ASGIApp = review_app(path).app()
    if password:
        app = with_password(app, "review", password)
    uvicorn.run(app, host=host, port=port, log_level="warning")
