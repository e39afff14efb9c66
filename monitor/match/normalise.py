"""Text normalisation: comparison keys, the folded text the matcher scans, and sentence spans.

A *word* is a run of word characters (any script, digits, ``_``), plus combining marks, Armenian
intonation marks, the soft hyphen and zero-width (non-)joiners written inside it. Everything else
(spaces, punctuation, hyphens, apostrophes of every kind) separates words, the same way in the
watchlist and in articles, so ``Armenia’s`` and ``Armenia's`` both give ``armenia`` then ``s``,
and a name never matches inside a longer word. Each word has two comparison keys:

``strict``
    NFKC, then ``casefold``, then combining marks dropped (the dot that ``casefold`` leaves on a
    Turkish/Azerbaijani capital ``İ``), Armenian intonation marks and invisible joiners removed,
    dotless ``ı`` as ``i`` (``I`` is its capital), Russian ``ё`` as ``е``, and ``ä``/``ǝ`` as the
    Azerbaijani ``ə``. NFKC also splits the Armenian ligature ``և`` into ``եւ``. Vocabulary
    (incidents, context, exclusions) is compared on this key, because for common words the
    Azerbaijani letters matter (``ölüb`` "died" is not ``olub`` "became").

``loose``
    the strict key with Latin diacritics removed (``ğ ş ç ö ü`` and other accented letters to their
    base letter) but ``ə`` kept. Proper names (places, actors) are compared on this key, so
    ``Qarabağ``, ``QARABAĞ`` and ``Qarabag`` are the same word. The watchlist compiler spells each
    name with ``ə`` also as ``e`` and as ``a`` (``Kəlbəcər``, ``Kelbecer``, ``Kalbacar``).

The matcher never looks at words one by one: it scans a *folded* copy of the whole text, in
which every separator is one space and every word character its loose key, so that position ``i``
of the folded text is position ``i - 1`` of the original (the folded text is padded with a space
at each end). ``fold`` is the reference: one C-level ``str.translate`` over a table built once for
the BMP. ``Folder`` gives the same text written in a watchlist's own one-byte alphabet, computed
with bytes operations only, several times faster on non-ASCII text. Characters whose key is not
exactly one character are rare (zero-width joiners, soft hyphens, Armenian intonation marks,
combining marks, ligatures such as ``ß`` and ``½``, characters beyond the BMP such as emoji); when
a text has some, they are folded piece by piece and ``Folded.origin`` maps folded positions back.
The Armenian ligature ``և`` stays one character in the folded text: the watchlist compiler also
spells every ``եւ`` of an alias as ``և``.

Sentences are found with one compiled regular expression whose lookarounds hold the whole rule
(capital letter next, abbreviations, initials), lazily and only as far as the matcher needs them.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from itertools import islice
from typing import NamedTuple

# Letters (any script), digits, combining marks, Armenian intonation marks (written inside a word),
# soft hyphen and zero-width (non-)joiners.
_EXTRA_WORD = "\u0300-\u036f\u055b-\u055f\u00ad\u200c\u200d"
_WORD = rf"[\w{_EXTRA_WORD}]+"
TOKEN_RE = re.compile(_WORD)
# A watchlist alias word may end with "*": match any word that starts with it.
ALIAS_TOKEN_RE = re.compile(rf"({_WORD})(\*?)")

ARMENIAN_LIGATURE = "և"  # NFKC: "եւ"; kept as one character in folded text
_COMBINING = "\u0300-\u036f"
_DELETED_MARKS = "\u00ad\u200c\u200d\u055b\u055c\u055d\u055e\u055f"

_STRICT_TABLE = str.maketrans(
    {
        "ı": "i",
        "ё": "е",
        "ä": "ə",
        "ǝ": "ə",
        **dict.fromkeys(_DELETED_MARKS),
    }
)


def _loose_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        if char in "əƏǝ":
            continue
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            table[code] = base.lower()
    table.update({ord("ø"): "o", ord("ł"): "l", ord("đ"): "d", ord("ı"): "i"})
    return table


_LOOSE_TABLE = _loose_table()


def _strict(word: str) -> str:
    key = unicodedata.normalize("NFKC", word).casefold()
    if key.isascii():
        return key
    key = "".join(ch for ch in key if not unicodedata.combining(ch))
    return key.translate(_STRICT_TABLE)


def _loose(word: str) -> str:
    key = _strict(word)
    return key if key.isascii() else key.translate(_LOOSE_TABLE)


@lru_cache(maxsize=65536)
def strict_key(word: str) -> str:
    """The strict comparison key of one word (see the module docstring)."""
    return _strict(word)


@lru_cache(maxsize=65536)
def loose_key(word: str) -> str:
    """The loose comparison key of one word: strict, then Latin diacritics removed."""
    key = strict_key(word)
    return key if key.isascii() else key.translate(_LOOSE_TABLE)


def fold_key(key: str) -> str:
    """A strict key in loose form (what ``loose_key`` gives for a word with that strict key)."""
    return key if key.isascii() else key.translate(_LOOSE_TABLE)


def script_of(key: str) -> str:
    """ "cyrillic", "armenian" or "latin" (anything else), from the first letter of a key."""
    for ch in key:
        code = ord(ch)
        if 0x0400 <= code <= 0x052F:
            return "cyrillic"
        if 0x0531 <= code <= 0x058A or 0xFB13 <= code <= 0xFB17:
            return "armenian"
        if ch.isalpha():
            return "latin"
    return "latin"


def word_set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (for readable tables)."""
    return frozenset(words.split())


