"""User templates for an alert's title and body, per destination format. Pure.

A template is a string with ``{field}`` placeholders (``{{`` and ``}}`` for literal braces).
Every field's value is feed text made safe for the format first, so a template can add markup
(``<b>{where}</b>`` in HTML, ``**{where}**`` in Markdown) but feed text never can. The title is
always written as plain text (apprise puts it in an email subject or a chat title).
"""

from __future__ import annotations

import difflib
import html
import string
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.formats import HTML, MARKDOWN, TEXT, Message, escape_markdown, render_line, safe_url

# Each line of an alert is a field, by its label: "Reported by" -> {reported_by}.
LINE_FIELDS = (
    "what",
    "where",
    "reported_by",
    "why_it_matched",
    "rules",
    "key_sentence",
    "what_changed",
    "story",
    "about_the_source",
)
FIELDS = ("subject", "title", "severity", "lines", "link", "url", "alert_id", *LINE_FIELDS)


@dataclass(frozen=True, slots=True)
class Templates:
    title: str = ""  # "" keeps the standard title
    text: str = ""  # "" keeps the standard body for text destinations
    markdown: str = ""
    html: str = ""

    def body(self, fmt: str) -> str:
        return {TEXT: self.text, MARKDOWN: self.markdown, HTML: self.html}.get(fmt, "")


def check_template(template: str) -> str:
    """``template`` if its placeholders are all known fields; else ValueError saying which."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write {{{{ and }}}} for braces") from exc
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"{{{name}}}: no format specs or conversions, only {{field}}")
        if name not in FIELDS:
            close = difflib.get_close_matches(name, FIELDS, n=1)
            hint = f" (did you mean {{{close[0]}}}?)" if close else ""
            raise ValueError(f"unknown field {{{name}}}{hint}; fields: {', '.join(FIELDS)}")
    return template


def field_of(label: str) -> str:
    return "_".join(label.lower().split())


def values(message: Message, fmt: str, severity: str) -> dict[str, str]:
    """Every field's value for ``message`` written in ``fmt`` (escaped, terms highlighted)."""
    escape = {HTML: _html, MARKDOWN: escape_markdown}.get(fmt, _as_is)
    url = safe_url(message.url) or ""
    out = dict.fromkeys(FIELDS, "")
    for line in message.lines:
        if line.label:
            out[field_of(line.label)] = render_line(line, fmt, with_label=False)
    out["lines"] = "\n".join(render_line(line, fmt) for line in message.lines)
    out["subject"] = escape(message.title)
    out["title"] = escape(message.headline or message.title)
    out["severity"] = escape(severity.upper())
    out["alert_id"] = escape(message.alert_key)
    out["url"] = escape(url)
    if url and fmt == HTML:
        out["link"] = f'<a href="{_html(url)}">{_html(url)}</a>'
    elif url and fmt == MARKDOWN:
        out["link"] = f"[{escape_markdown(url)}](<{url}>)"
    else:
        out["link"] = url
    return out


def apply(
    templates: Templates, message: Message, fmt: str, severity: str, standard: tuple[str, str]
) -> tuple[str, str]:
    """(title, body) from the user's templates, falling back to ``standard`` for either."""
    title, body = standard
    if templates.title:
        title = _fill(templates.title, values(message, TEXT, severity))
        title = " ".join(title.split())  # one line, whatever the feed held
    chosen = templates.body(fmt)
    if chosen:
        body = _fill(chosen, values(message, fmt, severity))
    return title, body


def _fill(template: str, fields: Mapping[str, str]) -> str:
    return template.format_map(fields)


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _as_is(text: str) -> str:
    return text
