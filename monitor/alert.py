"""Render alerts and send them with apprise, one destination at a time.

The outbox rows live in the store; this module only turns an article into words and pushes
words to one destination. Secrets never leave it: destinations are shown with apprise's
privacy mode, and failure reasons are scrubbed of the raw URL's credentials.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.config import AlertSettings
from monitor.errors import AlertError, ConfigError
from monitor.fetch import parse_retry_after
from monitor.formats import HTML, MARKDOWN, TEXT, Line, Message, render
from monitor.models import AlertDraft, Destination, Item, gravest
from monitor.routing import split_tags
from monitor.templates import Templates, apply

if TYPE_CHECKING:  # apprise (and requests under it) is imported once there are destinations
    import apprise

# apprise.NotifyType values
_NOTIFY_TYPE = {
    "critical": "failure",
    "high": "warning",
    "medium": "warning",
    "low": "info",
    "info": "info",
}


def term_spans(sentence: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where the matched terms stand in the sentence (longest terms first, no overlaps)."""
    spans: list[tuple[int, int]] = []
    for term in sorted(set(terms), key=len, reverse=True):
        start = sentence.find(term)
        while start >= 0:
            end = start + len(term)
            if all(end <= a or start >= b for a, b in spans):
                spans.append((start, end))
            start = sentence.find(term, end)
    return sorted(spans)


def highlight(sentence: str, terms: Iterable[str], mark: tuple[str, str] = ("«", "»")) -> str:
    """The sentence with each matched term wrapped in marks (longest terms first, no overlaps)."""
    out, last = [], 0
    for start, end in term_spans(sentence, terms):
        out += [sentence[last:start], mark[0], sentence[start:end], mark[1]]
        last = end
    return "".join([*out, sentence[last:]])


def key_sentences(matches: Iterable[tuple[str, str, str, float]], limit: int = 3) -> list[str]:
    """The sentences whose matches weigh most, terms highlighted.

    ``matches`` are (sentence, matched text, kind, weight); exclusions do not count.
    """
    return [highlight(text, terms) for text, terms in _ranked_sentences(matches, limit)]


def _ranked_sentences(
    matches: Iterable[tuple[str, str, str, float]], limit: int
) -> list[tuple[str, list[str]]]:
    weight: dict[str, float] = {}
    terms: dict[str, list[str]] = {}
    for sentence, text, kind, value in matches:
        if kind == "exclude" or not sentence:
            continue
        weight[sentence] = weight.get(sentence, 0.0) + value
        terms.setdefault(sentence, []).append(text)
    ranked = sorted(weight, key=lambda s: weight[s], reverse=True)[:limit]
    return [(" ".join(s.split()), terms[s]) for s in ranked]


def _few(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" (+{len(names) - limit} more)" if len(names) > limit else "")


def rules_fired(item: Item, limit: int = 4) -> str:
    """The rules behind the flagging watches' scores, each once with its total weight, e.g.
    "armenia-azerbaijan-border: co-occurrence in 4 sentences +76.2 [high]; people hurt at a
    named place [critical]"."""
    parts = []
    for watch in item.verdict.watches:
        totals: dict[str, tuple[float, int, str]] = {}
        for f in item.verdict.fired:
            if f.watch != watch or not (f.weight > 0 or f.severity):
                continue
            weight, count, severity = totals.get(f.rule, (0.0, 0, ""))
            graver = gravest(severity, f.severity)
            totals[f.rule] = (weight + f.weight, count + 1, graver)
        shown = []
        for rule, (weight, count, severity) in totals.items():
            label = rule + (
                f" in {count} sentences" if rule == "co-occurrence" and count > 1 else ""
            )
            label += f" {weight:+.1f}" if weight else ""
            label += f" [{severity}]" if severity else ""
            shown.append(label)
        if shown:
            more = f" (+{len(shown) - limit} more)" if len(shown) > limit else ""
            parts.append(f"{watch}: {', '.join(shown[:limit])}{more}")
    return "; ".join(parts)


