"""Finding a site's feeds from its address: the page's ``<link rel="alternate">`` tags, then
the paths sites commonly serve feeds at. ``feed_links`` is pure; ``discover`` fetches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from monitor.errors import SourceError
from monitor.models import FetchResult
from monitor.parse import parse_feed
from monitor.sources.jsonfeed import looks_like_json_feed, parse_json_feed

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/rdf+xml": "rdf",
    "application/feed+json": "json",
    "application/json": "json",
}
COMMON_PATHS = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/rss/",
    "/feed/",
    "/en/rss",
    "/news/rss",
)


@dataclass(frozen=True, slots=True)
class Found:
    url: str
    title: str
    kind: str  # rss, atom, rdf, json
    entries: int = -1  # how many items it held when checked; -1: not checked


def feed_links(html: bytes, base_url: str) -> list[Found]:
    """The feeds a page announces with ``<link rel="alternate" type=...>``, in page order."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    found: list[Found] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((link.get("type") or "").split(";", 1)[0].strip().lower())
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind is None or not href:
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).scheme in ("http", "https") and all(f.url != url for f in found):
            found.append(Found(url, " ".join((link.get("title") or "").split()), kind))
    return found


def _feed_kind(result: FetchResult) -> tuple[str, int] | None:
    """(kind, items) when the fetched bytes are a feed, else None."""
    if result.body is None:
        return None
    content_type = result.headers.get("content-type", "")
    try:
        if looks_like_json_feed(result.body, content_type):
            return "json", len(parse_json_feed(result.body, url=result.final_url))
        entries = parse_feed(result.body, url=result.final_url, headers=result.headers)
    except SourceError:
        return None
    kind = "atom" if b"<feed" in result.body[:2000] else "rss"
    return kind, len(entries)


async def discover(url: str, fetch: Callable[[str], Awaitable[FetchResult]]) -> list[Found]:
    """The feeds of the site at ``url``: the address itself when it is a feed, else those its
    page announces, else those at common paths; each checked by fetching and parsing it."""
    page = await fetch(url)
    itself = _feed_kind(page)
    if itself is not None:
        return [Found(page.final_url, "", itself[0], itself[1])]
    candidates = feed_links(page.body or b"", page.final_url)
    if not candidates:
        root = f"{urlsplit(page.final_url).scheme}://{urlsplit(page.final_url).netloc}"
        candidates = [Found(urljoin(root, path), "", "") for path in COMMON_PATHS]
    checked: list[Found] = []
    for candidate in candidates:
        try:
            result = await fetch(candidate.url)
        except SourceError:
            continue
        kind = _feed_kind(result)
        if kind is not None and all(f.url != result.final_url for f in checked):
            checked.append(Found(result.final_url, candidate.title, kind[0], kind[1]))
    return checked
