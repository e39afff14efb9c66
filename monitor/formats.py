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
from collections.abc import Callable
from dataclasses import dataclass
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
    headline: str = ""  # the story's own title, without the severity and kind marks

    def to_json(self) -> str:
        return json.dumps(
            {
                "title": self.title,
                "lines": [[ln.label, ln.text, [list(m) for m in ln.marks]] for ln in self.lines],
                "url": self.url,
                "alert_key": self.alert_key,
                "headline": self.headline,
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
        return cls(
            raw["title"], lines, raw.get("url"), raw.get("alert_key", ""), raw.get("headline", "")
        )


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


def _written(
    line: Line,
    escape: Callable[[str], str],
    mark: tuple[str, str],
    label: tuple[str, str] | None,
) -> str:
    """One line: its escaped label inside ``label`` marks (None: no label), its escaped text
    with the highlighted spans inside ``mark``."""
    text = "".join(
        f"{mark[0]}{escape(piece)}{mark[1]}" if marked else escape(piece)
        for piece, marked in _pieces(line)
    )
    if label is None or not line.label:
        return text
    return f"{label[0]}{escape(line.label)}:{label[1]} {text}"


def _as_is(text: str) -> str:
    return text


def render_line(line: Line, fmt: str, *, with_label: bool = True) -> str:
    """One line of an alert in ``fmt``, feed text escaped, matched terms highlighted."""
    bold = ("<b>", "</b>") if fmt == HTML else ("**", "**")
    if fmt == HTML:
        return _written(line, html.escape, bold, bold if with_label else None)
    if fmt == MARKDOWN:
        return _written(line, escape_markdown, bold, bold if with_label else None)
    return _written(line, _as_is, _MARK, ("", "") if with_label else None)


def render(message: Message, fmt: str) -> tuple[str, str]:
    """(title, body) of the message in ``fmt``: "text", "markdown" or "html"."""
    url = safe_url(message.url)
    key = message.alert_key
    if fmt == HTML:
        rows = [f"<p>{render_line(ln, HTML)}</p>" for ln in message.lines]
        if url:
            rows.append(f'<p><a href="{html.escape(url, quote=True)}">{html.escape(url)}</a></p>')
        if key:
            rows.append(f"<p><small>Alert id: {html.escape(key)}</small></p>")
        return message.title, "\n".join(rows)
    if fmt == MARKDOWN:
        rows = [render_line(ln, MARKDOWN) for ln in message.lines]
        if url:
            rows.append(f"[{escape_markdown(url)}](<{url}>)")
        if key:
            rows.append(f"Alert id: `{key}`")
        return message.title, "\n\n".join(rows)  # apprise writes titles as text
    rows = [render_line(ln, TEXT) for ln in message.lines]
    if url:
        rows.append(f"Link: {url}")
    if key:
        rows.append(f"Alert id: {key}")
    return message.title, "\n".join(rows)
