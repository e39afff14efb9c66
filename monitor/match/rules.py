"""The scoring rule: does an article report on the security situation a watch is about?

The rule is a co-occurrence score, not a keyword list. Terms found in the article (see
``patterns.py``) have a kind, a weight and sometimes a role from the watchlist:

- *incident* terms (shelling, opened fire, killed, drone, ceasefire violation, checkpoint, ...),
  each with a severity; their role says whether they are a *hostile* cause (fire, strikes, mines,
  incursions, captures, fighting, provocations), a *loss* (a death or wound that names its
  hostile cause: killed in action, shrapnel; a hostile cause too), a *casualty* (killed,
  wounded, casualties: death and injury alone, which road accidents, earthquakes and crime also
  cause) or a *crossing* (checkpoints and border crossing points);
- *anchors*: *places* on either side of the border and the former line of contact, and *actors*
  (Armenia, Azerbaijan, their defence ministries, armies and border services, the EU mission,
  Russian peacekeepers, the two leaders);
- *context* words that make a sentence about the border clearer (border, positions, line of
  contact, servicemen, the enemy, ceasefire);
- *exclusion* contexts: sport, culture, economy, tourism, domestic politics, remembrance of past
  wars, accidents, metaphors, other conflicts that share the vocabulary (Ukraine, Gaza,
  Kyrgyzstan–Tajikistan, India–Pakistan) and other borders and their crossing points.

Sentence 0 is the title; the body follows. The *window* of a sentence *s* is s-1, s and s+1. A
window has a *hostile cause* when it holds a hostile or loss incident or a *military* actor or
context (an army, a defence ministry, a border service, servicemen, positions, the line of
contact, the enemy). For every sentence *s* that holds an incident term::

    w(t) = weight of incident t, x casualty_factor for a casualty term when s's window has no
           hostile cause ("a driver died near Goris" is not a border incident)
    I(s) = the largest w(t) in s, leaving out crossing terms (a checkpoint) when s names a
           crossing on another border (Bagratashen, Red Bridge, Astara, ..., or a place of the
           gazetteer that is one, such as Agarak on the Iranian border) and holds no hostile
           incident
    A(s) = sum over distinct anchors in s (x1) and in s-1, s+1 (x neighbour_factor), <= anchor_cap
    C(s) = context_step x (distinct context weights in the same window), <= context_cap
    X(s) = distinct weights of sentence-scope exclusions (chess, football, ...) in s itself, and
           of elsewhere exclusions (Ukraine, Kashmir, Georgia, ...) when s names none of the
           watch's places ("drones hit an Azerbaijani depot in Odesa")
    e(s) = I(s) x A(s) x (1 + C(s)) / (1 + X(s))       (x title_factor for the title)

An incident without an anchor in its window gives nothing, so "shelling" in a Ukraine report or a
"fierce clash" at a chess board only count when they meet the region in one sentence or the next.

The headline sets the topic: when the title holds a *topic* exclusion (an accident or disaster,
remembrance, culture, the economy, sport, a metaphor) and no hostile act of its own (a *loss*
such as "fallen soldiers" does not count: remembrance is about losses), every
e(s) is multiplied by topic_factor and the exclusion penalty below is not cancelled by strong
evidence; a body recalling the shelling of 2020 under "Armenians mark the anniversary of the war"
is remembrance, while "Azerbaijani forces shell Sotk" over a body that mentions an anniversary is
still an incident, unless the title calls it an anniversary or a fact check (a *past*
exclusion: "On the anniversary of the Tovuz battles, the martyrs are remembered"; "Fact check:
video of 'shelling of Goris last night' is from 2020"). Likewise a title about another
conflict or border (an *elsewhere* exclusion: "Kyrgyz and Tajik border guards trade fire") that
names no place or actor of the watch sets the topic, even with an incident in it: the body's
comparison with Armenia and Azerbaijan is an aside.

The article's score adds the sentence evidence with diminishing returns, a little for incidents
and anchors that never meet, and subtracts the exclusion contexts unless the evidence is strong::

    cooc      = e1 + e2/2 + e3/3 + ...               (e sorted from largest)
    scattered = scattered_factor x (largest unanchored w(t)) x (all anchors, <= cap)
    penalty   = min(exclude_cap, distinct exclusion weights in the article)
                x max(0, 1 - e1 / strong_evidence)   (x 1 under a headline topic)
    score     = cooc + scattered - penalty;  flagged when score >= threshold, unless the only
                evidence is casualty words with no hostile cause in their windows

Severity comes from the incidents that met an anchor: each incident term has one in the
watchlist (killed: critical; wounded, shelling, drone strikes, incursions, captured soldiers:
high; shooting, ceasefire violations, mines, provocation: medium; checkpoints, blockades,
delimitation: low). Casualty terms without a hostile cause in their window and crossing terms
left out as above set none. Deaths count as critical only in the title or the first
``lead_sentences`` sentences of the body, where a report states its news; further down they are
usually background ("thousands were killed in 2020") and count as high.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from monitor.match.patterns import Hit
from monitor.match.watches import Watch
from monitor.models import SEVERITIES

_ANCHOR_KINDS = ("place", "actor")
_START = attrgetter("start")


class Evidence(NamedTuple):
    """The co-occurrence found around one sentence (a tuple: built a dozen times per article)."""

    sentence: int
    value: float
    incident: Hit  # the strongest incident of the sentence (after the casualty factor)
    anchors: tuple[Hit, ...]  # one hit per distinct anchor in the window, in text order
    spread: int  # how many sentences the incident and its anchors span (1: one sentence)
    caused: bool  # the window holds a hostile cause (a hostile incident or a military term)
    counted: tuple[Hit, ...]  # the incidents that set the severity
    # The factors of ``value``: I(s), A(s), 1 + C(s) and 1 + X(s) of the module docstring.
    incident_weight: float = 0.0
    anchor_sum: float = 0.0
    boost: float = 1.0
    damping: float = 1.0
    scale: float = 1.0  # title_factor in the title, x topic_factor under a headline topic


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one watch for one article."""

    watch: Watch
    flagged: bool
    score: float
    severity: str
    best: Evidence | None
    has_incident: bool
    anchors: tuple[str, ...]  # canonical names of all anchors, in order of first mention
    exclusions: tuple[Hit, ...]  # one hit per distinct exclusion, in text order
    penalty: float
    topic: tuple[Hit, ...] = ()  # topic exclusions of a title without a hostile incident
    uncaused: bool = False  # casualty terms counted little: no hostile cause in their window
    crossings: tuple[Hit, ...] = ()  # other borders' crossings that left out a checkpoint
    evidence: tuple[Evidence, ...] = ()  # every sentence's evidence, strongest first
    scattered: float = 0.0  # what incidents and anchors that never meet added


