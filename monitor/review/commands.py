"""The review commands: ``serve`` (Datasette with the map and the Atom feed) and ``export``."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from monitor.clicontext import Context, emit, open_existing, pass_context
from monitor.models import SEVERITIES


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--password-env",
    metavar="NAME",
    help="require HTTP Basic authentication (user 'review') with the password in this "
    "environment variable; required when --host is not a loopback address",
)
@pass_context
def serve(obj: Context, host: str, port: int, password_env: str | None) -> None:
    """Review the database in a browser: Datasette with facets, full-text search, canned
    queries, a map of flagged places (/-/map) and an Atom feed of flagged stories
    (/-/atom.xml)."""
    from monitor.policy import is_loopback_host as is_loopback
    from monitor.review.site import check_database
    from monitor.review.site import serve as run_server

    password = os.environ.get(password_env, "") if password_env else ""
    if password_env and not password:
        raise click.ClickException(f"the environment variable {password_env} is empty or unset")
    if not is_loopback(host) and not password:
        raise click.ClickException(
            f"{host} is not a loopback address: the review would be open to the network; "
            "give --password-env NAME to require a password"
        )
    path = obj.settings.storage_path
    try:
        check_database(path)
    except (FileNotFoundError, sqlite3.DatabaseError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"review at http://{host}:{port}/ (map /-/map, Atom /-/atom.xml); Ctrl-C stops")
    run_server(path, host=host, port=port, password=password or None)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "atom"]),
    default="csv",
    show_default=True,
    help="csv or json: flagged items; atom: flagged stories, for a feed reader",
)
@click.option("--watch", help="only what this watch flagged")
@click.option("--severity", type=click.Choice(SEVERITIES[1:]), help="only this grave or graver")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write to this file (default: standard output)",
)
@pass_context
def export(
    obj: Context,
    fmt: str,
    watch: str | None,
    severity: str | None,
    limit: int,
    output: Path | None,
) -> None:
    """Export flagged items (csv, json) or flagged stories (atom)."""
    from monitor.review.atom import atom_feed
    from monitor.review.site import feed_title
    from monitor.review.stories import flagged_stories

    db = open_existing(obj)
    if fmt == "atom":
        stories = flagged_stories(db, watch=watch, severity=severity, limit=limit)
        where = (output or Path("flagged.atom")).resolve().as_uri()
        data = atom_feed(
            stories,
            title=feed_title(watch, severity),
            self_url=where,
            updated=datetime.now(UTC),
            feed_id=f"tag:news-monitor,2026:flagged:{watch or '*'}:{severity or '*'}",
        )
    else:
        rows = _flagged_items(db.conn, watch, severity, limit)
        data = (_csv(rows) if fmt == "csv" else _json_lines(rows)).encode()
    emit(data, output, f"wrote {output}")


def _flagged_items(
    conn: sqlite3.Connection, watch: str | None, severity: str | None, limit: int
) -> list[dict[str, object]]:
    grave = SEVERITIES[SEVERITIES.index(severity) :] if severity else SEVERITIES
    marks = ",".join("?" * len(grave))
    sql = f"select * from flagged_items where severity in ({marks})"
    params: list[object] = list(grave)
    if watch:
        sql += " and exists (select 1 from json_each(watches) where value = ?)"
        params.append(watch)
    cursor = conn.execute(sql + " order by first_seen_at desc, id desc limit ?", [*params, limit])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def _json_lines(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


@click.command()
@click.option("--weeks", default=6, show_default=True, type=click.IntRange(1, 520))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("flagged-timeline.svg"),
    show_default=True,
)
@pass_context
def report(obj: Context, weeks: int, output: Path) -> None:
    """Write a timeline picture (SVG): flagged stories per day and severity over the last
    weeks."""
    from monitor.review.stories import stories_per_day
    from monitor.review.timeline import timeline_svg

    db = open_existing(obj)
    last = datetime.now(UTC).date()
    first = last - timedelta(days=7 * weeks - 1)
    counts = stories_per_day(db, first.isoformat())
    output.write_text(timeline_svg(counts, first=first, last=last), encoding="utf-8")
    click.echo(f"wrote {output}: {sum(counts.values())} flagged stories since {first}")
