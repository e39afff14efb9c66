"""Values passed between pipeline stages. No I/O here; times are timezone-aware UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

# The severity scale, lowest first. "none" is the verdict on an article that is not flagged;
# "info" is flagged and stored but, by default, not pushed as an alert (e.g. delimitation talks).
SEVERITIES = ("none", "info", "low", "medium", "high", "critical")


def severity_rank(severity: str) -> int:
    """The place of a severity in SEVERITIES; anything else ranks as "none"."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def gravest(*severities: str) -> str:
    """The gravest of the severities (the first of equals); "none" without any."""
    return max(severities, key=severity_rank) if severities else "none"


def severity_at_least(severity: str, minimum: str) -> bool:
    """Is ``severity`` a flag at least as grave as ``minimum``? (An unknown minimum: never.)"""
    if severity == "none" or minimum not in SEVERITIES:
        return False
    return severity_rank(severity) >= SEVERITIES.index(minimum)


@dataclass(frozen=True, slots=True)
class FeedSource:
    """One configured feed."""

    name: str
    url: str
    interval_seconds: float
    language: str | None = None
    country: str | None = None
    side: str | None = None
    kind: str = "feed"  # feed, search, listing, sitemap (monitor/sources)
    selector: str = ""  # listing: CSS selector of the article links
    include: tuple[str, ...] = ()  # listing: regular expressions a link must match (any)
    exclude: tuple[str, ...] = ()  # listing: regular expressions a link must not match
    notes: str = ""  # reliability notes, shown in alerts and the review
    checked: str = ""  # when the source was last checked against its live server


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one HTTP fetch gave. ``body is None`` means "not modified" (304)."""

    url: str
    final_url: str
    status: int
    body: bytes | None
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    moved_to: str | None = None  # where a leading run of 301/308 redirects pointed


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a feed, as parsed."""

    key: str
    url: str | None
    title: str
    summary: str
    content: str
    published: datetime | None
    guid: str | None = None
    author: str | None = None
    revision: str = ""  # changes when the feed re-issues the item with other words or dates


@dataclass(frozen=True, slots=True)
class Article:
    """The readable text of one entry, from its page or, failing that, from the feed."""

    url: str | None
    title: str
    text: str
    language: str | None = None
    published: datetime | None = None
    author: str | None = None
    site: str | None = None
    source: str = "page"  # "page" when extracted from the article page, "feed" otherwise
    canonical_url: str | None = None  # the page's own address (rel=canonical, redirects)


@dataclass(frozen=True, slots=True)
class Place:
    """A gazetteer place that an article mentions."""

    name: str
    lat: float
    lon: float
    country: str
    kind: str


class Match(NamedTuple):
    """One term found in an article, and why it counts (a tuple: an article may have hundreds)."""

    text: str  # the words as they stand in the article
    kind: str  # "place", "actor", "incident", "context", "exclude"
    canonical: str  # the gazetteer / vocabulary name it resolves to
    sentence: str  # the sentence it was found in
    weight: float


@dataclass(frozen=True, slots=True)
class Firing:
    """One part of a watch's score: a rule that held, the evidence of one sentence, a penalty."""

    watch: str
    rule: str  # "co-occurrence", "scattered mentions", "exclusion contexts" or a rule's name
    weight: float  # what it added to the score (negative: subtracted)
    severity: str  # the least severity it implies, "" for none
    detail: str  # how the weight came about, or the query that held and what it matched
    sentence: str = ""  # the sentence it rests on, if one


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The verdict on one article."""

    flagged: bool
    score: float
    severity: str  # one of SEVERITIES
    watches: tuple[str, ...]
    matches: tuple[Match, ...]
    places: tuple[Place, ...]
    reason: str  # one line saying why it was (or was not) flagged
    fired: tuple[Firing, ...] = ()  # the rules and weights behind the score, per watch


@dataclass(frozen=True, slots=True)
class Item:
    """A new entry ready to store: its article, the verdict, and its identities."""

    entry: Entry
    article: Article
    verdict: MatchResult
    content_hash: str
    canonical_url: str | None
    known_article_id: int | None = None  # the page is already stored under this article id


@dataclass(frozen=True, slots=True)
class AlertDraft:
    """A rendered alert, before it is stored in the outbox."""

    alert_key: str
    severity: str
    title: str
    body: str
    url: str | None
    payload: str | None = None  # the message to write per destination format (formats.py)
    watches: tuple[str, ...] = ()  # the watches that flagged it, for routing


@dataclass(frozen=True, slots=True)
class Destination:
    """One place alerts go. ``label`` is safe to show (secrets masked); ``key`` is stable."""

    key: str
    label: str
    tags: tuple[str, ...] = ()
