"""Running as a service: the systemd unit, sd_notify and the watchdog, one daemon per database,
`status`, and /metrics and /healthz, against the daemon as a real child process."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from monitor.alert import Notifier
from monitor.cli import main
from monitor.config import Settings, load_settings
from monitor.daemon import Daemon, watchdog_interval
from monitor.errors import ConfigError
from monitor.localsite import LocalSite, Resource
from monitor.match import load_watchlist
from tests.servers import free_port
from tests.test_daemon import Process

from .conftest import DEMO, ROOT

UNIT = ROOT / "systemd" / "news-monitor.service"
WIRE = "/feeds/armenian-wire.xml"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed here (it comes with systemd)")
    return found


def test_unit_file_scores_2_or_lower_in_systemd_analyze_security() -> None:
    analyze = _analyze()
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no unknown or misplaced keys
    found = re.search(r"Overall exposure level for news-monitor\.service: ([\d.]+)", result.stdout)
    assert found, result.stdout
    assert float(found.group(1)) <= 2.0, result.stdout


def test_unit_file_verifies(tmp_path: Path) -> None:
    """`systemd-analyze verify` checks every key and value; it also wants ExecStart's program to
    exist, so a copy points it at one that does."""
    analyze = _analyze()
    text = UNIT.read_text(encoding="utf-8")
    installed = "/opt/news-monitor/.venv/bin/news-monitor"
    assert f"ExecStart={installed} --config /etc/news-monitor/monitor.toml run" in text
    copy = tmp_path / "news-monitor.service"
    copy.write_text(text.replace(installed, sys.executable), encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_unit_file_gives_the_daemon_what_it_needs() -> None:
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    assert settings["Type"] == ["notify"] and settings["NotifyAccess"] == ["main"]
    assert settings["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert settings["WatchdogSec"] and settings["DynamicUser"] == ["yes"]
    assert settings["StateDirectory"] == ["news-monitor"]
    assert settings["ProtectSystem"] == ["strict"]
    assert set(settings["RestrictAddressFamilies"][0].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert settings["RestartPreventExitStatus"] == ["2"]  # a config error: restarting won't help


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, None),
        ({"WATCHDOG_USEC": "60000000"}, 30.0),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"}, None),  # meant for another process
        ({"WATCHDOG_USEC": "400000", "WATCHDOG_PID": "self"}, 0.2),
    ],
)
def test_watchdog_interval_is_half_of_watchdog_usec(
    env: dict[str, str], expected: float | None
) -> None:
    import os

    env = {k: str(os.getpid()) if v == "self" else v for k, v in env.items()}
    assert watchdog_interval(env) == expected


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("", None),
        ('metrics = "127.0.0.1:9187"', ("127.0.0.1", 9187)),
        ('metrics = "[::1]:9187"', ("::1", 9187)),
        ('metrics = "localhost:9187"', ("localhost", 9187)),
        ('metrics = "0.0.0.0:9187"', "not a loopback address"),
        ('metrics = "192.168.1.5:9187"', "metrics_allow_remote = true"),
        ('metrics = "0.0.0.0:9187"\nmetrics_allow_remote = true', ("0.0.0.0", 9187)),
        ('metrics = "9187"', "is not an address"),
        ('metrics = "127.0.0.1:70000"', "is not an address"),
        ("metrcs = '127.0.0.1:9187'", "did you mean 'metrics'?"),
    ],
)
def test_metrics_address_is_loopback_unless_allowed(
    tmp_path: Path, service: str, expected: object
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(f"[service]\n{service}\n", encoding="utf-8")
    if isinstance(expected, str):
        with pytest.raises(ConfigError) as caught:
            load_settings(config)
        assert expected in str(caught.value) and "service." in str(caught.value)
    else:
        assert load_settings(config).service.metrics == expected


def _config(tmp_path: Path, site: LocalSite, extra: str = "", tick: str = "1s") -> Path:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f"[storage]\npath = 'state/monitor.db'\n[polling]\ntick = '{tick}'\ninterval = '1h'\n"
        f"{extra}[[feeds]]\nname = 'Wire'\nurl = '{site.url(WIRE)}'\n",
        encoding="utf-8",
    )
    return config


def test_one_daemon_per_database_and_status(tmp_path: Path, demo_site: LocalSite) -> None:
    config = _config(tmp_path, demo_site)
    missing = CliRunner().invoke(main, ["--config", str(config), "status"])
    assert missing.exit_code == 1 and "no database" in missing.output

    daemon = Process(config, tmp_path)
    try:
        daemon.wait_for("cycle=1 ")
        second = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert f"another news-monitor (pid {daemon.proc.pid}) is already running" in second.stderr
        assert "monitor.db.lock" in second.stderr

        once = CliRunner().invoke(main, ["--config", str(config), "once"])
        assert once.exit_code == 1 and "already running" in once.output
        dry = invoke("--config", str(config), "once", "--dry-run")  # reads only: allowed
        assert dry.exit_code == 0 and "dry run: nothing stored" in dry.output

        running = json.loads(invoke("--config", str(config), "status", "--json").output)
        assert running["daemon_running"] is True and running["daemon_pid"] == daemon.proc.pid
        assert running["feeds_total"] == 1 and running["feeds_due"] == 0
        assert running["feeds_erroring"] == 0
        assert running["items_stored"] == 5 and running["items_flagged"] >= 1
        assert running["alerts_pending"] == running["alerts_failed"] == running["alerts_dead"] == 0
        assert running["cycles"] >= 1 and running["last_cycle_seconds"] > 0
        last = datetime.fromisoformat(running["last_cycle_at"])
        assert abs((datetime.now(UTC) - last).total_seconds()) < 30
        text = invoke("--config", str(config), "status").output
        assert f"daemon:     running (pid {daemon.proc.pid})" in text
        assert "feeds:      1 active, 0 due, 0 erroring" in text
        assert "items:      5 stored" in text and "last cycle: 20" in text
    finally:
        code, _ = daemon.stop()
    assert code == 0

    stopped = json.loads(invoke("--config", str(config), "status", "--json").output)
    assert stopped["daemon_running"] is False and stopped["daemon_pid"] is None
    assert stopped["last_cycle_at"] >= running["last_cycle_at"]
    assert "daemon:     not running" in invoke("--config", str(config), "status").output
    assert invoke("--config", str(config), "once").exit_code == 0  # the lock went with it


class NotifySocket:
    """What systemd's NOTIFY_SOCKET receives: an abstract datagram socket, read in a thread."""

    def __init__(self) -> None:
        self.name = f"news-monitor-test-{uuid.uuid4().hex}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name)
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._done.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.messages.append((time.monotonic(), data.decode()))

    def times(self, message: str) -> list[float]:
        return [at for at, text in self.messages if text == message]

    def wait_for(self, message: str, timeout: float = 30) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if found := self.times(message):
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"{message} not received; got {self.messages}")

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def notify() -> Iterator[NotifySocket]:
    receiver = NotifySocket()
    yield receiver
    receiver.close()


