"""Extraction in worker processes: the same articles as in-process, and a page over the time
limit abandoned without losing the pages that shared the pool with it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from monitor.extract import extract_article, read_page
from monitor.workers import Extractors
from tests.test_extract import BASE, page

PAGES = [
    "armenia-accuses-azerbaijan-of-attack.html",
    "minoborony-armenii-obstrel-pozicij-teh-syunik.html",
    "wire/armenia-azerbaijan-shelling-copy.html",
]


def slow_page() -> bytes:
    """2.4 MB of small blocks, under the size cap: several seconds of trafilatura."""
    block = "<div><p>Border villages were quiet again, residents said.</p></div>"
    return f"<html><body><article>{block * 40000}</article></body></html>".encode()


def test_workers_give_the_articles_extract_article_gives() -> None:
    async def run() -> list[object]:
        workers = Extractors(workers=2)
        try:
            return list(
                await asyncio.gather(
                    *(workers.read(page(name), url=BASE + "/" + name) for name in PAGES)
                )
            )
        finally:
            workers.close()

    expected = [read_page(page(name), url=BASE + "/" + name) for name in PAGES]
    assert asyncio.run(run()) == expected
    assert all(read.article is not None for read in expected)


def test_a_page_over_the_time_limit_is_abandoned_and_the_others_still_extracted() -> None:
    async def run() -> tuple[object, list[object], float]:
        workers = Extractors(workers=2, limit=1.0)
        try:
            started = time.monotonic()
            slow = workers.read(slow_page(), url=BASE + "/slow")
            others = [workers.read(page(name), url=BASE + "/" + name) for name in PAGES]
            results = await asyncio.gather(slow, *others)
            took = time.monotonic() - started
            after = [await workers.read(page(PAGES[0]), url=BASE + "/" + PAGES[0])]
            articles = [read.article if read else None for read in [*results[1:], *after]]
            return results[0], articles, took
        finally:
            workers.close()

    slow, others, took = asyncio.run(run())
    assert slow is None
    assert took < 5  # given up at its limit, not extracted to the end (several seconds)
    expected = [extract_article(page(name), url=BASE + "/" + name) for name in PAGES]
    assert others == [*expected, expected[0]]


OWNER = """
import asyncio, sys
from monitor.workers import Extractors
async def main():
    workers = Extractors(workers=2)
    await asyncio.gather(*(workers.read(b"<html><body><p>x</p></body></html>", url="http://a/")
                           for _ in range(4)))
    print(" ".join(str(p) for p in workers._pool._processes), flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


def test_workers_leave_when_their_owner_is_killed(tmp_path: Path) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert owner.stdout is not None and owner.stderr is not None
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert len(pids) == 2 and all(_running(pid) for pid in pids)
    owner.kill()  # SIGKILL: no clean-up in the owner
    owner.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in pids)
    # Nothing holds the owner's output open any more (a reader would otherwise hang).
    assert owner.stderr.read() is not None
    owner.stdout.close()
    owner.stderr.close()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
