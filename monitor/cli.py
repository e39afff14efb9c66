"""The ``news-monitor`` command line. Each command is a few lines that call into the modules."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor import __version__, terminal
from monitor.clicontext import Context, compile_unless_known, emit, pass_context
from monitor.clicontext import open_existing as _open_existing
from monitor.errors import ConfigError, MonitorError, StoreError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_CONFIG = Path("config/monitor.toml")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _fired(fired: list[dict[str, Any]]) -> list[str]:
    """One line per part of the score: "rule [watch] co-occurrence +27.0 (high): detail"."""
    lines = []
    for part in fired:
        severity = f" ({part['severity']})" if part["severity"] else ""
        lines.append(
            f"rule [{part['watch']}] {part['rule']} {part['weight']:+.1f}{severity}: "
            f"{part['detail']}"
        )
    return lines


def _evidence(matches: list[dict[str, Any]], limit: int = 3) -> list[str]:
    """The sentences that weigh most, with their matched terms highlighted."""
    from monitor.alert import key_sentences

    rows = (
        (m.get("sentence") or "", m["text"], m["kind"], float(m.get("weight") or 0))
        for m in matches
    )
    return key_sentences(rows, limit)


def _emit_json(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))


class MonitorGroup(click.Group):
    """Turns the monitor's own errors into clear messages and exit codes (config errors: 2)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            for problem in exc.problems:
                click.echo(f"config error: {problem}", err=True)
            sys.exit(2)
        except StoreError as exc:
            click.echo(f"storage error: {exc}", err=True)
            sys.exit(1)
        except MonitorError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=MonitorGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="NEWS_MONITOR_CONFIG",
    help="Config file (TOML). Default: config/monitor.toml if present. Env: NEWS_MONITOR_CONFIG.",
)
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors in the log.")
@click.version_option(__version__, prog_name="news-monitor")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: int, quiet: bool) -> None:
    """Watch news feeds and alert on Armenia–Azerbaijan border incidents."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    if ctx.invoked_subcommand == "run" and not quiet:
        level = min(level, logging.INFO)
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(max(level, logging.ERROR))
    if config_path is None and DEFAULT_CONFIG.is_file():
        config_path = DEFAULT_CONFIG
    ctx.obj = Context(config_path)


@main.command()
@pass_context
def run(obj: Context) -> None:
    """Run the daemon in the foreground until SIGTERM or Ctrl-C; SIGHUP re-reads the config.

    One daemon per database: a second one (or `once`) refuses to start while it runs.
    """
    from monitor.daemon import run_daemon
    from monitor.service import instance_lock

    settings = obj.settings
    with instance_lock(settings.storage_path):
        run_daemon(settings, watchlist=obj.watchlist(), notifier=obj.notifier())


@main.command()
@click.option(
    "--dry-run",
    is_flag=True,
    help="Work on a copy of the database and print each message as it would be sent.",
)
@pass_context
def once(obj: Context, dry_run: bool) -> None:
    """One cycle over every feed regardless of schedule, alerts delivered, then exit.

    Refuses while a daemon runs on the same database; a dry run only reads it, and may.
    """
    import contextlib
    import sqlite3
    import tempfile

    from monitor.refresh import run_cycle
    from monitor.service import instance_lock
    from monitor.store import open_db
    from monitor.store.feeds import sync_feeds

    settings = obj.settings
    held = contextlib.ExitStack()
    if not dry_run:
        held.enter_context(instance_lock(settings.storage_path))
    with held:
        watchlist, notifier = obj.watchlist(compile=False), obj.notifier()
        scratch = tempfile.TemporaryDirectory(prefix="news-monitor-dry-") if dry_run else None
        path = settings.storage_path
        if scratch is not None:
            notifier.dry_run = True
            copy = Path(scratch.name) / "monitor.db"
            if path.exists():  # the real database is read, never written
                with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
                    source.backup(target)
            path = copy
        db = open_db(path)
        try:
            compile_unless_known(watchlist, db, _utcnow())
            sync_feeds(db, settings.feeds, _utcnow())
            with terminal.progress(len(settings.feeds), "feeds") as step:
                report = asyncio.run(
                    run_cycle(
                        db,
                        settings,
                        watchlist=watchlist,
                        notifier=notifier,
                        clock=_utcnow,
                        only_due=False,
                        on_feed=step,
                    )
                )
        finally:
            db.close()
            if scratch is not None:
                scratch.cleanup()
    errors = [f for f in report.feeds if f.status == "error"]
    click.echo(
        f"feeds={len(report.feeds)} errors={len(errors)} "
        f"new_articles={sum(f.new_articles for f in report.feeds)} "
        f"duplicates={sum(f.duplicates for f in report.feeds)} "
        f"updated={sum(f.updated for f in report.feeds)} flagged={len(report.flagged)} "
        f"alerts_sent={report.sent} alerts_failed={report.failed}"
    )
    for saved in report.flagged:
        verdict = saved.item.verdict
        places = ", ".join(p.name for p in verdict.places)
        click.echo(f"  FLAGGED #{saved.article_id} [{verdict.severity}] {saved.item.article.title}")
        click.echo(f"    places: {places or '-'}; {verdict.reason}")
    if dry_run:
        click.echo(f"dry run: nothing stored, {len(notifier.rendered)} message(s) not sent:")
        for label, fmt, title, body in notifier.rendered:
            click.echo(f"--- to {label} ({fmt})\n{title}\n{body}")


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input per line.")
@pass_context
def check(obj: Context, inputs: tuple[str, ...], as_json: bool) -> None:
    """Extract and match documents (.txt, .html, or URLs) without storing them.

    A .txt file is a title on its first line and the body after it.
    """
    from monitor.checking import check_inputs

    results = check_inputs(inputs, obj.watchlist(), obj.settings.fetch)
    failed = False
    for result in results:
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False))
        elif "error" in result:
            click.echo(f"{result['input']}: error: {result['error']}")
        else:
            mark = "FLAGGED" if result["flagged"] else "not flagged"
            click.echo(f"{result['input']}: {mark} [{result['severity']}] {result['title']}")
            click.echo(f"  score {result['score']:.1f}: {result['reason']}")
            for place in result["places"]:
                click.echo(f"  place: {place['name']} ({place['lat']:.4f}, {place['lon']:.4f})")
            if result["flagged"]:
                for sentence in _evidence(result["matches"], limit=2):
                    click.echo(f"  evidence: {sentence}")
            for line in _fired(result["fired"]):
                click.echo(f"  {line}")
        failed = failed or "error" in result
    if failed:
        sys.exit(1)


@main.command()
@click.option("--flagged", is_flag=True, help="Only flagged items.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_context
def items(obj: Context, flagged: bool, limit: int, as_json: bool) -> None:
    """List stored articles, newest first."""
    from monitor.store.review import list_items

    rows = list_items(_open_existing(obj), flagged=flagged, limit=limit)
    if as_json:
        _emit_json(rows)
        return
    if terminal.wanted():
        from monitor import termview

        termview.items_table(rows)
        return
    for row in rows:
        mark = f"[{row['severity']}]" if row["flagged"] else "       "
        click.echo(f"#{row['id']:<5} {mark:<10} {row['feed'] or '-':<24.24} {row['title']}")


@main.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
@click.option("--best", is_flag=True, help="Most relevant first (bm25) instead of newest first.")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def search(obj: Context, query: str, limit: int, best: bool, as_json: bool) -> None:
    """Full-text search over stored titles and texts (SQLite FTS5 syntax), newest first."""
    import sqlite3

    from monitor.store.review import search as run_search

    try:
        rows = run_search(_open_existing(obj), query, limit=limit, best=best)
    except sqlite3.OperationalError as exc:
        raise click.UsageError(f"bad search query {query!r}: {exc}") from exc
    if as_json:
        _emit_json(rows)
        return
    if terminal.wanted():
        from monitor import termview

        termview.search_table(rows)
        return
    for row in rows:
        click.echo(f"#{row['id']:<5} {row['title']}\n       {row['snippet']}")


@main.command()
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_context
def show(obj: Context, article_id: int, as_json: bool) -> None:
    """One stored article in full: text, verdict, places, sources and alerts."""
    from monitor.store.review import get_article

    article = get_article(_open_existing(obj), article_id)
    if article is None:
        raise click.ClickException(f"no article with id {article_id}")
    if as_json:
        _emit_json([article])
        return
    if terminal.wanted():
        from monitor import termview

        termview.article_panel(article, _evidence(article["matches"]), _fired(article["fired"]))
        return
    flag = f"FLAGGED [{article['severity']}]" if article["flagged"] else "not flagged"
    click.echo(f"#{article['id']} {article['title']}\n{flag}  score {article['score']}")
    click.echo(f"why: {article['reason']}")
    click.echo(f"url: {article['url']}\nfeed: {article['feed']} ({article['side'] or '-'})")
    click.echo(f"published: {article['published_at'] or '-'}  language: {article['language']}")
    places = ", ".join(f"{p['name']} ({p['lat']}, {p['lon']})" for p in article["places"])
    click.echo(f"places: {places or '-'}")
    for sentence in _evidence(article["matches"]):
        click.echo(f"evidence: {sentence}")
    for line in _fired(article["fired"]):
        click.echo(line)
    for match in article["matches"]:
        click.echo(f"  {match['kind']:<9} {match['text']!r} -> {match['canonical']}")
    for source in article["sources"]:
        click.echo(f"source: {source['feed']}: {source['url']}")
    for version in article["versions"]:
        click.echo(
            f"version {version['version']} (seen {version['seen_at']}, replaced "
            f"{version['replaced_at']}, {version['severity']}): {version['changes']}"
        )
    for alert in article["alerts"]:
        click.echo(f"alert {alert['alert_key']}: {alert['destination']} {alert['status']}")
    click.echo("")
    click.echo(article["text"])


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def feeds(ctx: click.Context, as_json: bool) -> None:
    """Feed health (last status, consecutive errors, next check); `feeds add` and
    `feeds discover` find a site's feeds."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.store.feeds import sync_feeds
    from monitor.store.review import feed_health

    obj = ctx.find_object(Context)
    assert obj is not None
    db = _open_existing(obj)
    sync_feeds(db, obj.settings.feeds, _utcnow())
    rows = feed_health(db)
    if as_json:
        _emit_json(rows)
        return
    if terminal.wanted():
        from monitor import termview

        termview.feeds_table(rows)
        return
    for row in rows:
        status = row["last_status"] or "never polled"
        click.echo(
            f"{row['name']:<32.32} {status:<13} errors={row['error_count']:<3} "
            f"next={row['next_check_at'] or 'now'} {row['last_error'] or ''}"
        )


