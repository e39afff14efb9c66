"""How fast is one cycle over many feeds? ``news-monitor once`` against a naive script and the CPU
floor, on a local feed farm with real article pages and a real network latency.

Run from the repository root::

    python benchmarks/cycle_speed.py [--feeds 100] [--items 10] [--latency 0.1] [--hosts 25]
    python benchmarks/cycle_speed.py --quick          # 20 feeds x 5 items, a smoke run

The farm (benchmarks/farm.py) serves N feeds x M items from H loopback addresses (127.0.0.1 ..
127.0.0.H, one threaded server each; a feed's pages on the feed's own address). Item j of feed i
links to its own URL serving the real page (i*M + j) % 181 of
``../shared/corpora/article-extraction-benchmark/html`` plus a comment naming the item (no two
items have the same bytes). Every response waits ``--latency``
seconds; every resource has an ETag and answers If-None-Match with 304.

Three runs over the same farm, in this order:

1. naive: a user's script, in-process and sequential: for each feed an httpx GET and
   ``feedparser.parse``, then for each item an httpx GET of its page and ``trafilatura.extract``;
2. ``news-monitor once`` cold: a child process (``sys.executable -m monitor``) on a generated
   config listing the N feeds, an empty database in a temp dir;
3. ``news-monitor once`` warm: the same database, nothing changed on the farm: every feed should
   answer 304 and no page should be fetched.

Then a fourth child run with no feeds at all gives the fixed cost of starting the process, and
the CPU floor is measured in-process, pinned to one core, without network: ``feedparser.parse``
and ``trafilatura.extract`` (the naive run's calls) on exactly the bytes the farm serves;
c = floor / articles. With latency L per request and k cores, naive/cold cannot exceed about
(L + c) / (c / k): the naive script pays L + c per article, a perfect daemon c / k.

Each child's memory is polled from /proc (Linux) every 50 ms: the peak RSS (VmHWM) of the
news-monitor process and of its largest descendant (forkserver, extraction workers), and, every
0.5 s, the peak summed PSS of the whole process tree; the RSS target applies to that sum, all
processes together. ``ru_maxrss`` from ``os.wait4`` is not used: on Linux, exec folds the
parent's high-water mark into the child's, so it reports at least this benchmark's own ~175 MB
(corpus pages and farm) whatever the child uses.

Targets (each marked PASS or FAIL; the script exits 0 either way, 2 without the corpus):
naive/cold >= 0.8 x that limit; cold wall <= 0.75 x the single-core CPU floor; warm wall < 1 s
per 100 feeds with no article fetched; peak summed PSS of each child's process tree (cold,
warm) <= 300 MB.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.farm import Farm, SourcePage, Traffic  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark"
TARGET_SPEEDUP_SHARE = 0.8  # of the physical limit
TARGET_FLOOR_SHARE = 0.75  # cold wall / single-core CPU floor
TARGET_WARM_PER_100_FEEDS = 1.0  # seconds
TARGET_RSS_MB = 300.0
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


# ---------------------------------------------------------------- corpus and machine


def load_pages(folder: Path) -> list[SourcePage]:
    """The corpus pages, sorted by file name, each with its <title> and a summary."""
    truth: dict[str, dict[str, str]] = {}
    truth_file = folder / "ground-truth.json"
    if truth_file.is_file():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = []
    for path in sorted((folder / "html").glob("*.html.gz")):
        body = gzip.decompress(path.read_bytes())
        found = _TITLE.search(body[:200_000])
        title = found.group(1).decode("utf-8", "replace") if found else ""
        title = " ".join(title.split())[:200]
        text = truth.get(path.name.removesuffix(".html.gz"), {}).get("articleBody", "")
        summary = " ".join(text.split()[:50])
        pages.append(SourcePage(body=body, title=title, summary=summary))
    return pages


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


@contextmanager
def one_core() -> Iterator[str]:
    """Pin this process to one CPU for the block, where the platform allows it."""
    if not hasattr(os, "sched_setaffinity"):
        yield "not pinned"
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})
    try:
        yield f"pinned to CPU {cpu}"
    finally:
        os.sched_setaffinity(0, before)


# ---------------------------------------------------------------- memory of a process tree


def _parent(pid: int) -> int | None:
    """The parent of a process, from /proc/<pid>/stat; None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()  # after the name: state, ppid, ...
    except (OSError, IndexError):
        return None
    return int(fields[1]) if len(fields) > 1 else None


