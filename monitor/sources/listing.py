"""A page without a feed -> [Entry]: the article links a CSS selector picks. Pure.

For press pages such as the defence ministries': the selector names the links (``a``
elements, or elements holding one), ``include``/``exclude`` regular expressions filter their
absolute URLs, and each new link becomes an entry titled with its text (or its ``title``
attribute); the article page itself is fetched and read like any feed item's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

import lxml.html
from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from monitor.errors import ParseError
from monitor.identity import canonical_url, entry_key, entry_revision
from monitor.models import Entry

MAX_LINKS = 500  # a page offering more is a site map, not a press page


def check_selector(selector: str) -> str:
    """``selector`` if it is valid CSS; else ValueError with cssselect's reason."""
    try:
        CSSSelector(selector)
    except SelectorError as exc:
        raise ValueError(f"not a CSS selector: {exc}") from exc
    return selector


def check_patterns(patterns: Sequence[str]) -> tuple[str, ...]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from exc
    return tuple(patterns)


def _anchor(element: etree._Element) -> etree._Element | None:
    if element.tag == "a":
        return element
    return element.find(".//a[@href]")


def listing_entries(
    body: bytes,
    *,
    url: str,
    selector: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> list[Entry]:
    """The links ``selector`` picks on the page at ``url``, in page order, once each."""
    try:
        root = lxml.html.document_fromstring(body, base_url=url)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(url, f"not an HTML page: {exc}") from exc
    base = url
    for found in root.iter("base"):
        href = found.get("href")
        if href:
            base = urljoin(url, href.strip())
            break
    wanted = [re.compile(p) for p in include]
    unwanted = [re.compile(p) for p in exclude]
    entries: list[Entry] = []
    seen: set[str] = set()
    for element in CSSSelector(selector)(root):
        anchor = _anchor(element)
        href = anchor.get("href") if anchor is not None else None
        if anchor is None or not href or not href.strip():
            continue
        link = urljoin(base, href.strip())
        if urlsplit(link).scheme not in ("http", "https"):
            continue  # javascript:, mailto:, data: ...
        if wanted and not any(p.search(link) for p in wanted):
            continue
        if any(p.search(link) for p in unwanted):
            continue
        key = canonical_url(link)
        if key in seen:
            continue
        seen.add(key)
        title = " ".join(anchor.text_content().split()) or " ".join(
            (anchor.get("title") or "").split()
        )
        entries.append(
            Entry(
                key=entry_key(None, link, title, ""),
                url=link,
                title=title,
                summary="",
                content="",
                published=None,
                revision=entry_revision(title, "", "", None),
            )
        )
        if len(entries) >= MAX_LINKS:
            break
    if not entries:
        raise ParseError(url, f"no links matched the selector {selector!r}")
    return entries
