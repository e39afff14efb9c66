"""The scoring rule: does an article report on the security situation a watch is about?

The rule is a co-occurrence score, not a keyword list. Terms found in the article (see
``patterns.py``) have a kind and a weight from the watchlist:

- *incident* terms (shelling, opened fire, killed, drone, ceasefire violation, checkpoint, ...),
  each with a severity;
- *anchors*: *places* on either side of the border and the former line of contact, and *actors*
  (Armenia, Azerbaijan, their defence ministries, armies and border services, the EU mission,
  Russian peacekeepers, the two leaders);
- *context* words that make a sentence about the border clearer (border, positions, line of
  contact, servicemen, ceasefire);
- *exclusion* contexts: sport, culture, economy, tourism, other conflicts that share the
  vocabulary (Ukraine, Gaza, Kyrgyzstan–Tajikistan, India–Pakistan) and other borders.

Sentence 0 is the title; the body follows. For every sentence *s* that holds an incident term::

    I(s) = the largest incident weight in s
    A(s) = sum over distinct anchors in s (x1) and in s-1, s+1 (x neighbour_factor), <= anchor_cap
    C(s) = context_step x (distinct context weights in the same window), <= context_cap
    X(s) = distinct weights of sentence-scope exclusions (chess, football, ...) in s itself
    e(s) = I(s) x A(s) x (1 + C(s)) / (1 + X(s))       (x title_factor for the title)

An incident without an anchor in its window gives nothing, so "shelling" in a Ukraine report or a
"fierce clash" at a chess board only count when they meet the region in one sentence or the next.
The article's score adds the sentence evidence with diminishing returns, a little for incidents
and anchors that never meet, and subtracts the exclusion contexts unless the evidence is strong::

    cooc      = e1 + e2/2 + e3/3 + ...               (e sorted from largest)
    scattered = scattered_factor x (largest unanchored incident weight) x (all anchors, <= cap)
    penalty   = min(exclude_cap, distinct exclusion weights in the article)
                x max(0, 1 - e1 / strong_evidence)
    score     = cooc + scattered - penalty;  flagged when score >= threshold

Severity comes from the incidents that met an anchor: each incident term has one in the
watchlist (killed: critical; wounded, shelling, drone strikes, incursions, captured soldiers:
high; shooting, ceasefire violations, mines, provocation: medium; checkpoints, blockades,
delimitation: low). Deaths count as critical only in the title or the first ``lead_sentences``
sentences of the body, where a report states its news; further down they are usually background
("thousands were killed in 2020") and count as high.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from monitor.match.patterns import Hit
from monitor.match.watchlist import SEVERITIES, Rule

_ANCHOR_KINDS = ("place", "actor")


@dataclass(frozen=True, slots=True)
class Evidence:
    """The co-occurrence found around one sentence."""

    sentence: int
    value: float
    incident: Hit  # the strongest incident of the sentence
    anchors: tuple[Hit, ...]  # one hit per distinct anchor in the window, in text order
    spread: int  # how many sentences the incident and its anchors span (1: one sentence)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one watch for one article."""

    rule: Rule
    flagged: bool
    score: float
    severity: str
    best: Evidence | None
    has_incident: bool
    anchors: tuple[str, ...]  # canonical names of all anchors, in order of first mention
    exclusions: tuple[Hit, ...]  # one hit per distinct exclusion, in text order
    penalty: float


def evaluate(rule: Rule, hits: Sequence[Hit]) -> Verdict:
    """Apply ``rule`` to the hits of one article (already restricted to this watch)."""
    by_sentence: dict[int, list[Hit]] = {}
    for hit in hits:
        by_sentence.setdefault(hit.sentence, []).append(hit)
    evidence: list[Evidence] = []
    unanchored = 0.0
    summaries: dict[int, _Summary] = {}
    for sentence, sentence_hits in sorted(by_sentence.items()):
        incidents = [hit for hit in sentence_hits if hit.term.kind == "incident"]
        if not incidents:
            continue
        found = _evidence(rule, sentence, incidents, by_sentence, summaries)
        if found is None:
            unanchored = max(unanchored, max(hit.term.weight for hit in incidents))
        else:
            evidence.append(found)
    evidence.sort(key=lambda e: (-e.value, e.sentence))
    cooc = sum(item.value / rank for rank, item in enumerate(evidence, start=1))
    anchors = _distinct(hit for hit in hits if hit.term.kind in _ANCHOR_KINDS)
    anchor_total = min(rule.anchor_cap, sum(hit.term.weight for hit in anchors))
    scattered = rule.scattered_factor * unanchored * anchor_total
    exclusions = tuple(_distinct(hit for hit in hits if hit.term.kind == "exclude"))
    best = evidence[0] if evidence else None
    strength = best.value if best else 0.0
    penalty = min(rule.exclude_cap, sum(hit.term.weight for hit in exclusions))
    penalty *= max(0.0, 1.0 - strength / rule.strong_evidence) if rule.strong_evidence else 1.0
    score = round(cooc + scattered - penalty, 3)
    flagged = score >= rule.threshold and (best is not None or scattered > 0)
    return Verdict(
        rule=rule,
        flagged=flagged,
        score=score,
        severity=_severity(rule, evidence, by_sentence) if flagged else "none",
        best=best,
        has_incident=bool(evidence) or unanchored > 0,
        anchors=tuple(hit.term.canonical for hit in anchors),
        exclusions=exclusions,
        penalty=round(penalty, 3),
    )


