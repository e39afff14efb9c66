"""Matching articles against a watchlist: is this a report on the border's security situation?

Public API (the pipeline calls exactly this)::

    load_watchlist(paths=None) -> Watchlist   # files or folders; None: the shipped default
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
3. ``resolve``: ambiguous places are read by context (a person named Lachin, the water
   «Джермук», Martuni in Gegharkunik or in Karabakh).
4. ``rules``: per watch with the ``border`` scorer, incidents that meet places or actors in
   the same or the next sentence score, scattered mentions barely do; casualty words count
   fully only beside a hostile cause or military context; a headline whose topic is an
   exclusion (sport, culture, economy, remembrance, accident, metaphor) scales the evidence
   down; exclusion contexts (also other conflicts and borders) subtract unless the evidence is
   strong. The module docstring of
   ``monitor.match.rules`` states the rule and its parameters in full.
5. ``watches``/``query``: each watch's rules (boolean queries over the matches and the words of
   the text, with proximity) add their weights and severities.
6. ``firings`` and ``explain``: the parts of the score, and one line saying why (or why not).

The default watchlist is the gazetteer ``seeds/gazetteer/*.toml`` and the watches file
``config/watches.toml`` (the watch ``armenia-azerbaijan-border``); ``monitor.match.watchlist``
and ``monitor.match.watches`` document the formats.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from monitor import paths
from monitor.match import query
from monitor.match.explain import reason
from monitor.match.firings import firings, rule_matches
from monitor.match.normalise import Text, loose_key, prepare, script_of
from monitor.match.patterns import Hit, Matcher, compile_entries
from monitor.match.query import HitTest
from monitor.match.resolve import resolve
from monitor.match.rules import Verdict, evaluate, severity_of
from monitor.match.watches import (
    EntryFacts,
    QueryRule,
    Watch,
    expand_groups,
    rule_literals,
    selector_test,
)
from monitor.match.watchlist import Entry, WatchlistError, merge, parse_document
from monitor.models import SEVERITIES, Article, Match, MatchResult, Place

__all__ = [
    "Outcome",
    "Watchlist",
    "WatchlistError",
    "default_paths",
    "load_watchlist",
    "match_article",
]


_LANGUAGE_OF_SCRIPT = {"cyrillic": "ru", "armenian": "hy"}


def default_paths() -> tuple[Path, ...]:
    """The shipped gazetteer and watches (in the source tree this package runs from)."""
    return (paths.GAZETTEER, paths.WATCHES)


@dataclass(frozen=True, slots=True, eq=False)
class Watchlist:
    """A checked, immutable watchlist: watches, entries, word patterns and selector tests.

    Its word patterns (``matcher``) are compiled on first use, or by ``compile()``: compiling
    takes about 0.4 s, which a cycle with nothing new to read need not pay.
    """

    source: str
    watches: tuple[Watch, ...]
    entries: tuple[Entry, ...]
    tests: Mapping[str, HitTest]  # "@selector" or "=literal" -> which hits it selects
    restricted: bool = False  # some entries serve only some watches
    fingerprint: str = ""  # of the files and of this matcher's code: same value, same result
    terms: tuple[Entry, ...] = ()  # the rules' literal words, compiled with the entries
    _compiled: list[Matcher] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def matcher(self) -> Matcher:
        """The compiled word patterns (compiled now if they are not yet)."""
        if not self._compiled:
            with self._lock:
                if not self._compiled:
                    self._compiled.append(compile_entries((*self.entries, *self.terms)))
        return self._compiled[0]

    @property
    def compiled(self) -> bool:
        return bool(self._compiled)

    def compile(self) -> Watchlist:
        """Compile the word patterns now; raises ``WatchlistError`` on a clash or a bad alias."""
        self.matcher  # noqa: B018 (the property compiles)
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the watches."""
        return tuple(watch.name for watch in self.watches)

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
        counts["rules"] = sum(len(watch.rules) for watch in self.watches)
        counts["patterns"] = self.matcher.size
        return counts


def _files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise WatchlistError(f"{path}: no .toml files in this folder")
            files.extend(found)
        else:
            files.append(path)
    return files


@functools.cache
def _code_digest() -> str:
    """A digest of this package's source: the compiled patterns depend on it as on the files."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()


def load_watchlist(
    files: Sequence[Path] | Path | None = None, *, compile: bool = True
) -> Watchlist:
    """Read, check and compile watchlist files (folders stand for their ``*.toml``).

    ``None`` loads the shipped gazetteer and watches. Raises ``WatchlistError`` (a
    ``ValueError``) naming the file and the offending key. ``compile=False`` leaves the word
    patterns to their first use (see ``Watchlist``): a clash between aliases is found then.
    """
    if files is None:
        files = default_paths()
    elif isinstance(files, Path | str):
        files = (Path(files),)
    documents = []
    fingerprint = hashlib.sha256(_code_digest().encode())
    for file in _files([Path(path) for path in files]):
        try:
            data = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise WatchlistError(f"{file}: cannot read: {exc}") from exc
        fingerprint.update(f"\0{file.resolve()}\0".encode() + data.encode())
        documents.append(parse_document(data, str(file)))
    document = merge(documents)
    facts = EntryFacts(document.entries)
    tests: dict[str, HitTest] = {}
    watches = []
    for watch in document.watches:
        rules = []
        for rule in watch.rules:
            tree = expand_groups(rule.tree, document.groups)
            for selector in query.refs(tree):
                if selector not in tests:
                    try:
                        tests[selector] = selector_test(selector, facts, document.groups)
                    except ValueError as exc:
                        raise WatchlistError(f"{watch.source}: {rule.key}: {exc}") from exc
            rules.append(replace(rule, tree=tree))
        # Rules that only set a severity matter only to a flagged article: they go last.
        rules.sort(key=lambda rule: rule.weight == 0)
        watches.append(replace(watch, rules=tuple(rules)))
    terms = []
    for literal in sorted(rule_literals(watches, {})):
        script = script_of(loose_key(literal.split()[0].rstrip("*")) or "a")
        terms.append(
            Entry(
                kind="term",
                name=literal,
                weight=0.0,
                aliases=((_LANGUAGE_OF_SCRIPT.get(script, "en"), literal),),
                capitalised=frozenset(),
                watches=None,
                key=f"query term {literal!r}",
                source=document.source,
            )
        )
        tests["=" + literal] = _literal_test(literal)
    watchlist = Watchlist(
        source=document.source,
        watches=tuple(watches),
        entries=document.entries,
        tests=tests,
        restricted=any(entry.watches is not None for entry in document.entries),
        fingerprint=fingerprint.hexdigest(),
        terms=tuple(terms),
    )
    return watchlist.compile() if compile else watchlist


def _literal_test(literal: str) -> HitTest:
    return lambda hit: hit.term.kind == "term" and hit.term.canonical == literal


class Outcome(NamedTuple):
    """One watch's judgement of one article."""

    watch: Watch
    flagged: bool
    score: float
    severity: str
    verdict: Verdict | None  # the border scorer's, if the watch has it
    fired: tuple[tuple[QueryRule, tuple[query.Occurrence, ...]], ...]


