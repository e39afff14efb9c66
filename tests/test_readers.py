"""Readers beside the writer: Datasette, a read-only connection holding a long read transaction,
and the CLI's ``items``, ``search`` and ``stories`` read the database while the daemon (a child
process) ingests into it, and a second writer (a CLI command's read-then-write transaction)
takes its turns. Nobody sees "database is locked"."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from monitor.cli import main
from monitor.localsite import LocalSite
from monitor.store import open_db
from tests.farm import Farm, stored_entries
from tests.test_daemon import Process

READING = 8.0  # seconds the readers run against the writing daemon
DATASETTE_PATHS = [
    "/monitor/entries.json?_shape=array&_size=50&_sort_desc=id",
    "/monitor/articles.json?_shape=array&_size=20&_search=residents",
    "/monitor.json?_shape=array&sql=select+count(*)+as+n+from+entries",
    "/monitor/stories.json?_shape=array&_size=20",
    "/monitor/feeds.json?_shape=array",
]


class Readers:
    """Collects what the reader threads did and every error they met."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.queries = {"datasette": 0, "long": 0, "cli": 0, "writer": 0}
        # Entries counted in a long read transaction at its start and end, and the most that
        # another connection saw meanwhile.
        self.snapshots: list[tuple[int, int, int]] = []

    def datasette(self) -> None:
        async def loop() -> None:
            ds = Datasette(files=[str(self.db)])
            await ds.invoke_startup()
            while not self.stop.is_set():
                for path in DATASETTE_PATHS:
                    response = await ds.client.get(path)
                    self.queries["datasette"] += 1
                    if response.status_code != 200 or "locked" in response.text:
                        self.errors.append(
                            f"datasette {path}: {response.status_code} {response.text}"
                        )

        try:
            asyncio.run(loop())
        except Exception as exc:
            self.errors.append(f"datasette: {type(exc).__name__}: {exc}")

    def long_transaction(self) -> None:
        """A read-only connection that keeps a read transaction open for a second at a time,
        while a second one watches the daemon commit."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, isolation_level=None)
        watch = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, isolation_level=None)
        count = "select count(*) from entries"
        try:
            while not self.stop.is_set():
                conn.execute("begin")
                first = conn.execute(count).fetchone()[0]
                conn.execute("select * from articles order by id desc limit 50").fetchall()
                outside = first
                for _ in range(10):
                    time.sleep(0.1)
                    outside = max(outside, watch.execute(count).fetchone()[0])
                last = conn.execute(count).fetchone()[0]
                conn.execute("commit")
                self.snapshots.append((first, last, outside))
                self.queries["long"] += 1
        except sqlite3.Error as exc:
            self.errors.append(f"long read transaction: {type(exc).__name__}: {exc}")
        finally:
            conn.close()
            watch.close()

    def writer(self) -> None:
        """A CLI command's transaction (like ``alerts retry``): it reads, then writes."""
        db = open_db(self.db)
        try:
            while not self.stop.is_set():
                with db.atomic():
                    db.execute("select count(*) from entries").fetchone()
                    db.execute("update feeds set name = name where id = 1")
                self.queries["writer"] += 1
                time.sleep(0.02)
        except sqlite3.Error as exc:
            self.errors.append(f"writer: {type(exc).__name__}: {exc}")
        finally:
            db.close()


def test_readers_and_the_daemon_never_lock_each_other(tmp_path: Path, site: LocalSite) -> None:
    farm = Farm(site, feeds=4, page_delay=0.01)
    farm.grow(3)
    config = farm.write_config(tmp_path, tick="0.2s", interval="0.3s")
    db = tmp_path / "state" / "monitor.db"
    daemon = Process(config, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while not stored_entries(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stored_entries(db), "the daemon stored nothing"
        readers = Readers(db)
        threads = [
            threading.Thread(target=readers.datasette),
            threading.Thread(target=readers.long_transaction),
            threading.Thread(target=readers.writer),
        ]
        for thread in threads:
            thread.start()
        before = len(stored_entries(db))
        runner = CliRunner()
        commands = [["items"], ["search", "residents"], ["stories"], ["items", "--json"]]
        started = time.monotonic()
        grown = 0
        while time.monotonic() < started + READING:
            if time.monotonic() > started + grown * 0.5:
                farm.grow(1)  # new items for the daemon to write while everyone reads
                grown += 1
            for command in commands:
                result = runner.invoke(main, ["--config", str(config), *command])
                readers.queries["cli"] += 1
                if result.exit_code != 0 or "locked" in result.output:
                    readers.errors.append(f"{command}: {result.exit_code} {result.output!r}")
        readers.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        # Let the daemon store what was published, so the writing surely overlapped the reading.
        deadline = time.monotonic() + 30
        while stored_entries(db) != farm.expected_entries() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        code, _ = daemon.stop()
    assert code == 0
    assert readers.errors == []
    assert stored_entries(db) == farm.expected_entries()
    assert len(farm.expected_entries()) - before >= 20  # the daemon wrote while they read
    assert readers.queries["datasette"] >= 50, readers.queries
    assert readers.queries["cli"] >= 20, readers.queries
    assert readers.queries["long"] >= 4, readers.queries
    assert readers.queries["writer"] >= 50, readers.queries
    # A long read transaction sees one snapshot, and the daemon commits while it is held.
    assert all(first == last for first, last, _ in readers.snapshots), readers.snapshots
    assert any(outside > last for _, last, outside in readers.snapshots), readers.snapshots
    problems = [
        "\n".join(daemon.lines[number : number + 90])
        for number, line in enumerate(daemon.lines)
        if "locked" in line or "Traceback" in line or " ERROR " in line or "aborted" in line
    ]
    assert problems == [], "\n\n".join(problems)


def test_writers_that_read_first_wait_for_each_other_instead_of_failing(tmp_path: Path) -> None:
    """A deferred transaction that reads and then writes fails at once with "database is locked"
    when another connection committed in between; open_db's transactions begin IMMEDIATE."""
    path = tmp_path / "monitor.db"
    open_db(path).close()
    errors: list[str] = []

    def write(number: int) -> None:
        db = open_db(path)
        try:
            for item in range(100):
                try:
                    with db.atomic():
                        db.execute("select count(*) from feeds").fetchone()
                        db.execute(
                            "insert into feeds (url, name) values (?, ?)",
                            [f"https://w{number}.example/{item}", f"writer {number}"],
                        )
                except sqlite3.Error as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            db.close()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db = open_db(path)
    assert db.execute("select count(*) from feeds").fetchone()[0] == 300
    db.close()


def test_atomic_still_rolls_back_and_nests(tmp_path: Path) -> None:
    db = open_db(tmp_path / "monitor.db")

    def urls() -> set[str]:
        return {row[0] for row in db.execute("select url from feeds").fetchall()}

    with pytest.raises(RuntimeError), db.atomic():
        db.execute("insert into feeds (url, name) values ('https://a.example/', 'a')")
        raise RuntimeError("undo")
    assert urls() == set()
    with db.atomic():
        db.execute("insert into feeds (url, name) values ('https://b.example/', 'b')")
        with pytest.raises(RuntimeError), db.atomic():
            db.execute("insert into feeds (url, name) values ('https://c.example/', 'c')")
            raise RuntimeError("undo the inner block only")
    assert urls() == {"https://b.example/"}
    assert not db.conn.in_transaction
    db.close()