def render_alert(item: Item, *, feed_name: str, side: str | None, notes: str = "") -> AlertDraft:
    """The words of an alert: what happened, where, who reports it, and why it matched."""
    article, verdict = item.article, item.verdict
    title = article.title or item.entry.title or "(untitled)"
    places = ", ".join(f"{p.name} ({p.country})" for p in verdict.places) or "not named"
    terms: dict[str, list[str]] = {}
    for match in verdict.matches:
        if match.kind != "exclude" and match.canonical not in terms.setdefault(match.kind, []):
            terms[match.kind].append(match.canonical)
    why = "; ".join(f"{kind}: {_few(names)}" for kind, names in sorted(terms.items()))
    reporter = feed_name + (f" ({side})" if side else "")
    if article.site and article.site not in feed_name:
        reporter += f", {article.site}"
    url = article.url or item.entry.url
    digest = hashlib.sha256(f"{item.content_hash}:{','.join(verdict.watches)}".encode())
    alert_key = "nm-" + digest.hexdigest()[:16]
    lines = [
        Line("What", verdict.reason),
        Line("Where", places),
        Line("Reported by", reporter),
        Line("Why it matched", f"{why or 'n/a'} (score {verdict.score:.1f})"),
    ]
    fired = rules_fired(item)
    if fired:
        lines.append(Line("Rules", fired))
    if notes:
        lines.append(Line("About the source", notes))
    ranked = _ranked_sentences(
        ((m.sentence, m.text, m.kind, m.weight) for m in verdict.matches), limit=1
    )
    if ranked:
        sentence, found = ranked[0]
        sentence = sentence[:600]
        marks = tuple((a + 1, b + 1) for a, b in term_spans(sentence, found))
        lines.append(Line("Key sentence", f'"{sentence}"', marks))
    return _draft(
        Message(f"[{verdict.severity.upper()}] {title}", tuple(lines), url, alert_key, title),
        verdict.severity,
        verdict.watches,
    )


def _draft(message: Message, severity: str, watches: tuple[str, ...] = ()) -> AlertDraft:
    """The stored form of an alert: its text rendering, and the message to render per format."""
    title, body = render(message, TEXT)
    return AlertDraft(
        alert_key=message.alert_key,
        severity=severity,
        title=title,
        body=body,
        url=message.url,
        payload=message.to_json(),
        watches=watches,
    )


def render_update(
    item: Item, *, feed_name: str, side: str | None, changes: str, notes: str = ""
) -> AlertDraft:
    """The alert for a stored article whose page changed and now matches, or matches graver."""
    draft = render_alert(item, feed_name=feed_name, side=side, notes=notes)
    assert draft.payload is not None
    message = Message.from_json(draft.payload)
    digest = hashlib.sha256(f"{draft.alert_key}:update:{item.content_hash}".encode())
    alert_key = "nm-" + digest.hexdigest()[:16]
    return _draft(
        replace(
            message,
            title=f"[UPDATE] {message.title}",
            lines=(Line("What changed", changes), *message.lines),
            alert_key=alert_key,
        ),
        draft.severity,
        draft.watches,
    )


def render_corroboration(
    story_id: int, title: str, severity: str, url: str | None, sources: list[tuple[str, str]]
) -> AlertDraft:
    """The one follow-up of a story: now reported by outlets from several sides."""
    sides = sorted({side for _, side in sources if side})
    outlets = ", ".join(f"{feed} ({side})" if side else feed for feed, side in sources)
    alert_key = "nm-" + hashlib.sha256(f"story:{story_id}:corroborated".encode()).hexdigest()[:16]
    lines = (
        Line("", f"Now reported by {len(sources)} outlets from {len(sides)} sides: {outlets}."),
        Line("Story", f"#{story_id}: {title}"),
    )
    return _draft(
        Message(f"[CORROBORATED] [{severity.upper()}] {title}", lines, url, alert_key, title),
        severity,
    )


# Refusals that retrying will not cure: HTTP 400/401/403/404/410 and SMTP authentication (535)
# or mailbox (550-553) errors, as apprise reports them.
_PERMANENT = re.compile(
    r"error=(?:400|401|403|404|410)\b|\b(?:535|550|551|552|553)\b|authenticat", re.IGNORECASE
)


