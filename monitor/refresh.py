"""refresh_feed(): the one place where the pipeline's stages meet.

::

    fetch feed -> parse -> drop known entries -> fetch page + extract (or feed text)
      -> fingerprint -> match -> store (one transaction, alerts into the outbox) -> schedule

run_cycle() refreshes many feeds concurrently and then empties the outbox
(monitor.deliver.deliver_pending).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlite_utils import Database

from monitor.alert import (
    Notifier,
    render_alert,
    render_corroboration,
    render_update,
)
from monitor.config import Settings
from monitor.deliver import deliver_pending
from monitor.errors import RateLimited, SourceError, StoreError
from monitor.fetch import Fetcher
from monitor.identity import canonical_url, content_hash, page_address
from monitor.language import guess_language
from monitor.match import Watchlist, match_article
from monitor.models import (
    AlertDraft,
    Article,
    Entry,
    FetchResult,
    Item,
    MatchResult,
    severity_at_least,
)
from monitor.parse import believable
from monitor.schedule import next_check
from monitor.sources import ACCEPT, read_entries
from monitor.store import articles as article_store
from monitor.store import feeds as feed_store
from monitor.store import stories, versions
from monitor.store.feeds import FeedState
from monitor.store.stories import Source
from monitor.workers import Extractors, read_here

log = logging.getLogger(__name__)


class PageFetcher(Protocol):
    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        on_behalf_of: str | None = None,
        accept: str = "*/*",
    ) -> FetchResult: ...


@dataclass
class FeedReport:
    """What one feed's refresh did."""

    name: str
    url: str
    status: str  # "ok", "not-modified", "error"
    error: str | None = None
    entries: int = 0
    new_entries: int = 0
    new_articles: int = 0
    duplicates: int = 0
    pages_fetched: int = 0
    updated: int = 0  # stored articles whose re-issued page changed: a new version each
    flagged: list[article_store.Saved] = field(default_factory=list)


@dataclass
class CycleReport:
    feeds: list[FeedReport] = field(default_factory=list)
    sent: int = 0
    failed: int = 0

    @property
    def flagged(self) -> list[article_store.Saved]:
        return [saved for report in self.feeds for saved in report.flagged]


# The verdict of an item whose article is stored already: it joins that article, whose own
# verdict stands; matching the copy again would change nothing.
_COPY = MatchResult(
    flagged=False,
    score=0.0,
    severity="none",
    watches=(),
    matches=(),
    places=(),
    reason="a copy of a stored article, judged when that was stored",
)


def _feed_article(entry: Entry, language: str | None, *, guess: bool = True) -> Article:
    """The feed's own words for an entry; ``guess``: its language when the feed names none."""
    text = entry.content if len(entry.content) > len(entry.summary) else entry.summary
    if language is None and guess:
        language = guess_language(entry.title + "\n" + text)
    return Article(
        url=entry.url,
        title=entry.title,
        text=text,
        language=language,
        published=entry.published,
        author=entry.author,
        source="feed",
    )


class Pages:
    """A cycle's pages: each fetched and extracted once, however many feeds link to it (the
    same wire story on thirty feeds is one request). Holds the extracted text, not the bytes;
    at most ``in_flight`` pages are between their request and the end of their extraction."""

    def __init__(self, extractors: Extractors | None = None, *, in_flight: int = 16) -> None:
        self._tasks: dict[tuple[str, str], asyncio.Task[_Page | None]] = {}
        self._extractors = extractors  # None: extract in a thread (one core)
        self._in_flight = asyncio.Semaphore(in_flight)

    async def read(
        self, url: str, *, fetcher: PageFetcher, on_behalf_of: str, feed: str, report: FeedReport
    ) -> _Page | None:
        key = (canonical_url(url), urlsplit(on_behalf_of).netloc)  # the link policy's view
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._read(url, fetcher, on_behalf_of, feed))
            self._tasks[key] = task
            report.pages_fetched += 1
        return await asyncio.shield(task)

    async def _read(
        self, url: str, fetcher: PageFetcher, on_behalf_of: str, feed: str
    ) -> _Page | None:
        async with self._in_flight:
            try:
                page = await fetcher.fetch(url, on_behalf_of=on_behalf_of, accept="text/html")
            except SourceError as exc:
                log.info("page feed=%s url=%s skipped=%s", feed, url, exc.reason)
                return None
            if page.body is None:
                return None
            # Address and article are read in a worker process (in a thread without workers).
            if self._extractors is not None:
                read = await self._extractors.read(page.body, url=page.final_url)
            else:
                read = await asyncio.to_thread(read_here, page.body, page.final_url)
            if read is None:  # abandoned: too slow, or the workers broke
                address = page_address(page.body, page.final_url)
                extracted = None
            else:
                address, extracted = read.address, read.article
        if extracted is None:
            log.info("page feed=%s url=%s extracted=none using=feed-text", feed, url)
        return _Page(address, page.final_url, extracted)


