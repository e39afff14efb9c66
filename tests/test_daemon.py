"""The daemon as a real process: it polls on its tick, survives dead feeds, stops on SIGTERM,
re-reads its config on SIGHUP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from monitor.localsite import LocalSite
from tests.servers import WebhookReceiver, free_port

from .conftest import ROOT


class Process:
    """A `news-monitor run` child whose stderr is collected line by line."""

    def __init__(self, config: Path, cwd: Path, env: dict[str, str] | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "-vv", "--config", str(config), "run"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, needle: str, count: int = 1, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in self.lines if needle in line]
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} x{count} not seen; log:\n" + "\n".join(self.lines))

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as after a power cut or the OOM killer."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        assert self.proc.stderr is not None
        self.proc.stderr.close()

    def stop(self) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        self._reader.join(timeout=5)
        assert self.proc.stderr is not None
        self.proc.stderr.close()
        return code, time.monotonic() - started


def test_daemon_polls_flags_and_stops_cleanly(tmp_path: Path, demo_site: LocalSite) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f"""
[storage]
path = "state/monitor.db"
[polling]
tick = "1s"
interval = "1h"
[[feeds]]
name = "Armenian Wire"
url = "{demo_site.url("/feeds/armenian-wire.xml")}"
""",
        encoding="utf-8",
    )
    daemon = Process(config, tmp_path)
    try:
        (flagged,) = daemon.wait_for("places=Goris,Kapan,Jermuk")
        assert "flagged feed='Armenian Wire'" in flagged and "severity=" in flagged
        daemon.wait_for("cycle=3 ")  # later ticks run; the feed is not due again for an hour
    finally:
        code, took = daemon.stop()
    assert code == 0
    assert took < 10
    assert len(demo_site.requests_for("/feeds/armenian-wire.xml")) == 1
    assert any("stopped after" in line for line in daemon.lines)
    assert (tmp_path / "state" / "monitor.db").exists()


def test_without_network_each_feed_failure_is_logged_once_per_poll(tmp_path: Path) -> None:
    dead = [f"http://127.0.0.1:{free_port()}/feed.xml" for _ in range(2)]
    config = tmp_path / "monitor.toml"
    config.write_text(
        "[storage]\npath = 'm.db'\n[polling]\ntick = '1s'\ninterval = '1s'\nmax_backoff = '1s'\n"
        + "".join(f"[[feeds]]\nname = 'dead{i}'\nurl = '{url}'\n" for i, url in enumerate(dead)),
        encoding="utf-8",
    )
    daemon = Process(config, tmp_path)
    try:
        daemon.wait_for("cycle=3 ")
    finally:
        code, _ = daemon.stop()
    assert code == 0
    cycles = [line for line in daemon.lines if "cycle=" in line and "feeds=" in line]
    for i in range(2):
        failures = [line for line in daemon.lines if f"feed='dead{i}' status=error" in line]
        polls = [line for line in cycles if "errors=" in line and "feeds=0" not in line]
        assert 1 <= len(failures) <= len(polls)
        assert "network error" in failures[0]


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_sighup_reloads_feeds_and_destinations_and_keeps_the_old_config_on_errors(
    tmp_path: Path, demo_site: LocalSite, webhook: WebhookReceiver
) -> None:
    old, new = "/feeds/armenian-wire.xml", "/feeds/regional-ru.xml"
    config = tmp_path / "monitor.toml"

    def write(feed: str, alerts: str = "") -> None:
        config.write_text(
            "[storage]\npath = 'm.db'\n[polling]\ntick = '1s'\ninterval = '1s'\n"
            f"{alerts}[[feeds]]\nname = 'F'\nurl = '{demo_site.url(feed)}'\n",
            encoding="utf-8",
        )

    for path in (old, new):  # polled on every tick, whatever a feed's own <ttl> says
        served = demo_site.resources[path]
        served.body = re.sub(rb"<ttl>\d+</ttl>", b"", served.body)
    write(old)
    daemon = Process(config, tmp_path)
    try:
        daemon.wait_for("cycle=2 ")
        assert demo_site.requests_for(old) and not demo_site.requests_for(new)
        # Another feed, and a destination: both taken up without a restart.
        write(new, f"[alerts]\nurls = ['json://127.0.0.1:{webhook.port}/hook']\n")
        daemon.proc.send_signal(signal.SIGHUP)
        (reloaded,) = daemon.wait_for("reloaded feeds=1")
        assert "added=1 removed=1 destinations=1" in reloaded
        polls_of_old = len(demo_site.requests_for(old))  # a reload waits for the running cycle
        _wait_until(lambda: len(demo_site.requests_for(new)) >= 3, "the new feed polled again")
        _wait_until(lambda: bool(webhook.received), "an alert from the new feed")
        assert "[" in webhook.received[0].json()["title"]
        assert len(demo_site.requests_for(old)) == polls_of_old  # the removed feed: not polled

        # A broken config: logged with its file and key, the running one kept.
        config.write_text(
            config.read_text(encoding="utf-8").replace("tick = '1s'", "tick = 'soon'"),
            encoding="utf-8",
        )
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for("reload failed: 1 config problem(s); the running config is kept")
        (problem,) = daemon.wait_for("reload: config error:")
        assert f"{config}:" in problem and "polling.tick" in problem
        polled = len(demo_site.requests_for(new))
        _wait_until(
            lambda: len(demo_site.requests_for(new)) >= polled + 2, "polls after a bad reload"
        )
    finally:
        code, took = daemon.stop()
    assert code == 0 and took < 10
    assert len(demo_site.requests_for(old)) == polls_of_old
