"""Source lists as OPML 2.0, the format feed readers import and export. Pure.

Each source is an ``<outline type="rss" text=... xmlUrl=...>``; the monitor's own keys
(language, country, side, type, selector, include, exclude, notes) ride along as extra
attributes, which readers ignore and an import here reads back, so an export imports to the
same sources. Outlines nested in folders are read at any depth. The XML parser resolves no
entities and reads no DTD.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from lxml import etree

from monitor.models import FeedSource

_TEXT_KEYS = ("language", "country", "side", "selector", "notes", "checked")


def to_opml(sources: Iterable[FeedSource], *, title: str, now: datetime) -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now, usegmt=True)
    body = ET.SubElement(root, "body")
    for source in sources:
        outline = ET.SubElement(
            body, "outline", type="rss", text=source.name, title=source.name, xmlUrl=source.url
        )
        if source.kind != "feed":
            outline.set("sourceType", source.kind)
        for key in _TEXT_KEYS:
            if getattr(source, key):
                outline.set(key, getattr(source, key))
        for key in ("include", "exclude"):
            if getattr(source, key):
                outline.set(key, json.dumps(list(getattr(source, key))))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def from_opml(data: bytes, *, interval: float) -> list[FeedSource]:
    """The sources an OPML document lists (outlines with an ``xmlUrl``), in document order.
    Raises ValueError when it is not OPML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not an OPML file: {exc}") from exc
    if root.tag != "opml":
        raise ValueError(f"not an OPML file: the root element is <{root.tag}>")
    sources = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or "").strip()
        if not url:
            continue  # a folder, or a link outline
        name = (outline.get("text") or outline.get("title") or url).strip()
        extra = {key: outline.get(key) or "" for key in _TEXT_KEYS}
        sources.append(
            FeedSource(
                name=name,
                url=url,
                interval_seconds=interval,
                language=extra["language"] or None,
                country=extra["country"] or None,
                side=extra["side"] or None,
                kind=outline.get("sourceType") or "feed",
                selector=extra["selector"],
                include=_list(outline.get("include")),
                exclude=_list(outline.get("exclude")),
                notes=extra["notes"],
                checked=extra["checked"],
            )
        )
    return sources


def _list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    try:
        items = json.loads(value)
    except ValueError:
        return (value,)
    return tuple(str(item) for item in items) if isinstance(items, list) else (str(items),)
