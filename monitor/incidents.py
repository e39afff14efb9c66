"""Do two flagged stories report one incident? Pure.

Different reports of one event (a ministry statement, the other side's denial, a later
death-toll report) are different texts, so different stories; they are linked as one incident
when they agree on place, time and kind of incident:

- **place**: they name places smaller than a district (villages, towns, heights, roads) within
  ``NEAR_KM`` of each other (the same village, or the two sides' villages of one border
  section), or, when one of them names nothing smaller, the same district, province or region;
- **time**: their stories were first seen within ``WINDOW`` of each other;
- **kind**: their incident words fall in a common family (fire, casualties, captures and
  crossings, mines, the border line); casualties agree with fire and mines (the death toll of
  a shelling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.models import MatchResult

WINDOW = timedelta(hours=48)
NEAR_KM = 8.0
_BROAD = frozenset({"province", "region", "district"})
FAMILIES = {
    "fire": frozenset(
        {
            "shelling",
            "shooting",
            "sniper fire",
            "drone strike",
            "ceasefire violation",
            "fighting",
            "clash",
            "attack",
            "provocation",
            "escalation",
            "incursion",
            "positions seized",
            "fortification",
        }
    ),
    "casualties": frozenset(
        {"killed", "killed in action", "wounded", "wounds from fire", "casualties"}
    ),
    "capture": frozenset(
        {"captured soldiers", "border violation detention", "checkpoint", "blockade"}
    ),
    "mines": frozenset({"landmine"}),
    "line": frozenset({"delimitation", "border handover", "transit route"}),
}
# Casualties agree with what causes them.
_AGREE = {("casualties", "fire"), ("casualties", "mines")}
_AGREE |= {(b, a) for a, b in _AGREE}


Point = tuple[str, float, float]  # name, latitude, longitude


@dataclass(frozen=True, slots=True)
class Signature:
    """What a flagged story says happened: where, what, when."""

    places: frozenset[Point]  # named places smaller than a district
    regions: frozenset[str]  # districts, provinces and regions
    families: frozenset[str]
    seen: datetime


def signature(verdict: MatchResult, seen: datetime) -> Signature:
    places = frozenset((p.name, p.lat, p.lon) for p in verdict.places if p.kind not in _BROAD)
    regions = frozenset(p.name for p in verdict.places if p.kind in _BROAD)
    kinds = {m.canonical for m in verdict.matches if m.kind == "incident"}
    families = frozenset(name for name, members in FAMILIES.items() if kinds & members)
    return Signature(places, regions, families, seen)


def _km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[1], a[2], b[1], b[2]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def same_incident(one: Signature, other: Signature) -> bool:
    if abs(one.seen - other.seen) > WINDOW:
        return False
    # The same place, or neighbours (each side names its own village of one border section).
    where = any(_km(a, b) <= NEAR_KM for a in one.places for b in other.places)
    if not where and (not one.places or not other.places):
        where = bool(one.regions & other.regions)  # one names only a district or province
    what = bool(one.families & other.families) or any(
        (a, b) in _AGREE for a in one.families for b in other.families
    )
    return where and what
