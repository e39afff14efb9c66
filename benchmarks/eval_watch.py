"""Precision and recall of the default watch on the labelled set, beside a keyword baseline.

    python benchmarks/eval_watch.py [--set tests/data/eval] [--mistakes]

Prints one row per detector and language: documents, precision, recall, F1, and the targets.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", type=Path, default=ROOT / "tests" / "data" / "eval")
    parser.add_argument("--mistakes", action="store_true", help="list misjudged documents")
    args = parser.parse_args()
    docs = load_labelled(args.set)
    if not docs:
        sys.exit(f"no labelled documents under {args.set}")
    by_language: dict[str, list[Labelled]] = defaultdict(list)
    for doc in docs:
        by_language[doc.language].append(doc)
    positives = sum(d.label for d in docs)
    print(f"{len(docs)} documents ({positives} to flag, {len(docs) - positives} not) in {args.set}")
    print(f"{'detector':<18} {'set':<6} {'docs':>5} {'precision':>10} {'recall':>8} {'F1':>6}")
    detectors = [
        ("watch (default)", watch_flags(load_watchlist())),
        ("keyword baseline", keyword_flags),
    ]
    for name, flags in detectors:
        groups = [("all", docs), *sorted(by_language.items())]
        for label, group in groups:
            s = score(group, flags)
            print(
                f"{name:<18} {label:<6} {len(group):>5} {s.precision:>10.3f} "
                f"{s.recall:>8.3f} {s.f1:>6.3f}"
            )
        if args.mistakes and name.startswith("watch"):
            for doc, flagged in score(docs, flags).mistakes:
                kind = "false positive" if flagged else "missed"
                print(
                    f"    {kind:<14} {doc.path.relative_to(args.set)} [{doc.category}] "
                    f"{doc.article.title[:70]}"
                )
    print(f"targets: precision >= {TARGET} and recall >= {TARGET} for the default watch")


if __name__ == "__main__":
    main()