def _discovered(obj: Context, url: str) -> list[Any]:
    from monitor.fetch import Fetcher
    from monitor.models import FetchResult
    from monitor.sources.discover import discover

    async def go() -> list[Any]:
        async with Fetcher(obj.settings.fetch) as fetcher:

            async def fetch(address: str) -> FetchResult:
                trusted = address == url  # the user's own address; links found are checked
                return await fetcher.fetch(address, on_behalf_of=None if trusted else url)

            return await discover(url, fetch)

    try:
        return asyncio.run(go())
    except MonitorError as exc:
        raise click.ClickException(f"cannot read {url}: {exc}") from exc


@feeds.command("discover")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True)
@pass_context
def feeds_discover(obj: Context, url: str, as_json: bool) -> None:
    """The feeds a site offers (its page's feed links, else common feed paths), each checked."""
    found = _discovered(obj, url)
    if as_json:
        _emit_json(
            [{"url": f.url, "title": f.title, "kind": f.kind, "items": f.entries} for f in found]
        )
        return
    if not found:
        raise click.ClickException(f"no feed found at {url} (try a listing source; see README)")
    for feed in found:
        click.echo(f"{feed.kind:<5} {feed.entries:>4} items  {feed.url}  {feed.title}")


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="the source's name (default: the feed's title or the URL)")
@click.option("--language", help="ISO 639-1 code: en, ru, hy, az ...")
@click.option("--country", help="ISO 3166-1 alpha-2 code of the outlet")
@click.option("--side", type=click.Choice(["armenian", "azerbaijani", "russian", "international"]))
@click.option("--notes", help="reliability notes, shown with its alerts")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the TOML file to add it to (default: the config file)",
)
@pass_context
def feeds_add(
    obj: Context,
    url: str,
    name: str | None,
    language: str | None,
    country: str | None,
    side: str | None,
    notes: str | None,
    target: Path | None,
) -> None:
    """Add a feed: the URL itself when it is one, else the first feed its site offers."""
    from monitor.feedfile import append_feed, feed_table
    from monitor.models import FeedSource

    config = _config_file(obj)
    known = {f.url for f in obj.settings.feeds}
    found = [f for f in _discovered(obj, url) if f.url not in known]
    if not found:
        raise click.ClickException(f"no new feed found at {url}")
    chosen = found[0]
    source = FeedSource(
        name=name or chosen.title or chosen.url,
        url=chosen.url,
        interval_seconds=obj.settings.polling.interval,
        language=language,
        country=country,
        side=side,
        notes=notes or "",
        checked=_utcnow().date().isoformat(),
    )
    target = target or config
    try:
        append_feed(config, target, feed_table(source))
    except ConfigError as exc:
        raise click.ClickException(f"not added, the config would not load: {exc}") from exc
    click.echo(
        f"added {source.name}: {source.url} ({chosen.kind}, {chosen.entries} items) to {target}"
    )
    if len(found) > 1:
        click.echo("the site also offers: " + ", ".join(f.url for f in found[1:]))
    click.echo("a running daemon picks it up on reload: systemctl reload news-monitor")


