"""Article page HTML -> Article with trafilatura. Pure: no network, no clock."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import trafilatura

from monitor.models import Article

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 200  # less than this is a teaser or a cookie wall, not an article
_LANG = re.compile(rb"<html[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)


def _page_language(html: bytes) -> str | None:
    found = _LANG.search(html[:4096])
    return found.group(1).decode("ascii").lower() if found else None


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def extract_article(html: bytes, *, url: str) -> Article | None:
    """The main text and metadata of a page, or None when nothing article-like is found."""
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
    except Exception as exc:  # trafilatura raises assorted lxml/parser errors on bad markup
        log.info("extract url=%s error=%s", url, type(exc).__name__)
        return None
    if doc is None or isinstance(doc, dict):
        return None
    text = (doc.text or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        return None
    return Article(
        url=url,
        title=(doc.title or "").strip(),
        text=text,
        language=(doc.language or None) or _page_language(html),
        published=_date(doc.date),
        author=doc.author or None,
        site=doc.sitename or doc.hostname or None,
        source="page",
    )