@dataclass(frozen=True, slots=True)
class _Page:
    address: str  # where the page says it lives (rel=canonical, or after redirects)
    final_url: str  # where its redirects led (an aggregator's link: the publisher's page)
    extracted: Article | None


async def _article_for(
    entry: Entry,
    state: FeedState,
    fetcher: PageFetcher,
    settings: Settings,
    report: FeedReport,
    pages: Pages,
) -> Article:
    """The page's extracted text, or the feed's own text when the page cannot give one."""
    if not entry.url or not settings.fetch.fetch_articles:
        return _feed_article(entry, state.source.language)
    page = await pages.read(
        entry.url,
        fetcher=fetcher,
        on_behalf_of=state.polled_url,
        feed=state.source.name,
        report=report,
    )
    if page is None:
        return _feed_article(entry, state.source.language)
    extracted = page.extracted
    if extracted is None:
        fallback = _feed_article(entry, state.source.language)
        return replace(fallback, url=page.final_url, canonical_url=page.address)
    return Article(
        url=page.final_url,
        title=extracted.title or entry.title,
        text=extracted.text,
        language=extracted.language
        or state.source.language
        or guess_language(extracted.title + "\n" + extracted.text),
        published=extracted.published or entry.published,
        author=extracted.author or entry.author,
        site=extracted.site,
        source="page",
        canonical_url=page.address,
    )


async def _item_for(
    entry: Entry,
    state: FeedState,
    *,
    db: Database,
    fetcher: PageFetcher,
    watchlist: Watchlist,
    settings: Settings,
    report: FeedReport,
    pages: Pages,
) -> Item:
    canonical = canonical_url(entry.url) if entry.url else None
    known = article_store.article_for_url(db, canonical) if canonical else None
    if known is not None:  # stored already: no refetch, and the feed's words are not stored
        article = _feed_article(entry, state.source.language, guess=False)
    else:
        article = await _article_for(entry, state, fetcher, settings, report, pages)
        if article.canonical_url and article.canonical_url != canonical:
            # The page says where it really lives (rel=canonical, or an aggregator's redirect).
            canonical = article.canonical_url
            known = article_store.article_for_url(db, canonical)
    fingerprint = content_hash(article.title, article.text)
    if known is None:  # the same words under another address (the wire story on thirty sites)
        known = article_store.article_for_content(db, fingerprint)
    if known is not None:
        return Item(entry, article, _COPY, fingerprint, canonical, known)
    return _judged(entry, article, watchlist, canonical, known, fingerprint)


def _judged(
    entry: Entry,
    article: Article,
    watchlist: Watchlist,
    canonical: str | None,
    known: int | None,
    fingerprint: str | None = None,
) -> Item:
    """An entry's article with its verdict and identities, ready to store."""
    return Item(
        entry=entry,
        article=article,
        verdict=match_article(article, watchlist),
        content_hash=fingerprint or content_hash(article.title, article.text),
        canonical_url=canonical,
        known_article_id=known,
    )


