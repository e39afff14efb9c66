"""Compiling watchlist aliases into word patterns, and finding them in a token list.

A pattern is a sequence of word elements. Each element is one of:

``("k", w)`` / ``("l", w)``
    the token's strict / loose key equals ``w``;
``("^k", p)`` / ``("^l", p)``
    the token's strict / loose key starts with ``p`` (an alias word written ``p*``);
``("~", w)``
    the token's loose key is ``w`` or ``w`` plus a case ending of the token's script
    (Russian endings for Cyrillic, Armenian for Armenian, Azerbaijani for Latin).

Names (places, actors, masks) use loose keys, vocabulary (incidents, context, exclusions) strict
keys, plus loose keys when the alias's first word is long enough not to collide with another word
once its diacritics are gone (``atəşə tut*`` also as ``atese tut*``, but ``ölüb`` "died" never as
``olub`` "became"). Every pattern is indexed under its first element. For each token the matcher
computes the set of elements that token satisfies (only those that occur in some pattern),
looks the first-word candidates up, and checks the rest of each candidate against the following
tokens. At each position the longest match wins (then the one with the most letters spelled out,
then the more specific kind); matching then continues after it, so ``Azerbaijan Grand Prix`` is one
sport term, not the actor ``Azerbaijan``. A pattern never spans two sentences.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from monitor.match.normalise import (
    ALIAS_TOKEN_RE,
    Token,
    loose_key,
    script_of,
    strict_key,
    word_set,
)
from monitor.match.watchlist import Entry, WatchlistError

Element = tuple[str, str]

# Case endings, already in loose form (ı→i, ü→u, ö→o; ə also as e and a).
_ENDINGS = {
    "cyrillic": word_set(
        "а я у ю е и ы о ом ем ой ей ою ами ями ах ях ам ям ого его ому ему ым им ую юю ая яя ое "
        "ее ые ие ых их ыми ими"
    ),
    "armenian": word_set("ի ը ն ում ից ով ին ու ումը յի յում յից յով յին յը"),
    "latin": word_set(
        "a ə e i u ya yə ye yi yu da də de ta tə te dan dən den tan tən ten in un nin nun ni nu "
        "na nə ne la lə le li lu daki dəki deki dakini dəkini"
    ),
}
_ENDINGS["latin"] = frozenset(
    variant
    for ending in _ENDINGS["latin"]
    for variant in (ending, ending.replace("ə", "a"), ending.replace("ə", "e"))
)
_ENDING_LENGTHS = {script: sorted({len(e) for e in ends}) for script, ends in _ENDINGS.items()}
_INFLECTING = {"ru", "hy", "az"}
_RUSSIAN_FINALS = frozenset("аяоеиыьйю")
_NAME_KINDS = {"place", "actor", "mask"}
_KIND_PRIORITY = {"mask": 6, "exclude": 5, "incident": 4, "actor": 3, "place": 2, "context": 1}
_MIN_STEM = 3
_MIN_PREFIX = 3
# Vocabulary is compared on strict keys (ölüb "died" is not olub "became"); an alias whose first
# word has at least this many letters also matches without Latin diacritics (atəşə/atese tutub).
_MIN_LOOSE_VOCABULARY = 5
_MAX_VARIANTS = 256
_GROUP_RE = re.compile(r"\(([^()]*)\)")
_CACHE_LIMIT = 200_000


@dataclass(frozen=True, slots=True)
class Term:
    """What a pattern resolves to: one watchlist entry."""

    kind: str
    canonical: str
    weight: float
    entry: Entry


@dataclass(frozen=True, slots=True)
class Pattern:
    elements: tuple[Element, ...]
    term: Term
    capitalised: bool  # only counts written with a capital, not as a sentence's first word
    rank: tuple[int, int, int, int]  # (words, letters spelled out, kind, -order): higher wins
    alias: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A pattern found at tokens ``[first, last]``."""

    term: Term
    first: int
    last: int
    sentence: int


