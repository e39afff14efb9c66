"""One human line saying why an article was flagged, or why not."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.match.normalise import Text
from monitor.match.patterns import Hit
from monitor.match.rules import Evidence, Verdict

if TYPE_CHECKING:
    from monitor.match import Outcome


def reason(outcome: Outcome, hits: Sequence[Hit], text: Text) -> str:
    """E.g. "incident 'shelling' near places Goris, Kapan, Jermuk with actor 'Azerbaijan' in one
    sentence; score 41.3 >= 6", or "rules 'closure on the corridor' (+2); score 2 >= 2"."""
    watch = outcome.watch
    held = ", ".join(
        f"'{rule.name}' ({rule.weight:+g}{', ' + rule.severity if rule.severity else ''})"
        for rule, _ in outcome.fired
    )
    if outcome.verdict is None:
        compare = ">=" if outcome.flagged else "<"
        if not outcome.fired:
            return f"no rule held; score 0 {compare} {watch.threshold:g}"
        return f"rules {held}; score {outcome.score:g} {compare} {watch.threshold:g}"
    line = _border(outcome.verdict, outcome.flagged, outcome.score, hits, text)
    return line + (f"; rules {held}" if held else "")


def _border(verdict: Verdict, flagged: bool, score: float, hits: Sequence[Hit], text: Text) -> str:
    watch = verdict.watch
    if flagged and verdict.best is not None:
        line = f"{_evidence(verdict.best, text)}; score {score:.1f} >= {watch.threshold:g}"
        return line + _notes(verdict, flagged, text)
    if flagged:
        incident = _first_incident(hits, text)
        return (
            f"incident '{incident}' and {_names(verdict.anchors)} in separate parts of the "
            f"article; score {score:.1f} >= {watch.threshold:g}"
        ) + _notes(verdict, flagged, text)
    if verdict.best is not None:
        line = f"{_evidence(verdict.best, text)}, but score {score:.1f} < {watch.threshold:g}"
    elif verdict.crossings and not verdict.has_incident:
        shown = ", ".join(_quoted(hit, text) for hit in verdict.crossings[:3])
        line = f"only a checkpoint at a crossing on another border ({shown})"
    elif verdict.has_incident:
        line = f"incident '{_first_incident(hits, text)}' but no border place or actor near it"
    elif verdict.anchors:
        line = f"no incident terms (mentions {_names(verdict.anchors)})"
    else:
        line = "no incident terms and no border places or actors"
    line += _notes(verdict, flagged, text)
    if verdict.exclusions:
        shown = ", ".join(
            f"{hit.term.entry.group} '{text.full[hit.start : hit.end]}'"
            for hit in verdict.exclusions[:3]
        )
        line += f"; exclusion context: {shown}"
        if verdict.penalty:
            line += f" (-{verdict.penalty:.1f})"
    return line


def _notes(verdict: Verdict, flagged: bool, text: Text) -> str:
    """What the rule discounted: the headline topic, uncaused casualties, other crossings."""
    watch = verdict.watch
    notes = []
    if verdict.topic:
        groups = ", ".join(dict.fromkeys(hit.term.entry.group for hit in verdict.topic))
        shown = ", ".join(_quoted(hit, text) for hit in verdict.topic[:3])
        notes.append(
            f"headline topic: {groups} ({shown}; evidence x{watch.topic_factor:g}, "
            "exclusions not cancelled)"
        )
    if verdict.uncaused and (verdict.best is None or not verdict.best.caused):
        notes.append(
            f"casualty words without a hostile cause (x{watch.casualty_factor:g}, no severity)"
        )
    if verdict.crossings and (verdict.has_incident or flagged):
        shown = ", ".join(_quoted(hit, text) for hit in verdict.crossings[:3])
        notes.append(f"checkpoint at a crossing on another border ({shown}) not counted")
    return "".join(f"; {note}" for note in notes)


def _quoted(hit: Hit, text: Text) -> str:
    return f"'{text.full[hit.start : hit.end]}'"


def _evidence(evidence: Evidence, text: Text) -> str:
    incident = text.full[evidence.incident.start : evidence.incident.end]
    own = [hit for hit in evidence.anchors if hit.sentence == evidence.sentence]
    anchors = own or list(evidence.anchors)
    places = [hit.term.canonical for hit in anchors if hit.term.kind == "place"]
    actors = [hit.term.canonical for hit in anchors if hit.term.kind == "actor"]
    parts = [f"incident '{incident}'"]
    if places:
        parts.append(("near place " if len(places) == 1 else "near places ") + ", ".join(places))
    if actors:
        quoted = ", ".join(f"'{name}'" for name in actors)
        parts.append(("with actor " if len(actors) == 1 else "with actors ") + quoted)
    if not own:
        parts.append(f"within {evidence.spread} sentences")
    elif evidence.sentence == 0:
        parts.append("in the title")
    else:
        parts.append("in one sentence")
    return " ".join(parts)


def _first_incident(hits: Sequence[Hit], text: Text) -> str:
    for hit in hits:
        if hit.term.kind == "incident":
            return text.full[hit.start : hit.end]
    return "?"


def _names(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
