"""A cheap guess at an article's language from its script, for the four languages of the region.

Used only when neither the page nor the feed says what language it is in.
"""

from __future__ import annotations

_AZ_LETTERS = set("əğışçöüƏĞİŞÇÖÜ")


def guess_language(text: str) -> str | None:
    sample = text[:2000]
    armenian = sum(1 for ch in sample if "\u0531" <= ch <= "\u058f")
    cyrillic = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    azeri = sum(1 for ch in sample if ch in _AZ_LETTERS)
    counts = {"hy": armenian, "ru": cyrillic, "latin": latin + azeri}
    best = max(counts, key=lambda k: counts[k])
    if counts[best] < 20:
        return None
    if best != "latin":
        return best
    return "az" if azeri >= 0.02 * (latin + azeri) else "en"
