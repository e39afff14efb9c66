"""Context decides what an ambiguous place name means. Pure: hits and text in, hits out.

Three readings are settled here, after matching and before scoring:

- **A person.** A place marked ``person_name`` (Lachin, Ararat, Jabrayil, Fuzuli are also given
  names or surnames) is a person when a surname-like capitalised word follows it directly
  ("Lachin Mammadova", "Лачин Алиева", "Ararat Petrosyan"), an Azerbaijani form of address
  follows it ("Laçın xanım") or a title comes before it ("Mr", "г-н", "պարոն").
- **A name of something else.** A settlement or region name standing alone inside quotation
  marks is the name of a brand, club, company or hotel (the water «Джермук», the club
  "Qarabağ", the hotel "Goris"), unless "so-called" comes before it, which is how one side writes
  the other's names for places.
- **One of several places.** An alias that several places share (``shared`` in the gazetteer:
  Martuni is a town in Gegharkunik and the Armenian name of Khojavend) means the place closest
  to the other places the article mentions, nearer sentences counting more; with no other place
  to go by, the first place listed.

``resolve`` returns the hits to score and one note per decision, for the explanation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace

from monitor.match.normalise import Text
from monitor.match.patterns import Hit
from monitor.match.watchlist import Entry

# Endings of surnames and patronymics, per script (a case ending may follow in Russian and
# Armenian). Checked on the word that directly follows a place marked ``person_name``.
_SURNAME = re.compile(
    r"(?:"
    r"(?:[oe]v|yev|iyev|[oe]va|yeva|iyeva|zad[eə]|yan|ian|yants|li|lı|lu|lü|oğlu|qızı)"
    r"|(?:[оеё]в|ин|ян|янц|заде|ли)(?:а|у|ым|ой|ом|е|ых)?"
    r"|(?:յան|յանց|ունց|ենց)(?:ի|ը|ն|ին|ից|ով)?"
    r")$",
    re.IGNORECASE,
)
_ADDRESS_AFTER = frozenset({"xanım", "xanim", "bəy", "bey", "müəllim", "muellim"})
_TITLE_BEFORE = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "mister", "madam",
        "г-н", "г-жа", "господин", "госпожа",
        "պարոն", "տիկին", "պրն", "տկն",
        "cənab", "cenab",
    }
)  # fmt: skip
_SO_CALLED = re.compile(
    r"(?:so-called|so called|self-proclaimed|так\s+называем\w*|самопровозглашенн\w*|"
    r"sözdə|adlandırılan|այսպես\s+կոչված|ինքնահռչակ)\W*$",
    re.IGNORECASE,
)
_OPENING = "«“„\"'‘‹"
_CLOSING = {"«": "»", "“": "”", "„": "“”", '"': '"', "'": "'", "‘": "’", "‹": "›"}
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_EARTH_KM = 6371.0
_SETTLEMENTS = frozenset({"town", "city", "village", "district", "province", "region"})


def resolve(hits: Sequence[Hit], text: Text) -> tuple[list[Hit], list[str]]:
    """The hits with ambiguous places read by context, and a note for each reading."""
    notes: list[str] = []
    kept: list[Hit] = []
    full = text.full
    for hit in hits:
        entry = hit.term.entry
        if hit.term.kind == "place" and (
            entry.person_name
            or hit.term.alternatives
            or full[hit.start - 1 : hit.start] in _OPENING
        ):
            words = full[hit.start : hit.end]
            if entry.person_name and _person(full, hit):
                notes.append(f"'{_around(full, hit)}' is a person, not the place {entry.name}")
                continue
            if entry.place is not None and entry.place.kind in _SETTLEMENTS and _quoted(full, hit):
                notes.append(f"'{_around(full, hit, 1)}' in quotes is a name, not a place")
                continue
            if hit.term.alternatives:
                hit, note = _nearest(hit, hits, words)
                notes.append(note)
        kept.append(hit)
    return kept, notes


def _person(full: str, hit: Hit) -> bool:
    after = _WORD.match(full, hit.end + 1) if full[hit.end : hit.end + 1] == " " else None
    if after is not None:
        word = after.group()
        if word.casefold() in _ADDRESS_AFTER:
            return True
        if word[0].isupper() and _SURNAME.search(word) and len(word) > 3:
            return True
    before = full[max(0, hit.start - 12) : hit.start].rstrip(" ").rstrip(".")
    words = before.split()
    return bool(words) and words[-1].casefold() in _TITLE_BEFORE


def _quoted(full: str, hit: Hit) -> bool:
    if hit.start == 0 or full[hit.start - 1] not in _OPENING:
        return False
    opening = full[hit.start - 1]
    end = hit.end
    while end < len(full) and full[end].isalpha():  # a case ending inside the quotes
        end += 1
    if end >= len(full) or full[end] not in _CLOSING[opening]:
        return False
    return _SO_CALLED.search(full, max(0, hit.start - 40), hit.start - 1) is None


def _around(full: str, hit: Hit, words: int = 2) -> str:
    """The hit and the next ``words - 1`` words, for a note."""
    end = hit.end
    for _ in range(words - 1):
        found = _WORD.search(full, end)
        if found is None or found.start() - end > 3:
            break
        end = found.end()
    start = hit.start - 1 if words == 1 and hit.start else hit.start
    if words == 1:
        end = min(len(full), end + 1)
        while end < len(full) and full[end - 1].isalpha():
            end += 1
    return full[start:end]


def _nearest(hit: Hit, hits: Sequence[Hit], words: str) -> tuple[Hit, str]:
    candidates = hit.term.alternatives
    context = [
        (other.term.entry, 1.0 / (1 + abs(other.sentence - hit.sentence)))
        for other in hits
        if other.term.kind == "place"
        and not other.term.alternatives
        and other.term.entry.place is not None
    ]
    chosen = candidates[0]
    why = "no other place to go by: the first reading"
    if context:

        def mean_distance(candidate: Entry) -> float:
            total = sum(weight for _, weight in context)
            return sum(weight * _distance_km(candidate, entry) for entry, weight in context) / total

        chosen = min(candidates, key=mean_distance)
        names = ", ".join(dict.fromkeys(entry.name for entry, _ in context[:3]))
        why = f"nearest to {names}"
    term = replace(
        hit.term, canonical=chosen.name, weight=chosen.weight, entry=chosen, alternatives=()
    )
    place = chosen.place
    where = f"{place.kind} in {place.country}" if place is not None else chosen.kind
    return hit._replace(term=term), f"'{words}' read as {chosen.name} ({where}; {why})"


def _distance_km(one: Entry, other: Entry) -> float:
    a, b = one.place, other.place
    assert a is not None and b is not None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_KM * math.asin(math.sqrt(h))