def test_watchdog_pings_during_a_long_cycle_and_sigterm_cancels_it(
    tmp_path: Path, site: LocalSite, notify: NotifySocket
) -> None:
    body = (DEMO / "feeds" / "armenian-wire.xml").read_bytes().replace(b"{{BASE}}", b"")
    site.resources[WIRE] = Resource(body, "application/rss+xml", delay=30)  # a feed that hangs
    config = _config(tmp_path, site, "[fetch]\ntimeout = '60s'\n")
    env = {"NOTIFY_SOCKET": "@" + notify.name, "WATCHDOG_USEC": "300000"}
    daemon = Process(config, tmp_path, env=env)
    try:
        ready = notify.wait_for("READY=1")
        time.sleep(2)  # the first cycle starts at once and is stuck on the feed all this while
        assert not any("cycle=" in line for line in daemon.lines)
        pings = [at for at in notify.times("WATCHDOG=1") if at >= ready]
        assert len(pings) >= 9  # every 0.15 s
        assert max(b - a for a, b in itertools.pairwise(pings)) < 0.5
    finally:
        code, took = daemon.stop()
    assert code == 0 and took < 10
    notify.wait_for("STOPPING=1", timeout=5)
    assert any("stopped after 0 cycles" in line for line in daemon.lines)
    # The cancelled poll left nothing behind: the feed is as it was before it.
    with sqlite3.connect(tmp_path / "state" / "monitor.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        assert db.execute("select last_checked_at, last_status from feeds").fetchall() == [
            (None, None)
        ]
        assert db.execute("select count(*) from entries").fetchone() == (0,)


