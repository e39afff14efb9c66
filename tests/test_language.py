from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from monitor.language import guess_language
from tests import storykit

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = (
    ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark" / "ground-truth.json"
)

_OLD_AZ_LETTERS = set("əğışçöüƏĞİŞÇÖÜ")


def old_guess_language(text: str) -> str | None:
    """The former implementation, kept verbatim as the reference for the faster one."""
    sample = text[:2000]
    armenian = sum(1 for ch in sample if "\u0531" <= ch <= "\u058f")
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    azeri = sum(1 for ch in sample if ch in _OLD_AZ_LETTERS)
    counts = {"hy": armenian, "ru": cyrillic, "latin": latin + azeri}
    best = max(counts, key=lambda k: counts[k])
    if counts[best] < 20:
        return None
    if best != "latin":
        return best
    return "az" if azeri >= 0.02 * (latin + azeri) else "en"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Armenia accused Azerbaijan of shelling its territory near Goris and Kapan.", "en"),
        ("Минобороны Армении сообщило об обстреле позиций у села Тех в Сюнике.", "ru"),
        ("Հայաստանի պաշտպանության նախարարությունը հայտնում է, որ կրակոցներ են եղել։", "hy"),
        ("Azərbaycan Müdafiə Nazirliyi bildirib ki, Kəlbəcər istiqamətində atəş açılıb.", "az"),
        ("ok", None),
        ("", None),
    ],
)
def test_guess_language(text: str, language: str | None) -> None:
    assert guess_language(text) == language
    assert old_guess_language(text) == language


EDGE_CASES = [
    "",
    "x²" * 30,
    "ÀÉÎõñ" * 10 + "abc",  # Latin-1 letters are letters, not ASCII ones
    "ａｂｃ" * 20,  # fullwidth Latin: neither
    "\u0530\u0590\u0531\u058f" * 10,  # just outside and on the Armenian range's ends
    "\u03ff\u0500\u0400\u04ff" * 10,  # ... and the Cyrillic range's
    "ə" * 19 + "a",  # ties at the threshold
    "ա" * 20 + "ж" * 20 + "a" * 20,  # a three-way tie: the first wins
    "ж" * 25 + "ə" * 10 + "a" * 15,
    "a" * 98 + "ş" * 2,  # Azerbaijani letters at 2% exactly
    "a" * 99 + "ş" * 2,
    "Iİıi" * 10,  # dotted and dotless i
    "x" * 1990 + "ա" * 100,  # only the first 2000 characters count
    "\ud800abc" * 10,  # a lone surrogate
    "Ермәк Ђорђе Қазақ Ӝ" * 3,  # Cyrillic beyond Russian
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_match_the_former_code(text: str) -> None:
    assert guess_language(text) == old_guess_language(text)


def test_story_reports_match_the_former_code() -> None:
    # Armenian, Russian, Azerbaijani and English reports, written for the story tests.
    texts = ["\n\n".join(report.paragraphs) for report in storykit.reports()]
    assert texts
    for text in texts:
        assert guess_language(text) == old_guess_language(text)


def test_real_articles_match_the_former_code() -> None:
    if not BENCHMARK.is_file():
        pytest.skip(f"corpus not present at {BENCHMARK} (it lives beside the repo, in shared/)")
    data = json.loads(BENCHMARK.read_text(encoding="utf-8"))
    for item in data.values():
        assert guess_language(item["articleBody"]) == old_guess_language(item["articleBody"])


def test_random_mixed_scripts_match_the_former_code() -> None:
    rng = random.Random(3)
    pools = [
        "abcXYZ ",
        "əğışçöüƏĞİŞÇÖÜ",
        "Աբգաժ",
        "Жжяё",
        "\u0530\u0590\u03ff\u0500ÀÉ１²",
        " .,\n—",
    ]
    for _ in range(3000):
        weights = [rng.random() ** 4 for _ in pools]  # often one script, sometimes a mix
        text = "".join(
            rng.choice(rng.choices(pools, weights)[0]) for _ in range(rng.randrange(0, 300))
        )
        assert guess_language(text) == old_guess_language(text), repr(text)