def _status_kib(pid: int, key: bytes) -> int | None:
    """One ``kB`` field of /proc/<pid>/status (``VmHWM:``), or None: gone, or a zombie."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def _pss_kib(pid: int) -> int:
    """Proportional set size of one process (shared pages split between their users), or its
    RSS where smaps_rollup cannot be read; 0 once it is gone."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            text = Path(f"/proc/{pid}/{name}").read_text(encoding="ascii")
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    return 0


class ProcessTree:
    """A process and its descendants, found from each process's parent in /proc/<pid>/stat
    (``/proc/<pid>/task/*/children`` needs CONFIG_PROC_CHILDREN, which some kernels lack). Each
    new pid's stat is read once; a process stays a member while it exists, so a worker whose
    parent exits first still counts."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.members = {root}
        self._parents: dict[int, int | None] = {}  # every pid in /proc -> its parent when seen

    def pids(self) -> set[int]:
        try:
            listing = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        except OSError:
            return set()
        for pid in self._parents.keys() - listing:
            del self._parents[pid]
        for pid in listing - self._parents.keys():
            self._parents[pid] = _parent(pid)
        self.members &= listing
        children: dict[int, list[int]] = {}
        for pid, parent in self._parents.items():
            if parent is not None:
                children.setdefault(parent, []).append(pid)
        stack = list(self.members)
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in self.members:
                    self.members.add(child)
                    stack.append(child)
        return set(self.members)


def _mb(kib: int | None) -> float | None:
    return kib * 1024 / 1e6 if kib else None


class TreeMemory:
    """Peak memory of a process and all its descendants, polled from /proc. Every ``interval``
    seconds, each process's VmHWM (the high-water mark of its own RSS since its exec or fork:
    monotonic, so the last read before it exits is near its peak; a cheap read); every
    ``pss_interval`` seconds, the summed PSS of the tree (shared pages split between their
    users, so a page shared by the workers counts once): reading smaps_rollup walks the page
    tables (milliseconds for a few hundred MB). The CPU the polling takes (``cpu``) is reported
    apart from the farm's."""

    def __init__(self, pid: int, interval: float = 0.05, pss_interval: float = 0.5) -> None:
        self.pid = pid
        self.interval = interval
        self.pss_interval = pss_interval
        self.hwm_kib: dict[int, int] = {}  # pid -> its largest VmHWM seen
        self.pss_kib = 0  # peak of the tree's summed PSS
        self.cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Self:
        if Path("/proc").is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def main_mb(self) -> float | None:
        """Peak RSS of the process itself."""
        return _mb(self.hwm_kib.get(self.pid))

    @property
    def worker_mb(self) -> float | None:
        """Peak RSS of the largest descendant (forkserver, extraction worker, ...)."""
        return _mb(max((v for p, v in self.hwm_kib.items() if p != self.pid), default=None))

    @property
    def descendants(self) -> int:
        return len(self.hwm_kib.keys() - {self.pid})

    @property
    def tree_mb(self) -> float | None:
        """Peak summed PSS of the tree."""
        return _mb(self.pss_kib)

    def _poll(self) -> None:
        tree = ProcessTree(self.pid)
        next_pss = 0.0
        while not self._stop.is_set():
            began = time.thread_time()
            pids = tree.pids()
            for pid in pids:
                hwm = _status_kib(pid, b"VmHWM:")
                if hwm is not None:
                    self.hwm_kib[pid] = max(self.hwm_kib.get(pid, 0), hwm)
            now = time.monotonic()
            if now >= next_pss:
                self.pss_kib = max(self.pss_kib, sum(_pss_kib(pid) for pid in pids))
                next_pss = now + self.pss_interval
            self.cpu += time.thread_time() - began
            self._stop.wait(self.interval)


# ---------------------------------------------------------------- the runs