class _Summary(NamedTuple):
    """What one sentence brings to a window, by canonical name, in order of first mention."""

    anchors: dict[str, tuple[float, Hit]]  # largest weight, and the first hit with it
    contexts: dict[str, float]  # largest weight
    excluded: dict[str, float]  # sentence-scope exclusions


_EMPTY = _Summary({}, {}, {})


def _summary(hits: Sequence[Hit]) -> _Summary:
    anchors: dict[str, tuple[float, Hit]] = {}
    contexts: dict[str, float] = {}
    excluded: dict[str, float] = {}
    for hit in hits:
        term = hit.term
        kind, name, weight = term.kind, term.canonical, term.weight
        if kind in _ANCHOR_KINDS:
            if weight > anchors.get(name, (0.0, hit))[0]:
                anchors[name] = (weight, hit)
        elif kind == "context":
            contexts[name] = max(contexts.get(name, 0.0), weight)
        elif kind == "exclude" and term.entry.scope == "sentence":
            excluded[name] = weight
    return _Summary(anchors, contexts, excluded)


def _evidence(
    rule: Rule,
    sentence: int,
    incidents: list[Hit],
    by_sentence: dict[int, list[Hit]],
    summaries: dict[int, _Summary],
) -> Evidence | None:
    strongest = max(incidents, key=lambda hit: (hit.term.weight, -hit.start))
    anchor_weight: dict[str, tuple[float, Hit]] = {}
    context_weight: dict[str, float] = {}
    excluded: dict[str, float] = {}
    for other in (sentence - 1, sentence, sentence + 1):
        summary = summaries.get(other)
        if summary is None:
            own = by_sentence.get(other)
            summary = summaries[other] = _summary(own) if own else _EMPTY
        factor = 1.0 if other == sentence else rule.neighbour_factor
        for name, (weight, hit) in summary.anchors.items():
            value = weight * factor
            if value > anchor_weight.get(name, (0.0, hit))[0]:
                anchor_weight[name] = (value, hit)
        for name, weight in summary.contexts.items():
            context_weight[name] = max(context_weight.get(name, 0.0), weight * factor)
        if other == sentence:
            excluded = summary.excluded
    anchor_sum = min(rule.anchor_cap, sum(value for value, _ in anchor_weight.values()))
    if anchor_sum <= 0:
        return None
    context = min(rule.context_cap, rule.context_step * sum(context_weight.values()))
    value = strongest.term.weight * anchor_sum * (1.0 + context) / (1.0 + sum(excluded.values()))
    if sentence == 0:
        value *= rule.title_factor
    anchors = tuple(sorted((hit for _, hit in anchor_weight.values()), key=lambda h: h.start))
    lines = {hit.sentence for hit in anchors} | {sentence}
    return Evidence(
        sentence=sentence,
        value=value,
        incident=strongest,
        anchors=anchors,
        spread=max(lines) - min(lines) + 1,
    )


def _severity(rule: Rule, evidence: list[Evidence], by_sentence: dict[int, list[Hit]]) -> str:
    level = 1  # "low": flagged on scattered mentions only
    for item in evidence:
        for hit in by_sentence[item.sentence]:
            if hit.term.kind != "incident":
                continue
            rank = SEVERITIES.index(hit.term.entry.severity)
            if hit.term.entry.severity == "critical" and item.sentence > rule.lead_sentences:
                rank = SEVERITIES.index("high")
            level = max(level, rank)
    return SEVERITIES[level]


def _distinct(hits: Iterable[Hit]) -> list[Hit]:
    seen: set[str] = set()
    result: list[Hit] = []
    for hit in hits:
        if hit.term.canonical not in seen:
            seen.add(hit.term.canonical)
            result.append(hit)
    return result
