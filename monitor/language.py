"""A cheap guess at an article's language from its script, for the four languages of the region.

Used only when neither the page nor the feed says what language it is in.
"""

from __future__ import annotations

import re

_AZ_LETTERS = set("əğışçöüƏĞİŞÇÖÜ")


def _run(chars: str) -> re.Pattern[str]:
    """A run of the characters of a class. Led by the class itself rather than a repeat, so the
    regex engine skips to its next character in C."""
    return re.compile(f"[{chars}][{chars}]*")


# Each count is taken in C: a script's characters are what its pattern deletes.
_ARMENIAN = _run("\u0531-\u058f")
_CYRILLIC = _run("\u0400-\u04ff")
_AZERI = _run("".join(sorted(_AZ_LETTERS)))
# Every byte but the ASCII letters (those of str.isascii() and str.isalpha()): deleting them
# from the text's ASCII leaves its Latin letters.
_NOT_LATIN = bytes(set(range(256)) - set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))


def _count(pattern: re.Pattern[str], sample: str) -> int:
    return len(sample) - len(pattern.sub("", sample))


def guess_language(text: str) -> str | None:
    sample = text[:2000]
    armenian = _count(_ARMENIAN, sample)
    cyrillic = _count(_CYRILLIC, sample)
    latin = len(sample.encode("ascii", "ignore").translate(None, _NOT_LATIN))
    azeri = _count(_AZERI, sample)
    counts = {"hy": armenian, "ru": cyrillic, "latin": latin + azeri}
    best = max(counts, key=lambda k: counts[k])
    if counts[best] < 20:
        return None
    if best != "latin":
        return best
    return "az" if azeri >= 0.02 * (latin + azeri) else "en"
