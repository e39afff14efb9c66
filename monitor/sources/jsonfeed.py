"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) bytes -> [Entry]. Pure.

feedparser does not read JSON Feed. Items become the same ``Entry`` as RSS and Atom items:
``id`` is the GUID, ``url`` (else ``external_url``) the link, resolved against the feed's own
address; HTML content is turned into text like an RSS description.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from monitor.errors import ParseError
from monitor.identity import entry_key, entry_revision
from monitor.isodate import parse_iso
from monitor.models import Entry
from monitor.parse import html_to_text

_VERSIONS = ("https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1")


def looks_like_json_feed(body: bytes, content_type: str = "") -> bool:
    """Whether the bytes should be read as JSON Feed (by media type, else by their start)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("application/feed+json", "application/json", "text/json"):
        return True
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start == b"{"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _plain(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    if isinstance(authors, list):  # 1.1
        names = [_text(a.get("name")) for a in authors if isinstance(a, dict)]
        joined = ", ".join(n for n in names if n)
        if joined:
            return joined
    author = item.get("author")  # 1.0
    if isinstance(author, dict) and _text(author.get("name")):
        return _text(author.get("name"))
    return None


def _link(value: object, base: str) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return urljoin(base, value.strip())


def parse_json_feed(body: bytes, *, url: str) -> list[Entry]:
    """Parse a JSON Feed document. Raises ParseError when it is not one."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ParseError(url, f"not a JSON Feed: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError(url, "not a JSON Feed: no items list")
    version = _text(data.get("version")).rstrip("/")
    if version and version not in _VERSIONS:
        raise ParseError(url, f"not a JSON Feed: unknown version {version!r}")
    base = _link(data.get("feed_url"), url) or url
    entries = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        raw_id = item.get("id")
        guid = (
            str(raw_id).strip() if isinstance(raw_id, str | int) and str(raw_id).strip() else None
        )
        link = _link(item.get("url"), base) or _link(item.get("external_url"), base)
        title = html_to_text(_text(item.get("title")))
        summary = html_to_text(_text(item.get("summary")))
        content = html_to_text(_text(item.get("content_html"))) or _plain(
            _text(item.get("content_text"))
        )
        modified = _text(item.get("date_modified")) or None
        entries.append(
            Entry(
                key=entry_key(guid, link, title, summary or content[:500]),
                url=link,
                title=title,
                summary=summary,
                content=content,
                published=parse_iso(item.get("date_published"))
                or parse_iso(item.get("date_modified")),
                guid=guid,
                author=_author(item),
                revision=entry_revision(title, summary, content, modified),
            )
        )
    return entries