# --------------------------------------------------------------------------------------------
# Folding a whole text
# --------------------------------------------------------------------------------------------


class _Tables(NamedTuple):
    translate: list[str]  # code point (BMP) -> its loose key; separators -> " "
    specials: frozenset[int]  # BMP code points whose key is not exactly one character
    special: re.Pattern[str]  # runs of those, and of characters beyond the BMP
    diacritic: re.Pattern[str]  # characters whose strict and loose keys differ


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or TOKEN_RE.fullmatch(ch) is not None


def _char_class(codes: list[int]) -> str:
    """A regex character class for a sorted list of code points."""
    parts: list[str] = []
    index = 0
    while index < len(codes):
        first = last = codes[index]
        while index + 1 < len(codes) and codes[index + 1] == last + 1:
            index += 1
            last = codes[index]
        parts.append(re.escape(chr(first)) + (f"-{re.escape(chr(last))}" if last > first else ""))
        index += 1
    return "[" + "".join(parts) + "]"


@cache
def _tables() -> _Tables:
    """The folding tables, built once (about 30 ms) on first use."""
    table = [" "] * 0x10000
    special: list[int] = []
    diacritic: list[int] = []
    for code in range(0x10000):
        ch = chr(code)
        if not _is_word_char(ch):
            continue  # a separator
        if ch.isascii():
            table[code] = ch.lower()
            continue
        if (
            not unicodedata.combining(ch)
            and unicodedata.is_normalized("NFKC", ch)
            and ch.casefold() == ch
            and code not in _STRICT_TABLE
            and code not in _LOOSE_TABLE
        ):
            table[code] = ch
            continue
        strict, loose = _strict(ch), _loose(ch)
        if strict != loose:
            diacritic.append(code)
        if ch == ARMENIAN_LIGATURE:
            table[code] = ch
        elif len(loose) == 1 and not unicodedata.combining(ch):
            table[code] = loose
        else:
            table[code] = ch
            special.append(code)
    diacritic.extend(range(0x0300, 0x0370))  # a combining mark may compose into "é", "ş", ...
    special_class = _char_class(sorted(special))[:-1] + "\U00010000-\U0010ffff]"
    return _Tables(
        translate=table,
        specials=frozenset(special),
        special=re.compile(special_class + "+"),
        diacritic=re.compile(_char_class(sorted(set(diacritic)))),
    )


def diacritic_re() -> re.Pattern[str]:
    """Matches characters whose strict and loose keys differ (``ş``, ``Ö``, a combining mark)."""
    return _tables().diacritic


_COMBINING_RE = re.compile(f"[{_COMBINING}]")
_OTHER = "\x01"  # a word character that occurs in no key
_PIECE_RE = re.compile(rf"({_WORD})|[^\w{_EXTRA_WORD}]+")