@feeds.command("remove")
@click.argument("url_or_name")
@pass_context
def feeds_remove(obj: Context, url_or_name: str) -> None:
    """Remove a source (by its URL or name) from the config file, or the file it includes
    that lists it. Its stored articles stay."""
    from monitor.feedfile import remove_feed

    config = _config_file(obj)
    try:
        path, url = remove_feed(config, url_or_name)
    except LookupError:
        raise click.ClickException(f"no [[feeds]] table with url or name {url_or_name!r}") from None
    except ConfigError as exc:
        raise click.ClickException(f"not removed, the config would not load: {exc}") from exc
    click.echo(f"removed {url} from {path}")
    click.echo("a running daemon drops it on reload: systemctl reload news-monitor")


@feeds.command("import")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="the TOML file to add them to (default: the config file)",
)
@pass_context
def feeds_import(obj: Context, opml: Path, target: Path | None) -> None:
    """Add the sources of an OPML file (a feed reader's export); those already configured are
    skipped. Written only if the config then loads."""
    from monitor.feedfile import append_feed, feed_table
    from monitor.opml import from_opml

    config = _config_file(obj)
    try:
        found = from_opml(opml.read_bytes(), interval=obj.settings.polling.interval)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    known = {f.url for f in obj.settings.feeds}
    new = [f for f in {f.url: f for f in found}.values() if f.url not in known]
    if new:
        try:
            append_feed(config, target or config, "\n".join(feed_table(f) for f in new))
        except ConfigError as exc:
            raise click.ClickException(
                f"nothing imported, the config would not load: {exc}"
            ) from exc
    click.echo(f"imported {len(new)} sources, {len(found) - len(new)} already configured")


