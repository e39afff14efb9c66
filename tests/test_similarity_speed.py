"""monitor.similarity, made faster: the same sketches, to the byte, as the former code.

Sketches are stored and compared with those of older versions, so the former implementations
are kept here, verbatim, as the reference; the new ones must agree with them on real articles,
on the story reports, on edge cases and on seeded random strings of awkward characters.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from pathlib import Path

import pytest

from monitor import similarity
from monitor.similarity import (
    BINS,
    LEAD_BINS,
    LEAD_WORDS,
    SHINGLE,
    Sketch,
    lsh_keys,
    sketch,
    specifics,
    words,
)
from tests import storykit

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = (
    ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark" / "ground-truth.json"
)

# --------------------------------------------------------------------------------------------
# The former implementations (reference: do not "improve" them)
# --------------------------------------------------------------------------------------------

_MASK = (1 << 64) - 1
_EMPTY = _MASK
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"\w[\w'’.:-]*\w|\w")
_SENTENCE = re.compile(r"(?<=[.!?։…])\s+|\n+")


def old_words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def old_shingle_hashes(tokens: list[str]) -> set[int]:
    if len(tokens) < SHINGLE:
        tokens = tokens + [""] * (SHINGLE - len(tokens)) if tokens else []
    found = set()
    for index in range(len(tokens) - SHINGLE + 1):
        shingle = "\x1f".join(tokens[index : index + SHINGLE]).encode("utf-8")
        found.add(int.from_bytes(hashlib.blake2b(shingle, digest_size=8).digest(), "little"))
    return found


def old_one_permutation(hashes: set[int], bins: int) -> tuple[int, ...]:
    minima = [_EMPTY] * bins
    for value in hashes:
        slot = value % bins
        rest = value // bins
        if rest < minima[slot]:
            minima[slot] = rest
    if all(m == _EMPTY for m in minima):
        return tuple(minima)
    result = list(minima)
    for slot in range(bins):
        if minima[slot] != _EMPTY:
            continue
        distance = 1
        while minima[(slot + distance) % bins] == _EMPTY:
            distance += 1
        result[slot] = (minima[(slot + distance) % bins] + distance * 0x9E3779B97F4A7C15) & _MASK
    return tuple(result)


def old_specifics(text: str) -> frozenset[int]:
    found = set()
    for sentence in _SENTENCE.split(unicodedata.normalize("NFKC", text)):
        for index, token in enumerate(_TOKEN.findall(sentence)):
            if any(ch.isdigit() for ch in token) or (index and token[:1].isupper()):
                key = token.casefold().encode("utf-8")
                found.add(int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "little"))
    return frozenset(found)


def old_sketch(text: str) -> Sketch:
    tokens = old_words(text)
    hashes = old_shingle_hashes(tokens)
    lead = old_shingle_hashes(tokens[:LEAD_WORDS])
    return Sketch(
        len(hashes),
        old_one_permutation(hashes, BINS),
        old_one_permutation(lead, LEAD_BINS),
        old_specifics(text),
    )


# --------------------------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------------------------

EDGE_CASES = [
    "",
    " ",
    "\n\n\n",
    "x",
    "x²",
    "The area is 12 km² and x² grows. Then x³ and ½ of ①.",
    "At 14:30 the U.S. envoy met the 2-й батальон. Then U.S. troops left.",
    "U.S. President spoke. U.S.\nU.S. officials agreed.",
    "Yerevan said. Yerevan\nYerevan again, and Yerevan",  # one name as first and inner token
    "«Ереван» заявил. 2-й взвод открыл огонь в 03:10 у села Тех. Минобороны РА.",
    "Հայաստանի ՊՆ-ն հայտնում է։ Սոթք գյուղի մոտ 14:30-ին։ Նոր Հ2 դիրք։",
    "Azərbaycan MN bildirib ki, Kəlbəcər istiqamətində atəş açılıb. İlk 5-ci post. Şuşa.",
    "Dr.Smith met Mr.Jones… Later! Anderson? Yes. O'Neil’s team — Baku-Yerevan talks.",
    "a.b.c. D.e. f:g: H:i- _j_ __ 1_000 ٣٤ ߁ ᛮ Ⅻ ⅻ",  # Arabic-Indic, NKo digits, numerals
    "ﬁnance Ｔｏｋｙｏ ２０２６ ℌ",  # NFKC changes these
    "word\u00a0word.\u00a0Next\u2028Line\u2029Para.\tTab\rCR.\x0bVT.\x0cFF. Done",
    "…\n.\n!\n?\n։",
    "one two",
    "one two three",
]

_AWKWARD = "aAbBzZ ЕеЖжԱաՍս əƏİıŞş 09²³½①٣ '’.:-_!?։…\n \t\u00a0\u2028.,;«»—ﬁ２Ⅻ"


def random_texts(count: int = 3000, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_AWKWARD, k=rng.randrange(0, 120))) for _ in range(count)]


def benchmark_texts() -> list[str]:
    if not BENCHMARK.is_file():
        pytest.skip(f"corpus not present at {BENCHMARK} (it lives beside the repo, in shared/)")
    data = json.loads(BENCHMARK.read_text(encoding="utf-8"))
    return [item["articleBody"] for item in data.values()]


def report_texts() -> list[str]:
    return ["\n\n".join(report.paragraphs) for report in storykit.reports()]


def assert_same_sketch(text: str) -> None:
    new, old = sketch(text), old_sketch(text)
    assert new == old, text[:200]
    assert new.to_blobs() == old.to_blobs()
    assert lsh_keys(new) == lsh_keys(old)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_match_the_former_code(text: str) -> None:
    assert specifics(text) == old_specifics(text)
    assert words(text) == old_words(text)
    assert_same_sketch(text)


def test_superscript_digits_still_count_as_digits() -> None:
    # str.isdigit() takes ² for a digit (a regex \d would not): "x²" is a specific.
    assert specifics("so x² grows") == old_specifics("so x² grows") != frozenset()


def test_real_articles_match_the_former_code() -> None:
    texts = benchmark_texts()
    assert len(texts) >= 100
    for text in texts:
        assert specifics(text) == old_specifics(text)
        assert_same_sketch(text)
        tokens = words(text)
        assert similarity._shingle_hashes(tokens) == old_shingle_hashes(tokens)
        lead = tokens[:LEAD_WORDS]
        assert similarity._shingle_hashes(lead) == old_shingle_hashes(lead)


def test_story_reports_match_the_former_code() -> None:
    # Armenian, Russian, Azerbaijani and English reports, written for the story tests.
    texts = report_texts()
    assert texts
    for text in texts:
        assert specifics(text) == old_specifics(text)
        assert_same_sketch(text)


def test_random_awkward_texts_match_the_former_code() -> None:
    for text in random_texts():
        assert specifics(text) == old_specifics(text), repr(text)
        assert_same_sketch(text)


@pytest.mark.parametrize(
    "tokens", [[], ["a"], ["a", "b"], ["a", "b", "c"], ["", ""], ["ü", "Ա", "ж", "2"] * 30]
)
def test_short_and_padded_shingles_match_the_former_code(tokens: list[str]) -> None:
    assert similarity._shingle_hashes(tokens) == old_shingle_hashes(tokens)


@pytest.mark.parametrize("bins", [BINS, LEAD_BINS, 1, 7])
@pytest.mark.parametrize("size", [0, 1, 3, 20, 500])
def test_one_permutation_matches_the_former_code(bins: int, size: int) -> None:
    rng = random.Random(f"{bins}:{size}")
    hashes = {rng.getrandbits(64) for _ in range(size)} | ({_MASK} if size == 20 else set())
    assert similarity._one_permutation(hashes, bins) == old_one_permutation(hashes, bins)
