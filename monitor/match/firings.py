"""The parts of a watch's score, spelled out: which rule fired, with which weight, and why.

For the ``border`` scorer the parts are the evidence of each sentence (up to ``_SHOWN``), the
scattered mentions and the exclusion penalty; for every watch, each rule that held. They are
stored with the item (table ``firings``) and shown by ``check``, ``show`` and the alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from monitor.match.normalise import Text
from monitor.match.patterns import Hit
from monitor.match.rules import Evidence, Verdict
from monitor.models import SEVERITIES, Firing

if TYPE_CHECKING:
    from monitor.match import Outcome

_SHOWN = 3  # sentences of evidence itemised; the rest are summed up in the score


def firings(outcome: Outcome, text: Text) -> list[Firing]:
    """What made up ``outcome.score``, largest first within each kind of part."""
    name = outcome.watch.name
    found: list[Firing] = []
    verdict = outcome.verdict
    if verdict is not None:
        found += _border(name, verdict, text)
    for rule, occurrences in outcome.fired:
        shown = _shown(occurrences[0].hits, text) if occurrences else "(its terms are absent)"
        sentence = text.sentence(occurrences[0].first) if occurrences else ""
        found.append(
            Firing(
                watch=name,
                rule=rule.name,
                weight=rule.weight,
                severity=rule.severity,
                detail=f"{rule.query}: {shown}",
                sentence=sentence,
            )
        )
    return found


def _border(name: str, verdict: Verdict, text: Text) -> list[Firing]:
    found = []
    evidence = verdict.evidence
    for rank, item in enumerate(evidence[:_SHOWN], start=1):
        found.append(
            Firing(
                watch=name,
                rule="co-occurrence",
                weight=round(item.value / rank, 3),
                severity=_gravest(item, verdict.watch.lead_sentences),
                detail=_product(item, rank, text, verdict.watch.neighbour_factor),
                sentence=text.sentence(item.sentence),
            )
        )
    if len(evidence) > _SHOWN:
        rest = sum(
            item.value / rank for rank, item in enumerate(evidence, start=1) if rank > _SHOWN
        )
        found.append(
            Firing(
                watch=name,
                rule="co-occurrence",
                weight=round(rest, 3),
                severity="",
                detail=f"{len(evidence) - _SHOWN} more sentences of evidence, each / its rank",
            )
        )
    if verdict.scattered:
        found.append(
            Firing(
                watch=name,
                rule="scattered mentions",
                weight=verdict.scattered,
                severity="low",
                detail=(
                    f"incident and anchors in separate parts of the article "
                    f"(x{verdict.watch.scattered_factor:g})"
                ),
            )
        )
    if verdict.penalty:
        shown = ", ".join(
            f"{hit.term.entry.group} '{text.full[hit.start : hit.end]}' {hit.term.weight:g}"
            for hit in verdict.exclusions[:4]
        )
        found.append(
            Firing(
                watch=name,
                rule="exclusion contexts",
                weight=-verdict.penalty,
                severity="",
                detail=f"{shown}; reduced by the strength of the evidence",
            )
        )
    return found


def _product(item: Evidence, rank: int, text: Text, neighbour: float) -> str:
    """E.g. "incident 'shelling' 3 x anchors Goris 3 + Kapan 3 = 6 x context 1.25"."""
    full = text.full
    incident = item.incident
    terms = []
    total = 0.0
    for hit in item.anchors:
        weight = hit.term.weight * (1.0 if hit.sentence == item.sentence else neighbour)
        total += weight
        where = "" if hit.sentence == item.sentence else " (next sentence)"
        terms.append(f"{hit.term.canonical} {weight:g}{where}")
    capped = f" = {total:g}, capped at {item.anchor_sum:g}" if total > item.anchor_sum else ""
    parts = [
        f"incident '{full[incident.start : incident.end]}' {item.incident_weight:g}",
        f"anchors {' + '.join(terms)}{capped or f' = {item.anchor_sum:g}'}",
    ]
    if item.boost != 1.0:
        parts.append(f"context {item.boost:g}")
    line = " x ".join(parts)
    if item.damping != 1.0:
        line += f" / exclusions in the sentence {item.damping:g}"
    if item.scale != 1.0:
        line += f" x {item.scale:g} ({'title' if item.sentence == 0 else 'headline topic'})"
    if rank > 1:
        line += f" / rank {rank}"
    where = "the title" if item.sentence == 0 else f"sentence {item.sentence}"
    return f"{line}, in {where}"


def _gravest(item: Evidence, lead: int) -> str:
    severities = [hit.term.entry.severity for hit in item.counted]
    if item.sentence > lead:  # deaths further down are background (see rules.py)
        severities = ["high" if s == "critical" else s for s in severities]
    return max(severities, key=SEVERITIES.index) if severities else ""


def _shown(hits: Sequence[Hit], text: Text) -> str:
    return ", ".join(f"'{text.full[hit.start : hit.end]}'" for hit in hits[:6])


def rule_matches(outcomes: Iterable[Outcome]) -> list[Hit]:
    """The query terms (words of the text) behind the rules that held, once each."""
    seen: set[tuple[int, int]] = set()
    found = []
    for outcome in outcomes:
        for _, occurrences in outcome.fired:
            for occurrence in occurrences:
                for hit in occurrence.hits:
                    if hit.term.kind == "term" and (hit.start, hit.end) not in seen:
                        seen.add((hit.start, hit.end))
                        found.append(hit)
    return found
