"""Feed bytes -> [Entry] with feedparser. Pure: no network, no clock.

Feeds come from servers we do not control, so the bytes are bounded and repaired before
feedparser sees them: no DOCTYPE (entity bombs), at most ``MAX_ITEMS`` items and ``MAX_MARKUP``
tags (feedparser spends ~50-100 us of pure Python per tag), mostly-UTF-8 read as UTF-8 whatever
the declaration says. Entries keep only http(s) links, printable text and believable dates.
"""

from __future__ import annotations

import calendar
import io
import itertools
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

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


MAX_ITEMS = 500  # feeds list the newest first; the rest are older, or a flood
MAX_MARKUP = 100_000  # tags, raw or escaped, left after MAX_ITEMS: at most seconds of parsing
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the web: a zero or garbage timestamp
FUTURE_SLACK = timedelta(days=1)  # time zones and clock skew; later than this is invented

_ITEM_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s/>]")
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_XML_ENCODING = re.compile(
    rb"\A((?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*)([\"'])[^\"']*\2"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def strip_doctype(body: bytes) -> bytes:
    return _DOCTYPE.sub(rb"\1", body, count=1)


def keep_first_items(body: bytes, limit: int = MAX_ITEMS) -> bytes:
    """The document with the items after the first ``limit`` cut out (bytes, before parsing)."""
    cut = next(itertools.islice(_ITEM_START.finditer(body), limit, None), None)
    if cut is None:
        return body
    end = max((m.end() for m in _ITEM_END.finditer(body, cut.start())), default=len(body))
    return body[: cut.start()] + body[end:]


def as_utf8(body: bytes, headers: dict[str, str]) -> bytes:
    """Read a document that is (mostly) valid UTF-8 as UTF-8, whatever it declares.

    Valid UTF-8 with non-ASCII text is UTF-8 (a legacy 8-bit text almost never is), so a wrong
    ``encoding``/``charset`` is overridden. When most non-ASCII characters are well-formed UTF-8,
    the few broken sequences become U+FFFD instead of the whole feed turning into windows-1252
    mojibake. A legacy text mislabelled as UTF-8 (nearly every one of its high bytes is broken
    UTF-8) is left to feedparser's own fallbacks. ``headers`` is updated.
    """
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:4]:
        return body  # UTF-16/32: declared by its BOM or its shape
    if body.isascii():
        return body
    text = body.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - body.count("\ufffd".encode())
    well_formed = len(text) - len(text.encode("ascii", errors="ignore")) - broken
    if broken >= well_formed:
        return body
    kind = headers.get("content-type", "application/xml").split(";", 1)[0].strip()
    headers["content-type"] = f"{kind or 'application/xml'}; charset=utf-8"
    fixed = text.encode("utf-8") if broken else body
    return _XML_ENCODING.sub(rb"\1\2utf-8\2", fixed, count=1)


def clean_text(value: str) -> str:
    """Text without NULs and other control characters (tab and newlines stay)."""
    return _CONTROL.sub("", value)


def web_link(link: str | None) -> str | None:
    """The entry's link if it is an absolute http(s) URL: never javascript:, data:, file:, ..."""
    if not link:
        return None
    link = clean_text(link).strip()
    parts = urlsplit(link)
    return link if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def believable(when: datetime | None, now: datetime | None) -> datetime | None:
    """A publication date, or None when it is before the web or (given ``now``) in the future."""
    if when is None or when < EARLIEST or (now is not None and when > now + FUTURE_SLACK):
        return None
    return when


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
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def _content(entry: Mapping[str, Any]) -> str:
    parts = entry.get("content") or []
    values = [str(p.get("value", "")) for p in parts if isinstance(p, Mapping)]
    return "\n\n".join(html_to_text(v) for v in values if v)


def parse_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
) -> list[Entry]:
    """Parse a feed document. Raises ParseError when the bytes are not a feed at all, or hold
    more markup than is worth parsing."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = url
    body = keep_first_items(strip_doctype(body))
    tags = body.count(b"<") + body.count(b"&lt;")
    if tags > MAX_MARKUP:
        raise ParseError(url, f"too much markup: {tags} tags (at most {MAX_MARKUP} are parsed)")
    body = as_utf8(body, response_headers)
    import feedparser  # 25 ms to import: not for a cycle whose feeds all answer 304

    parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    items = parsed.get("entries", [])
    if not items and not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS, Atom or RDF document found"
        raise ParseError(url, f"not a feed: {reason}")
    entries = []
    for item in items:
        link = web_link(item.get("link"))
        guid = clean_text(str(item.get("id") or "")) or None
        title = clean_text(html_to_text(str(item.get("title", ""))))
        summary = clean_text(html_to_text(str(item.get("summary", ""))))
        content = clean_text(_content(item))
        updated = dict.get(item, "updated") or None  # raw: feedparser maps it to published
        author = clean_text(str(item.get("author") or "")) or None
        entries.append(
            Entry(
                key=entry_key(guid, link, title, summary),
                url=link,
                title=title,
                summary=summary,
                content=content,
                published=believable(_when(item), None),
                guid=guid,
                author=author,
                revision=entry_revision(title, summary, content, updated),
            )
        )
    return entries
