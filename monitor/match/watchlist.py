"""Reading and checking watchlist files (TOML). Compiling them is ``patterns.py``'s job.

A watchlist is one or more files: the gazetteer (``seeds/gazetteer/*.toml``) and the watches
(``config/watches.toml``). Every file may hold any of these top-level keys; together they need
at least one watch and one place::

    schema = 1
    [watch.NAME]            # a watch: scorer, threshold, rules (see ``watches.py``)
    [groups]                # entity groups for the watches' queries (see ``watches.py``)
    [[place]]               # gazetteer: name, country, kind, lat, lon, aliases
    [[actor]]               # states, ministries, border services, missions, leaders
    [[incident]]            # incident vocabulary: name, severity, weight, aliases
    [[context]]             # words that make a sentence about the border more clearly so
    [[exclude]]             # sport, culture, economy, other conflicts and borders
    [[mask]]                # names that contain a watched word but are something else

Every entry lists its aliases per language: ``en``, ``ru``, ``hy`` (Armenian) and ``az``
(Azerbaijani). An alias is matched word by word, on word boundaries, case-insensitively. Inside
an alias:

- a word ending in ``*`` matches any word starting with it (``обстрел*``: обстрел, обстреляли);
- ``(a|b|)`` gives alternatives (``(Armenian|Armenia's) (defence|defense) ministry``); an empty
  alternative makes the group optional;
- the last word of a ``ru``, ``hy`` or ``az`` place, actor or mask alias also matches with that
  language's case endings (``Сотк``: Сотке; ``Գորիս``: Գորիսում; ``Tovuz``: Tovuzda).

Entries may also give a ``weight`` (places default to 3, provinces and regions to 2, actors to
1.5, context to 1, exclusions to 2; incidents must give one, with a ``severity``) and a ``note``.
``capitalised`` lists aliases that are also common words (``Тех`` "those", ``Բերդ`` "fortress"):
they count only when written with a capital letter and not as the first word of a sentence.
``watches`` restricts an entry to some watches (by default it serves all of them).

Places may say how context resolves an ambiguous name (see ``resolve.py``): ``person_name =
true`` for a place name that is also a personal name (Lachin, Ararat, Jabrayil: "Lachin
Mammadova" is a person), and ``shared`` for aliases that several places have (Martuni is a town
in Gegharkunik and the Armenian name of Khojavend): each such place lists the alias in its own
``shared``, and the places mentioned around it decide which one a text means. ``crossing_to =
"IR"`` marks a place that is also a crossing on another border (Agarak, on the Iranian border): a
checkpoint in its sentence is that border's, not this one's.

``role`` tells the scoring rule (``rules.py``) what an entry is, where that matters:

- incidents: ``casualty`` (someone died or was hurt: it says nothing of the cause), ``hostile``
  (a hostile cause: fire, strikes, mines, incursions, captures, fighting), ``loss`` (a death or
  wound that names its hostile cause: "killed in action", "shrapnel"; a cause by itself, but a
  headline about remembrance still sets the topic) or ``crossing`` (a checkpoint or border
  crossing point);
- actors and context: ``military`` (armies, defence ministries, border services, servicemen,
  positions, the line of contact, the enemy);
- exclusions: ``topic`` (in a title it sets the article's topic: an accident, remembrance,
  culture, the economy, sport), ``past`` (an anniversary or a fact check: in a title it sets
  the topic even beside words of battle, which it puts in the past or in doubt),
  ``elsewhere`` (another conflict or border: in a title that names no place or actor of the
  watch it sets the topic too; in a sentence that names none of the watch's places it damps
  that sentence) or ``crossing`` (a crossing point on another border).

Any problem raises ``WatchlistError`` naming the file and the key, e.g.
``places.toml: place[3].lattitude: unknown key (did you mean 'lat'?)``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from monitor.match.normalise import word_set
from monitor.match.query import Node
from monitor.match.reader import Reader, WatchlistError
from monitor.match.watches import Watch, read_groups, read_watches
from monitor.models import SEVERITIES, Place

__all__ = ["Document", "Entry", "WatchlistError", "merge", "parse_document"]

LANGUAGES = ("en", "ru", "hy", "az")
PLACE_KINDS = word_set(
    "town city village province district region lake mountain height river bridge road crossing"
)
SCOPES = ("article", "sentence")
ROLES = {
    "incident": ("casualty", "hostile", "loss", "crossing"),
    "actor": ("military",),
    "context": ("military",),
    "exclude": ("topic", "past", "elsewhere", "crossing"),
}
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One checked entry of the file, before compilation."""

    kind: str  # "place", "actor", "incident", "context", "exclude", "mask"
    name: str
    weight: float
    aliases: tuple[tuple[str, str], ...]  # (language, alias)
    capitalised: frozenset[str]
    watches: frozenset[str] | None  # None: every watch
    key: str  # where it is in the file, e.g. "place[3]", for messages
    severity: str = ""  # incidents
    group: str = ""  # exclusions: sport, culture, economy, conflict, border, ...
    scope: str = "article"  # exclusions: "sentence" also damps evidence in its own sentence
    side: str = ""  # actors: "AM", "AZ", ... or ""
    role: str = ""  # see ROLES: "casualty", "hostile", "military", "topic", "crossing" or ""
    place: Place | None = None
    source: str = ""  # the file it comes from
    person_name: bool = False  # places: also a personal name (Lachin, Ararat, Jabrayil)
    shared: frozenset[str] = frozenset()  # places: aliases other places also have (Martuni)
    crossing_to: str = ""  # places: a crossing on another border, to this country (Agarak: IR)