def _fold_run(text: str, start: int, end: int) -> str:
    """The loose form of ``text[start:end]``, a short run of unusual characters.

    Separators become spaces and words their ``loose_key``. A word whose key is empty (invisible
    characters only) vanishes inside a longer word, but standing alone between separators it is
    a word of its own that matches nothing, as it always was.
    """
    parts: list[str] = []
    for match in _PIECE_RE.finditer(text, start, end):
        word = match.group(1)
        if not word:
            parts.append(" " * len(match.group()))
            continue
        key = loose_key(word)
        if not key:
            first, last = match.span()
            alone = (first == 0 or not _is_word_char(text[first - 1])) and (
                last == len(text) or not _is_word_char(text[last])
            )
            key = _OTHER if alone else ""
        parts.append(key)
    return "".join(parts)


class Folded(NamedTuple):
    """A text in folded form, padded with one space at each end, and how to map positions back.

    Without ``marks``, folded position ``i`` is original position ``i - 1``. Otherwise
    ``marks[j]`` is a folded position from which ``shifts[j]`` is added instead, and
    ``vanished`` maps the folded position after each run of characters that fold to nothing
    to the run's original start (a word that starts there starts with them, as it did before).
    """

    text: str
    marks: list[int] | None = None
    shifts: list[int] | None = None
    vanished: dict[int, int] | None = None

    def origin(self, index: int) -> int:
        """The original position of the character at folded position ``index``."""
        if self.marks is None or self.shifts is None:
            return index - 1
        return index + self.shifts[bisect_right(self.marks, index) - 1]

    def origin_of_word(self, index: int) -> int:
        """The original position where the word at folded position ``index`` starts."""
        if self.vanished and index in self.vanished:
            return self.vanished[index]
        return self.origin(index)


def fold(text: str) -> Folded:
    """``text`` in loose form (see the module docstring): one ``str.translate`` in general."""
    tables = _tables()
    table = tables.translate
    if text.isascii():  # CPython translates ASCII text at memory speed
        return Folded(f" {text.translate(table)} ")
    first_special = tables.special.search(text)
    if first_special is None:
        return Folded(f" {text.translate(table)} ")
    # Rare: characters that vanish or expand.
    spans = (run.span() for run in tables.special.finditer(text, first_special.start()))
    return _splice(text, spans, lambda a, b: text[a:b].translate(table))


def _splice(
    text: str,
    spans: Iterable[tuple[int, int]],
    plain: Callable[[int, int], str],
    code: Callable[[str], str] = str,
) -> Folded:
    """Fold ``text`` whose characters in ``spans`` vanish or expand, recording the shifts.

    ``plain(a, b)`` is the (length-preserving) folded form of ``text[a:b]`` outside the spans;
    ``code`` writes each span's replacement in the caller's alphabet.
    """
    parts: list[str] = [" "]
    marks, shifts = [0], [-1]
    vanished: dict[int, int] = {}
    length = 1  # folded characters so far
    done = 0
    for start, end in spans:
        if (
            start > done
            and _COMBINING_RE.match(text, start)
            and _is_word_char(text[start - 1])
            and _COMBINING_RE.match(text, start - 1) is None
        ):
            start -= 1  # a combining mark composes with the letter before it
        parts.append(plain(done, start))
        length += start - done
        replacement = code(_fold_run(text, start, end))
        parts.append(replacement)
        if not replacement:
            vanished[length] = start
        length += len(replacement)
        marks.append(length)
        shifts.append(end - length)
        done = end
    parts.append(plain(done, len(text)))
    parts.append(" ")
    return Folded("".join(parts), marks, shifts, vanished)


# Byte tables for Folder: _EQUAL[h] maps byte h to 0xFF and every other byte to 0.
_EQUAL = [bytes(h) + b"\xff" + bytes(255 - h) for h in range(256)]
_BYTE = [bytes((h,)) for h in range(256)]
_NONZERO = b"\x00" + b"\x01" * 255
_SENTINEL = "\x00"  # a character whose key is not one character: fold it the slow way
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_ ")  # stand for themselves
_CODES = [code for code in range(2, 256) if chr(code) not in _PLAIN]  # 216 free codes


def _sentinel_runs(coded: str, index: int) -> Iterator[tuple[int, int]]:
    """The spans of consecutive sentinels in ``coded``, from the first one at ``index``."""
    while index >= 0:
        end = index
        while end < len(coded) and coded[end] == _SENTINEL:
            end += 1
        yield index, end
        index = coded.find(_SENTINEL, end)