@feeds.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write to this file (default: standard output)",
)
@pass_context
def feeds_export(obj: Context, output: Path | None) -> None:
    """The configured sources as OPML 2.0, for a feed reader or another monitor."""
    from monitor.opml import to_opml

    data = to_opml(obj.settings.feeds, title="news-monitor sources", now=_utcnow())
    emit(data, output, f"wrote {len(obj.settings.feeds)} sources to {output}")


def _config_file(obj: Context) -> Path:
    if obj.config_path is None or not obj.config_path.exists():
        raise click.ClickException("this command edits the config file: give --config FILE")
    return obj.config_path


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@pass_context
def status(obj: Context, as_json: bool) -> None:
    """Whether a daemon runs; feeds due and erroring, items, alerts outstanding, last cycle."""
    from monitor.service import collect_status, open_for_status, status_lines

    path = obj.settings.storage_path
    db = open_for_status(path)
    if db is None:
        raise click.ClickException(f"no database at {path} yet: nothing has run")
    try:
        now = _utcnow()
        current = collect_status(db, path, now)
    finally:
        db.close()
    if as_json:
        _emit_json([current.as_dict()])
        return
    for line in status_lines(current, now):
        click.echo(line)


_STATUSES = ("pending", "sent", "failed", "dead", "folded", "digest", "digested")


