"""A page's title, date, author and site from its markup: the tags publishers write for
search engines and social cards (Open Graph, article:*, schema.org, <time>). Pure.

Reading these few tags takes well under a millisecond; trafilatura's general metadata search
(which also guesses dates from the text) took 17 ms a page on pages without these tags, longer
than the extraction. ``extract.py`` uses only this, and htmldate's quick search for a date the
tags lack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from lxml.html import HtmlElement

from monitor.isodate import parse_iso

_TITLE = ("og:title", "twitter:title")
_DATE = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "sailthru.date",
    "parsely-pub-date",
)
_AUTHOR = ("author", "article:author", "dc.creator", "parsely-author")
_SITE = ("og:site_name", "application-name")


@dataclass(frozen=True, slots=True)
class PageMeta:
    title: str = ""
    published: datetime | None = None
    author: str = ""
    site: str = ""


def _metas(tree: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip()
        content = " ".join((meta.get("content") or "").split())
        if key and content:
            found.setdefault(key.lower(), content)
    return found


def _json_ld(tree: HtmlElement) -> dict[str, str]:
    """headline, datePublished and author name of the first schema.org article in JSON-LD."""
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        for node in stack:
            if not isinstance(node, dict):
                continue
            stack.extend(g for g in node.get("@graph", []) if isinstance(g, dict))
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(isinstance(k, str) and k.endswith("Article") for k in kinds):
                author = node.get("author")
                author = author[0] if isinstance(author, list) and author else author
                name = author.get("name") if isinstance(author, dict) else author
                return {
                    "headline": str(node.get("headline") or ""),
                    "datePublished": str(node.get("datePublished") or ""),
                    "author": name if isinstance(name, str) else "",
                }
    return {}


def page_meta(tree: HtmlElement) -> PageMeta:
    """What the page's own tags say; empty fields where they say nothing."""
    metas = _metas(tree)
    ld = _json_ld(tree)
    title = next((metas[k] for k in _TITLE if k in metas), "") or ld.get("headline", "")
    if not title:
        heading = next(tree.iter("h1"), None)
        element = heading if heading is not None else next(tree.iter("title"), None)
        if element is not None:
            title = " ".join(etree.tostring(element, method="text", encoding="unicode").split())
    published = parse_iso(ld.get("datePublished"))
    for key in _DATE:
        if published is None:
            published = parse_iso(metas.get(key.lower()))
    if published is None:
        for stamp in tree.iter("time"):
            published = parse_iso(stamp.get("datetime"))
            if published is not None:
                break
    author = ld.get("author") or next((metas[k] for k in _AUTHOR if k in metas), "")
    site = next((metas[k] for k in _SITE if k in metas), "")
    return PageMeta(title=title, published=published, author=author, site=site)
