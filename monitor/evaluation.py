"""Scoring a watch against a labelled set of documents: precision, recall, and a keyword baseline.

A labelled set is a folder of ``.txt`` documents (title on the first line, body after) with one
or more CSV files ``labels*.csv`` beside them: ``file,language,label,category,note``, where
``label`` is 1 when the watch should flag the document.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.checking import article_from_text
from monitor.match import Watchlist, match_article
from monitor.models import Article


@dataclass(frozen=True, slots=True)
class Labelled:
    path: Path
    language: str
    label: bool
    category: str
    article: Article


@dataclass
class Score:
    """Confusion counts, overall and per language and category."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    mistakes: list[tuple[Labelled, bool]] = field(default_factory=list)

    def add(self, doc: Labelled, flagged: bool) -> None:
        if flagged and doc.label:
            self.tp += 1
        elif flagged:
            self.fp += 1
        elif doc.label:
            self.fn += 1
        else:
            self.tn += 1
        if flagged != doc.label:
            self.mistakes.append((doc, flagged))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_labelled(folder: Path) -> list[Labelled]:
    docs = []
    for labels in sorted(folder.glob("labels*.csv")):
        with labels.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                path = folder / row["file"]
                docs.append(
                    Labelled(
                        path=path,
                        language=row["language"],
                        label=row["label"].strip() == "1",
                        category=row["category"],
                        article=article_from_text(path.read_text(encoding="utf-8")),
                    )
                )
    return docs


def score(docs: Iterable[Labelled], flags: Callable[[Article], bool]) -> Score:
    result = Score()
    for doc in docs:
        result.add(doc, flags(doc.article))
    return result


def watch_flags(watchlist: Watchlist) -> Callable[[Article], bool]:
    return lambda article: match_article(article, watchlist).flagged


# The plain keyword alert people set up by hand: both countries named, in any of the languages.
_ARMENIA = re.compile(r"armeni|армени|армян|հայաստան|հայկական|ermənistan|erməni", re.IGNORECASE)
_AZERBAIJAN = re.compile(r"azerbaij|азербайджан|ադրբեջան|azərbaycan|azerbaycan", re.IGNORECASE)


def keyword_flags(article: Article) -> bool:
    """Baseline: flag when both Armenia and Azerbaijan are named (any language)."""
    text = article.title + "\n" + article.text
    return bool(_ARMENIA.search(text) and _AZERBAIJAN.search(text))