@dataclass
class Run:
    name: str
    wall: float
    traffic: Traffic
    cpu: float | None = None  # seconds of CPU the run's process used (user + system)
    main_mb: float | None = None  # peak RSS (VmHWM) of the process itself
    worker_mb: float | None = None  # peak RSS (VmHWM) of its largest descendant
    tree_mb: float | None = None  # peak summed PSS of the process and its descendants
    descendants: int = 0  # processes seen under it (forkserver, workers, ...)
    articles: int = 0
    summary: str = ""
    ok: bool = True
    farm_cpu: float | None = None  # seconds of CPU the farm (this process) used meanwhile


def run_naive(farm: Farm) -> Run:
    """What a user's script does: one feed, then each of its pages, one after the other."""
    import feedparser
    import httpx
    import trafilatura

    extracted = articles = 0
    farm.reset()
    cpu0 = time.process_time()
    started = time.perf_counter()
    with httpx.Client(timeout=60.0, trust_env=False) as client:
        for url in farm.feed_urls:
            feed = feedparser.parse(client.get(url).content)
            for entry in feed.entries:
                link = str(entry.get("link", ""))
                page = client.get(link)
                articles += 1
                text = trafilatura.extract(page.content, url=link)
                extracted += text is not None
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    return Run(
        "naive (sequential script)",
        wall,
        farm.reset(),
        cpu=cpu,
        articles=articles,
        summary=f"{articles} articles, {extracted} with extracted text",
    )


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NEWS_MONITOR_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_once(name: str, config: Path, farm: Farm | None, articles: int) -> Run:
    """``news-monitor once`` as a child process: wall time, its CPU, the peak RSS of it and of
    its largest descendant, the peak PSS of its process tree, and what the farm answered
    meanwhile."""
    command = [sys.executable, "-m", "monitor", "--config", str(config), "once"]
    if farm is not None:
        farm.reset()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        farm_cpu0 = time.process_time()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env=child_env())
        with TreeMemory(process.pid) as memory:
            _pid, status, usage = os.wait4(process.pid, 0)  # its CPU (ru_maxrss: see top)
            wall = time.perf_counter() - started
        farm_cpu = time.process_time() - farm_cpu0 - memory.cpu
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    line = next((x for x in stdout.splitlines() if x.startswith("feeds=")), "")
    ok = process.returncode == 0
    if not ok:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        line = f"exit status {process.returncode}:\n{tail}"
    traffic = farm.reset() if farm is not None else Traffic()
    return Run(
        name,
        wall,
        traffic,
        cpu=usage.ru_utime + usage.ru_stime,
        main_mb=memory.main_mb,
        worker_mb=memory.worker_mb,
        tree_mb=memory.tree_mb,
        descendants=memory.descendants,
        articles=articles,
        summary=line,
        ok=ok,
        farm_cpu=farm_cpu,
    )


