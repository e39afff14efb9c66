from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import load_settings, parse_duration, parse_size
from monitor.errors import ConfigError

from .conftest import ROOT


def write(tmp_path: Path, text: str, name: str = "monitor.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_loads_with_the_shipped_feed_list() -> None:
    settings = load_settings(ROOT / "config" / "monitor.toml")
    assert settings.storage_path == ROOT / "data" / "monitor.db"
    assert len(settings.feeds) >= 20
    assert {f.side for f in settings.feeds} >= {"armenian", "azerbaijani", "russian"}
    assert all(f.url.startswith(("http://", "https://")) for f in settings.feeds)


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    write(tmp_path, '[[feeds]]\nurl = "https://a.example/rss"\n', "conf/more.toml")
    path = write(
        tmp_path,
        '[storage]\npath = "../db/x.db"\ninclude_feeds = []\n',
        "conf/monitor.toml",
    )
    # include_feeds after a table belongs to the table: that is an unknown key there
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "storage.include_feeds" in str(err.value)
    path = write(
        tmp_path,
        'include_feeds = ["more.toml"]\n[storage]\npath = "../db/x.db"\n',
        "conf/monitor.toml",
    )
    settings = load_settings(path)
    assert settings.storage_path == tmp_path / "db" / "x.db"
    assert [f.url for f in settings.feeds] == ["https://a.example/rss"]


def test_feed_options_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[polling]
interval = "15m"
[[feeds]]
name = "A"
url = "https://a.example/rss"
interval = "1h30m"
side = "armenian"
language = "hy"
[[feeds]]
url = "https://b.example/rss"
[[feeds]]
url = "https://c.example/rss"
enabled = false
""",
    )
    settings = load_settings(path)
    a, b = settings.feeds
    assert (a.name, a.interval_seconds, a.side, a.language) == ("A", 5400, "armenian", "hy")
    assert (b.name, b.interval_seconds, b.side) == ("https://b.example/rss", 900, None)


BAD_CONFIGS = [
    pytest.param(
        '[[feeds]]\nname = "x"\nurl = "https://a.example/rss"\nintervall = "5m"\n',
        ["monitor.toml:4:", "feeds[0].intervall", "did you mean 'interval'"],
        id="unknown-feed-key",
    ),
    pytest.param(
        '[storage]\npath = "x.db"\n\n[polling]\ntick = "5s"\nconcurency = 3\n',
        ["monitor.toml:6:", "polling.concurency", "did you mean 'concurrency'"],
        id="unknown-table-key",
    ),
    pytest.param(
        "[alert]\nurls = []\n",
        ["monitor.toml:1:", "alert: unknown key", "did you mean 'alerts'"],
        id="unknown-table",
    ),
    pytest.param(
        '[[feeds]]\nname = "no url"\n',
        ["feeds[0].url", "missing"],
        id="missing-url",
    ),
    pytest.param(
        '[polling]\nconcurrency = "eight"\n',
        ["monitor.toml:2:", "polling.concurrency", "must be an integer"],
        id="bad-type",
    ),
    pytest.param(
        '[polling]\ninterval = "ten minutes"\n',
        ["polling.interval", "not a duration"],
        id="bad-duration",
    ),
    pytest.param(
        '[[feeds]]\nurl = "ftp://a.example/rss"\n',
        ["feeds[0].url", "http(s) URL"],
        id="bad-scheme",
    ),
    pytest.param(
        '[[feeds]]\nurl = "https://a.example/rss"\nside = "neutral"\n',
        ["feeds[0].side", "must be one of"],
        id="bad-choice",
    ),
    pytest.param(
        '[[feeds]]\nurl = "https://a.example/rss"\n[[feeds]]\nurl = "https://a.example/rss"\n',
        ["listed twice"],
        id="duplicate-url",
    ),
    pytest.param("[storage\npath = 1\n", ["not valid TOML"], id="toml-syntax"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CONFIGS)
def test_bad_config_names_the_problem_and_exits_2(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    for fragment in expected:
        assert fragment in message
    result = CliRunner().invoke(main, ["--config", str(path), "feeds"])
    assert result.exit_code == 2
    assert "config error:" in result.output
    assert expected[-1] in result.output


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, '[polling]\ntick = "x"\nper_host = 0\n[[feeds]]\nname = "a"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert len(err.value.problems) == 3


def test_missing_config_file_exits_2_via_the_env_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "feeds"],
        env={"NEWS_MONITOR_CONFIG": str(missing), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert "file not found" in result.stderr
    assert str(missing) in result.stderr


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30s", 30), ("10m", 600), ("1h30m", 5400), ("2d", 172800), (45, 45), ("250ms", 0.25)],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "10 parsecs", -5, 0, True, "5m and more"])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "size"), [("10MB", 10_000_000), ("512 KiB", 524288), (1024, 1024), ("2mib", 2097152)]
)
def test_sizes(value: object, size: int) -> None:
    assert parse_size(value) == size
