"""Precision and recall of the default watch on the labelled sets, beside a keyword baseline.

    python benchmarks/eval_watch.py [--set DIR ...] [--mistakes]

By default it measures every set: tests/data/eval (written for this project, used in its
development), tests/data/heldout/dev, dev2 and dev3 (written by authors who never saw the rules;
their mistakes were studied) and tests/data/heldout/test (same authors; never studied, the
honest figure of how the watch generalises). Prints one row per set, detector and language:
documents, precision, recall, F1; ``--mistakes`` lists the misjudged documents of every set
except the held-out test set (pass ``--set tests/data/heldout/test`` to see those, and spoil it).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.evaluation import Labelled, keyword_flags, load_labelled, score, watch_flags  # noqa: E402
from monitor.match import load_watchlist  # noqa: E402

TARGET = 0.95
SETS = ("eval", "heldout/dev", "heldout/dev2", "heldout/dev3", "heldout/test")
SEALED = ROOT / "tests" / "data" / "heldout" / "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", type=Path, action="append", dest="sets")
    parser.add_argument("--mistakes", action="store_true", help="list misjudged documents")
    args = parser.parse_args()
    explicit = bool(args.sets)
    sets = args.sets or [ROOT / "tests" / "data" / name for name in SETS]
    detectors = [
        ("watch (default)", watch_flags(load_watchlist())),
        ("keyword baseline", keyword_flags),
    ]
    print(
        f"{'set':<14} {'detector':<17} {'lang':<5} {'docs':>5} {'precision':>10} {'recall':>7} "
        f"{'F1':>6}"
    )
    for folder in sets:
        docs = load_labelled(folder) if folder.is_dir() else []
        if not docs:
            print(f"{folder}: no labelled documents")
            continue
        name = (
            str(folder.relative_to(ROOT / "tests" / "data"))
            if folder.is_relative_to(ROOT / "tests" / "data")
            else str(folder)
        )
        by_language: dict[str, list[Labelled]] = defaultdict(list)
        for doc in docs:
            by_language[doc.language].append(doc)
        for detector, flags in detectors:
            for label, group in [("all", docs), *sorted(by_language.items())]:
                s = score(group, flags)
                print(
                    f"{name:<14} {detector:<17} {label:<5} {len(group):>5} {s.precision:>10.3f} "
                    f"{s.recall:>7.3f} {s.f1:>6.3f}"
                )
            sealed = folder.resolve() == SEALED.resolve() and not explicit
            if args.mistakes and detector.startswith("watch") and not sealed:
                for doc, flagged in score(docs, flags).mistakes:
                    kind = "false positive" if flagged else "missed"
                    print(
                        f"    {kind:<14} {doc.path.relative_to(folder)} [{doc.category}] "
                        f"{doc.article.title[:70]}"
                    )
    print(f"target: precision and recall >= {TARGET} for the default watch")


if __name__ == "__main__":
    main()