@dataclass(frozen=True, slots=True, eq=False)
class Matcher:
    """The compiled patterns of a watchlist, indexed for fast lookup.

    ``cache`` remembers, per word (its strict and loose keys), the elements that word satisfies.
    It only saves work, so results never depend on it; it is cleared when it grows past
    ``_CACHE_LIMIT`` words. Single dict reads and writes keep it safe to share between threads.
    """

    index: Mapping[Element, tuple[Pattern, ...]]  # patterns by their first element
    prefix_words: frozenset[Element]  # every ("^k"|"^l", prefix) element of any pattern
    prefix_heads: Mapping[str, Mapping[str, tuple[int, ...]]]  # space -> 2-letter head -> lengths
    stems: frozenset[str]  # every ("~", stem) word of any pattern
    stem_heads: frozenset[str]  # their first two letters
    size: int
    cache: dict[tuple[str, str], frozenset[Element]] = field(default_factory=dict)

    def find(self, tokens: Sequence[Token]) -> list[Hit]:
        """All non-overlapping pattern matches in ``tokens``, left to right."""
        if len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
        cache, compute = self.cache, self._forms
        forms = [
            cache.get((token.strict, token.loose)) or compute(token.strict, token.loose)
            for token in tokens
        ]
        index = self.index
        hits: list[Hit] = []
        position, count = 0, len(tokens)
        while position < count:
            best: Pattern | None = None
            for element in forms[position]:
                for pattern in index.get(element, ()):
                    if (best is None or pattern.rank > best.rank) and self._fits(
                        pattern, tokens, forms, position
                    ):
                        best = pattern
            if best is None:
                position += 1
                continue
            last = position + len(best.elements) - 1
            hits.append(Hit(best.term, position, last, tokens[position].sentence))
            position = last + 1
        return hits

    def _forms(self, strict: str, loose: str) -> frozenset[Element]:
        cached = self.cache.get((strict, loose))
        if cached is not None:
            return cached
        found: list[Element] = [("k", strict), ("l", loose)]
        if loose[:2] in self.stem_heads:
            if loose in self.stems:
                found.append(("~", loose))
            script = script_of(loose)
            endings = _ENDINGS[script]
            for size in _ENDING_LENGTHS[script]:
                if len(loose) - size < _MIN_STEM:
                    break
                if loose[-size:] in endings and loose[:-size] in self.stems:
                    found.append(("~", loose[:-size]))
        for space, key in (("^k", strict), ("^l", loose)):
            for size in self.prefix_heads[space].get(key[:2], ()):
                if size > len(key):
                    break
                element = (space, key[:size])
                if element in self.prefix_words:
                    found.append(element)
        result = frozenset(found)
        self.cache[(strict, loose)] = result
        return result

    @staticmethod
    def _fits(
        pattern: Pattern,
        tokens: Sequence[Token],
        forms: Sequence[frozenset[Element]],
        position: int,
    ) -> bool:
        elements = pattern.elements
        if position + len(elements) > len(tokens):
            return False
        sentence = tokens[position].sentence
        for offset in range(1, len(elements)):
            index = position + offset
            if tokens[index].sentence != sentence or elements[offset] not in forms[index]:
                return False
        if pattern.capitalised:
            first = tokens[position]
            return first.capital and not first.first
        return True


def compile_entries(entries: Iterable[Entry], source: str) -> Matcher:
    """Compile the aliases of all entries; raise ``WatchlistError`` on a clash or a bad alias."""
    index: dict[Element, list[Pattern]] = {}
    owners: dict[tuple[tuple[bool, str], ...], tuple[Entry, str]] = {}
    registered: set[tuple[Element, ...]] = set()
    prefixes: dict[str, set[str]] = {"^k": set(), "^l": set()}
    stems: set[str] = set()
    size = 0
    for entry in entries:
        term = Term(kind=entry.kind, canonical=entry.name, weight=entry.weight, entry=entry)
        for language, alias in entry.aliases:
            for literal, elements in _alias_patterns(entry, language, alias, source):
                words = tuple((op[0] == "^", word) for op, word in elements)
                previous = owners.get(words)
                if previous is not None and previous[0] is not entry:
                    if not literal:  # a generated spelling: the first owner keeps it
                        continue
                    other, other_alias = previous
                    raise WatchlistError(
                        f"{source}: {entry.key}.{language}: alias {alias!r} of {entry.kind} "
                        f"{entry.name!r} is already alias {other_alias!r} of {other.kind} "
                        f"{other.name!r} ({other.key})"
                    )
                if elements in registered:
                    continue
                owners.setdefault(words, (entry, alias))
                registered.add(elements)
                letters = sum(
                    len(word) + (1 if op in ("k", "l", "~") else 0) for op, word in elements
                )
                pattern = Pattern(
                    elements=elements,
                    term=term,
                    capitalised=alias in entry.capitalised,
                    rank=(len(elements), letters, _KIND_PRIORITY[entry.kind], -size),
                    alias=alias,
                )
                index.setdefault(elements[0], []).append(pattern)
                size += 1
                for op, word in elements:
                    if op.startswith("^"):
                        prefixes[op].add(word)
                    elif op == "~":
                        stems.add(word)
    heads: dict[str, dict[str, set[int]]] = {space: {} for space in prefixes}
    for space, prefix_words in prefixes.items():
        for prefix in prefix_words:
            heads[space].setdefault(prefix[:2], set()).add(len(prefix))
    return Matcher(
        index={element: tuple(patterns) for element, patterns in index.items()},
        prefix_words=frozenset((space, p) for space, found in prefixes.items() for p in found),
        prefix_heads={
            space: {head: tuple(sorted(sizes)) for head, sizes in by_head.items()}
            for space, by_head in heads.items()
        },
        stems=frozenset(stems),
        stem_heads=frozenset(stem[:2] for stem in stems),
        size=size,
    )


