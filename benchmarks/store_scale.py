"""The store at a million articles: full-text search, the near-duplicate lookup of a new
article, and how much slower a cycle gets than on an empty store.

    python benchmarks/store_scale.py [--count 1000000] [--db PATH] [--searches 200]

Builds a database with the real schema holding ``--count`` articles (synthetic texts of news
length from a vocabulary with the gazetteer's place names, full-text indexed by the real
triggers) and as many fingerprints in the near-duplicate index; or reuses ``--db`` if it already
holds them. Then prints, with the targets beside them:
- FTS search p50/p95 over typical queries, newest first as `search` does (target p95 <= 50 ms),
  and ranked by relevance as `search --best` does;
- near-duplicate lookup p50/p95 for new articles (target p95 <= 2 ms), starting with the store
  dropped from the kernel's page cache (posix_fadvise), as after a restart;
- a cold `news-monitor once` over the quick feed farm (20 feeds x 5 items, 100 ms latency) on
  an empty store and on the big one (target: less than 20% slower). A reused store first loses
  what earlier runs' cycles stored in it, so the farm's articles are new on both.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.cycle_speed import CORPUS, load_pages, run_once, write_config  # noqa: E402
from benchmarks.farm import Farm  # noqa: E402
from benchmarks.near_dup_index import edited, load, random_sketch  # noqa: E402
from monitor.store import open_db  # noqa: E402
from monitor.store.review import search  # noqa: E402
from monitor.store.stories import find_alike  # noqa: E402

PLACES = [
    "Tegh",
    "Sotk",
    "Goris",
    "Kapan",
    "Jermuk",
    "Berd",
    "Chinari",
    "Kornidzor",
    "Lachin",
    "Gazakh",
    "Tovuz",
    "Kalbajar",
    "Syunik",
    "Tavush",
    "Nakhchivan",
    "Yeraskh",
    "Ijevan",
]
QUERIES = [
    "Tegh OR Sotk",
    "shelling",
    '"border guards"',
    "Goris AND ceasefire",
    "Kapan",
    "delimitation NEAR(commission villages)",
    "drone*",
    "Jermuk OR Kalbajar OR Lachin",
]
COMMON = [
    "border",
    "ceasefire",
    "shelling",
    "ministry",
    "defence",
    "forces",
    "positions",
    "village",
    "villages",
    "commission",
    "delimitation",
    "drone",
    "drones",
    "border",
    "guards",
    "soldiers",
    "wounded",
    "killed",
    "fire",
    "statement",
    "report",
    "reported",
    "residents",
    "army",
    "troops",
    "government",
    "talks",
    "peace",
]


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(size)}
    return sorted(words)


def text_of(rng: random.Random, words: list[str], cumulative: list[float]) -> tuple[str, str]:
    sentences = []
    for _ in range(rng.randint(5, 12)):
        chosen = rng.choices(words, cum_weights=cumulative, k=rng.randint(8, 18))
        if rng.random() < 0.3:
            chosen.insert(rng.randrange(len(chosen)), rng.choice(PLACES))
        if rng.random() < 0.5:
            chosen.insert(rng.randrange(len(chosen)), rng.choice(COMMON))
        sentences.append(" ".join(chosen).capitalize() + ".")
    return " ".join(sentences[0].split()[:8]), " ".join(sentences)


def build(path: Path, count: int, rng: random.Random) -> None:
    print(f"building {count:,} articles and fingerprints in {path}")
    started = time.perf_counter()
    load(path, count, rng)  # fingerprints and LSH keys for article ids 1..count
    db = open_db(path)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA foreign_keys = OFF")
    with db.conn:
        db.conn.execute("insert into feeds (id, url, name, active) values (1, 'x', 'x', 1)")
    words = vocabulary(rng)
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(words))))
    batch = 20_000
    for first in range(1, count + 1, batch):
        rows = []
        for number in range(first, min(count, first + batch - 1) + 1):
            title, text = text_of(rng, words, cumulative)  # Zipf-like word use
            rows.append(
                (
                    number,
                    1,
                    f"https://news.example/{number}",
                    f"https://news.example/{number}",
                    title,
                    text,
                    "en",
                    "2026-01-01T00:00:00+00:00",
                    f"h{number}",
                    0,
                    0.0,
                    "none",
                    "[]",
                    "[]",
                    "",
                )
            )
        with db.conn:
            db.conn.executemany(
                "insert into articles (id, feed_id, url, canonical_url, title, text, language, "
                "first_seen_at, content_hash, flagged, score, severity, watches, places, reason) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        done = min(count, first + batch - 1)
        if done % 200_000 == 0 or done == count:
            print(f"  {done:>9,} articles in {time.perf_counter() - started:6.1f} s")
    db.close()
    print(
        f"built in {time.perf_counter() - started:.0f} s, file {path.stat().st_size / 1e9:.2f} GB"
    )


def forget_cycles(path: Path, count: int) -> None:
    """Take out what earlier cycles stored in the big store (articles after the ``count`` built
    ones, their feeds, entries, stories and index keys): the cycle on it must find the farm's
    articles new, as it does on the empty store, not copies stored by an earlier run."""
    started = time.perf_counter()
    db = open_db(path)
    db.execute("PRAGMA foreign_keys = OFF")
    with db.conn:
        for sql in (
            "delete from lsh where article_id > ?",
            "delete from fingerprints where article_id > ?",
            "delete from matches where article_id > ?",
            "delete from firings where article_id > ?",
            "delete from article_versions where article_id > ?",
            "delete from deliveries where alert_id in (select id from alerts where article_id > ?)",
            "delete from alerts where article_id > ?",
            "delete from stories where first_article_id > ?",
            "delete from articles where id > ?",
        ):
            db.conn.execute(sql, [count])
        for sql in (
            "delete from entries",
            "delete from incidents",
            "delete from feeds where id > 1",
            "delete from service_state",
        ):
            db.conn.execute(sql)
    db.close()
    print(
        f"  earlier cycles' rows taken out of {path.name} in {time.perf_counter() - started:.1f} s"
    )


def evict(path: Path) -> bool:
    """Ask the kernel to drop the store's pages from its page cache (no root needed)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="build (or reuse) the big database here")
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--lookups", type=int, default=1000)
    options = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as scratch:
        path = options.db or Path(scratch) / "big.db"
        db = open_db(path) if path.exists() else None
        if db is None or db.table("articles").count < options.count:
            if db is not None:
                db.close()
                path.unlink()
            build(path, options.count, rng)
        else:
            db.close()
            forget_cycles(path, options.count)
        db = open_db(path)
        stored = db.table("articles").count
        search(db, "warm OR up")
        times: dict[bool, list[float]] = {False: [], True: []}
        hits = 0
        for best in (False, True):
            for number in range(options.searches):
                query = QUERIES[number % len(QUERIES)]
                began = time.perf_counter()
                hits += len(search(db, query, limit=20, best=best))
                times[best].append((time.perf_counter() - began) * 1000)
        fts = (pct(times[False], 50), pct(times[False], 95))
        ranked = (pct(times[True], 50), pct(times[True], 95))
        sketches = [random_sketch(rng) for _ in range(50)]
        evicted = evict(path)  # the lookups start from disk, as after a restart
        lookups = []
        for number in range(options.lookups):
            probe = edited(rng.choice(sketches), rng) if number % 2 else random_sketch(rng)
            began = time.perf_counter()
            find_alike(db, probe)
            lookups.append((time.perf_counter() - began) * 1000)
        dedup = (pct(lookups, 50), pct(lookups, 95))
        db.close()

        pages = load_pages(CORPUS)
        cycles = {}
        with Farm(pages, feeds=20, items=5, hosts=20, latency=0.1) as farm:
            for name, store in (("empty", Path(scratch) / "empty.db"), ("big", path)):
                config = Path(scratch) / f"{name}.toml"
                write_config(config, store, farm.feed_urls, concurrency=32, per_host=4)
                run = run_once(f"once on the {name} store", config, farm, 100)
                cycles[name] = run.wall
                print(f"  {run.name}: {run.wall:.2f} s ({run.summary.splitlines()[0][:90]})")
        growth = cycles["big"] / cycles["empty"] - 1

    print()
    print(f"store: {stored:,} articles ({path.name}); {hits} search hits in all")
    print(f"{'measure':<44} {'figure':<30} {'target':<14} verdict")
    rows = [
        (
            "FTS search (newest first), p50 / p95",
            f"{fts[0]:.1f} / {fts[1]:.1f} ms",
            "p95 <= 50 ms",
            fts[1] <= 50,
        ),
        (
            "FTS search --best (bm25), p50 / p95",
            f"{ranked[0]:.1f} / {ranked[1]:.1f} ms",
            "(none)",
            True,
        ),
        (
            "near-dup lookup, p50 / p95" + (", cold page cache" if evicted else ""),
            f"{dedup[0]:.2f} / {dedup[1]:.2f} ms",
            "p95 <= 2 ms",
            dedup[1] <= 2,
        ),
        (
            "cold cycle, empty store -> big store",
            f"{cycles['empty']:.2f} s -> {cycles['big']:.2f} s ({growth:+.0%})",
            "< +20%",
            growth < 0.2,
        ),
    ]
    for name, figure, target, ok in rows:
        print(f"{name:<44} {figure:<30} {target:<14} {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
