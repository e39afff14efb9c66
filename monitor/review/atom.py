"""Flagged stories as an Atom 1.0 feed (RFC 4287), for any feed reader. Pure.

Every value is written through an XML serialiser, so text from feeds stays text; the only links
are the stories' own http(s) addresses.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from monitor import __version__
from monitor.formats import safe_url

ATOM = "http://www.w3.org/2005/Atom"


def story_id(story_id: int) -> str:
    return f"tag:news-monitor,2026:story/{story_id}"


def atom_feed(
    stories: Iterable[dict[str, Any]],
    *,
    title: str,
    self_url: str,
    updated: datetime,
    feed_id: str,
) -> bytes:
    """The Atom document. Each story: id, title, severity, first_seen_at, last_seen_at, url,
    reason, places (names), watches, sources (feed names)."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", feed_id)
    _text(feed, "updated", updated.isoformat(timespec="seconds"))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "news-monitor")
    ET.SubElement(feed, f"{{{ATOM}}}generator", version=__version__).text = "news-monitor"
    for story in stories:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "id", story_id(story["id"]))
        _text(entry, "title", f"[{str(story['severity']).upper()}] {story['title']}")
        _text(entry, "published", story["first_seen_at"])
        _text(entry, "updated", story["last_seen_at"] or story["first_seen_at"])
        url = safe_url(story.get("url"))
        if url:
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=url)
        for term in [story["severity"], *story.get("watches", [])]:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=str(term))
        lines = [
            str(story.get("reason") or ""),
            "Where: " + (", ".join(story.get("places", [])) or "not named"),
            "Reported by: " + (", ".join(story.get("sources", [])) or "-"),
        ]
        _text(entry, "summary", "\n".join(line for line in lines if line)).set("type", "text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def _text(parent: ET.Element, name: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = value
    return element
