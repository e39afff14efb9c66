"""Compiling watchlist aliases into word patterns, and finding them all in one pass over a text.

A pattern is a sequence of word elements. Each element is one of:

``("k", w)`` / ``("l", w)``
    the word's strict / loose key equals ``w``;
``("^k", p)`` / ``("^l", p)``
    the word's strict / loose key starts with ``p`` (an alias word written ``p*``);
``("~", w)``
    the word's loose key is ``w`` or ``w`` plus a case ending of ``w``'s script
    (Russian endings for Cyrillic, Armenian for Armenian, Azerbaijani for Latin).

Names (places, actors, masks) use loose keys, vocabulary (incidents, context, exclusions) strict
keys, plus loose keys when the alias's first word is long enough not to collide with another word
once its diacritics are gone (``atəşə tut*`` also as ``atese tut*``, but ``ölüb`` "died" never as
``olub`` "became").

Finding them: every pattern becomes a string key over the *folded* text (see
``normalise.fold``: the text in loose form, one space for each separator): its words in loose form
up to and including the first one that is not a whole word (a prefix or a stem), with a space in
front (a word boundary) and, if every word is whole, a space behind. One Aho–Corasick automaton
(``pyahocorasick``) holds every key, so one pass over the folded text finds every occurrence of
every key, whatever the size of the watchlist. Python then only looks at each occurrence:

- a key of whole words is a match as it stands;
- a stem key is followed by the rest of its word, which must be empty or a case ending;
- a prefix key matches whatever the rest of its word is;
- a pattern with more words after a prefix or a stem is checked word by word from its start.

Words may be separated by any run of separators (``Armenia’s`` is ``armenia s``, ``Margara–Alican``
is ``margara alican``), which in the folded text is several spaces when the run is longer than one
character (``Goris, Kapan``). So each multi-word pattern also has a key for each of its first gaps
written as two spaces (``" goris  "``); such an occurrence is checked word by word.

Vocabulary compared on strict keys is found on its loose form and then checked on the article's
own words: when they have no letter whose strict and loose keys differ, the loose match decides;
otherwise their strict keys are compared. A pattern never spans two sentences, and an alias listed
as ``capitalised`` counts only written with a capital and not as its sentence's first word.

Where matches overlap, the one starting first wins; at the same start the longest (in words), then
the one with the most letters spelled out, then the more specific kind; matching continues after
it, so ``Azerbaijan Grand Prix`` is one sport term, not the actor ``Azerbaijan``. A word joined
to a number by a hyphen is the number's suffix, never a term ("90-ականներ" is "the 90s", not
"mines"). Query terms (kind ``term``) are found wherever they stand, beside everything else.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Any, NamedTuple

import ahocorasick

from monitor.match.normalise import (
    ALIAS_TOKEN_RE,
    ARMENIAN_LIGATURE,
    TOKEN_RE,
    Folded,
    Folder,
    Text,
    diacritic_re,
    fold_key,
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
        "na nə ne la lə le li lu daki dəki deki dakini dəkini nda ndə ndan ndən ndakı ndəki nı"
    ),
}
_ENDINGS["latin"] = frozenset(
    variant
    for ending in _ENDINGS["latin"]
    for variant in (ending, ending.replace("ə", "a"), ending.replace("ə", "e"))
)
_INFLECTING = {"ru", "hy", "az"}
_RUSSIAN_FINALS = frozenset("аяоеиыьйю")
_NAME_KINDS = {"place", "actor", "mask", "term"}
_KIND_PRIORITY = {
    "mask": 6,
    "exclude": 5,
    "incident": 4,
    "actor": 3,
    "place": 2,
    "context": 1,
    "term": 0,
}
_MIN_STEM = 3
_MIN_PREFIX = 3
# Vocabulary is compared on strict keys (ölüb "died" is not olub "became"); an alias whose first
# word has at least this many letters also matches without Latin diacritics (atəşə/atese tutub).
_MIN_LOOSE_VOCABULARY = 5
_MAX_VARIANTS = 256
_GROUP_RE = re.compile(r"\(([^()]*)\)")
_SPACES_RE = re.compile(" *")
_HYPHENS = frozenset("-‐‑")
_LIGATURE_PAIR = "եւ"

# How an occurrence of a key is checked (see the module docstring).
_WHOLE, _STEM, _PREFIX, _WALK, _GAP = 0, 1, 2, 3, 4  # _WALK and _GAP keys lead to a _Branch
_BY_START_AND_PRIORITY = itemgetter(0, 1)


@dataclass(frozen=True, slots=True)
class Term:
    """What a pattern resolves to: one watchlist entry."""

    kind: str
    canonical: str
    weight: float
    entry: Entry
    # Places that share this alias (``entry`` first): the context decides (``resolve.py``).
    alternatives: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class Pattern:
    elements: tuple[Element, ...]
    term: Term
    capitalised: bool  # only counts written with a capital, not as a sentence's first word
    rank: tuple[int, int, int, int]  # (words, letters spelled out, kind, -order): higher wins
    alias: str
    # The elements over the folded text: ("=", whole word), ("^", prefix) or ("~", stem), all in
    # loose form.
    folded: tuple[Element, ...]
    # Vocabulary: (is a prefix, strict key) per element; None for names (loose keys).
    strict: tuple[tuple[bool, str], ...] | None
    plain: bool  # the strict keys are their own loose form (no ö, ş, ...)
    endings: frozenset[str]  # case endings of the "~" element's script (empty without one)
    priority: int  # position in the order of rank, best first
    overlay: bool  # a query term (kind "term"): found where it stands, whatever else is there


class Hit(NamedTuple):
    """A pattern found at ``text.full[start:end]``, in sentence ``sentence``."""

    term: Term
    start: int
    end: int
    sentence: int


# One way to read an occurrence of a key: (how, key length - 2, pattern). The first word of the
# occurrence starts at (index of the key's last character) - (key length - 2).
_Candidate = tuple[int, int, Pattern]


@dataclass(frozen=True, slots=True, eq=False)
class _Branch:
    """Patterns that go on after a key, indexed by the word that comes next.

    A walk key ends inside a word (a prefix or a stem) that more words follow; a gap key ends
    with two spaces (its words are followed by a longer run of separators). Either way only the
    patterns whose next word fits that of the text are checked word by word.
    """

    back: int  # key length - 2
    gap: bool  # the key ends with its separators (else inside its last word)
    words: dict[str, tuple[Pattern, ...]]  # by their next word (folded), when it is whole
    others: tuple[Pattern, ...]  # the next word is a prefix or a stem


@dataclass(frozen=True, slots=True, eq=False)
class Matcher:
    """The compiled patterns of a watchlist: one Aho–Corasick automaton over all their keys.

    Immutable once built; ``find`` keeps no state between calls, so one matcher can serve several
    threads.
    """

    automaton: Any  # ahocorasick.Automaton: key -> (tuple of _Candidate, _Branch or None)
    folder: Folder  # the folded form of texts and keys
    ligature: tuple[str, str] | None  # "և" and "եւ" in the folder's alphabet, if keys have them
    size: int  # patterns
    keys: int  # automaton keys
    diacritic: re.Pattern[str]

    def find(self, text: Text) -> list[Hit]:
        """All non-overlapping pattern matches in ``text``, left to right."""
        folded = self.folder.fold(text.full)
        padded = folded.text
        ligature = self.ligature
        found: list[tuple[int, int, int, Pattern]] = []  # (start, priority, stop, pattern)
        append = found.append
        for last, (candidates, branch) in self.automaton.iter(padded):
            for how, back, pattern in candidates:
                start = last - back
                if how == _WHOLE:
                    append((start, pattern.priority, last, pattern))
                    continue
                stop = padded.find(" ", last + 1)  # found: the folded text ends with a space
                if (
                    how == _STEM
                    and stop > last + 1
                    and padded[last + 1 : stop] not in pattern.endings
                ):
                    continue
                append((start, pattern.priority, stop, pattern))
            if branch is None:
                continue
            position = last + 1 if branch.gap else padded.find(" ", last + 1)
            position = _SPACES_RE.match(padded, position).end()  # type: ignore[union-attr]
            word = padded[position : padded.find(" ", position)]
            if ligature is not None and ligature[0] in word:
                word = word.replace(*ligature)
            start = last - branch.back
            for pattern in (*branch.words.get(word, ()), *branch.others):
                stop = _walk(padded, start, pattern, ligature)
                if stop > 0:
                    append((start, pattern.priority, stop, pattern))
        if not found:
            return []
        found.sort(key=_BY_START_AND_PRIORITY)
        return self._resolve(found, text, folded)

    def _resolve(
        self, found: list[tuple[int, int, int, Pattern]], text: Text, folded: Folded
    ) -> list[Hit]:
        """Left to right, the best candidate that fits at each start (``found`` is in order)."""
        full = text.full
        starts = text.cover(-1)  # grows in place as ``cover`` reaches further
        covered = -1
        marked = len(full) if full.isascii() else -1  # the next letter with a diacritic
        hits: list[Hit] = []
        taken = -1  # folded position where the last accepted match ends
        for start, _, stop, pattern in found:
            if start <= taken and not pattern.overlay:
                continue
            if folded.marks is None:
                begin, end = start - 1, stop - 1
            else:
                begin, end = folded.origin_of_word(start), folded.origin(stop)
            if begin > 1 and full[begin - 1] in _HYPHENS and full[begin - 2].isdigit():
                continue  # "90-ականներ", "90-х", "2020-ci": a suffix of the number
            if pattern.strict is not None:
                if marked < begin:  # where is the next letter with a diacritic?
                    mark = self.diacritic.search(full, begin)
                    marked = mark.start() if mark is not None else len(full)
                if not (
                    pattern.plain if marked >= end else _strict_fits(pattern, full, begin, end)
                ):
                    continue
            if end > covered:
                text.cover(end)
                covered = starts[-1] - 1
            sentence = bisect_right(starts, begin) - 1
            if (
                len(pattern.folded) > 1
                and sentence + 1 < len(starts)
                and end > starts[sentence + 1]
            ):
                continue  # a pattern never spans two sentences
            if pattern.capitalised and not (
                full[begin].isupper() and TOKEN_RE.search(full, starts[sentence], begin)
            ):
                continue
            hits.append(Hit(pattern.term, begin, end, sentence))
            if not pattern.overlay:
                taken = stop
        return hits


def _strict_fits(pattern: Pattern, full: str, begin: int, end: int) -> bool:
    """Do the article's words at ``full[begin:end]`` have the pattern's strict keys?"""
    assert pattern.strict is not None
    keys = [key for key in map(strict_key, TOKEN_RE.findall(full, begin, end)) if key]
    if len(keys) != len(pattern.strict):
        return False
    return all(
        key.startswith(wanted) if prefix else key == wanted
        for key, (prefix, wanted) in zip(keys, pattern.strict, strict=True)
    )


def _walk(padded: str, position: int, pattern: Pattern, ligature: tuple[str, str] | None) -> int:
    """Check ``pattern`` word by word from ``position``; where its last word ends, or -1."""
    for index, (how, wanted) in enumerate(pattern.folded):
        if index:
            position = _SPACES_RE.match(padded, position).end()  # type: ignore[union-attr]
        end = padded.find(" ", position)
        if end <= position:
            return -1
        word = padded[position:end]
        if ligature is not None and ligature[0] in word:
            word = word.replace(*ligature)
        if how == "=":
            if word != wanted:
                return -1
        elif not word.startswith(wanted) or (
            how == "~" and len(word) > len(wanted) and word[len(wanted) :] not in pattern.endings
        ):
            return -1
        position = end
    return position


class _Spec(NamedTuple):
    """A pattern before its keys are coded in the watchlist's alphabet."""

    elements: tuple[Element, ...]
    term: Term
    capitalised: bool
    rank: tuple[int, int, int, int]
    alias: str
    folded: tuple[Element, ...]  # in ``fold``'s form
    strict: tuple[tuple[bool, str], ...] | None
    endings: frozenset[str]