@dataclass(frozen=True, slots=True)
class Document:
    """A checked watchlist or watches file (or several, merged)."""

    source: str
    watches: tuple[Watch, ...]
    entries: tuple[Entry, ...]
    groups: dict[str, tuple[str, Node]] = field(default_factory=dict)


_DEFAULT_WEIGHT = {"place": 3.0, "actor": 1.5, "context": 1.0, "exclude": 2.0, "mask": 0.0}
_REGION_KINDS = frozenset({"province", "region"})
_COMMON = frozenset({"name", "weight", "watches", "note", *LANGUAGES})
_KEYS = {
    "place": _COMMON
    | {"country", "kind", "lat", "lon", "capitalised", "person_name", "shared", "crossing_to"},
    "actor": _COMMON | {"side", "capitalised", "role"},
    "incident": _COMMON | {"severity", "capitalised", "role"},
    "context": _COMMON | {"role"},
    "exclude": _COMMON | {"group", "scope", "role"},
    "mask": frozenset({"name", "note", *LANGUAGES}),
}


def parse_document(data: str, source: str) -> Document:
    """Check the text of one watchlist or watches file: its watches, entries and groups.

    Whether the watches and entries of all files fit together is ``merge``'s question.
    """
    reader = Reader(source)
    try:
        raw = tomllib.loads(data)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{source}: not valid TOML: {exc}") from exc
    reader.check_keys(raw, frozenset({"schema", "watch", "groups", *_KEYS}), "")
    if raw.get("schema", 1) != 1:
        raise reader.fail("schema", "unsupported schema version (expected 1)")
    watches = read_watches(reader, raw.get("watch"))
    entries: list[Entry] = []
    for kind in _KEYS:
        items = raw.get(kind, [])
        if not isinstance(items, list):
            raise reader.fail(kind, f"expected an array of tables ([[{kind}]])")
        for index, item in enumerate(items):
            entries.append(_read_entry(reader, kind, item, f"{kind}[{index}]"))
    groups = read_groups(reader, raw.get("groups"))
    return Document(source=source, watches=watches, entries=tuple(entries), groups=groups)


def merge(documents: Sequence[Document]) -> Document:
    """Join the files of one watchlist, checking that they fit together: at least one watch
    and one place, no name defined twice, entries restricted to watches that exist."""
    if not documents:
        raise WatchlistError("no watchlist files given")
    source = ", ".join(document.source for document in documents)
    watches: dict[str, tuple[Watch, str]] = {}
    groups: dict[str, tuple[str, Node]] = {}
    for document in documents:
        for watch in document.watches:
            if watch.name in watches:
                raise WatchlistError(
                    f"{document.source}: watch.{watch.name}: already defined in "
                    f"{watches[watch.name][1]}"
                )
            watches[watch.name] = (watch, document.source)
        for name, (key, tree) in document.groups.items():
            if name in groups:
                raise WatchlistError(
                    f"{document.source}: {key}: already defined in {groups[name][0]}"
                )
            groups[name] = (f"{document.source}: {key}", tree)
    entries = tuple(entry for document in documents for entry in document.entries)
    if not watches:
        raise WatchlistError(f"{source}: no watch defined: add a [watch.NAME] table")
    if not any(entry.kind == "place" for entry in entries):
        raise WatchlistError(f"{source}: the watchlist has no places ([[place]] tables)")
    for entry in entries:
        unknown = sorted((entry.watches or frozenset()) - watches.keys())
        if unknown:
            raise WatchlistError(
                f"{entry.source}: {entry.key}.watches: no watch named {unknown[0]!r}"
            )
    return Document(
        source=source,
        watches=tuple(watch for watch, _ in watches.values()),
        entries=entries,
        groups=groups,
    )