class Folder:
    """Folds texts into the matcher's own one-byte-per-character alphabet, without Python loops.

    The keys of a watchlist use few distinct characters (ASCII letters and digits, Cyrillic,
    Armenian, ``ə``). When there are at most 216 of them, each gets a code below 256, and folded
    text is a Latin-1 string (ASCII letters, digits, ``_`` and space stand for themselves; any
    other word character is ``\\x01``): ``code(fold(text).text)``, computed with bytes operations.
    The text is encoded as UTF-16 (UTF-32 when it has characters beyond the BMP), its low and high
    bytes are split with two strided slices, the low bytes are mapped with ``bytes.translate``
    through one table per high byte, and the results are merged with big-integer masks (a high
    byte that occurs only a few times is patched position by position instead). Characters whose
    key is not one character map to ``\\x00``; the few runs of them are then folded one by one.
    Keys are written in the same alphabet with ``code``.

    With more than 216 distinct characters the folded text is ``fold``'s own (``coded`` is false).
    """

    __slots__ = ("_by_high", "_coder", "_patch", "coded")

    def __init__(self, alphabet: Iterable[str]) -> None:
        tables = _tables()
        ascii_codes = {chr(code) for code in range(128) if TOKEN_RE.fullmatch(chr(code))}
        extra = sorted({ch for ch in alphabet if ch not in ascii_codes and " " < ch <= "\uffff"})
        self.coded = len(extra) <= len(_CODES)
        if not self.coded:
            self._coder: list[str] = []
            self._by_high: list[bytes] = []
            self._patch: list[bytes] = []
            return
        code_of = {ch: chr(code) for ch, code in zip(extra, _CODES, strict=False)}
        coder = [_OTHER] * 0x10000  # characters beyond the BMP stay themselves
        coder[0x20] = " "
        for ch in ascii_codes:
            coder[ord(ch)] = ch.lower()
        for ch, code in code_of.items():
            coder[ord(ch)] = code
        folded = tables.translate
        specials = tables.specials
        codes = [ord(coder[ord(ch)]) if ch <= "\uffff" else 1 for ch in folded]
        for point in specials:
            codes[point] = 0  # _SENTINEL
        self._coder = coder
        self._patch = [bytes(codes[high << 8 : (high + 1) << 8]) for high in range(256)]
        low = self._patch[0]
        # For high byte h: the XOR that turns the code of (0, lo) into the code of (h, lo).
        base = int.from_bytes(low, "little")
        self._by_high = [
            (base ^ int.from_bytes(table, "little")).to_bytes(256, "little")
            for table in self._patch
        ]

    def code(self, folded: str) -> str:
        """A key (in ``fold``'s form) in this folder's alphabet."""
        return folded.translate(self._coder) if self.coded else folded

    def fold(self, text: str) -> Folded:
        """``text`` folded and coded (see the class docstring)."""
        if not self.coded:
            return fold(text)
        if text.isascii():  # CPython translates ASCII text at memory speed
            return Folded(f" {text.translate(_tables().translate)} ")
        coded = self._bytes(text).decode("latin-1")
        index = coded.find(_SENTINEL)
        if index < 0:
            return Folded(f" {coded} ")
        # Characters that vanish or expand: fold each run of them apart.
        return _splice(text, _sentinel_runs(coded, index), lambda a, b: coded[a:b], self.code)

    def _bytes(self, text: str) -> bytes:
        """One code per character of ``text``; 0 where a character needs ``_fold_run``."""
        units = text.encode("utf-16-le", "surrogatepass")
        planes = b""
        if len(units) != 2 * len(text):  # characters beyond the BMP
            units = text.encode("utf-32-le", "surrogatepass")
            planes = units[2::4].translate(_NONZERO)
            low, high = units[0::4], units[1::4]
        else:
            low, high = units[0::2], units[1::2]
        coded = low.translate(self._patch[0])
        rest = high.translate(None, b"\x00")
        if not rest and not planes:
            return coded
        size = len(low)
        value = 0
        patches: list[int] = []
        while rest:
            byte = rest[0]
            mark = _BYTE[byte]
            if rest.count(mark) * 48 < size:  # rare: patch one by one
                patches.append(byte)
            else:
                if not value:
                    value = int.from_bytes(coded, "little")
                value ^= int.from_bytes(low.translate(self._by_high[byte]), "little") & (
                    int.from_bytes(high.translate(_EQUAL[byte]), "little")
                )
            rest = rest.translate(None, mark)
        if value:
            coded = value.to_bytes(size, "little")
        if not patches and not planes:
            return coded
        buffer = bytearray(coded)
        for byte in patches:
            table, mark = self._patch[byte], _BYTE[byte]
            index = high.find(mark)
            while index >= 0:
                buffer[index] = table[low[index]]
                index = high.find(mark, index + 1)
        index = planes.find(1)
        while index >= 0:
            buffer[index] = 0
            index = planes.find(1, index + 1)
        return bytes(buffer)


# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------

_TERMINATORS = ".!?…\u0589"  # and, after an Armenian letter, ":" (often typed for "։")
_CLOSERS = "\"”»’')]"
_OPENERS = "\"“«‘'([—–-"
_ABBREVIATIONS = word_set(
    """mr mrs ms dr prof gen lt col maj capt sgt st mt no nos vs etc jan feb mar apr jun jul aug
    sep sept oct nov dec inc ltd co jr sr gov sen rep pres approx u.s u.k e.g i.e a.m p.m
    г гг ул им тыс млн млрд руб стр ген т д кв см թ թթ կմ"""
)
_MAX_DOTS = 4  # "...Mr. Smith": dots around an abbreviation still make it one (up to four)


@cache
def _cut_re() -> re.Pattern[str]:
    """Where a new sentence starts: ``match.end()`` of each match (built once, ~30 ms).

    A match is a run of line breaks and the white space after them, or a sentence end (a run of
    terminators, closing quotes, white space) before a capital letter, a digit or an opening
    quote, unless the run starts with a full stop after an abbreviation or a single letter. The
    expression starts with one character class, so the regex engine skips to candidates at C
    speed; everything else is lookarounds at those few places.
    """
    # Capitals and digits start a sentence; an initial is a word character that case-folds to
    # one character (not "İ", "ß", "և", ...), and a ligature that case-folds to an abbreviation
    # ("ﬆ": "st") counts as one too. (Planes above 1 hold neither capitals nor digits.)
    starters: list[int] = [ord(ch) for ch in _OPENERS]
    long_codes: list[int] = []
    for code in range(0x20000):
        ch = chr(code)
        if ch.isupper() or ch.isdigit():
            starters.append(code)
        fold = ch.casefold()
        if len(fold) > 1 and fold not in _ABBREVIATIONS and _is_word_char(ch):
            long_codes.append(code)
    starter_class = _char_class(sorted(set(starters)))
    long_folds = _char_class(long_codes)
    cores: dict[int, list[str]] = {}
    for word in _ABBREVIATIONS:
        cores.setdefault(len(word), []).append(re.escape(word))
    initial = "[^\\W" + long_folds[1:]
    words = [initial, *("(?i:" + "|".join(sorted(group)) + ")" for group in cores.values())]
    widths = [1, *cores]
    # The complete rule, as the old search for the word before a full stop had it: dots before
    # the word are ignored ("...Mr."), and a full stop that starts a line looks at the last word
    # of the line before, whose own final dots are ignored too ("e.g...\n.").
    by_width: dict[int, list[str]] = {}
    for before in range(_MAX_DOTS + 1):
        for after in ("", *(r"\." * dots + "\n" for dots in range(_MAX_DOTS + 1))):
            for word, width in zip(words, widths, strict=True):
                size = before + width + (len(after) - after.count("\\"))
                by_width.setdefault(size, []).append(r"\." * before + word + after)
    complete = "".join(
        rf"(?<!(?<![\w.])(?:{'|'.join(alternatives)})\.)"
        for _, alternatives in sorted(by_width.items())
    )
    # Fast paths first: no word before the full stop, a word of 7 letters or more, or a plain
    # word (no dots, not at a line start) of 1 to 6 letters that is not an abbreviation.
    plain = [r"(?<=[^\w\n]\.)", r"(?<=\w{7}\.)", rf"(?<=(?<![\w.\n]){long_folds}\.)"]
    for length in range(2, 7):
        dotless = [word for word in cores.get(length, []) if "." not in word]
        check = rf"(?<!(?<![\w.\n])(?i:{'|'.join(sorted(dotless))})\.)" if dotless else ""
        plain.append(rf"(?<=(?<![\w.\n])\w{{{length}}}\.){check}")
    terminators = re.escape(_TERMINATORS)
    ending = rf"[{terminators}]*[{re.escape(_CLOSERS)}]*[^\S\n\r]+(?={starter_class})"
    return re.compile(
        rf"[\n\r{terminators}:]"
        r"(?:(?<=[\n\r])\s*"
        rf"|(?<![{terminators}][{terminators}])"  # never from the middle of a run
        rf"(?:(?<=[!?…\u0589])|(?<=\.)(?={ending})(?:{'|'.join(plain)}|{complete})){ending}"
        rf"|(?<=[\u0531-\u0587]:)[{re.escape(_CLOSERS)}]*[^\S\n\r]+(?={starter_class}))"
    )


