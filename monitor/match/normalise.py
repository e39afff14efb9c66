"""Text normalisation: tokens with two comparison keys, and sentence spans.

Matching never looks at raw text. A token is a run of word characters (any script) found in the
original text, so a match can always report the words as they stand in the article. Each token
gets two keys:

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

Apostrophes of every kind (``'`` ``’`` `````), hyphens and other punctuation separate tokens, the
same way in the watchlist and in articles, so ``Armenia’s`` and ``Armenia's`` both give ``armenia``
then ``s``, and a name never matches inside a longer word.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

# Letters (any script), digits, combining marks, Armenian intonation marks (written inside a word),
# soft hyphen and zero-width (non-)joiners.
_WORD = r"[\w\u0300-\u036f\u055b-\u055f\u00ad\u200c\u200d]+"
TOKEN_RE = re.compile(_WORD)
# A watchlist alias word may end with "*": match any word that starts with it.
ALIAS_TOKEN_RE = re.compile(rf"({_WORD})(\*?)")

_STRICT_TABLE = str.maketrans(
    {
        "ı": "i",
        "ё": "е",
        "ä": "ə",
        "ǝ": "ə",
        "\u00ad": None,
        "\u200c": None,
        "\u200d": None,
        "\u055b": None,
        "\u055c": None,
        "\u055d": None,
        "\u055e": None,
        "\u055f": None,
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


@lru_cache(maxsize=65536)
def strict_key(word: str) -> str:
    """The strict comparison key of one word (see the module docstring)."""
    key = unicodedata.normalize("NFKC", word).casefold()
    if key.isascii():
        return key
    key = "".join(ch for ch in key if not unicodedata.combining(ch))
    return key.translate(_STRICT_TABLE)


@lru_cache(maxsize=65536)
def loose_key(word: str) -> str:
    """The loose comparison key of one word: strict, then Latin diacritics removed."""
    key = strict_key(word)
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


class Token(NamedTuple):
    """One word of a text: where it stands, its sentence, and its comparison keys."""

    start: int
    end: int
    sentence: int  # index into the document's sentence list
    first: bool  # the first word of its sentence
    capital: bool  # written with an initial capital letter
    strict: str
    loose: str


# Sentence ends: . ! ? … and the Armenian full stop "։", with closing quotes or brackets; in
# Armenian text a plain ":" is commonly typed for "։".
_END_RE = re.compile(r"(?:[.!?…\u0589]+|(?<=[\u0531-\u0587]):)[\"”»’'\)\]]*(?=\s)")
_OPENERS = "\"“«‘'([—–-"


def word_set(words: str) -> frozenset[str]:
    """A set of words written as one space-separated string (for readable tables)."""
    return frozenset(words.split())


_ABBREVIATIONS = word_set(
    """mr mrs ms dr prof gen lt col maj capt sgt st mt no nos vs etc jan feb mar apr jun jul aug
    sep sept oct nov dec inc ltd co jr sr gov sen rep pres approx u.s u.k e.g i.e a.m p.m
    г гг ул им тыс млн млрд руб стр ген т д кв см թ թթ կմ"""
)
_PREVIOUS_WORD_RE = re.compile(r"([\w.]+)$")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentence spans ``(start, end)``.

    Line breaks always end a sentence. Inside a line a sentence ends at a terminator followed by
    white space and a capital letter, a digit or an opening quote, unless the word before a full
    stop is a single letter (an initial) or a known abbreviation.
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n\r]+", text):
        start = line.start()
        for end_match in _END_RE.finditer(text, line.start(), line.end()):
            cut = end_match.end()
            rest = text[cut : line.end()].lstrip()
            if not rest or not (rest[0].isupper() or rest[0].isdigit() or rest[0] in _OPENERS):
                continue
            if end_match.group().startswith(".") and _is_abbreviation(text, end_match.start()):
                continue
            _add_span(spans, text, start, cut)
            start = cut
        _add_span(spans, text, start, line.end())
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    previous = _PREVIOUS_WORD_RE.search(text, max(0, dot - 24), dot)
    if previous is None:
        return False
    word = previous.group(1).strip(".").casefold()
    return len(word) == 1 or word in _ABBREVIATIONS


def _add_span(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def tokenise(text: str, spans: list[tuple[int, int]], first_sentence: int) -> list[Token]:
    """The tokens of ``text`` inside the given sentence spans, numbered from ``first_sentence``."""
    tokens: list[Token] = []
    append = tokens.append
    make = tuple.__new__  # Token(...) without the keyword-handling wrapper: this loop is hot
    keys: dict[str, tuple[bool, str, str]] = {}
    for offset, (start, end) in enumerate(spans):
        first = True
        sentence = first_sentence + offset
        for word in TOKEN_RE.finditer(text, start, end):
            raw = word.group()
            known = keys.get(raw)
            if known is None:
                known = keys[raw] = (raw[0].isupper(), strict_key(raw), loose_key(raw))
            append(make(Token, (*word.span(), sentence, first, *known)))
            first = False
    return tokens


@dataclass(frozen=True, slots=True)
class Text:
    """An article prepared for matching: title and body as one string, sentences, tokens.

    Sentence 0 is the title (whole, even if it has several clauses); the body follows.
    """

    full: str
    spans: tuple[tuple[int, int], ...]
    tokens: tuple[Token, ...]

    def sentence(self, index: int) -> str:
        start, end = self.spans[index]
        return self.full[start:end]

    def words(self, first: int, last: int) -> str:
        """The article's own text from token ``first`` to token ``last``."""
        return self.full[self.tokens[first].start : self.tokens[last].end]


def prepare(title: str, body: str) -> Text:
    """Split an article into sentences and tokens."""
    title = " ".join(title.split())
    full = f"{title}\n{body}"
    offset = len(title) + 1
    spans = [(0, len(title))]
    spans += [(start + offset, end + offset) for start, end in sentence_spans(body)]
    return Text(full=full, spans=tuple(spans), tokens=tuple(tokenise(full, spans, 0)))