def _alias_patterns(
    entry: Entry, language: str, alias: str, source: str
) -> list[tuple[bool, tuple[Element, ...]]]:
    """``(is_literal, elements)`` for every spelling of one alias."""
    name_like = entry.kind in _NAME_KINDS
    inflect = name_like and language in _INFLECTING
    results: list[tuple[bool, tuple[Element, ...]]] = []
    for text in _expand_groups(alias, entry, language, source):
        words = [(m.group(1), m.group(2) == "*") for m in ALIAS_TOKEN_RE.finditer(text)]
        if not words:
            raise WatchlistError(f"{source}: {entry.key}.{language}: alias {alias!r} has no words")
        stars = [star for _, star in words]
        spaces = (
            [("l", [loose_key(word) for word, _ in words])]
            if name_like
            else [("k", [strict_key(word) for word, _ in words])]
        )
        if not name_like:
            loose = [loose_key(word) for word, _ in words]
            if loose != spaces[0][1] and len(spaces[0][1][0]) >= _MIN_LOOSE_VOCABULARY:
                spaces.append(("l", loose))
        for space, keys in spaces:
            for number, spelling in enumerate(_schwa_spellings(keys)):
                elements: list[Element] = []
                for position, (key, star) in enumerate(zip(spelling, stars, strict=True)):
                    if star:
                        shortest = _MIN_PREFIX if position == 0 else _MIN_PREFIX - 1
                        if len(key) < shortest:
                            raise WatchlistError(
                                f"{source}: {entry.key}.{language}: alias {alias!r}: a prefix "
                                f"needs at least {_MIN_PREFIX} letters before '*' ({shortest} "
                                "after the first word)"
                            )
                        elements.append(("^" + space, key))
                    elif inflect and position == len(spelling) - 1 and len(key) >= _MIN_STEM:
                        elements.append(("~", _stem(key)))
                    else:
                        elements.append((space, key))
                results.append((number == 0 and space == spaces[0][0], tuple(elements)))
    return results


def _stem(key: str) -> str:
    """The part of a name that case endings attach to.

    A Russian name ending in a vowel, ``ь`` or ``й`` changes that letter (Шуша, Шуши, Шуше), so
    its stem drops it; Armenian and Azerbaijani endings are added to the whole word.
    """
    if key[-1] in _RUSSIAN_FINALS and len(key) - 1 >= _MIN_STEM and script_of(key) == "cyrillic":
        return key[:-1]
    return key


def _expand_groups(alias: str, entry: Entry, language: str, source: str) -> list[str]:
    """Expand ``(a|b|)`` alternatives into plain alias texts."""
    parts = _GROUP_RE.split(alias)
    if "(" in "".join(parts[0::2]) or ")" in "".join(parts[0::2]):
        raise WatchlistError(
            f"{source}: {entry.key}.{language}: alias {alias!r}: unbalanced or nested parentheses"
        )
    choices = [[part] if i % 2 == 0 else part.split("|") for i, part in enumerate(parts)]
    count = 1
    for options in choices:
        count *= len(options)
    if count > _MAX_VARIANTS:
        raise WatchlistError(
            f"{source}: {entry.key}.{language}: alias {alias!r} expands to {count} variants"
        )
    return [" ".join("".join(combo).split()) for combo in itertools.product(*choices)]


def _schwa_spellings(keys: list[str]) -> list[list[str]]:
    """The words as written, then with Azerbaijani ``ə`` spelled ``e`` and ``a``.

    Up to four ``ə`` every combination is generated, beyond that all-``e`` and all-``a``.
    """
    total = sum(key.count("ə") for key in keys)
    if total == 0:
        return [keys]
    spellings = [keys]
    if total <= 4:
        for combo in itertools.product("əea", repeat=total):
            if set(combo) == {"ə"}:
                continue
            letters = iter(combo)
            spellings.append(
                ["".join(next(letters) if ch == "ə" else ch for ch in key) for key in keys]
            )
    else:
        spellings += [
            [key.replace("ə", "e") for key in keys],
            [key.replace("ə", "a") for key in keys],
        ]
    return spellings
