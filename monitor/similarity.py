"""Near-duplicate texts: MinHash sketches of word shingles, and LSH keys to find them. Pure.

A text becomes the set of its word 3-grams (NFKC, case-folded, punctuation dropped), each hashed
to 64 bits. Its *sketch* is a one-permutation MinHash: every shingle hash falls in one of
``BINS`` bins by its low bits and each bin keeps the smallest of its hashes; empty bins borrow
from the next full one (rotation densification), so two sketches agree in a bin with
probability equal to the texts' Jaccard similarity. One hash per shingle: linear in the text.

Two channels are indexed:

- the *body* sketch of every shingle, cut into ``BANDS`` bands of ``ROWS`` bins: two texts with
  Jaccard similarity 0.5 share a band with probability 0.93, 0.3 with 0.42, and unrelated news
  (0.005) with 3 in a million;
- the *lead* sketch of the first ``LEAD_WORDS`` words, in ``LEAD_BANDS`` bands: a copy cut
  after its first paragraphs (an aggregator's excerpt) keeps the lead whole.

Each band becomes one 63-bit key; an article's keys go in one SQLite index, so finding the
candidates for a new article is one indexed lookup per key, whatever the size of the store.
``similar`` then decides on the sketches themselves.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass
from itertools import islice, repeat

BINS = 60
BANDS, ROWS = 20, 3
LEAD_WORDS = 60
LEAD_BINS = 24
LEAD_BANDS, LEAD_ROWS = 8, 3
SHINGLE = 3
_MASK = (1 << 64) - 1
_EMPTY = _MASK
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w[\w'’.:-]*\w|\w")
# Where a sentence ends: at a newline, or at one of .!?։… followed by whitespace; the cut takes
# the whitespace after it. Tokens hold no whitespace and end in a word character, so a cut falls
# only between tokens, and between two tokens exactly when ``(?<=[.!?։…])\s+|\n+`` (the
# former pattern) does: the pieces may differ, their tokens and first tokens do not. This form
# starts with one character set, which the regex engine scans for in C: 5x faster on news.
_SENTENCE = re.compile(r"[\n.!?։…](?:(?<=\n)|\s)\s*")
_PACK = struct.Struct(f"<{BINS}Q")
_PACK_LEAD = struct.Struct(f"<{LEAD_BINS}Q")

# Thresholds of ``similar`` (see there).
SAME_TEXT = 0.5  # estimated Jaccard similarity of the bodies
CONTAINED = 0.6  # estimated share of the shorter text found in the longer
SAME_LEAD = 0.5  # estimated Jaccard similarity of the leads ...
LEAD_CONTAINED = 0.4  # ... with at least this much of the shorter text contained
SAME_DETAILS = 0.8  # and always: this share of the shorter text's numbers and names
MIN_SHINGLES = 25  # texts shorter than this are compared on their exact fingerprint only


@dataclass(frozen=True, slots=True)
class Sketch:
    """What is kept of a text to compare it with others."""

    size: int  # distinct shingles
    body: tuple[int, ...]  # BINS minima
    lead: tuple[int, ...]  # LEAD_BINS minima
    specifics: frozenset[int] = frozenset()  # hashes of its numbers and names

    def to_blobs(self) -> tuple[bytes, bytes, bytes]:
        details = sorted(self.specifics)
        return (
            _PACK.pack(*self.body),
            _PACK_LEAD.pack(*self.lead),
            struct.pack(f"<{len(details)}I", *details),
        )

    @classmethod
    def from_blobs(cls, size: int, body: bytes, lead: bytes, specifics: bytes) -> Sketch:
        details = frozenset(struct.unpack(f"<{len(specifics) // 4}I", specifics))
        return cls(size, _PACK.unpack(body), _PACK_LEAD.unpack(lead), details)


def words(text: str) -> list[str]:
    return _words(unicodedata.normalize("NFKC", text))


def _words(normalised: str) -> list[str]:
    return _WORD.findall(normalised.casefold())


def _shingle_list(tokens: list[str]) -> list[int]:
    """The hashes of the text's shingles, in the order of the text (repeats kept): its first
    ``k`` are those of its first ``k + SHINGLE - 1`` words. A text shorter than a shingle is
    padded with empty words into one."""
    if len(tokens) < SHINGLE:
        tokens = tokens + [""] * (SHINGLE - len(tokens)) if tokens else []
    encoded = [token.encode("utf-8") for token in tokens]  # each word once, not once a shingle
    join, blake2b, from_bytes = b"\x1f".join, hashlib.blake2b, int.from_bytes
    # The UTF-8 of the words joined by U+001F is the UTF-8 of the joined words. Each shingle
    # is a word and the next SHINGLE - 1 (zip stops at the shortest tail).
    tails = [encoded[start:] for start in range(SHINGLE)]
    return [
        from_bytes(blake2b(join(shingle), digest_size=8).digest(), "little")
        for shingle in zip(*tails, strict=False)
    ]


def _shingle_hashes(tokens: list[str]) -> set[int]:
    return set(_shingle_list(tokens))


def _one_permutation(hashes: set[int], bins: int) -> tuple[int, ...]:
    minima = [_EMPTY] * bins
    for rest, slot in map(divmod, hashes, repeat(bins)):
        if rest < minima[slot]:
            minima[slot] = rest
    if minima.count(_EMPTY) == bins:
        return tuple(minima)
    # Rotation densification: an empty bin takes the next full bin's value, marked by distance.
    result = list(minima)
    for slot in range(bins):
        if minima[slot] != _EMPTY:
            continue
        distance = 1
        while minima[(slot + distance) % bins] == _EMPTY:
            distance += 1
        result[slot] = (minima[(slot + distance) % bins] + distance * 0x9E3779B97F4A7C15) & _MASK
    return tuple(result)


def specifics(text: str) -> frozenset[int]:
    """The text's numbers and names: tokens with a digit, and capitalised words that do not
    start a sentence. Copies of one report share them; two statements written from one
    template ("On 14 May at 03:10 units ... opened fire at positions near Sotk") do not."""
    return _specifics(unicodedata.normalize("NFKC", text))


def _specifics(normalised: str) -> frozenset[int]:
    # Each distinct token is judged once: a sentence's first token counts for a digit only,
    # any other also for a capital, so a token found in both places is judged as the latter.
    first: set[str] = set()
    inner: set[str] = set()
    for sentence in _SENTENCE.split(normalised):
        tokens = _TOKEN.findall(sentence)
        if tokens:
            first.add(tokens[0])
            inner.update(islice(tokens, 1, None))
    # No letter is a digit: isalpha() (in C) clears most tokens without a look at each character.
    keys = {
        token.casefold()
        for token in inner
        if token[0].isupper() or (not token.isalpha() and any(map(str.isdigit, token)))
    }
    keys.update(
        token.casefold()
        for token in first - inner
        if not token.isalpha() and any(map(str.isdigit, token))
    )
    # Tokens that differ only in case share a key, hashed once.
    blake2b, from_bytes = hashlib.blake2b, int.from_bytes
    return frozenset(
        from_bytes(blake2b(key.encode("utf-8"), digest_size=4).digest(), "little") for key in keys
    )


def sketch(text: str) -> Sketch:
    """The sketch of an article's body (leave the title out: copies retitle)."""
    normalised = unicodedata.normalize("NFKC", text)
    ordered = _shingle_list(_words(normalised))
    hashes = set(ordered)
    # The lead's shingles are the body's first ones (a text shorter than the lead is all lead).
    lead = set(ordered[: LEAD_WORDS - SHINGLE + 1])
    return Sketch(
        len(hashes),
        _one_permutation(hashes, BINS),
        _one_permutation(lead, LEAD_BINS),
        _specifics(normalised),
    )


