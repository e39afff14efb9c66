"""Matching articles against a watchlist: is this a report on the border's security situation?

Public API (the pipeline calls exactly this)::

    load_watchlist(path: Path | None = None) -> Watchlist   # None: the shipped default
    match_article(article: Article, watchlist: Watchlist) -> MatchResult
    WatchlistError(ValueError)                              # a malformed watchlist file

A ``Watchlist`` is compiled once (every alias spelling becomes a key of one Aho–Corasick
automaton) and is immutable; ``match_article`` is pure (no I/O, no clock) and reads an article in
one pass whatever the size of the watchlist: tens of MB of text per second on one core
(``benchmarks/match_speed.py``).

How an article is read, in order:

1. ``normalise``: title and body become one text (the title is sentence 0), folded in C-level
   passes to its loose comparison form (NFKC, case folding, every separator one space, Azerbaijani
   ``ə``/``e``/``a`` and ``ı``/``i``, Russian ``ё``/``е``, Latin diacritics for names) with every
   position kept or mapped back to the article's own text.
2. ``patterns``: the watchlist's aliases (English, Russian, Armenian, Azerbaijani, with prefixes
   and case endings) are found on word boundaries in that one pass; Python only looks at each
   occurrence (case endings, strict keys for vocabulary, sentences); the longest match wins.
3. ``rules``: per watch, incidents that meet places or actors in the same or the next sentence
   score, scattered mentions barely do; casualty words count fully only beside a hostile cause
   or military context; a headline whose topic is an exclusion (sport, culture, economy,
   remembrance, accident, metaphor) scales the evidence down; exclusion contexts (also other
   conflicts and borders) subtract unless the evidence is strong. The module docstring of
   ``monitor.match.rules`` states the rule and its parameters in full.
4. ``explain``: one line saying why (or why not).

The default watchlist, ``monitor/data/watchlist.toml``, holds the watch
``armenia-azerbaijan-border``; ``monitor.match.watchlist`` documents the file format.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from monitor.match.explain import reason
from monitor.match.normalise import prepare
from monitor.match.patterns import Hit, Matcher, compile_entries
from monitor.match.rules import Verdict, evaluate
from monitor.match.watchlist import Entry, Rule, WatchlistError, parse_document
from monitor.models import Article, Match, MatchResult, Place

__all__ = ["Watchlist", "WatchlistError", "load_watchlist", "match_article"]


@dataclass(frozen=True, slots=True, eq=False)
class Watchlist:
    """A compiled, immutable watchlist: its watches, entries and word patterns."""

    source: str
    rules: tuple[Rule, ...]
    entries: tuple[Entry, ...]
    matcher: Matcher

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the watches."""
        return tuple(rule.name for rule in self.rules)

    @property
    def places(self) -> tuple[Place, ...]:
        """The gazetteer."""
        return tuple(entry.place for entry in self.entries if entry.place is not None)

    def counts(self) -> dict[str, int]:
        """How many entries of each kind, and how many aliases the incident entries list."""
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.kind] = counts.get(entry.kind, 0) + 1
            if entry.kind == "incident":
                counts["incident_terms"] = counts.get("incident_terms", 0) + len(entry.aliases)
        counts["patterns"] = self.matcher.size
        return counts


def load_watchlist(path: Path | None = None) -> Watchlist:
    """Read, check and compile a watchlist file; ``None`` loads the shipped default.

    Raises ``WatchlistError`` (a ``ValueError``) naming the file and the offending key.
    """
    if path is None:
        resource = resources.files("monitor") / "data" / "watchlist.toml"
        source = str(resource)
        try:
            data = resource.read_text(encoding="utf-8")
        except OSError as exc:
            raise WatchlistError(f"{source}: cannot read the default watchlist: {exc}") from exc
    else:
        source = str(path)
        try:
            data = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise WatchlistError(f"{source}: cannot read: {exc}") from exc
    document = parse_document(data, source)
    matcher = compile_entries(document.entries, source)
    return Watchlist(source=source, rules=document.rules, entries=document.entries, matcher=matcher)


def match_article(article: Article, watchlist: Watchlist) -> MatchResult:
    """Match one article against every watch of ``watchlist``. Pure and deterministic."""
    text = prepare(article.title or "", article.text or "")
    hits = [hit for hit in watchlist.matcher.find(text) if hit.term.kind != "mask"]
    verdicts: list[tuple[Verdict, list[Hit]]] = []
    for rule in watchlist.rules:
        name = rule.name
        own = [
            hit for hit in hits if (watches := hit.term.entry.watches) is None or name in watches
        ]
        verdicts.append((evaluate(rule, own), own))
    flagged = sorted(
        (pair for pair in verdicts if pair[0].flagged), key=lambda pair: -pair[0].score
    )
    top, top_hits = flagged[0] if flagged else max(verdicts, key=lambda pair: pair[0].score)
    line = reason(top, top_hits, text)
    if len(watchlist.rules) > 1:
        line = f"{top.rule.name}: {line}"
    places: dict[str, Place] = {}
    matches: list[Match] = []
    full, sentence = text.full, text.sentence
    for hit in hits:
        term = hit.term
        place = term.entry.place
        if place is not None and place.name not in places:
            places[place.name] = place
        matches.append(
            Match(
                text=full[hit.start : hit.end],
                kind=term.kind,
                canonical=term.canonical,
                sentence=sentence(hit.sentence),
                weight=-term.weight if term.kind == "exclude" else term.weight,
            )
        )
    return MatchResult(
        flagged=bool(flagged),
        score=top.score,
        severity=top.severity,
        watches=tuple(verdict.rule.name for verdict, _ in flagged),
        matches=tuple(matches),
        places=tuple(places.values()),
        reason=line,
    )