def _hostile(hit: Hit) -> bool:
    """A hostile cause: fire, strikes, mines, incursions ..., or a loss in action."""
    return hit.term.kind == "incident" and hit.term.entry.role in ("hostile", "loss")


def _action(hit: Hit) -> bool:
    """A hostile act itself (not a loss): it keeps a headline from being about a topic."""
    return hit.term.kind == "incident" and hit.term.entry.role == "hostile"


def evaluate(watch: Watch, hits: Sequence[Hit]) -> Verdict:
    """The border score of one article's hits (already restricted to this watch)."""
    by_sentence: dict[int, list[Hit]] = {}
    for hit in hits:
        by_sentence.setdefault(hit.sentence, []).append(hit)
    title = by_sentence.get(0, [])
    topical = {"past"}  # an anniversary in the title puts its battles in the past
    if not any(map(_action, title)) or any(
        hit.term.kind == "exclude" and hit.term.entry.role == "past" for hit in title
    ):
        topical.add("topic")
    if not any(hit.term.kind in _ANCHOR_KINDS for hit in title):
        topical.add("elsewhere")
    topic = tuple(
        _distinct(
            hit for hit in title if hit.term.kind == "exclude" and hit.term.entry.role in topical
        )
    )
    evidence: list[Evidence] = []
    unanchored = 0.0
    uncaused = False
    crossings: list[Hit] = []
    summaries: dict[int, _Summary] = {}
    for sentence, sentence_hits in sorted(by_sentence.items()):
        incidents = [hit for hit in sentence_hits if hit.term.kind == "incident"]
        if not incidents:
            continue
        if any(hit.term.entry.role == "crossing" for hit in incidents):
            names = [
                hit
                for hit in sentence_hits
                if (hit.term.kind == "exclude" and hit.term.entry.role == "crossing")
                or (hit.term.kind == "place" and hit.term.entry.crossing_to)
            ]
            if names and not any(map(_hostile, incidents)):
                crossings.extend(names)
                incidents = [hit for hit in incidents if hit.term.entry.role != "crossing"]
                if not incidents:
                    continue
        found, strongest, discounted = _evidence(watch, sentence, incidents, by_sentence, summaries)
        uncaused = uncaused or discounted
        if found is None:
            unanchored = max(unanchored, strongest)
        else:
            evidence.append(found)
    if topic:
        evidence = [_scaled(item, watch.topic_factor) for item in evidence]
    evidence.sort(key=lambda e: (-e.value, e.sentence))
    cooc = sum(item.value / rank for rank, item in enumerate(evidence, start=1))
    anchors = _distinct(hit for hit in hits if hit.term.kind in _ANCHOR_KINDS)
    anchor_total = min(watch.anchor_cap, sum(hit.term.weight for hit in anchors))
    scattered = watch.scattered_factor * unanchored * anchor_total
    exclusions = tuple(_distinct(hit for hit in hits if hit.term.kind == "exclude"))
    best = evidence[0] if evidence else None
    strength = best.value if best else 0.0
    penalty = min(watch.exclude_cap, sum(hit.term.weight for hit in exclusions))
    if watch.strong_evidence and not topic:
        penalty *= max(0.0, 1.0 - strength / watch.strong_evidence)
    score = round(cooc + scattered - penalty, 3)
    # Deaths and injuries with no hostile cause anywhere near them never make a flag alone.
    flagged = score >= watch.threshold and (
        any(item.caused or item.incident.term.entry.role != "casualty" for item in evidence)
        or scattered > 0
    )
    return Verdict(
        watch=watch,
        flagged=flagged,
        score=score,
        severity=severity_of(watch, evidence) if flagged else "none",
        best=best,
        has_incident=bool(evidence) or unanchored > 0,
        anchors=tuple(hit.term.canonical for hit in anchors),
        exclusions=exclusions,
        penalty=round(penalty, 3),
        topic=topic,
        uncaused=uncaused,
        crossings=tuple(_distinct(crossings)),
        evidence=tuple(evidence),
        scattered=round(scattered, 3),
    )