async def refresh_feed(
    state: FeedState,
    *,
    db: Database,
    fetcher: PageFetcher,
    watchlist: Watchlist,
    notifier: Notifier,
    settings: Settings,
    now: datetime,
    pages: Pages | None = None,
) -> FeedReport:
    """Poll one feed and store what is new. Source failures are recorded, never raised.
    ``pages``: the cycle's pages, shared between feeds; by default this feed's own."""
    pages = pages if pages is not None else Pages()
    source = state.source
    report = FeedReport(name=source.name, url=source.url, status="ok")
    try:
        result = await fetcher.fetch(
            state.polled_url,
            etag=state.etag,
            last_modified=state.last_modified,
            accept=ACCEPT[source.kind],
        )
        if result.body is None:
            report.status = "not-modified"
            _record(
                db,
                state,
                report,
                now,
                settings,
                http_status=result.status,
                moved_to=result.moved_to,
            )
            return report
        # Parsing is pure Python (seconds for a big feed): off the event loop, so the other
        # feeds' requests and deadlines go on meanwhile.
        entries = await asyncio.to_thread(
            read_entries, source, result.body, url=result.final_url, headers=result.headers
        )
    except SourceError as exc:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        if retry_after:  # the server asked for a pause: its other feeds wait too
            until = now + timedelta(seconds=min(retry_after, 86400.0))
            feed_store.hold_server(db, exc.url, until)
        report.status, report.error = "error", exc.reason
        status = getattr(exc, "status", None)
        _record(db, state, report, now, settings, http_status=status, retry_after=retry_after)
        return report

    entries = [replace(e, published=believable(e.published, now)) for e in entries]
    report.entries = len(entries)
    known = article_store.known_entries(db, state.id, (e.key for e in entries))
    fresh = list({e.key: e for e in entries if e.key not in known}.values())
    revised = []
    for e in {e.key: e for e in entries if e.key in known}.values():
        seen = known[e.key]
        if seen.revision is None:  # stored before revisions were kept: remember this one
            versions.set_revision(db, seen.id, e.revision)
        elif seen.revision != e.revision and seen.article_id is not None:
            revised.append((e, seen))
    items = await asyncio.gather(
        *(
            _item_for(
                e,
                state,
                db=db,
                fetcher=fetcher,
                watchlist=watchlist,
                settings=settings,
                report=report,
                pages=pages,
            )
            for e in fresh
        )
    )

    def draft(item: Item, _article_id: int) -> AlertDraft | None:
        if not item.verdict.flagged:
            return None
        if not severity_at_least(item.verdict.severity, settings.alerts.min_severity):
            return None
        return render_alert(item, feed_name=source.name, side=source.side, notes=source.notes)

    def corroborate(story_id: int, sources: list[Source]) -> AlertDraft | None:
        needed = settings.alerts.corroboration
        sides = {source.side for source in sources if source.side}
        if not needed or len(sides) < needed:
            return None
        story = stories.get_story(db, story_id)
        if story is None or not severity_at_least(story["severity"], settings.alerts.min_severity):
            return None
        return render_corroboration(
            story_id,
            story["title"],
            story["severity"],
            story["url"],
            [(source.feed, source.side) for source in sources],
        )

    saved = article_store.save_items(
        db,
        state.id,
        items,
        now=now,
        draft_alert=draft,
        destinations=notifier.destinations,
        corroborate=corroborate,
        routes=settings.alerts.routes,
    )
    report.updated = await _update_revised(
        revised,
        state,
        db=db,
        fetcher=fetcher,
        watchlist=watchlist,
        settings=settings,
        report=report,
        notifier=notifier,
        now=now,
        pages=pages,
    )
    report.new_entries = len(saved)
    report.new_articles = sum(1 for s in saved if s.new_article)
    report.duplicates = report.new_entries - report.new_articles
    report.flagged = [s for s in saved if s.new_article and s.item.verdict.flagged]
    for s in report.flagged:
        places = ",".join(p.name for p in s.item.verdict.places) or "-"
        log.info(
            "flagged feed=%r article=%d severity=%s score=%.1f places=%s title=%r",
            source.name,
            s.article_id,
            s.item.verdict.severity,
            s.item.verdict.score,
            places,
            s.item.article.title,
        )
    _record(
        db,
        state,
        report,
        now,
        settings,
        http_status=result.status,
        etag=result.etag,
        last_modified=result.last_modified,
        moved_to=result.moved_to,
    )
    return report


async def _update_revised(
    revised: list[tuple[Entry, article_store.KnownEntry]],
    state: FeedState,
    *,
    db: Database,
    fetcher: PageFetcher,
    watchlist: Watchlist,
    settings: Settings,
    report: FeedReport,
    notifier: Notifier,
    now: datetime,
    pages: Pages,
) -> int:
    """Re-read the pages of re-issued items; a changed one becomes a new version."""
    source = state.source

    def draft(item: Item, _article_id: int, changes: str) -> AlertDraft | None:
        if not severity_at_least(item.verdict.severity, settings.alerts.min_severity):
            return None
        return render_update(
            item, feed_name=source.name, side=source.side, changes=changes, notes=source.notes
        )

    articles = await asyncio.gather(
        *(_article_for(entry, state, fetcher, settings, report, pages) for entry, _ in revised)
    )
    count = 0
    for (entry, seen), article in zip(revised, articles, strict=True):
        assert seen.article_id is not None
        canonical = article.canonical_url or (canonical_url(entry.url) if entry.url else None)
        item = _judged(entry, article, watchlist, canonical, seen.article_id)
        updated = versions.save_update(
            db,
            entry_id=seen.id,
            article_id=seen.article_id,
            item=item,
            now=now,
            draft_alert=draft,
            destinations=notifier.destinations,
            routes=settings.alerts.routes,
        )
        if updated is not None:
            count += 1
            log.info(
                "updated feed=%r article=%d version=%d alert=%s changes=%s",
                source.name,
                updated.article_id,
                updated.version,
                updated.alert_id is not None,
                updated.changes,
            )
    return count


