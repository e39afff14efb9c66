"""Pair-level precision and recall of near-duplicate detection on the story test set.

    python benchmarks/story_pairs.py [--copies 5]

tests/data/stories holds 60 reports: 16 incidents with three independently written reports
each, and 6 pairs of ministry statements written from one template about different incidents.
Each report is rendered into ``--copies`` web pages (site templates with navigation, promos and
related links; excerpts, added paragraphs, new headlines, datelines) and extracted with the
real extractor. Every pair of documents is then judged: the same report (should join) or not
(must stay apart). Printed beside the exact-text fingerprint the pipeline used before stories.
Targets: precision >= 0.99, recall >= 0.95.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.identity import content_hash  # noqa: E402
from monitor.similarity import similar, sketch  # noqa: E402
from tests.storykit import copies, real_page_pairs, reports  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--copies", type=int, default=5)
    options = parser.parse_args()
    started = time.perf_counter()
    docs = []
    for report in reports():
        text = "\n".join(report.paragraphs)
        docs.append((report.key, "original", text))
        docs += [(report.key, c.how, c.text) for c in copies(report, options.copies)]
    built = time.perf_counter() - started
    sketches = [sketch(text) for _, _, text in docs]
    hashes = [content_hash("", text) for _, _, text in docs]
    print(
        f"{len(docs)} documents from {len(docs) // (options.copies + 1)} reports "
        f"(rendered and extracted in {built:.1f} s)"
    )
    detectors = {
        "near-duplicate (MinHash+LSH, names)": lambda i, j: similar(sketches[i], sketches[j]),
        "exact text fingerprint": lambda i, j: hashes[i] == hashes[j],
    }
    print(f"{'detector':<38} {'pairs':>7} {'precision':>10} {'recall':>7}")
    for name, judge in detectors.items():
        tp = fp = fn = 0
        missed: Counter[str] = Counter()
        for i, j in itertools.combinations(range(len(docs)), 2):
            same, predicted = docs[i][0] == docs[j][0], judge(i, j)
            tp += same and predicted
            fp += predicted and not same
            if same and not predicted:
                fn += 1
                missed[docs[i][1] if docs[i][1] != "original" else docs[j][1]] += 1
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        print(f"{name:<38} {tp + fp + fn:>7} {precision:>10.4f} {recall:>7.4f}")
        if missed and name.startswith("near"):
            print("    missed pairs by change: " + ", ".join(f"{k} {v}" for k, v in missed.items()))
    real_pages()
    print("targets: precision >= 0.99, recall >= 0.95")


def real_pages() -> None:
    """181 real pages nobody here wrote: each page's extracted text against the publisher's own
    body (the same article rendered twice), and against every other article."""
    root = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark"
    if not root.is_dir():
        print(f"real pages: corpus not found at {root}, skipped")
        return
    pairs = real_page_pairs(root)
    joined = sum(similar(page, body) for page, body in pairs)
    cross = merged = 0
    for i, j in itertools.combinations(range(len(pairs)), 2):
        for one in pairs[i]:
            for other in pairs[j]:
                cross += 1
                merged += similar(one, other)
    print(
        f"real pages: {joined} of {len(pairs)} joined their publisher's text "
        f"(recall {joined / len(pairs):.3f}); {merged} of {cross:,} cross pairs merged"
    )


if __name__ == "__main__":
    main()
