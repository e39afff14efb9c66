"""Typed access to a parsed TOML watchlist or watches file, reporting problems by key."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping


class WatchlistError(ValueError):
    """A watchlist file that cannot be read, or that breaks its schema."""


class Reader:
    """Typed access to parsed TOML that reports problems as ``file: key: message``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> WatchlistError:
        return WatchlistError(f"{self.source}: {key}: {message}")

    def table(self, value: object, key: str) -> Mapping[str, object]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {type(value).__name__}")
        return value

    def check_keys(self, table: Mapping[str, object], allowed: frozenset[str], key: str) -> None:
        for name in table:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                close = difflib.get_close_matches(name, sorted(allowed), n=1)
                if close:
                    raise self.fail(where, f"unknown key (did you mean {close[0]!r}?)")
                expected = ", ".join(sorted(allowed))
                raise self.fail(where, f"unknown key (expected one of: {expected})")

    def text(
        self, table: Mapping[str, object], name: str, key: str, default: str | None = None
    ) -> str:
        value = table.get(name, default)
        if value is None:
            raise self.fail(f"{key}.{name}", "missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key}.{name}", "expected a non-empty string")
        return value.strip()

    def number(
        self, table: Mapping[str, object], name: str, key: str, default: float | None = None
    ) -> float:
        value = table.get(name, default)
        if value is None:
            raise self.fail(f"{key}.{name}", "missing")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(f"{key}.{name}", "expected a number")
        return float(value)

    def strings(self, table: Mapping[str, object], name: str, key: str) -> tuple[str, ...]:
        value = table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"{key}.{name}", "expected a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def choice(
        self,
        table: Mapping[str, object],
        name: str,
        key: str,
        options: tuple[str, ...] | frozenset[str],
        default: str | None = None,
    ) -> str:
        value = self.text(table, name, key, default)
        if value not in options:
            raise self.fail(
                f"{key}.{name}", f"{value!r} is not one of {', '.join(sorted(options))}"
            )
        return value