def _format_of(service: apprise.NotifyBase) -> str:
    """The body format a service renders: its own, or its first of several (email: HTML)."""
    resolve = getattr(service, "resolve_format", None)
    chosen = resolve(None) if callable(resolve) else service.notify_format
    if isinstance(chosen, tuple | list):
        chosen = chosen[0]
    value = str(getattr(chosen, "value", chosen)).lower()
    return value if value in (TEXT, MARKDOWN, HTML) else TEXT


class Notifier:
    """The configured destinations, each sendable on its own."""

    def __init__(
        self,
        services: Iterable[apprise.NotifyBase],
        *,
        dry_run: bool = False,
        templates: Templates | None = None,
    ) -> None:
        self._services: dict[str, apprise.NotifyBase] = {}
        self.templates = templates or Templates()
        self.destinations: list[Destination] = []
        self.dry_run = dry_run  # render what would be sent into ``rendered``, send nothing
        self.rendered: list[tuple[str, str, str, str]] = []  # (destination, format, title, body)
        for service in services:
            raw = str(service.url(privacy=False))
            key = hashlib.sha256(raw.encode()).hexdigest()[:16]
            if key in self._services:
                continue
            self._services[key] = service
            self.destinations.append(
                Destination(
                    key=key,
                    label=str(service.url(privacy=True)).split("?", 1)[0],
                    tags=tuple(sorted(service.tags)),
                )
            )

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> Notifier:
        """Build from inline apprise URLs and an optional apprise config file (YAML or TEXT)."""
        if not settings.urls and settings.config is None:
            return cls([], templates=settings.templates)  # nothing to send to: no apprise
        import apprise

        problems: list[str] = []
        collected = apprise.Apprise()
        for index, entry in enumerate(settings.urls):
            tags, url = split_tags(entry)
            if not collected.add(url, tag=list(tags) or None):
                scheme = url.split("://", 1)[0] if "://" in url else url[:12]
                problems.append(
                    f"alerts.urls[{index}]: apprise cannot use this URL "
                    f"(scheme {scheme!r}); see apprise's list of services"
                )
        if settings.config is not None:
            config = apprise.AppriseConfig()
            if not config.add(str(settings.config)) or not config.services():
                problems.append(f"alerts.config: no usable destinations in {settings.config}")
            collected.add(config)
        if problems:
            raise ConfigError(problems)
        return cls(list(collected), templates=settings.templates)

    def has(self, key: str) -> bool:
        return key in self._services

    def send(
        self, key: str, *, title: str, body: str, severity: str, payload: str | None = None
    ) -> None:
        """Deliver one message to one destination, written in the format it takes (text,
        Markdown or HTML; email as text and HTML). Raises AlertError with a safe reason."""
        import apprise

        from monitor.replies import asked_to_wait, watching

        service = self._services[key]
        one = apprise.Apprise()
        one.add(service)
        notify_type = apprise.NotifyType(_NOTIFY_TYPE.get(severity, "info"))
        fmt = TEXT
        if payload:
            fmt = _format_of(service)
            message = Message.from_json(payload)
            title, body = apply(self.templates, message, fmt, severity, render(message, fmt))
        if self.dry_run:
            label = next(d.label for d in self.destinations if d.key == key)
            self.rendered.append((label, fmt, title, body))
            return
        with watching() as answers:
            result = one.notify(body=body, title=title, notify_type=notify_type, body_format=fmt)
        if not result:
            # The result's own log: a concurrent send to another destination never mixes in.
            entries = getattr(result, "logs", lambda: ())()
            said = [
                str(getattr(e, "message", e))
                for e in entries
                if str(getattr(e, "level", "WARNING")).upper() in ("WARNING", "ERROR", "CRITICAL")
            ]
            reason = self._scrub(key, "\n".join(said)) or "apprise reported failure"
            wait = parse_retry_after(asked_to_wait(answers), datetime.now(UTC))
            raise AlertError(reason, permanent=bool(_PERMANENT.search(reason)), retry_after=wait)

    def _scrub(self, key: str, text: str) -> str:
        """Keep the last lines of apprise's log of this send, credentials of the URL masked."""
        service = self._services[key]
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()][-3:]
        reason = " | ".join(lines)
        for secret in (getattr(service, "password", None), getattr(service, "token", None)):
            if isinstance(secret, str) and len(secret) >= 3:
                reason = reason.replace(secret, "****")
        return reason
