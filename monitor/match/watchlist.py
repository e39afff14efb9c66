"""Reading and checking a watchlist file (TOML). Compiling it is ``patterns.py``'s job.

The file has these top-level keys (all but ``watch`` and ``place`` optional)::

    schema = 1
    [watch.NAME]            # one table per watch: a name and the scoring parameters (``Rule``)
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

``role`` tells the scoring rule (``rules.py``) what an entry is, where that matters:

- incidents: ``casualty`` (someone died or was hurt: it says nothing of the cause), ``hostile``
  (a hostile cause: fire, strikes, mines, incursions, captures, fighting) or ``crossing`` (a
  checkpoint or border crossing point);
- actors and context: ``military`` (armies, defence ministries, border services, servicemen,
  positions, the line of contact, the enemy);
- exclusions: ``topic`` (in a title it sets the article's topic: an accident, remembrance,
  culture, the economy, sport) or ``crossing`` (a crossing point on another border).

Any problem raises ``WatchlistError`` naming the file and the key, e.g.
``watchlist.toml: place[3].lattitude: unknown key``.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from monitor.match.normalise import word_set
from monitor.models import SEVERITIES, Place

LANGUAGES = ("en", "ru", "hy", "az")
PLACE_KINDS = word_set(
    "town city village province district region lake mountain bridge road crossing"
)
SCOPES = ("article", "sentence")
ROLES = {
    "incident": ("casualty", "hostile", "crossing"),
    "actor": ("military",),
    "context": ("military",),
    "exclude": ("topic", "crossing"),
}
_WATCH_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


class WatchlistError(ValueError):
    """A watchlist file that cannot be read, or that breaks its schema."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One watch: its name and the parameters of the scoring rule (see ``rules.py``)."""

    name: str
    title: str = ""
    threshold: float = 6.0  # score at or above which an article is flagged
    title_factor: float = 1.5  # evidence found in the title counts this much more
    neighbour_factor: float = 0.5  # an anchor in the next or previous sentence counts this much
    anchor_cap: float = 8.0  # most that the places and actors of one window can add up to
    context_step: float = 0.25  # boost per unit of context weight in a window ...
    context_cap: float = 0.5  # ... up to this much (0.5 = evidence x 1.5)
    scattered_factor: float = 0.15  # incidents and anchors that never meet count this little
    exclude_cap: float = 10.0  # most that exclusion contexts can subtract
    strong_evidence: float = 12.0  # one sentence this strong cancels the exclusion penalty
    lead_sentences: int = 3  # deaths here (or in the title) make the severity critical
    casualty_factor: float = 0.25  # casualty words without a hostile cause count this much
    topic_factor: float = 0.1  # evidence counts this much under a headline topic


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


@dataclass(frozen=True, slots=True)
class Document:
    """A checked watchlist file."""

    source: str
    rules: tuple[Rule, ...]
    entries: tuple[Entry, ...]


_DEFAULT_WEIGHT = {"place": 3.0, "actor": 1.5, "context": 1.0, "exclude": 2.0, "mask": 0.0}
_REGION_KINDS = frozenset({"province", "region"})
_COMMON = frozenset({"name", "weight", "watches", "note", *LANGUAGES})
_KEYS = {
    "place": _COMMON | {"country", "kind", "lat", "lon", "capitalised"},
    "actor": _COMMON | {"side", "capitalised", "role"},
    "incident": _COMMON | {"severity", "capitalised", "role"},
    "context": _COMMON | {"role"},
    "exclude": _COMMON | {"group", "scope", "role"},
    "mask": frozenset({"name", "note", *LANGUAGES}),
}
_RULE_FIELDS = {f.name: f for f in fields(Rule) if f.name != "name"}


