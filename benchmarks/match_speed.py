"""How fast is ``match_article``? Throughput on one core with the shipped default watchlist.

Run from the repository root::

    python benchmarks/match_speed.py [--rounds N] [--seed-copies N]

The workload is the 181 article bodies of the article-extraction benchmark (``articleBody`` of
``../shared/corpora/article-extraction-benchmark/ground-truth.json``; skipped with a message when
the corpus is absent) plus the seed article ``seeds/000_caf4df8b977f3d85.txt`` repeated as
separate articles. After one warm-up pass (a long-running daemon has warm caches) the whole
workload is matched ``--rounds`` times; the fastest round gives the throughput and, per article,
the median and 95th percentile time. Text size is counted in UTF-8 bytes of title and body. A last
line times one long article (the seed body repeated to about 1 MB) to show that the cost grows
linearly with the text, whatever its size.

The target is 20 MB/s. The script only reports (exit status 0); ``--check`` makes it exit with
status 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.match import load_watchlist, match_article  # noqa: E402
from monitor.models import Article  # noqa: E402

TARGET_MB_S = 20.0
CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark" / "ground-truth.json"
SEED_NAME = "000_caf4df8b977f3d85.txt"
SEED_PATHS = (ROOT / "seeds" / SEED_NAME, ROOT.parent / "shared" / "seeds" / SEED_NAME)


def pin_to_one_core() -> str:
    """Run on a single CPU where the platform allows it."""
    if hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def corpus_articles() -> list[Article]:
    if not CORPUS.is_file():
        print(f"corpus not found at {CORPUS}: skipping its 181 articles")
        return []
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    return [Article(url=None, title="", text=item["articleBody"]) for item in data.values()]


def seed_article() -> Article | None:
    for path in SEED_PATHS:
        if path.is_file():
            title, _, body = path.read_text(encoding="utf-8").partition("\n")
            return Article(url=None, title=title.strip(), text=body.strip())
    print(f"seed article {SEED_NAME} not found: skipping it")
    return None


def size_of(article: Article) -> int:
    return len(article.title.encode("utf-8")) + len(article.text.encode("utf-8"))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes (default 5)")
    parser.add_argument("--seed-copies", type=int, default=20, help="seed repeats (default 20)")
    parser.add_argument("--check", action="store_true", help="exit 1 below the target")
    options = parser.parse_args()

    print(f"match_article speed, {pin_to_one_core()}")
    started = time.perf_counter()
    watchlist = load_watchlist()
    print(f"default watchlist loaded in {(time.perf_counter() - started) * 1000:.0f} ms")

    articles = corpus_articles()
    seed = seed_article()
    if seed is not None:
        articles += [seed] * options.seed_copies
    if not articles:
        print("nothing to match")
        return 0
    sizes = [size_of(article) for article in articles]
    total = sum(sizes)
    print(f"{len(articles)} articles, {total / 1e6:.2f} MB of text (UTF-8)")

    flagged = sum(match_article(article, watchlist).flagged for article in articles)  # warm-up
    best: list[float] | None = None
    clock = time.perf_counter
    for _ in range(max(1, options.rounds)):
        timings = []
        for article in articles:
            begin = clock()
            match_article(article, watchlist)
            timings.append(clock() - begin)
        if best is None or sum(timings) < sum(best):
            best = timings
    assert best is not None
    elapsed = sum(best)
    speed = total / elapsed / 1e6
    per_article = [t * 1000 for t in best]
    verdict = "meets" if speed >= TARGET_MB_S else "BELOW"
    print(f"flagged: {flagged} of {len(articles)}")
    print(
        f"throughput: {speed:.1f} MB/s ({verdict} the {TARGET_MB_S:g} MB/s target); "
        f"{elapsed * 1000:.1f} ms for the workload"
    )
    print(
        f"per article: median {statistics.median(per_article):.3f} ms, "
        f"p95 {percentile(per_article, 0.95):.3f} ms, max {max(per_article):.3f} ms"
    )

    if seed is not None:
        copies = max(1, 1_000_000 // max(1, len(seed.text)))
        long_article = Article(url=None, title=seed.title, text="\n".join([seed.text] * copies))
        begin = clock()
        result = match_article(long_article, watchlist)
        seconds = clock() - begin
        print(
            f"one long article ({size_of(long_article) / 1e6:.2f} MB, the seed x{copies}): "
            f"{seconds * 1000:.0f} ms, {size_of(long_article) / seconds / 1e6:.1f} MB/s, "
            f"{len(result.matches)} matches"
        )
    return 1 if options.check and speed < TARGET_MB_S else 0


if __name__ == "__main__":
    sys.exit(main())
