"""Feed bytes -> [Entry] with feedparser. Pure: no network, no clock."""

from __future__ import annotations

import calendar
import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import feedparser
import lxml.html
from lxml import etree

from monitor.errors import ParseError
from monitor.identity import entry_key, entry_revision
from monitor.models import Entry

# A DOCTYPE with an internal subset can declare entities that feedparser's fallback parser
# expands without limit (a 1 MB feed can grow to gigabytes). Feeds never need one.
# Only a DOCTYPE in the prolog (after an optional BOM, XML declaration and comments) is one.
_DOCTYPE = re.compile(
    rb"\A((?:\xef\xbb\xbf)?(?:\s|<\?.*?\?>|<!--.*?-->)*)<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>",
    re.IGNORECASE | re.DOTALL,
)


def strip_doctype(body: bytes) -> bytes:
    return _DOCTYPE.sub(rb"\1", body, count=1)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment, whitespace collapsed."""
    if not fragment or ("<" not in fragment and "&" not in fragment):
        return " ".join(fragment.split())
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(fragment.split())
    for element in root.iter("p", "br", "div", "li", "h1", "h2", "h3", "h4"):
        element.tail = "\n" + (element.tail or "")
    text = root.text_content()
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _when(entry: dict[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # plain lookup: feedparser's aliasing warns
        if isinstance(value, time.struct_time):
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _content(entry: Mapping[str, Any]) -> str:
    parts = entry.get("content") or []
    values = [str(p.get("value", "")) for p in parts if isinstance(p, Mapping)]
    return "\n\n".join(html_to_text(v) for v in values if v)


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> list[Entry]:
    """Parse a feed document. Raises ParseError when the bytes are not a feed at all."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = url
    parsed = feedparser.parse(io.BytesIO(strip_doctype(body)), response_headers=response_headers)
    items = parsed.get("entries", [])
    if not items and not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS, Atom or RDF document found"
        raise ParseError(url, f"not a feed: {reason}")
    entries = []
    for item in items:
        link = item.get("link") or None
        guid = item.get("id") or None
        title = html_to_text(str(item.get("title", "")))
        summary = html_to_text(str(item.get("summary", "")))
        content = _content(item)
        updated = dict.get(item, "updated") or None  # raw: feedparser maps it to published
        entries.append(
            Entry(
                key=entry_key(guid, link, title, summary),
                url=link,
                title=title,
                summary=summary,
                content=content,
                published=_when(item),
                guid=guid,
                author=item.get("author") or None,
                revision=entry_revision(title, summary, content, updated),
            )
        )
    return entries