def write_config(
    path: Path, db: Path, feed_urls: list[str], *, concurrency: int, per_host: int
) -> None:
    lines = [
        "# written by benchmarks/cycle_speed.py",
        "[storage]",
        f"path = {json.dumps(str(db))}",
        "",
        "[polling]",
        f"concurrency = {concurrency}",
        f"per_host = {per_host}",
        "",
    ]
    for number, url in enumerate(feed_urls):
        lines += ["[[feeds]]", f'name = "Farm feed {number:04d}"', f"url = {json.dumps(url)}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


# ---------------------------------------------------------------- the floor


@dataclass
class Floor:
    wall: float  # seconds, pinned to one core
    cpu: float  # the same in CPU seconds of this thread (wall >> cpu: the core was shared)
    parse: float  # of which feedparser
    articles: int
    where: str

    @property
    def per_article(self) -> float:
        return self.wall / max(1, self.articles)


def cpu_floor(farm: Farm) -> Floor:
    """feedparser.parse + trafilatura.extract on the farm's bytes, in order, on one core."""
    import feedparser
    import trafilatura

    parse = 0.0
    articles = 0
    with one_core() as where:
        cpu0 = time.thread_time()
        started = time.perf_counter()
        for i in range(farm.feeds):
            t = time.perf_counter()
            entries = feedparser.parse(farm.feed_body(i)).entries
            parse += time.perf_counter() - t
            for j, entry in enumerate(entries):
                trafilatura.extract(farm.page_body(i, j), url=str(entry.get("link", "")))
                articles += 1
        wall = time.perf_counter() - started
        cpu = time.thread_time() - cpu0
    return Floor(wall, cpu, parse, articles, where)


def daemon_page_cost(pages: list[SourcePage]) -> str:
    """Per distinct page, one core: the daemon's extract_article and match_article against the
    floor's trafilatura.extract. Information for whoever makes the cold run faster."""
    try:
        import trafilatura

        from monitor.extract import extract_article
        from monitor.match import load_watchlist, match_article
    except Exception as exc:  # the daemon's API moved: the benchmark still measures the rest
        return f"skipped ({type(exc).__name__}: {exc})"
    watchlist = load_watchlist()
    url = "http://127.0.0.1/news/page.html"
    timings: dict[str, float] = {"floor": 0.0, "extract": 0.0, "match": 0.0}
    with one_core():
        for page in pages:
            t0 = time.perf_counter()
            trafilatura.extract(page.body, url=url)
            t1 = time.perf_counter()
            article = extract_article(page.body, url=url)
            t2 = time.perf_counter()
            if article is not None:
                match_article(article, watchlist)
            t3 = time.perf_counter()
            timings["floor"] += t1 - t0
            timings["extract"] += t2 - t1
            timings["match"] += t3 - t2
    n = len(pages)
    ms = {k: v / n * 1000 for k, v in timings.items()}
    return (
        f"trafilatura.extract {ms['floor']:.1f} ms, monitor extract_article {ms['extract']:.1f} "
        f"ms ({ms['extract'] / max(ms['floor'], 1e-9):.1f}x), match_article {ms['match']:.1f} ms"
        f" per page ({n} distinct pages, one core)"
    )


# ---------------------------------------------------------------- printing


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_runs(runs: list[Run]) -> None:
    print(
        f"{'run':<28} {'wall s':>8} {'CPU s':>7} {'cores':>5} {'main RSS':>8} "
        f"{'worker RSS':>10} {'tree PSS':>8} "
        f"{'requests':>8} "
        f"{'feeds':>6} {'pages':>6} {'304s':>5} {'MB sent':>8} {'peak in flight':>15} "
        f"{'art/s':>6}"
    )
    for run in runs:
        t = run.traffic
        cpu = f"{run.cpu:7.1f}" if run.cpu is not None else f"{'-':>7}"
        cores = f"{run.cpu / run.wall:5.2f}" if run.cpu is not None and run.wall else f"{'-':>5}"
        main = f"{run.main_mb:8.0f}" if run.main_mb is not None else f"{'-':>8}"
        worker = f"{run.worker_mb:10.0f}" if run.worker_mb is not None else f"{'-':>10}"
        tree = f"{run.tree_mb:8.0f}" if run.tree_mb is not None else f"{'-':>8}"
        rate = f"{run.articles / run.wall:6.1f}" if run.articles and run.wall else f"{'-':>6}"
        flight = f"{t.peak_in_flight} (host {t.peak_per_host})" if t.requests else "-"
        print(
            f"{run.name:<28} {run.wall:8.2f} {cpu} {cores} {main} {worker} {tree} {t.requests:8d} "
            f"{t.feeds:6d} {t.pages:6d} {t.not_modified:5d} {t.bytes_sent / 1e6:8.2f} "
            f"{flight:>15} {rate}"
        )
    print(
        "  memory in MB, polled from /proc: main RSS = peak RSS (VmHWM) of the news-monitor "
        "process; worker RSS = the largest VmHWM among its descendants (forkserver, extraction "
        "workers); tree PSS = peak summed PSS of the process and all its descendants (the RSS "
        "target)"
    )
    for run in runs:
        t = run.traffic
        extra = []
        if run.descendants:
            extra.append(f"{run.descendants} descendant processes")
        if t.requests:
            extra.append(
                f"requests from t={t.first_arrival or 0:.2f}s to t={t.last_departure or 0:.2f}s"
                f", mean in flight {t.busy_seconds / max(run.wall, 1e-9):.1f}"
            )
        if run.farm_cpu is not None and t.requests:
            extra.append(f"farm CPU meanwhile {run.farm_cpu:.1f} s")
        others = {s: n for s, n in t.statuses.items() if s not in (200, 304)}
        if others:
            extra.append(f"other statuses {dict(sorted(others.items()))}")
        print(f"  {run.name}: {run.summary}" + ("; " + "; ".join(extra) if extra else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--feeds", type=int, default=100, help="feeds in the farm (100)")
    parser.add_argument("--items", type=int, default=10, help="items per feed (10)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per response (0.1)")
    parser.add_argument("--hosts", type=int, default=25, help="loopback addresses (25)")
    parser.add_argument("--concurrency", type=int, default=32, help="[polling] concurrency (32)")
    parser.add_argument("--per-host", type=int, default=4, help="[polling] per_host (4)")
    parser.add_argument("--quick", action="store_true", help="20 feeds x 5 items: a smoke run")
    parser.add_argument(
        "--skip-naive",
        action="store_true",
        help="estimate the naive run as requests x latency + CPU floor instead of running it",
    )
    options = parser.parse_args()
    if options.quick:
        options.feeds, options.items = 20, 5
    if options.feeds < 1 or options.items < 1 or options.hosts < 1 or options.latency < 0:
        parser.error("--feeds, --items and --hosts must be positive, --latency not negative")

    if not (CORPUS / "html").is_dir():
        print(
            f"error: corpus folder {CORPUS / 'html'} is missing; this benchmark serves its real "
            "article pages (see ../shared/corpora/README.md)",
            file=sys.stderr,
        )
        return 2
    pages = load_pages(CORPUS)
    if not pages:
        print(f"error: no *.html.gz pages in {CORPUS / 'html'}", file=sys.stderr)
        return 2

    k = os.cpu_count() or 1
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else k
    print(
        f"machine: {k} CPUs ({affinity} usable), {cpu_model()}, Python "
        f"{platform.python_version()} ({sys.executable}); load average {load_average()}"
    )
    print(
        "note: the figures are wall times on a shared machine; other work running at the "
        "same time inflates them"
    )

    import feedparser
    import trafilatura

    trafilatura.extract(pages[0].body)  # first-call setup is not the naive run's to pay
    feedparser.parse(b"<rss version='2.0'><channel></channel></rss>")

    articles = options.feeds * options.items
    latency: float = options.latency
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="cycle-speed-") as scratch:
        farm = Farm(
            pages,
            feeds=options.feeds,
            items=options.items,
            hosts=options.hosts,
            latency=latency,
        )
        config = Path(scratch) / "farm.toml"
        write_config(
            config,
            Path(scratch) / "monitor.db",
            farm.feed_urls,
            concurrency=options.concurrency,
            per_host=options.per_host,
        )
        empty = Path(scratch) / "empty.toml"
        write_config(
            empty, Path(scratch) / "empty.db", [], concurrency=options.concurrency, per_host=1
        )
        page_mb = sum(
            len(farm.page_body(i, j)) for i in range(farm.feeds) for j in range(farm.items)
        )
        print(
            f"farm: {options.feeds} feeds x {options.items} items = {articles} articles on "
            f"{farm.hosts} loopback hosts ({farm.addresses[0]} .. {farm.addresses[-1]}), "
            f"{farm.distinct_pages} distinct pages (each item's bytes its own), "
            f"{page_mb / 1e6:.1f} MB of pages, latency "
            f"{latency * 1000:.0f} ms per response, ETag/304"
        )
        print(
            f"news-monitor config: [polling] concurrency = {options.concurrency}, per_host = "
            f"{options.per_host}; fetch defaults; no alert destinations"
        )
        with farm:
            if not options.skip_naive:
                print("running naive ...", flush=True)
                runs.append(run_naive(farm))
            print("running news-monitor once (cold, empty database) ...", flush=True)
            cold = run_once("news-monitor once, cold", config, farm, articles)
            print("running news-monitor once (warm, nothing changed) ...", flush=True)
            warm = run_once("news-monitor once, warm", config, farm, 0)
            startup = run_once("news-monitor once, no feeds", empty, None, 0)
            runs += [cold, warm, startup]
        print("measuring the CPU floor (one core, no network) ...", flush=True)
        floor = cpu_floor(farm)
        costs = daemon_page_cost(pages)

    naive = runs[0] if not options.skip_naive else None
    requests = options.feeds * (options.items + 1)
    naive_wall = naive.wall if naive is not None else requests * latency + floor.wall
    print()
    print_runs(runs)
    if naive is None:
        print(f"  naive not run: estimated {requests} x {latency:g} s + floor = {naive_wall:.1f} s")
    c = floor.per_article
    print(
        f"CPU floor: {floor.wall:.2f} s wall ({floor.cpu:.2f} s CPU) for {floor.articles} "
        f"articles, {floor.where}: c = {c * 1000:.1f} ms per article (feedparser "
        f"{floor.parse:.2f} s of it)"
    )
    print(f"per page, for comparison: {costs}")
    lower = requests * latency / options.concurrency
    per_host_requests = -(-options.feeds // farm.hosts) * (options.items + 1)
    lower = max(lower, per_host_requests * latency / options.per_host)
    print(
        f"latency bound of a cold cycle at these limits: {lower:.2f} s (network alone); CPU "
        f"bound on {k} cores: {floor.wall / k:.2f} s; process start: {startup.wall:.2f} s"
    )
    print(f"load average now: {load_average()}")

    limit = (latency + c) / (c / k) if c > 0 else float("inf")
    ratio = naive_wall / cold.wall if cold.wall else 0.0
    warm_target = TARGET_WARM_PER_100_FEEDS * max(1.0, options.feeds / 100)
    measured = cold.tree_mb is not None and warm.tree_mb is not None
    peak = max(cold.tree_mb or 0.0, warm.tree_mb or 0.0)
    estimated = " (estimated naive)" if naive is None else ""
    rows: list[tuple[str, str, str, bool]] = [
        (
            "naive/cold >= 0.8 x limit",
            f"{ratio:.2f}{estimated}; limit (L+c)/(c/k) = {limit:.1f}",
            f">= {TARGET_SPEEDUP_SHARE * limit:.1f}",
            cold.ok and ratio >= TARGET_SPEEDUP_SHARE * limit,
        ),
        (
            "cold wall <= 0.75 x CPU floor",
            f"{cold.wall:.2f} s = {cold.wall / floor.wall:.2f} x floor {floor.wall:.2f} s",
            f"<= {TARGET_FLOOR_SHARE * floor.wall:.2f} s",
            cold.ok and cold.wall <= TARGET_FLOOR_SHARE * floor.wall,
        ),
        (
            f"warm wall, {options.feeds} feeds, 0 pages",
            f"{warm.wall:.2f} s ({warm.wall - startup.wall:.2f} s after start), "
            f"{warm.traffic.pages} pages, {warm.traffic.requests} requests, "
            f"{warm.traffic.bytes_sent / 1e3:.1f} kB",
            f"< {warm_target:g} s, 0 pages",
            warm.ok and warm.wall < warm_target and warm.traffic.pages == 0,
        ),
        (
            "peak tree PSS (cold / warm)",
            (
                f"{cold.tree_mb or 0:.0f} / {warm.tree_mb or 0:.0f} MB, all processes; main "
                f"process RSS {cold.main_mb or 0:.0f} / {warm.main_mb or 0:.0f} MB"
                if measured
                else "not measured (no /proc)"
            ),
            f"<= {TARGET_RSS_MB:g} MB",
            measured and cold.ok and warm.ok and peak <= TARGET_RSS_MB,
        ),
    ]
    print()
    print(f"{'target':<32} {'measured':<62} {'target':<18} verdict")
    for label, measured, target, ok in rows:
        print(f"{label:<32} {measured:<62} {target:<18} {verdict(ok)}")
    print(
        f"cold: {articles / cold.wall:.1f} articles/s; naive {naive_wall:.2f} s, cold "
        f"{cold.wall:.2f} s, cold/floor {cold.wall / floor.wall:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
