"""TOML configuration -> frozen dataclasses.

Every problem is reported with its file, line and key path, all at once, so a user fixes a config
in one go. Relative paths resolve against the folder of the file that names them.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor import paths
from monitor.errors import ConfigError
from monitor.models import SEVERITIES, FeedSource
from monitor.policy import is_loopback_host
from monitor.routing import Route, check_digest
from monitor.sources import KINDS
from monitor.sources.listing import check_patterns, check_selector
from monitor.templates import Templates, check_template

T = TypeVar("T")

SIDES = ("armenian", "azerbaijani", "russian", "international")
DEFAULT_USER_AGENT = "news-monitor/0.1 (+https://github.com/news-monitor/news-monitor)"


@dataclass(frozen=True, slots=True)
class PollingSettings:
    interval: float = 600.0
    tick: float = 30.0
    max_backoff: float = 6 * 3600.0
    concurrency: int = 8
    per_host: int = 2


@dataclass(frozen=True, slots=True)
class FetchSettings:
    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = DEFAULT_USER_AGENT
    fetch_articles: bool = True


@dataclass(frozen=True, slots=True)
class AlertSettings:
    urls: tuple[str, ...] = ()
    config: Path | None = None
    min_severity: str = "low"
    max_attempts: int = 0  # attempts before a failing delivery is dead; 0: no limit by count
    give_up_after: float = 2 * 86400.0  # seconds of transient failure before a delivery is dead
    corroboration: int = 3  # sides reporting a flagged story that send one follow-up; 0: never
    max_per_hour: int = 30  # messages to one destination in an hour; the rest: one summary
    routes: tuple[Route, ...] = ()  # severities and watches -> destination tags (routing.py)
    operator_tag: str = ""  # destinations told when a delivery goes dead
    templates: Templates = field(default_factory=Templates)  # [alerts.template]


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    metrics: tuple[str, int] | None = None  # (host, port) of /metrics and /healthz; None: off
    metrics_allow_remote: bool = False  # serve metrics beyond loopback


@dataclass(frozen=True, slots=True)
class Settings:
    source: Path | None
    storage_path: Path
    polling: PollingSettings = field(default_factory=PollingSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    watchlist: tuple[Path, ...] | None = None  # gazetteer and watches files; None: shipped
    feeds: tuple[FeedSource, ...] = ()
    service: ServiceSettings = field(default_factory=ServiceSettings)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}


def parse_duration(value: object) -> float:
    """``"90s"``, ``"10m"``, ``"1h30m"`` or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError('expected a duration such as "10m" or a number of seconds')
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        parts = _DURATION.findall(text)
        if not parts or _DURATION.sub("", text).strip():
            raise ValueError(f'{value!r} is not a duration; use e.g. "30s", "10m", "1h30m"')
        seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    else:
        raise ValueError('expected a duration such as "10m" or a number of seconds')
    if seconds <= 0:
        raise ValueError("must be greater than zero")
    return seconds


def parse_size(value: object) -> int:
    """``"10MB"``, ``"512 KiB"`` or a number of bytes -> bytes."""
    if isinstance(value, bool):
        raise ValueError('expected a size such as "10MB" or a number of bytes')
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        size = int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
    else:
        raise ValueError(f'{value!r} is not a size; use e.g. "10MB" or a number of bytes')
    if size <= 0:
        raise ValueError("must be greater than zero")
    return size


