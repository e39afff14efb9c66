"""A news sitemap (sitemaps.org with Google's ``news:`` extension) -> [Entry]. Pure.

Each ``<url>`` is an entry: ``<loc>`` its link, ``<news:title>`` its title,
``<news:publication_date>`` (else ``<lastmod>``) its date. A sitemap index is not followed;
the error names its sitemaps so the user can list the news one. The XML parser resolves no
entities and reads no DTD, so an entity bomb stays inert.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from lxml import etree

from monitor.errors import ParseError
from monitor.identity import entry_key, entry_revision
from monitor.isodate import parse_iso
from monitor.models import Entry

_SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
MAX_URLS = 1000  # Google News sitemaps hold at most 1,000


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )


def _child_text(element: etree._Element, path: str) -> str:
    found = element.find(path)
    return " ".join((found.text or "").split()) if found is not None else ""


def sitemap_entries(body: bytes, *, url: str) -> list[Entry]:
    """The pages a news sitemap lists, in its order. Raises ParseError when it is not one."""
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(url, f"not a sitemap: {exc}") from exc
    if root.tag == f"{_SM}sitemapindex":
        children = [_child_text(s, f"{_SM}loc") for s in root.iter(f"{_SM}sitemap")][:5]
        raise ParseError(
            url,
            "a sitemap index, not a sitemap: list one of its sitemaps, e.g. " + ", ".join(children),
        )
    if root.tag != f"{_SM}urlset":
        raise ParseError(url, f"not a sitemap: the root element is {root.tag!r}")
    entries = []
    for node in root.iter(f"{_SM}url"):
        loc = _child_text(node, f"{_SM}loc")
        link = urljoin(url, loc) if loc else ""
        if urlsplit(link).scheme not in ("http", "https"):
            continue
        news = node.find(f"{_NEWS}news")
        title = _child_text(news, f"{_NEWS}title") if news is not None else ""
        published = (
            parse_iso(_child_text(news, f"{_NEWS}publication_date")) if news is not None else None
        ) or parse_iso(_child_text(node, f"{_SM}lastmod"))
        keywords = _child_text(news, f"{_NEWS}keywords") if news is not None else ""
        entries.append(
            Entry(
                key=entry_key(None, link, title, ""),
                url=link,
                title=title,
                summary=keywords,
                content="",
                published=published,
                revision=entry_revision(title, "", "", _child_text(node, f"{_SM}lastmod") or None),
            )
        )
        if len(entries) >= MAX_URLS:
            break
    return entries