def _record(
    db: Database,
    state: FeedState,
    report: FeedReport,
    now: datetime,
    settings: Settings,
    *,
    http_status: int | None,
    retry_after: float | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    moved_to: str | None = None,
) -> None:
    errors = state.error_count + 1 if report.status == "error" else 0
    when = next_check(
        url=state.source.url,
        interval=state.source.interval_seconds,
        now=now,
        outcome=report.status,
        error_count=errors,
        retry_after=retry_after,
        max_backoff=settings.polling.max_backoff,
    )
    if retry_after:  # the spread may only add to what the server asked for, never take away
        when = max(when, now + timedelta(seconds=min(retry_after, 86400.0)))
    feed_store.record_poll(
        db,
        state.id,
        now=now,
        next_check=when,
        status=report.status,
        http_status=http_status,
        error=report.error,
        etag=etag,
        last_modified=last_modified,
        new_entries=report.new_entries,
        moved_to=moved_to,
    )
    if report.status == "error":
        log.warning(
            "feed=%r status=error errors=%d next=%s reason=%s",
            state.source.name,
            errors,
            when.isoformat(timespec="seconds"),
            report.error,
        )
    else:
        log.info(
            "feed=%r status=%s entries=%d new=%d duplicates=%d flagged=%d pages=%d",
            state.source.name,
            report.status,
            report.entries,
            report.new_entries,
            report.duplicates,
            len(report.flagged),
            report.pages_fetched,
        )


async def run_cycle(
    db: Database,
    settings: Settings,
    *,
    watchlist: Watchlist,
    notifier: Notifier,
    clock: Callable[[], datetime],
    only_due: bool = True,
    extractors: Extractors | None = None,
    on_feed: Callable[[FeedReport], None] | None = None,
) -> CycleReport:
    """One pass: refresh the feeds (all, or those due), then deliver pending alerts.

    ``extractors``: the worker processes that extract article pages (a daemon keeps one pool
    for its life); by default the cycle starts its own, if it has pages to read, and stops it.
    ``on_feed`` hears of each feed as it is done (a progress bar).
    """
    own = extractors is None
    workers = extractors if extractors is not None else Extractors()
    try:
        return await _cycle(db, settings, watchlist, notifier, clock, only_due, workers, on_feed)
    finally:
        if own:
            workers.close()


async def _cycle(
    db: Database,
    settings: Settings,
    watchlist: Watchlist,
    notifier: Notifier,
    clock: Callable[[], datetime],
    only_due: bool,
    extractors: Extractors,
    on_feed: Callable[[FeedReport], None] | None = None,
) -> CycleReport:
    now = clock()
    states = feed_store.active_feeds(db, due_at=now if only_due else None)
    report = CycleReport()
    limit = asyncio.Semaphore(settings.polling.concurrency)
    pages = Pages(extractors, in_flight=2 * settings.polling.concurrency)
    async with Fetcher(
        settings.fetch,
        concurrency=settings.polling.concurrency,
        per_host=settings.polling.per_host,
        clock=clock,
    ) as fetcher:

        async def one(state: FeedState) -> FeedReport:
            done = await guarded(state)
            if on_feed is not None:
                on_feed(done)
            return done

        async def guarded(state: FeedState) -> FeedReport:
            async with limit:
                try:
                    return await refresh_feed(
                        state,
                        db=db,
                        fetcher=fetcher,
                        watchlist=watchlist,
                        notifier=notifier,
                        settings=settings,
                        now=clock(),
                        pages=pages,
                    )
                except sqlite3.Error as exc:
                    reason = f"database error while storing {state.source.url}: {exc}"
                    raise StoreError(reason) from exc
                except (StoreError, asyncio.CancelledError):
                    raise
                except Exception as exc:  # a bug on one feed must not stop the others
                    log.exception("feed=%r internal error", state.source.name)
                    failed = FeedReport(state.source.name, state.source.url, "error")
                    failed.error = f"internal error: {type(exc).__name__}: {exc}"
                    _record(db, state, failed, clock(), settings, http_status=None)
                    return failed

        report.feeds = list(await asyncio.gather(*(one(s) for s in states)))
    report.sent, report.failed = await deliver_pending(
        db,
        notifier,
        now=clock(),
        max_attempts=settings.alerts.max_attempts,
        give_up_after=timedelta(seconds=settings.alerts.give_up_after),
        max_per_hour=settings.alerts.max_per_hour,
        operator_tag=settings.alerts.operator_tag,
    )
    return report
