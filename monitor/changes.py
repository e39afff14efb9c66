"""What changed between two versions of an article, in one line. Pure.

E.g. ``title changed ("2 killed" -> "3 killed"); 1 sentence added, 0 removed; numbers 2 -> 3;
added: "A third soldier died of his wounds in hospital on Tuesday."``
"""

from __future__ import annotations

import difflib
import re

from monitor.match.normalise import sentence_spans

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_SHOWN = 200


def _sentences(text: str) -> list[str]:
    return [" ".join(text[a:b].split()) for a, b in sentence_spans(text) if text[a:b].strip()]


def describe(old_title: str, old_text: str, new_title: str, new_text: str) -> str:
    """One line saying what changed, or "no change in the words" (only layout differed)."""
    parts: list[str] = []
    if " ".join(old_title.split()) != " ".join(new_title.split()):
        parts.append(f'title changed ("{old_title[:80]}" -> "{new_title[:80]}")')
    before, after = _sentences(old_text), _sentences(new_text)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    added: list[str] = []
    removed: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += before[i1:i2]
        if tag in ("replace", "insert"):
            added += after[j1:j2]
    if added or removed:
        parts.append(
            f"{len(added)} sentence{'s' if len(added) != 1 else ''} added, {len(removed)} removed"
        )
    old_numbers = _NUMBER.findall(" ".join(removed))
    new_numbers = _NUMBER.findall(" ".join(added))
    if old_numbers and new_numbers and old_numbers != new_numbers:
        parts.append(f"numbers {', '.join(old_numbers[:4])} -> {', '.join(new_numbers[:4])}")
    if added:
        parts.append(f'added: "{added[0][:_SHOWN]}"')
    return "; ".join(parts) if parts else "no change in the words"