def test_a_reload_is_announced_to_systemd(tmp_path: Path, notify: NotifySocket) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text("[storage]\npath = 'm.db'\n[polling]\ntick = '1h'\n", encoding="utf-8")
    daemon = Process(config, tmp_path, env={"NOTIFY_SOCKET": "@" + notify.name})
    try:
        notify.wait_for("READY=1")
        daemon.wait_for("cycle=1 ")
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for("reloaded feeds=0")
        deadline = time.monotonic() + 10
        while len(notify.times("READY=1")) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        code, _ = daemon.stop()
    assert code == 0
    texts = [text for _, text in notify.messages]
    assert texts[0] == "READY=1" and texts[-1] == "STOPPING=1"
    reloading = next(i for i, text in enumerate(texts) if text.startswith("RELOADING=1\n"))
    assert re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=\d+", texts[reloading])
    assert texts[reloading + 1] == "READY=1"
    assert "WATCHDOG=1" not in texts  # no WATCHDOG_USEC, no pings


def _metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_metrics_and_healthz_from_a_running_daemon(tmp_path: Path, demo_site: LocalSite) -> None:
    demo_site.resources[WIRE].delay = 2.0  # the first cycle takes at least this long
    port = free_port()
    service = f"[service]\nmetrics = '127.0.0.1:{port}'\n"
    config = _config(tmp_path, demo_site, service, tick="1h")  # one cycle, the slow one
    daemon = Process(config, tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        daemon.wait_for("metrics on http://127.0.0.1:")
        early = httpx.get(f"{base}/healthz", timeout=5)
        assert early.status_code == 503 and "no cycle finished yet" in early.text
        daemon.wait_for("cycle=1 ")
        healthy = httpx.get(f"{base}/healthz", timeout=5)
        assert healthy.status_code == 200 and healthy.text.startswith("ok: last cycle")

        scraped = httpx.get(f"{base}/metrics", timeout=5)
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "# TYPE news_monitor_feed_errors_total counter" in scraped.text
        values = _metrics(scraped.text)
        assert values["news_monitor_feeds"] == 1 and values["news_monitor_feeds_due"] == 0
        assert values["news_monitor_feeds_erroring"] == 0, daemon.lines
        assert values["news_monitor_feed_errors_total"] == 0
        assert values["news_monitor_items_stored"] == 5
        assert values["news_monitor_items_flagged"] >= 1
        for status in ("pending", "failed", "dead"):
            assert values[f'news_monitor_alert_deliveries{{status="{status}"}}'] == 0
        assert values["news_monitor_cycles_total"] == 1
        assert abs(values["news_monitor_last_cycle_timestamp_seconds"] - time.time()) < 30
        assert 2.0 <= values["news_monitor_last_cycle_duration_seconds"] < 30

        assert httpx.get(f"{base}/nothing", timeout=5).status_code == 404
        assert httpx.post(f"{base}/metrics", timeout=5).status_code == 405
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(b"nonsense\r\n\r\n")
            assert raw.recv(100).startswith(b"HTTP/1.1 400 ")
    finally:
        code, _ = daemon.stop()
    assert code == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/healthz", timeout=5)


def test_health_goes_stale_after_three_ticks_and_a_margin(tmp_path: Path) -> None:
    settings = Settings(source=None, storage_path=tmp_path / "m.db")
    daemon = Daemon(settings, watchlist=load_watchlist(None), notifier=Notifier([]))
    tick = settings.polling.tick
    assert daemon.health()[0] is False
    daemon._last_cycle = time.monotonic() - 3 * tick - 30
    assert daemon.health()[0] is True
    daemon._last_cycle = time.monotonic() - 3 * tick - 90
    ok, reason = daemon.health()
    assert ok is False and reason.startswith("stale: last cycle finished")


def test_a_busy_metrics_port_stops_the_daemon_with_a_clear_error(
    tmp_path: Path, demo_site: LocalSite
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = _config(tmp_path, demo_site, f"[service]\nmetrics = '127.0.0.1:{port}'\n")
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(config), "run"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"error: cannot serve metrics on 127.0.0.1:{port}" in result.stderr