def match_article(article: Article, watchlist: Watchlist) -> MatchResult:
    """Match one article against every watch of ``watchlist``. Pure and deterministic."""
    text = prepare(article.title or "", article.text or "")
    found = watchlist.matcher.find(text)
    named: list[Hit] = []
    terms: list[Hit] = []
    for hit in found:
        kind = hit.term.kind
        if kind == "term":
            terms.append(hit)
        elif kind != "mask":
            named.append(hit)
    hits, notes = resolve(named, text)
    restricted = watchlist.restricted
    outcomes = [
        _judge(watch, hits, terms, text, watchlist.tests, restricted) for watch in watchlist.watches
    ]
    flagged = sorted((o for o in outcomes if o.flagged), key=lambda o: -o.score)
    top = flagged[0] if flagged else max(outcomes, key=lambda o: o.score)
    line = reason(top, hits, text)
    if len(outcomes) > 1:
        line = f"{top.watch.name}: {line}"
    if notes:
        line += "; read by context: " + "; ".join(dict.fromkeys(notes))
    places: dict[str, Place] = {}
    matches: list[Match] = []
    full, sentence = text.full, text.sentence
    sentences: dict[int, str] = {}
    for hit in (*hits, *rule_matches(outcomes)) if terms else hits:
        term = hit.term
        place = term.entry.place
        if place is not None and place.name not in places:
            places[place.name] = place
        index = hit.sentence
        said = sentences.get(index)
        if said is None:
            said = sentences[index] = sentence(index)
        weight = term.weight
        kind = term.kind
        matches.append(
            Match(
                full[hit.start : hit.end],
                kind,
                term.canonical,
                said,
                -weight if kind == "exclude" else weight,
            )
        )
    return MatchResult(
        flagged=bool(flagged),
        score=top.score,
        severity=top.severity,
        watches=tuple(outcome.watch.name for outcome in flagged),
        matches=tuple(matches),
        places=tuple(places.values()),
        reason=line,
        fired=tuple(f for outcome in outcomes for f in firings(outcome, text)),
    )


def _would_flag(
    watch: Watch,
    verdict: Verdict | None,
    fired: list[tuple[QueryRule, tuple[query.Occurrence, ...]]],
) -> bool:
    added = sum(rule.weight for rule, _ in fired)
    if verdict is None:
        return bool(fired) and added >= watch.threshold
    return verdict.score + added >= watch.threshold


def _judge(
    watch: Watch,
    hits: Sequence[Hit],
    terms: Sequence[Hit],
    text: Text,
    tests: Mapping[str, HitTest],
    restricted: bool = True,
) -> Outcome:
    name = watch.name
    own = (
        [hit for hit in hits if (only := hit.term.entry.watches) is None or name in only]
        if restricted
        else hits
    )
    verdict = evaluate(watch, own) if watch.scorer == "border" else None
    fired: list[tuple[QueryRule, tuple[query.Occurrence, ...]]] = []
    pool: list[Hit] | None = None
    for rule in watch.rules:  # rules that only set a severity come last (see load_watchlist)
        if rule.weight == 0 and not _would_flag(watch, verdict, fired):
            break
        if pool is None:
            pool = [*own, *terms]
        chosen = pool
        if rule.where != "article":
            last = 0 if rule.where == "title" else watch.lead_sentences
            chosen = [hit for hit in pool if hit.sentence <= last]
        held, occurrences = query.evaluate(rule.tree, query.Context(text.full, chosen, tests))
        if held:
            fired.append((rule, tuple(occurrences)))
    added = sum(rule.weight for rule, _ in fired)
    if verdict is not None:
        score = round(verdict.score + added, 3)
        evidence = verdict.best is not None or verdict.scattered > 0
        flagged = score >= watch.threshold and (evidence or any(r.weight > 0 for r, _ in fired))
        base = verdict.severity if verdict.flagged else severity_of(watch, list(verdict.evidence))
    else:
        score = round(added, 3)
        flagged = score >= watch.threshold and bool(fired)
        base = "low"
    severity = "none"
    if flagged:
        ranks = [SEVERITIES.index(base)]
        ranks += [SEVERITIES.index(rule.severity) for rule, _ in fired if rule.severity]
        severity = SEVERITIES[max(ranks)]
    return Outcome(watch, flagged, score, severity, verdict, tuple(fired))