class _Summary(NamedTuple):
    """What one sentence brings to a window, by canonical name, in order of first mention."""

    anchors: dict[str, tuple[float, Hit]]  # largest weight, and the first hit with it
    contexts: dict[str, float]  # largest weight
    excluded: dict[str, float]  # sentence-scope exclusions, and elsewhere ones without a place
    cause: bool  # a hostile incident, or a military actor or context


_EMPTY = _Summary({}, {}, {}, False)


def _summary(hits: Sequence[Hit]) -> _Summary:
    anchors: dict[str, tuple[float, Hit]] = {}
    contexts: dict[str, float] = {}
    excluded: dict[str, float] = {}
    elsewhere: dict[str, float] = {}
    cause = False
    for hit in hits:
        term = hit.term
        kind, name, weight = term.kind, term.canonical, term.weight
        if kind in _ANCHOR_KINDS:
            if weight > anchors.get(name, (0.0, hit))[0]:
                anchors[name] = (weight, hit)
            cause = cause or term.entry.role == "military"
        elif kind == "context":
            contexts[name] = max(contexts.get(name, 0.0), weight)
            cause = cause or term.entry.role == "military"
        elif kind == "exclude":
            if term.entry.scope == "sentence":
                excluded[name] = weight
            elif term.entry.role == "elsewhere":
                elsewhere[name] = weight
        elif kind == "incident":
            cause = cause or term.entry.role in ("hostile", "loss")
    if elsewhere and not any(hit.term.kind == "place" for _, hit in anchors.values()):
        excluded.update(elsewhere)  # another conflict or border, and no place of ours
    return _Summary(anchors, contexts, excluded, cause)


