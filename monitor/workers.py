"""Article extraction in worker processes: one per core, each page under a time limit.

trafilatura is pure Python, so threads share one core; processes use them all. The workers are
forked from a server process that has imported the extractor once (``forkserver``), never
from the daemon itself (forking a process with running threads is unsafe). A page that takes
longer than ``limit`` seconds is abandoned: the pool is replaced (its workers killed), the
pages that were in it at the time are tried once more, and the slow page gets no article (the
feed's own text is used).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the extractor (trafilatura, lxml: 15 MB) is imported by the workers only
    from monitor.extract import PageRead

log = logging.getLogger(__name__)


def _ready(owner: int) -> None:
    """Worker start (the extractor is imported already, by the forkserver): watch the process
    that owns the pool, and leave when it is gone. A worker killed with its owner would be
    orphaned otherwise: it holds its own end of the task queue, so it never sees the queue
    close, and it keeps the owner's stderr open."""
    threading.Thread(target=_watch, args=(owner,), name="owner-watch", daemon=True).start()


def _watch(owner: int) -> None:
    while _alive(owner):
        time.sleep(0.5)
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is gone too
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


class Extractors:
    """A pool of extraction processes, started on first use. Use ``close()`` when done."""

    def __init__(self, workers: int | None = None, *, limit: float = 30.0) -> None:
        self.workers = max(1, workers or len(os.sched_getaffinity(0)))
        self.limit = limit
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0
        self._unusable = ""  # why worker processes cannot start here: extract in a thread

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["monitor.extract"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_ready,
                initargs=(os.getpid(),),
            )
            self._generation += 1
        return self._pool

    async def read(self, html: bytes, *, url: str) -> PageRead | None:
        """The page's address and article (as ``extract.read_page``), or None when it took
        too long or the workers could not run it."""
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            if self._unusable:
                return await asyncio.to_thread(read_here, html, url)
            try:
                pool = self._start()
                generation = self._generation
                future = loop.run_in_executor(pool, read_here, html, url)
            except (OSError, RuntimeError) as exc:  # no forkserver here, or an unguarded script
                self._unusable = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
                log.warning(
                    "extraction workers cannot start (%s); extracting in-process", self._unusable
                )
                self._replace(self._generation)
                continue
            try:
                return await asyncio.wait_for(future, self.limit)
            except TimeoutError:
                log.warning(
                    "extract url=%s abandoned after %.0fs; workers replaced", url, self.limit
                )
                self._replace(generation)
                return None
            except BrokenProcessPool:
                self._replace(generation)  # another page's time-out took this one's worker
                if attempt:
                    log.warning("extract url=%s failed: extraction workers broke", url)
        return None

    def _replace(self, generation: int) -> None:
        """Kill the pool of this generation (once, whoever asks first)."""
        if self._pool is None or generation != self._generation:
            return
        pool, self._pool = self._pool, None
        _kill(pool)

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            _kill(pool)


def _kill(pool: ProcessPoolExecutor) -> None:
    processes = list(getattr(pool, "_processes", {}).values())  # no public way to stop a task
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(timeout=5)


def read_here(html: bytes, url: str) -> PageRead:
    """``extract.read_page`` in this process (a worker's task, or the fallback in a thread)."""
    from monitor.extract import read_page

    return read_page(html, url=url)
