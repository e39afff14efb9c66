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


# Held-out sets (tests/data/heldout/README.md): written by authors who never saw the rules. The
# floors sit just under the figures measured when each set was added, so a change that makes the
# watch generalise worse fails; the target stays 0.95, which the sealed test set does not reach.
HELDOUT_FLOORS = {
    "dev": (0.95, 0.95),
    "dev2": (0.95, 0.95),
    "dev3": (0.95, 0.95),
    "test": (0.78, 0.90),
}


@pytest.mark.parametrize("name", sorted(HELDOUT_FLOORS))
def test_default_watch_on_held_out_sets(name: str) -> None:
    folder = ROOT / "tests" / "data" / "heldout" / name
    docs = load_labelled(folder)
    assert len(docs) >= 80
    assert {d.language for d in docs} == {"en", "ru", "hy", "az"}
    result = score(docs, watch_flags(load_watchlist()))
    baseline = score(docs, keyword_flags)
    precision, recall = HELDOUT_FLOORS[name]
    assert result.precision >= precision and result.recall >= recall, (
        f"{name}: precision {result.precision:.3f}, recall {result.recall:.3f}"
    )
    assert result.f1 > baseline.f1