def compile_entries(entries: Iterable[Entry]) -> Matcher:
    """Compile the aliases of all entries; raise ``WatchlistError`` on a clash or a bad alias."""
    entries = list(entries)
    sharing = _sharing(entries)
    specs: list[_Spec] = []
    owners: dict[tuple[tuple[bool, str], ...], tuple[Entry, str]] = {}
    registered: set[tuple[bool, tuple[Element, ...]]] = set()
    for entry in entries:
        own = Term(kind=entry.kind, canonical=entry.name, weight=entry.weight, entry=entry)
        overlay = entry.kind == "term"
        for language, alias in entry.aliases:
            term = own
            if alias in entry.shared:
                group = sharing[_shared_key(alias)]
                if group[0] is not entry:
                    continue  # the first place that lists it compiles it for all of them
                term = replace(own, alternatives=group)
            for literal, elements in _alias_patterns(entry, language, alias):
                if overlay:  # query terms share their spellings with anything
                    if (True, elements) not in registered:
                        registered.add((True, elements))
                        rank = (len(elements), 0, _KIND_PRIORITY["term"], -len(specs))
                        specs.append(_spec(elements, term, False, rank, alias))
                    continue
                words = tuple((op[0] == "^", word) for op, word in elements)
                previous = owners.get(words)
                if previous is not None and previous[0] is not entry:
                    if not literal:  # a generated spelling: the first owner keeps it
                        continue
                    other, other_alias = previous
                    raise WatchlistError(
                        f"{entry.source}: {entry.key}.{language}: alias {alias!r} of "
                        f"{entry.kind} {entry.name!r} is already alias {other_alias!r} of "
                        f"{other.kind} {other.name!r} ({other.source}: {other.key}); if both "
                        "are places that share the name, list it in both places' `shared`"
                    )
                if (False, elements) in registered:
                    continue
                owners.setdefault(words, (entry, alias))
                registered.add((False, elements))
                letters = sum(
                    len(word) + (1 if op in ("k", "l", "~") else 0) for op, word in elements
                )
                rank = (len(elements), letters, _KIND_PRIORITY[entry.kind], -len(specs))
                specs.append(_spec(elements, term, alias in entry.capitalised, rank, alias))
    keyed = [(spec, _keys(spec.folded)) for spec in specs]
    alphabet = {ch for _, keys in keyed for key, _, _ in keys for ch in key}
    alphabet.update(ch for spec in specs for ending in spec.endings for ch in ending)
    folder = Folder(alphabet)
    code = folder.code
    ranked = sorted(range(len(specs)), key=lambda index: specs[index].rank, reverse=True)
    priorities = dict(zip(ranked, range(len(ranked)), strict=True))
    endings: dict[frozenset[str], frozenset[str]] = {}
    candidates: dict[str, list[_Candidate]] = {}
    branches: dict[str, tuple[int, dict[str, list[Pattern]], list[Pattern]]] = {}
    for index, (spec, keys) in enumerate(keyed):
        if spec.endings not in endings:
            endings[spec.endings] = frozenset(map(code, spec.endings))
        strict = spec.strict
        pattern = Pattern(
            elements=spec.elements,
            term=spec.term,
            capitalised=spec.capitalised,
            rank=spec.rank,
            alias=spec.alias,
            folded=tuple((how, code(word)) for how, word in spec.folded),
            strict=strict,
            plain=strict is None or all(fold_key(word) == word for _, word in strict),
            endings=endings[spec.endings],
            priority=priorities[index],
            overlay=spec.term.kind == "term",
        )
        for key, how, after in keys:
            if how not in (_WALK, _GAP):
                candidates.setdefault(code(key), []).append((how, len(key) - 2, pattern))
                continue
            _, by_word, others = branches.setdefault(code(key), (how, {}, []))
            following, word = pattern.folded[after]
            if following == "=":
                by_word.setdefault(word, []).append(pattern)
            else:
                others.append(pattern)
    automaton = ahocorasick.Automaton()
    for key in candidates.keys() | branches.keys():
        branch = None
        if key in branches:
            how, by_word, others = branches[key]
            table = {word: tuple(patterns) for word, patterns in by_word.items()}
            branch = _Branch(len(key) - 2, how == _GAP, table, tuple(others))
        automaton.add_word(key, (tuple(candidates.get(key, ())), branch))
    automaton.make_automaton()
    ligature = None
    if ARMENIAN_LIGATURE in alphabet:
        ligature = (code(ARMENIAN_LIGATURE), code(_LIGATURE_PAIR))
    return Matcher(
        automaton=automaton,
        folder=folder,
        ligature=ligature,
        size=len(specs),
        keys=len(candidates.keys() | branches.keys()),
        diacritic=diacritic_re(),
    )