def _evidence(
    watch: Watch,
    sentence: int,
    incidents: list[Hit],
    by_sentence: dict[int, list[Hit]],
    summaries: dict[int, _Summary],
) -> tuple[Evidence | None, float, bool]:
    """The evidence of one sentence (None without an anchor), the largest incident weight after
    the casualty factor, and whether casualty terms were discounted for want of a cause."""
    anchor_weight: dict[str, tuple[float, Hit]] = {}
    context_weight: dict[str, float] = {}
    excluded: dict[str, float] = {}
    caused = False
    neighbour = watch.neighbour_factor
    for other in (sentence - 1, sentence, sentence + 1):
        summary = summaries.get(other)
        if summary is None:
            own = by_sentence.get(other)
            summary = summaries[other] = _summary(own) if own else _EMPTY
        if summary is _EMPTY:
            continue
        caused = caused or summary.cause
        factor = 1.0 if other == sentence else neighbour
        for name, (weight, hit) in summary.anchors.items():
            value = weight * factor
            known = anchor_weight.get(name)
            if known is None or value > known[0]:
                anchor_weight[name] = (value, hit)
        for name, weight in summary.contexts.items():
            value = weight * factor
            if value > context_weight.get(name, 0.0):
                context_weight[name] = value
        if other == sentence:
            excluded = summary.excluded
    counted = incidents
    discounted = False
    if not caused:
        counted = [hit for hit in incidents if hit.term.entry.role != "casualty"]
        discounted = len(counted) < len(incidents)

    casualty = 1.0 if caused else watch.casualty_factor
    strongest = incidents[0]
    incident_weight = -1.0
    for hit in incidents:  # the heaviest, the first of equals
        term = hit.term
        weight = term.weight * casualty if term.entry.role == "casualty" else term.weight
        if weight > incident_weight:
            strongest, incident_weight = hit, weight
    anchor_sum = min(watch.anchor_cap, sum(value for value, _ in anchor_weight.values()))
    if anchor_sum <= 0:
        return None, incident_weight, discounted
    context = min(watch.context_cap, watch.context_step * sum(context_weight.values()))
    damping = 1.0 + sum(excluded.values())
    scale = watch.title_factor if sentence == 0 else 1.0
    value = incident_weight * anchor_sum * (1.0 + context) / damping * scale
    anchors = tuple(sorted((hit for _, hit in anchor_weight.values()), key=_START))
    first = last = sentence
    for hit in anchors:
        first, last = min(first, hit.sentence), max(last, hit.sentence)
    found = Evidence(
        sentence,
        value,
        strongest,
        anchors,
        last - first + 1,
        caused,
        tuple(counted),
        incident_weight,
        anchor_sum,
        1.0 + context,
        damping,
        scale,
    )
    return found, incident_weight, discounted


def _scaled(item: Evidence, factor: float) -> Evidence:
    return item._replace(value=item.value * factor, scale=item.scale * factor)


def severity_of(watch: Watch, evidence: list[Evidence]) -> str:
    ranks = []
    for item in evidence:
        for hit in item.counted:
            rank = SEVERITIES.index(hit.term.entry.severity)
            if hit.term.entry.severity == "critical" and item.sentence > watch.lead_sentences:
                rank = SEVERITIES.index("high")
            ranks.append(rank)
    # Flagged on scattered mentions alone: "low"; otherwise the gravest incident that counted.
    return SEVERITIES[max(ranks) if ranks else SEVERITIES.index("low")]


def _distinct(hits: Iterable[Hit]) -> list[Hit]:
    seen: set[str] = set()
    result: list[Hit] = []
    for hit in hits:
        if hit.term.canonical not in seen:
            seen.add(hit.term.canonical)
            result.append(hit)
    return result