@main.group(invoke_without_command=True)
@click.option("--limit", default=50, show_default=True)
@click.option(
    "--status",
    type=click.Choice(_STATUSES),
    multiple=True,
    help="Only alerts with a delivery in this status (repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def alerts(ctx: click.Context, limit: int, status: tuple[str, ...], as_json: bool) -> None:
    """Alerts, newest first, each with its destinations and delivery status."""
    if ctx.invoked_subcommand is not None:
        return
    from monitor.store.alerts import list_alerts

    obj: Context = ctx.obj
    rows = list_alerts(_open_existing(obj), limit=limit, statuses=status)
    if as_json:
        _emit_json(rows)
        return
    for row in rows:
        click.echo(f"#{row['id']} {row['alert_key']} {row['created_at']} {row['title']}")
        for d in row["deliveries"]:
            error = f" ({d['last_error']})" if d["last_error"] else ""
            click.echo(f"    {d['status']:<8} attempts={d['attempts']} {d['destination']}{error}")


@alerts.command("retry")
@click.argument("alert_id", type=int)
@pass_context
def alerts_retry(obj: Context, alert_id: int) -> None:
    """Send a failed or dead alert again: its undelivered deliveries are due now."""
    from monitor.store.alerts import retry

    count = retry(_open_existing(obj), alert_id, _utcnow())
    if count is None:
        raise click.ClickException(f"no alert with id {alert_id}")
    click.echo(f"alert #{alert_id}: {count} deliveries due again; `news-monitor once` sends them")


@main.command()
@click.option("--flagged", is_flag=True, help="Only stories with a flagged article.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per story per line.")
@pass_context
def stories(obj: Context, flagged: bool, limit: int, as_json: bool) -> None:
    """Stories, newest first: copies of one report are one story, with all their sources."""
    from monitor.store.stories import list_stories

    rows = list_stories(_open_existing(obj), flagged_only=flagged, limit=limit)
    if as_json:
        _emit_json(rows)
        return
    if terminal.wanted():
        from monitor import termview

        termview.stories_table(rows)
        return
    for row in rows:
        mark = f"FLAGGED [{row['severity']}]" if row["flagged"] else "-"
        sources = len(row["sources"])
        click.echo(
            f"story #{row['id']} {mark} {row['title']} ({len(row['articles'])} "
            f"cop{'ies' if len(row['articles']) != 1 else 'y'}, "
            f"{sources} source{'s' if sources != 1 else ''}; first seen {row['first_seen']})"
        )
        for article in row["articles"]:
            click.echo(f"    #{article['id']} {article['feed'] or '-'}: {article['url']}")


@main.command("test-alert")
@click.option("--tag", "tags", multiple=True, help="Only destinations with this tag.")
@pass_context
def test_alert(obj: Context, tags: tuple[str, ...]) -> None:
    """Send a sample alert through every configured destination and report each result."""
    from monitor.errors import AlertError

    notifier = obj.notifier()
    chosen = [d for d in notifier.destinations if not tags or set(tags) & set(d.tags)]
    if not chosen:
        raise click.ClickException(
            "no alert destinations configured ([alerts] urls or config)"
            + (f" with tag {', '.join(tags)}" if tags else "")
        )
    failures = 0
    for dest in chosen:
        try:
            notifier.send(
                dest.key,
                title="[TEST] news-monitor test alert",
                body="This is a test from news-monitor: alerts reach this destination.",
                severity="low",
            )
            click.echo(f"sent   {dest.label}")
        except AlertError as exc:
            failures += 1
            click.echo(f"FAILED {dest.label}: {exc}")
    if failures:
        sys.exit(1)


@main.command()
@click.option(
    "--keep", type=click.Path(path_type=Path, file_okay=False), help="Keep the database here."
)
def demo(keep: Path | None) -> None:
    """Show the whole pipeline offline: serve the bundled demo feeds locally and run one cycle."""
    from monitor.demo import run_demo

    run_demo(keep, echo=click.echo)


if __name__ == "__main__":  # pragma: no cover
    main()


from monitor.review.commands import export, report, serve  # noqa: E402

main.add_command(serve)
main.add_command(export)
main.add_command(report)