def sentence_starts(text: str) -> list[int]:
    """Where the sentences of ``text`` start (each at a character that is not white space).

    Line breaks always end a sentence. Inside a line a sentence ends at a terminator followed by
    white space and a capital letter, a digit or an opening quote, unless the word before a full
    stop is a single letter (an initial) or a known abbreviation. A sentence runs to the next
    start, without the white space at its end.
    """
    first = len(text) - len(text.lstrip())
    if first == len(text):
        return []
    ends = [match.end() for match in _cut_re().finditer(text, first)]
    if ends and ends[-1] == len(text):
        ends.pop()  # line breaks at the very end
    return [first, *ends]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans ``(start, end)`` (see ``sentence_starts``)."""
    starts = sentence_starts(text)
    ends = [*starts[1:], len(text)] if starts else []
    return [
        (start, start + len(text[start:end].rstrip()))
        for start, end in zip(starts, ends, strict=True)
    ]


_BATCH = 4  # sentence ends taken from the regex at a time


class Text:
    """An article prepared for matching: title and body as one string, and its sentences.

    Sentence 0 is the title (whole, even if it has several clauses); the body follows. Sentences
    are split lazily, left to right, only as far as someone asks (``cover``): an article without
    any candidate term never needs them, and none are needed after the last match.
    """

    __slots__ = ("_cuts", "_done", "_sentences", "_starts", "full", "title_length")

    def __init__(self, full: str, title_length: int) -> None:
        self.full = full
        self.title_length = title_length
        self._starts = [0]  # known sentence starts, in order: a prefix of all of them
        self._cuts: Iterator[re.Match[str]] | None = None
        self._done = False
        self._sentences: dict[int, str] = {}

    def cover(self, position: int) -> list[int]:
        """The sentence starts, known at least up to the first one after ``position``.

        The list grows in place as later positions are covered.
        """
        starts = self._starts
        if self._done or starts[-1] > position:
            return starts
        offset = self.title_length + 1
        if self._cuts is None:
            body = self.full[offset:]
            first = len(body) - len(body.lstrip())
            if first == len(body):
                self._done = True
                return starts
            starts.append(first + offset)
            self._cuts = _cut_re().finditer(body, first)
        size = len(self.full)
        while starts[-1] <= position:
            batch = [match.end() + offset for match in islice(self._cuts, _BATCH)]
            starts.extend(batch)
            if len(batch) < _BATCH:
                self._done = True
                if starts[-1] == size:
                    starts.pop()  # line breaks at the very end start no sentence
                break
        return starts

    @property
    def starts(self) -> list[int]:
        """Where each sentence starts in ``full``; the title is sentence 0."""
        return self.cover(len(self.full))

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """The sentence spans ``(start, end)`` in ``full``; the title is span 0."""
        return tuple(
            (start, start + len(self.sentence(index))) for index, start in enumerate(self.starts)
        )

    def sentence(self, index: int) -> str:
        """The text of sentence ``index``, without the white space after it."""
        found = self._sentences.get(index)
        if found is None:
            starts = self._starts
            while len(starts) <= index + 1 and not self._done:
                self.cover(starts[-1])  # at least one more start, or the end
            if index == 0:
                found = self.full[: self.title_length]
            elif index + 1 < len(starts):
                found = self.full[starts[index] : starts[index + 1]].rstrip()
            else:
                found = self.full[starts[index] :].rstrip()
            self._sentences[index] = found
        return found

    def sentence_of(self, position: int) -> int:
        """The index of the sentence holding the character at ``position`` (a word character)."""
        return bisect_right(self.cover(position), position) - 1


def prepare(title: str, body: str) -> Text:
    """Join an article's title (on one line) and body into one text."""
    title = " ".join(title.split())
    return Text(f"{title}\n{body}", len(title))