def _spec(
    elements: tuple[Element, ...],
    term: Term,
    capitalised: bool,
    rank: tuple[int, int, int, int],
    alias: str,
) -> _Spec:
    folded: list[Element] = []
    strict: list[tuple[bool, str]] = []
    endings: frozenset[str] = frozenset()
    for op, word in elements:
        if op == "~":
            folded.append(("~", word))
            endings = _ENDINGS[script_of(word)]
        elif op.startswith("^"):
            folded.append(("^", fold_key(word)))
        else:
            folded.append(("=", fold_key(word)))
        if op.endswith("k"):
            strict.append((op.startswith("^"), word))
    return _Spec(
        elements=elements,
        term=term,
        capitalised=capitalised,
        rank=rank,
        alias=alias,
        folded=tuple(folded),
        strict=tuple(strict) if strict else None,
        endings=endings,
    )


def _keys(folded: tuple[Element, ...]) -> list[tuple[str, int, int]]:
    """The automaton keys of one pattern: (key, how to check an occurrence, index of the word
    that follows the key, for walk and gap keys)."""
    words = [word for _, word in folded]
    count = len(words)
    first = next((i for i, (how, _) in enumerate(folded) if how != "="), count)
    if first == count:
        keys = [(" " + " ".join(words) + " ", _WHOLE, 0)]
        gaps = count - 1
    elif first == count - 1:
        keys = [(" " + " ".join(words), _STEM if folded[-1][0] == "~" else _PREFIX, 0)]
        gaps = count - 1
    else:
        keys = [(" " + " ".join(words[: first + 1]), _WALK, first + 1)]
        gaps = first
    # The same words with a longer run of separators in one of the gaps the key covers.
    keys += [(" " + " ".join(words[:gap]) + "  ", _GAP, gap) for gap in range(1, gaps + 1)]
    return [(variant, how, gap) for key, how, gap in keys for variant in _ligature_spellings(key)]


