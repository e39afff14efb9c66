"""An alert's content, and how it is written for each kind of destination. Pure.

An alert is stored as a ``Message``: a title and a list of lines (a label, text taken from a
feed or a page, and spans of that text to highlight), plus the item's link. Feed text is never
trusted: it is written as text in every format. HTML escapes it (a ``<script>`` or an
``<a href=...>`` in a headline shows as those characters); Markdown escapes every character
that could make markup or a link in the body (apprise writes titles as text itself). The only
link is the item's own URL, and only when it is an absolute http(s) URL without credentials.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

TEXT, MARKDOWN, HTML = "text", "markdown", "html"
_MARK = ("«", "»")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~=])")


@dataclass(frozen=True, slots=True)
class Line:
    label: str
    text: str
    marks: tuple[tuple[int, int], ...] = ()  # spans of ``text`` to highlight


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    lines: tuple[Line, ...]
    url: str | None = None
    alert_key: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "title": self.title,
                "lines": [[ln.label, ln.text, [list(m) for m in ln.marks]] for ln in self.lines],
                "url": self.url,
                "alert_key": self.alert_key,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, data: str) -> Message:
        raw = json.loads(data)
        lines = tuple(
            Line(label, text, tuple((int(a), int(b)) for a, b in marks))
            for label, text, marks in raw["lines"]
        )
        return cls(raw["title"], lines, raw.get("url"), raw.get("alert_key", ""))


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain absolute http(s) address (no credentials, no spaces)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password or any(ch.isspace() or ch in "\"'<>`" for ch in url):
        return None
    return url


def _pieces(line: Line) -> list[tuple[str, bool]]:
    """The text cut into (piece, highlighted)."""
    out: list[tuple[str, bool]] = []
    last = 0
    for start, end in sorted(line.marks):
        if start < last or end > len(line.text):
            continue
        out += [(line.text[last:start], False), (line.text[start:end], True)]
        last = end
    out.append((line.text[last:], False))
    return [(piece, marked) for piece, marked in out if piece]


def escape_markdown(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def render(message: Message, fmt: str) -> tuple[str, str]:
    """(title, body) of the message in ``fmt``: "text", "markdown" or "html"."""
    url = safe_url(message.url)
    if fmt == HTML:
        rows = []
        for line in message.lines:
            text = "".join(
                f"<b>{html.escape(piece)}</b>" if marked else html.escape(piece)
                for piece, marked in _pieces(line)
            )
            label = f"<b>{html.escape(line.label)}:</b> " if line.label else ""
            rows.append(f"<p>{label}{text}</p>")
        if url:
            rows.append(f'<p><a href="{html.escape(url, quote=True)}">{html.escape(url)}</a></p>')
        if message.alert_key:
            rows.append(f"<p><small>Alert id: {html.escape(message.alert_key)}</small></p>")
        return message.title, "\n".join(rows)
    if fmt == MARKDOWN:
        rows = []
        for line in message.lines:
            text = "".join(
                f"**{escape_markdown(piece)}**" if marked else escape_markdown(piece)
                for piece, marked in _pieces(line)
            )
            label = f"**{escape_markdown(line.label)}:** " if line.label else ""
            rows.append(f"{label}{text}")
        if url:
            rows.append(f"[{escape_markdown(url)}](<{url}>)")
        if message.alert_key:
            rows.append(f"Alert id: `{message.alert_key}`")
        return message.title, "\n\n".join(rows)  # apprise writes titles as text
    rows = []
    for line in message.lines:
        text = "".join(
            f"{_MARK[0]}{piece}{_MARK[1]}" if marked else piece for piece, marked in _pieces(line)
        )
        rows.append(f"{line.label}: {text}" if line.label else text)
    if url:
        rows.append(f"Link: {url}")
    if message.alert_key:
        rows.append(f"Alert id: {message.alert_key}")
    return message.title, "\n".join(rows)