class _Reader:
    """Typed access to parsed TOML that reports problems as ``file: key: message``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> WatchlistError:
        return WatchlistError(f"{self.source}: {key}: {message}")

    def table(self, value: object, key: str) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {type(value).__name__}")
        return value

    def check_keys(self, table: Mapping[str, object], allowed: frozenset[str], key: str) -> None:
        for name in table:
            if name not in allowed:
                expected = ", ".join(sorted(allowed))
                where = f"{key}.{name}" if key else name
                raise self.fail(where, f"unknown key (expected one of: {expected})")

    def text(
        self, table: Mapping[str, object], name: str, key: str, default: str | None = None
    ) -> str:
        value = table.get(name, default)
        if value is None:
            raise self.fail(f"{key}.{name}", "missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key}.{name}", "expected a non-empty string")
        return value.strip()

    def number(
        self, table: Mapping[str, object], name: str, key: str, default: float | None = None
    ) -> float:
        value = table.get(name, default)
        if value is None:
            raise self.fail(f"{key}.{name}", "missing")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(f"{key}.{name}", "expected a number")
        return float(value)

    def strings(self, table: Mapping[str, object], name: str, key: str) -> tuple[str, ...]:
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{key}.{name}", "expected a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def choice(
        self,
        table: Mapping[str, object],
        name: str,
        key: str,
        options: tuple[str, ...] | frozenset[str],
        default: str | None = None,
    ) -> str:
        value = self.text(table, name, key, default)
        if value not in options:
            raise self.fail(
                f"{key}.{name}", f"{value!r} is not one of {', '.join(sorted(options))}"
            )
        return value


def parse_document(data: str, source: str) -> Document:
    """Check the text of a watchlist file and return its watches and entries."""
    reader = _Reader(source)
    try:
        raw = tomllib.loads(data)
    except tomllib.TOMLDecodeError as exc:
        raise WatchlistError(f"{source}: not valid TOML: {exc}") from exc
    reader.check_keys(raw, frozenset({"schema", "watch", *_KEYS}), "")
    if raw.get("schema", 1) != 1:
        raise reader.fail("schema", "unsupported schema version (expected 1)")
    rules = _read_rules(reader, raw.get("watch"))
    names = frozenset(rule.name for rule in rules)
    entries: list[Entry] = []
    for kind in _KEYS:
        items = raw.get(kind, [])
        if not isinstance(items, list):
            raise reader.fail(kind, f"expected an array of tables ([[{kind}]])")
        for index, item in enumerate(items):
            entries.append(_read_entry(reader, kind, item, f"{kind}[{index}]", names))
    if not any(entry.kind == "place" for entry in entries):
        raise reader.fail("place", "the watchlist has no places")
    return Document(source=source, rules=rules, entries=tuple(entries))


def _read_rules(reader: _Reader, value: object) -> tuple[Rule, ...]:
    if value is None:
        raise reader.fail("watch", "missing: define at least one [watch.NAME] table")
    watches = reader.table(value, "watch")
    if not watches:
        raise reader.fail("watch", "define at least one [watch.NAME] table")
    rules: list[Rule] = []
    for name, body in watches.items():
        key = f"watch.{name}"
        if not _WATCH_NAME_RE.match(name):
            raise reader.fail(key, "a watch name uses lower-case letters, digits and '-'")
        table = reader.table(body, key)
        reader.check_keys(table, frozenset(_RULE_FIELDS), key)
        values: dict[str, Any] = {}
        for field_name, spec in _RULE_FIELDS.items():
            if field_name not in table:
                continue
            if spec.type == "str":
                values[field_name] = reader.text(table, field_name, key)
            elif spec.type == "int":
                number = reader.number(table, field_name, key)
                if number != int(number) or number < 0:
                    raise reader.fail(f"{key}.{field_name}", "expected a whole number >= 0")
                values[field_name] = int(number)
            else:
                number = reader.number(table, field_name, key)
                if number < 0:
                    raise reader.fail(f"{key}.{field_name}", "expected a number >= 0")
                values[field_name] = number
        rules.append(replace(Rule(name=name), **values))
    return tuple(rules)


def _read_entry(
    reader: _Reader, kind: str, item: object, key: str, watch_names: frozenset[str]
) -> Entry:
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
        unknown = sorted(watches - watch_names)
        if unknown:
            raise reader.fail(f"{key}.watches", f"no watch named {unknown[0]!r}")
    entry = Entry(
        kind=kind,
        name=name,
        weight=_DEFAULT_WEIGHT.get(kind, 0.0),
        aliases=aliases,
        capitalised=capitalised,
        watches=watches,
        key=key,
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


def _read_place(reader: _Reader, table: Mapping[str, object], entry: Entry) -> Entry:
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
    return replace(entry, weight=weight, place=place)


def _positive(reader: _Reader, weight: float, key: str) -> float:
    if weight <= 0:
        raise reader.fail(f"{key}.weight", "expected a number > 0")
    return weight