def _ligature_spellings(key: str) -> list[str]:
    """``key``, and with each Armenian ``եւ`` also written as the ligature ``և``."""
    parts = key.split(_LIGATURE_PAIR)
    if len(parts) == 1:
        return [key]
    if len(parts) > 5:  # more than four: all or nothing
        return [key, key.replace(_LIGATURE_PAIR, ARMENIAN_LIGATURE)]
    spellings = []
    for joins in itertools.product((_LIGATURE_PAIR, ARMENIAN_LIGATURE), repeat=len(parts) - 1):
        spellings.append(parts[0] + "".join(j + p for j, p in zip(joins, parts[1:], strict=True)))
    return spellings


def _shared_key(alias: str) -> str:
    return " ".join(loose_key(word) for word in alias.split())


def _sharing(entries: list[Entry]) -> dict[str, tuple[Entry, ...]]:
    """The places that list each shared alias, in file order; each alias needs two or more."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        for alias in entry.shared:
            group = groups.setdefault(_shared_key(alias), [])
            if entry not in group:
                group.append(entry)
    for alias, group in groups.items():
        if len(group) < 2:
            entry = group[0]
            raise WatchlistError(
                f"{entry.source}: {entry.key}.shared: no other place lists {alias!r} as shared"
            )
    return {alias: tuple(group) for alias, group in groups.items()}


def _alias_patterns(
    entry: Entry, language: str, alias: str
) -> list[tuple[bool, tuple[Element, ...]]]:
    """``(is_literal, elements)`` for every spelling of one alias."""
    name_like = entry.kind in _NAME_KINDS
    inflect = name_like and language in _INFLECTING
    results: list[tuple[bool, tuple[Element, ...]]] = []
    source = entry.source
    for text in _expand_groups(alias, entry, language):
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


def _expand_groups(alias: str, entry: Entry, language: str) -> list[str]:
    """Expand ``(a|b|)`` alternatives into plain alias texts."""
    source = entry.source
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
