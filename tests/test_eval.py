"""The default watch on the labelled evaluation set (tests/data/eval, 170 documents in English,
Russian, Armenian and Azerbaijani; see its README).

The target is precision and recall >= 0.95 for the default watch; a change that drops either
below fails here. `python benchmarks/eval_watch.py --mistakes` prints the figures
per language beside a keyword baseline, and lists the misjudged documents.
"""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.evaluation import Labelled, keyword_flags, load_labelled, score, watch_flags
from monitor.match import load_watchlist

from .conftest import ROOT

EVAL = ROOT / "tests" / "data" / "eval"
PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.95


@pytest.fixture(scope="module")
def docs() -> list[Labelled]:
    return load_labelled(EVAL)


def test_the_set_covers_every_language_and_both_labels(docs: list[Labelled]) -> None:
    assert len(docs) >= 150
    counts = Counter((d.language, d.label) for d in docs)
    for language in ("en", "ru", "hy", "az"):
        assert counts[(language, True)] >= 15 and counts[(language, False)] >= 15


def test_default_watch_precision_and_recall(docs: list[Labelled]) -> None:
    result = score(docs, watch_flags(load_watchlist()))
    missed = [str(d.path.relative_to(EVAL)) for d, flagged in result.mistakes if not flagged]
    wrong = [str(d.path.relative_to(EVAL)) for d, flagged in result.mistakes if flagged]
    assert result.recall >= RECALL_FLOOR, f"recall {result.recall:.3f}; missed {missed}"
    assert result.precision >= PRECISION_FLOOR, f"precision {result.precision:.3f}; wrong {wrong}"


def test_default_watch_beats_the_keyword_baseline(docs: list[Labelled]) -> None:
    watch = score(docs, watch_flags(load_watchlist()))
    baseline = score(docs, keyword_flags)
    assert watch.f1 > baseline.f1
