"""Kinds of source, each bytes -> [Entry] (pure), and which reader a source's bytes take.

- ``feed``: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, RDF (feedparser) or JSON Feed 1.0/1.1;
- ``search``: a news search feed (e.g. Google News RSS); a feed whose links are aggregator
  redirects, resolved to the publisher when the page is fetched, and whose titles carry the
  publisher's name (" - Publisher"), which is dropped;
- ``listing``: an HTML page without a feed, its article links picked by a CSS selector;
- ``sitemap``: a news sitemap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from monitor.models import Entry, FeedSource
from monitor.parse import MAX_ITEMS, clean_text, parse_feed, web_link
from monitor.sources.jsonfeed import looks_like_json_feed, parse_json_feed
from monitor.sources.listing import listing_entries
from monitor.sources.sitemap import sitemap_entries

KINDS = ("feed", "search", "listing", "sitemap")
ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
    "*/*;q=0.5",
    "search": "application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
    "listing": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5",
    "sitemap": "application/xml, text/xml;q=0.9, */*;q=0.5",
}
_PUBLISHER_SUFFIX = re.compile(r"\s+[-–—|]\s+([^-–—|]{2,80})$")


def read_entries(
    source: FeedSource, body: bytes, *, url: str, headers: Mapping[str, str] | None = None
) -> list[Entry]:
    """The entries of a source's fetched bytes. Raises ParseError when they are not what the
    source's kind expects."""
    headers = headers or {}
    if source.kind == "listing":
        entries = listing_entries(
            body, url=url, selector=source.selector, include=source.include, exclude=source.exclude
        )
    elif source.kind == "sitemap":
        entries = sitemap_entries(body, url=url)
    else:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if looks_like_json_feed(body, content_type):
            entries = parse_json_feed(body, url=url)
        else:
            entries = parse_feed(body, url=url, headers=headers)
        if source.kind == "search":
            entries = [_without_publisher(e) for e in entries]
    return [_cleaned(e) for e in entries[:MAX_ITEMS]]


def _cleaned(entry: Entry) -> Entry:
    """Every kind held to the feed reader's rules: web links only, no control characters."""
    return replace(
        entry,
        url=web_link(entry.url),
        title=clean_text(entry.title),
        summary=clean_text(entry.summary),
        content=clean_text(entry.content),
    )


def _without_publisher(entry: Entry) -> Entry:
    """ "Shelling near Sotk - Armenpress" -> "Shelling near Sotk" (the publisher is the author
    of a search result, and the title then matches the publisher's own feed)."""
    found = _PUBLISHER_SUFFIX.search(entry.title)
    if found is None:
        return entry
    return replace(entry, title=entry.title[: found.start()], author=entry.author or found[1])