def _band_key(channel: int, band: int, values: tuple[int, ...]) -> int:
    data = struct.pack(f"<BB{len(values)}Q", channel, band, *values)
    key = int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")
    return key >> 1  # fits SQLite's signed 64-bit integers


def lsh_keys(item: Sketch) -> list[int]:
    """The index keys of a sketch: one per band of each channel."""
    if item.size < MIN_SHINGLES:
        return []
    keys = [_band_key(0, band, item.body[band * ROWS : (band + 1) * ROWS]) for band in range(BANDS)]
    keys += [
        _band_key(1, band, item.lead[band * LEAD_ROWS : (band + 1) * LEAD_ROWS])
        for band in range(LEAD_BANDS)
    ]
    return keys


def jaccard(one: tuple[int, ...], other: tuple[int, ...]) -> float:
    return sum(a == b for a, b in zip(one, other, strict=True)) / len(one)


@dataclass(frozen=True, slots=True)
class Likeness:
    body: float  # estimated Jaccard similarity of the bodies
    lead: float  # ... of the leads
    contained: float  # estimated share of the shorter text's shingles in the longer one
    details: float  # share of the shorter text's numbers and names found in the other

    @property
    def same(self) -> bool:
        """The same story: a copy, a lightly edited version, or an excerpt of it, agreeing on
        its numbers and names."""
        worded = (
            self.body >= SAME_TEXT
            or self.contained >= CONTAINED
            or (self.lead >= SAME_LEAD and self.contained >= LEAD_CONTAINED)
        )
        return worded and self.details >= SAME_DETAILS


def likeness(one: Sketch, other: Sketch) -> Likeness:
    body = jaccard(one.body, other.body)
    lead = jaccard(one.lead, other.lead)
    smaller = min(one.size, other.size)
    shared = body / (1 + body) * (one.size + other.size)
    contained = min(1.0, shared / smaller) if smaller else 0.0
    few = min(len(one.specifics), len(other.specifics))
    details = len(one.specifics & other.specifics) / few if few else 1.0
    return Likeness(body=body, lead=lead, contained=contained, details=details)


def similar(one: Sketch, other: Sketch) -> bool:
    return min(one.size, other.size) >= MIN_SHINGLES and likeness(one, other).same