class _Reader:
    """Collects problems for one TOML file, with line numbers found in its text."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        self.problems = problems

    def problem(self, keys: tuple[str | int, ...], message: str) -> None:
        line = self._line_of(keys)
        where = f"{self.path}:{line}" if line else str(self.path)
        dotted = ".".join(f"[{k}]" if isinstance(k, int) else k for k in keys).replace(".[", "[")
        self.problems.append(f"{where}: {dotted or '(top level)'}: {message}")

    def _line_of(self, keys: tuple[str | int, ...]) -> int | None:
        """Best effort: the line where the key (or its table) is written."""
        headers: list[tuple[int, str]] = []
        for number, raw in enumerate(self.lines, start=1):
            stripped = raw.strip()
            if stripped.startswith("["):
                headers.append((number, stripped.split("#", 1)[0].strip().strip("[]").strip()))
        names = [k for k in keys if isinstance(k, str)]
        index = next((k for k in keys if isinstance(k, int)), 0)
        start, end = 1, len(self.lines) + 1
        if len(names) >= 2 or (names and isinstance(keys[-1], int)):
            table = names[0]
            found = [n for n, name in headers if name == table]
            if index < len(found):
                start = found[index]
                later = [n for n, _ in headers if n > start]
                end = later[0] if later else end
                if isinstance(keys[-1], int) or len(names) == 1:
                    return start
            key = names[-1]
        elif names:
            key = names[0]
            table_line = next((n for n, name in headers if name == key), None)
            if table_line:
                return table_line
            end = headers[0][0] if headers else end
        else:
            return None
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start, end):
            if pattern.match(self.lines[number - 1]):
                return number
        return start if start > 1 else None

    def check_keys(
        self, table: Mapping[str, Any], allowed: tuple[str, ...], keys: tuple[str | int, ...]
    ) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
                self.problem((*keys, key), f"unknown key ({hint})")

    def get(
        self,
        table: Mapping[str, Any],
        key: str,
        keys: tuple[str | int, ...],
        convert: Callable[[object], T],
        default: T,
    ) -> T:
        if key not in table:
            return default
        try:
            return convert(table[key])
        except (TypeError, ValueError) as exc:
            self.problem((*keys, key), str(exc))
            return default

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problem((key,), f"must be a table ([{key}]), not {type(value).__name__}")
            return {}
        return value


def _typed(kind: type[T], label: str) -> Callable[[object], T]:
    def convert(value: object) -> T:
        if isinstance(value, bool) and kind is not bool:
            raise ValueError(f"must be {label}, not a boolean")
        if not isinstance(value, kind):
            raise ValueError(f"must be {label}, not {type(value).__name__} {value!r}")
        return value

    return convert


_SECRET = re.compile(r"\$\{(?:(env):)?([A-Za-z_][A-Za-z0-9_]*)\}|\$\{file:([^}]+)\}")


def _secrets(reader: _Reader, urls: tuple[str, ...], base: Path) -> tuple[str, ...]:
    """Apprise URLs with ``${NAME}`` (an environment variable) and ``${file:PATH}`` (a file's
    first line, relative to the config's folder) filled in, so the config file can be shared
    without its secrets. A missing one is reported by name, never by value."""
    filled = []
    for index, url in enumerate(urls):

        def value(match: re.Match[str], index: int = index) -> str:
            if match.group(3):
                path = (base / os.path.expanduser(match.group(3).strip())).resolve()
                try:
                    lines = path.read_text(encoding="utf-8").splitlines()
                except OSError as exc:
                    reader.problem(
                        ("alerts", "urls", index), f"cannot read secret file {path}: {exc.strerror}"
                    )
                    return ""
                return lines[0].strip() if lines else ""
            name = match.group(2)
            if name not in os.environ:
                reader.problem(("alerts", "urls", index), f"environment variable {name} is not set")
                return ""
            return os.environ[name]

        filled.append(_SECRET.sub(value, url))
    return tuple(filled)


def _read_routes(reader: _Reader, alerts: Mapping[str, Any]) -> tuple[Route, ...]:
    timezone = reader.get(alerts, "timezone", ("alerts",), _timezone, "UTC")
    raw = alerts.get("route", [])
    if not isinstance(raw, list):
        reader.problem(("alerts", "route"), "must be an array of tables ([[alerts.route]])")
        return ()
    routes = []
    for index, table in enumerate(raw):
        keys: tuple[str | int, ...] = ("alerts", "route", index)
        if not isinstance(table, dict):
            reader.problem(keys, "must be a table")
            continue
        reader.check_keys(table, ("tags", "min_severity", "watches", "digest"), keys)
        none: tuple[str, ...] = ()
        tags = reader.get(table, "tags", keys, _string_list, none)
        if not tags:
            reader.problem((*keys, "tags"), "a route needs the tags of its destinations")
        watches = reader.get(table, "watches", keys, _string_list, None)
        routes.append(
            Route(
                tags=frozenset(tags),
                min_severity=reader.get(
                    table, "min_severity", keys, _choice(SEVERITIES[1:]), "low"
                ),
                watches=frozenset(watches) if watches is not None else None,
                digest=reader.get(table, "digest", keys, _digest_spec, ""),
                timezone=timezone,
            )
        )
    return tuple(routes)


def _read_templates(reader: _Reader, alerts: Mapping[str, Any]) -> Templates:
    empty: dict[str, Any] = {}
    table = reader.get(alerts, "template", ("alerts",), _typed(dict, "a table"), empty)
    keys = ("alerts", "template")
    reader.check_keys(table, ("title", "text", "markdown", "html"), keys)
    return Templates(
        **{
            name: reader.get(table, name, keys, _template, "")
            for name in ("title", "text", "markdown", "html")
        }
    )


def _template(value: object) -> str:
    return check_template(_typed(str, "a string")(value))


def _digest_spec(value: object) -> str:
    return check_digest(_typed(str, "a string")(value).strip())


def _timezone(value: object) -> str:
    name = _typed(str, "a string")(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (e.g. 'Asia/Yerevan', 'UTC')") from exc
    return name


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number >= 0")
    return value


def _positive_int(value: object) -> int:
    number = _typed(int, "an integer")(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _choice(options: tuple[str, ...]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        text = _typed(str, "a string")(value)
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}; got {text!r}")
        return text

    return convert


def _paths_list(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a path or a non-empty list of paths")
    return tuple(value)


def _string_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return tuple(value)


def _listen_address(value: object) -> tuple[str, int]:
    """``"127.0.0.1:9187"``, ``"[::1]:9187"`` or ``"localhost:9187"`` -> (host, port)."""
    text = _typed(str, 'an address such as "127.0.0.1:9187"')(value).strip()
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f'{text!r} is not an address; use e.g. "127.0.0.1:9187"')
    return host, int(port)


def _read_service(reader: _Reader, table: Mapping[str, Any]) -> ServiceSettings:
    keys = ("service",)
    reader.check_keys(table, ("metrics", "metrics_allow_remote"), keys)
    allow = reader.get(table, "metrics_allow_remote", keys, _typed(bool, "true or false"), False)
    metrics = reader.get(table, "metrics", keys, _listen_address, None)
    if metrics is not None and not allow and not is_loopback_host(metrics[0]):
        reader.problem(
            (*keys, "metrics"),
            f"{metrics[0]} is not a loopback address; metrics and health are served to this "
            "machine only unless metrics_allow_remote = true",
        )
        metrics = None
    return ServiceSettings(metrics=metrics, metrics_allow_remote=allow)


_TOP = ("include_feeds", "storage", "polling", "fetch", "alerts", "watch", "feeds", "service")
_FEED_KEYS = (
    "name",
    "url",
    "type",
    "interval",
    "language",
    "country",
    "side",
    "enabled",
    "selector",
    "include",
    "exclude",
    "notes",
    "checked",
)


def _read_feeds(
    reader: _Reader, data: Mapping[str, Any], default_interval: float
) -> list[FeedSource]:
    raw = data.get("feeds", [])
    if not isinstance(raw, list):
        reader.problem(("feeds",), "must be an array of tables ([[feeds]])")
        return []
    feeds: list[FeedSource] = []
    for index, item in enumerate(raw):
        keys: tuple[str | int, ...] = ("feeds", index)
        if not isinstance(item, dict):
            reader.problem(keys, "must be a table with name and url")
            continue
        reader.check_keys(item, _FEED_KEYS, keys)
        url = item.get("url")
        if not isinstance(url, str) or not url.strip():
            reader.problem((*keys, "url"), 'missing: every feed needs a url = "https://..."')
            continue
        if not re.match(r"^https?://[^/\s]+", url.strip(), re.IGNORECASE):
            reader.problem((*keys, "url"), f"must be an http(s) URL, got {url!r}")
            continue
        if not reader.get(item, "enabled", keys, _typed(bool, "true or false"), True):
            continue
        name = reader.get(item, "name", keys, _typed(str, "a string"), url.strip())
        side = reader.get(item, "side", keys, _choice(SIDES), None)
        kind = reader.get(item, "type", keys, _choice(KINDS), "feed")
        selector = reader.get(item, "selector", keys, _selector, "")
        if kind == "listing" and not selector:
            reader.problem(
                (*keys, "selector"),
                'a listing source needs the CSS selector of its links, e.g. ".news a"',
            )
        elif kind != "listing" and (selector or "include" in item or "exclude" in item):
            reader.problem(keys, 'selector, include and exclude are for type = "listing" only')
        feeds.append(
            FeedSource(
                name=name,
                url=url.strip(),
                interval_seconds=reader.get(
                    item, "interval", keys, parse_duration, default_interval
                ),
                language=reader.get(item, "language", keys, _typed(str, "a string"), None),
                country=reader.get(item, "country", keys, _typed(str, "a string"), None),
                side=side,
                kind=kind,
                selector=selector,
                include=reader.get(item, "include", keys, _patterns, ()),
                exclude=reader.get(item, "exclude", keys, _patterns, ()),
                notes=reader.get(item, "notes", keys, _typed(str, "a string"), ""),
                checked=reader.get(item, "checked", keys, _typed(str, "a string"), ""),
            )
        )
    return feeds


def _selector(value: object) -> str:
    return check_selector(_typed(str, "a string")(value).strip())


def _patterns(value: object) -> tuple[str, ...]:
    return check_patterns(_string_list(value))


def _load_toml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot read: {exc}")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML: {exc}")
    return None


def load_settings(path: Path | None, *, default_storage: Path | None = None) -> Settings:
    """Read and check a config file. ``None`` gives the built-in defaults (no feeds).

    Raises ConfigError listing every problem found.
    """
    if path is None:
        storage = default_storage or Path("data/monitor.db")
        return Settings(source=None, storage_path=storage.resolve())
    path = path.resolve()
    problems: list[str] = []
    data = _load_toml(path, problems)
    if data is None:
        raise ConfigError(problems)
    base = path.parent
    reader = _Reader(path, problems)
    reader.check_keys(data, _TOP, ())

    def resolve(value: object) -> Path:
        return (base / Path(os.path.expanduser(_typed(str, "a path string")(value)))).resolve()

    sto = reader.table(data, "storage")
    reader.check_keys(sto, ("path",), ("storage",))
    storage_path = reader.get(sto, "path", ("storage",), resolve, base / "data" / "monitor.db")

    pol = reader.table(data, "polling")
    pol_keys = ("interval", "tick", "max_backoff", "concurrency", "per_host")
    reader.check_keys(pol, pol_keys, ("polling",))
    d = PollingSettings()
    polling = PollingSettings(
        interval=reader.get(pol, "interval", ("polling",), parse_duration, d.interval),
        tick=reader.get(pol, "tick", ("polling",), parse_duration, d.tick),
        max_backoff=reader.get(pol, "max_backoff", ("polling",), parse_duration, d.max_backoff),
        concurrency=reader.get(pol, "concurrency", ("polling",), _positive_int, d.concurrency),
        per_host=reader.get(pol, "per_host", ("polling",), _positive_int, d.per_host),
    )

    fet = reader.table(data, "fetch")
    fet_keys = ("timeout", "max_bytes", "max_redirects", "user_agent", "fetch_articles")
    reader.check_keys(fet, fet_keys, ("fetch",))
    f = FetchSettings()
    fetch = FetchSettings(
        timeout=reader.get(fet, "timeout", ("fetch",), parse_duration, f.timeout),
        max_bytes=reader.get(fet, "max_bytes", ("fetch",), parse_size, f.max_bytes),
        max_redirects=reader.get(
            fet, "max_redirects", ("fetch",), _typed(int, "an integer"), f.max_redirects
        ),
        user_agent=reader.get(fet, "user_agent", ("fetch",), _typed(str, "a string"), f.user_agent),
        fetch_articles=reader.get(
            fet, "fetch_articles", ("fetch",), _typed(bool, "true or false"), f.fetch_articles
        ),
    )

    al = reader.table(data, "alerts")
    reader.check_keys(
        al,
        (
            "urls",
            "config",
            "min_severity",
            "max_attempts",
            "give_up_after",
            "corroboration",
            "max_per_hour",
            "route",
            "timezone",
            "operator_tag",
            "template",
        ),
        ("alerts",),
    )
    alerts = AlertSettings(
        urls=_secrets(reader, reader.get(al, "urls", ("alerts",), _string_list, ()), base),
        config=reader.get(al, "config", ("alerts",), resolve, None),
        min_severity=reader.get(al, "min_severity", ("alerts",), _choice(SEVERITIES[1:]), "low"),
        max_attempts=reader.get(al, "max_attempts", ("alerts",), _count, 0),
        give_up_after=reader.get(al, "give_up_after", ("alerts",), parse_duration, 2 * 86400.0),
        corroboration=reader.get(al, "corroboration", ("alerts",), _count, 3),
        max_per_hour=reader.get(al, "max_per_hour", ("alerts",), _count, 30),
        routes=_read_routes(reader, al),
        operator_tag=reader.get(al, "operator_tag", ("alerts",), _typed(str, "a string"), ""),
        templates=_read_templates(reader, al),
    )
    if alerts.config is not None and not alerts.config.is_file():
        reader.problem(("alerts", "config"), f"apprise config file not found: {alerts.config}")

    watch = reader.table(data, "watch")
    reader.check_keys(watch, ("gazetteer", "watches"), ("watch",))
    watchlist: tuple[Path, ...] | None = None
    if watch:
        parts: list[Path] = []
        for key, default in (("gazetteer", paths.GAZETTEER), ("watches", paths.WATCHES)):
            given = reader.get(watch, key, ("watch",), _paths_list, None)
            chosen = [resolve(p) for p in given] if given is not None else [default]
            for path in chosen:
                if not path.exists():
                    reader.problem(("watch", key), f"file or folder not found: {path}")
            parts += chosen
        watchlist = tuple(parts)

    service = _read_service(reader, reader.table(data, "service"))
    feeds = _read_feeds(reader, data, polling.interval)
    no_files: tuple[str, ...] = ()
    for included in reader.get(data, "include_feeds", (), _string_list, no_files):
        feed_path = resolve(included)
        feed_data = _load_toml(feed_path, problems)
        if feed_data is None:
            continue
        feed_reader = _Reader(feed_path, problems)
        feed_reader.check_keys(feed_data, ("feeds",), ())
        feeds.extend(_read_feeds(feed_reader, feed_data, polling.interval))

    seen: set[str] = set()
    for feed in feeds:
        if feed.url in seen:
            problems.append(f"{path}: feeds: the URL {feed.url} is listed twice")
        seen.add(feed.url)

    if problems:
        raise ConfigError(problems)
    return Settings(
        source=path,
        storage_path=storage_path,
        polling=polling,
        fetch=fetch,
        alerts=alerts,
        watchlist=watchlist,
        feeds=tuple(feeds),
        service=service,
    )