def _read_entry(reader: Reader, kind: str, item: object, key: str) -> Entry:
    table = reader.table(item, key)
    reader.check_keys(table, _KEYS[kind], key)
    name = reader.text(table, "name", key)
    aliases = tuple(
        (language, alias)
        for language in LANGUAGES
        for alias in reader.strings(table, language, key)
    )
    if not aliases:
        raise reader.fail(key, f"{name!r} has no aliases (give one of {', '.join(LANGUAGES)})")
    capitalised = frozenset(reader.strings(table, "capitalised", key))
    stray = sorted(capitalised - {alias for _, alias in aliases})
    if stray:
        raise reader.fail(f"{key}.capitalised", f"{stray[0]!r} is not one of the entry's aliases")
    watches: frozenset[str] | None = None
    if "watches" in table:
        watches = frozenset(reader.strings(table, "watches", key))
    entry = Entry(
        kind=kind,
        name=name,
        weight=_DEFAULT_WEIGHT.get(kind, 0.0),
        aliases=aliases,
        capitalised=capitalised,
        watches=watches,
        key=key,
        source=reader.source,
    )
    if "role" in table:
        entry = replace(entry, role=reader.choice(table, "role", key, ROLES[kind]))
    if kind == "place":
        return _read_place(reader, table, entry)
    if kind == "mask":
        return entry
    if kind == "incident":
        weight = reader.number(table, "weight", key)
        severity = reader.choice(table, "severity", key, SEVERITIES[1:])
        return replace(entry, weight=_positive(reader, weight, key), severity=severity)
    weight = _positive(reader, reader.number(table, "weight", key, entry.weight), key)
    if kind == "exclude":
        group = reader.text(table, "group", key)
        scope = reader.choice(table, "scope", key, SCOPES, "article")
        return replace(entry, weight=weight, group=group, scope=scope)
    side = reader.text(table, "side", key) if "side" in table else ""
    if side and not _COUNTRY_RE.match(side):
        raise reader.fail(f"{key}.side", "expected a two-letter country code such as 'AM'")
    return replace(entry, weight=weight, side=side)


def _read_place(reader: Reader, table: Mapping[str, object], entry: Entry) -> Entry:
    key = entry.key
    country = reader.text(table, "country", key)
    if not _COUNTRY_RE.match(country):
        raise reader.fail(f"{key}.country", "expected a two-letter country code such as 'AM'")
    place_kind = reader.choice(table, "kind", key, PLACE_KINDS)
    lat = reader.number(table, "lat", key)
    lon = reader.number(table, "lon", key)
    if not -90 <= lat <= 90:
        raise reader.fail(f"{key}.lat", "latitude must be between -90 and 90")
    if not -180 <= lon <= 180:
        raise reader.fail(f"{key}.lon", "longitude must be between -180 and 180")
    default = 2.0 if place_kind in _REGION_KINDS else entry.weight
    weight = _positive(reader, reader.number(table, "weight", key, default), key)
    place = Place(name=entry.name, lat=lat, lon=lon, country=country, kind=place_kind)
    person_name = table.get("person_name", False)
    if not isinstance(person_name, bool):
        raise reader.fail(f"{key}.person_name", "expected true or false")
    shared = frozenset(reader.strings(table, "shared", key))
    stray = sorted(shared - {alias for _, alias in entry.aliases})
    if stray:
        raise reader.fail(f"{key}.shared", f"{stray[0]!r} is not one of the entry's aliases")
    crossing_to = reader.text(table, "crossing_to", key) if "crossing_to" in table else ""
    if crossing_to and not _COUNTRY_RE.match(crossing_to):
        raise reader.fail(f"{key}.crossing_to", "expected a two-letter country code such as 'IR'")
    return replace(
        entry,
        weight=weight,
        place=place,
        person_name=person_name,
        shared=shared,
        crossing_to=crossing_to,
    )


def _positive(reader: Reader, weight: float, key: str) -> float:
    if weight <= 0:
        raise reader.fail(f"{key}.weight", "expected a number > 0")
    return weight
