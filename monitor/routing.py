"""Which destinations an alert goes to: routes from severities and watches to tags. Pure.

Without routes every destination gets every alert (at or above ``[alerts] min_severity``). With
``[[alerts.route]]`` tables, an alert goes to the destinations that carry a tag of any route it
matches: a route matches when the alert is at least as grave as its ``min_severity`` and, if
it lists ``watches``, one of them flagged the article. An alert that matches no route is
stored and listed, not sent. A route with ``digest = "hourly"`` or ``"daily 08:00"`` (in the
``[alerts] timezone``) holds its alerts back and sends them as one digest message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.models import Destination, severity_at_least


@dataclass(frozen=True, slots=True)
class Route:
    tags: frozenset[str]
    min_severity: str = "low"
    watches: frozenset[str] | None = None  # None: any watch
    digest: str = ""  # "": at once; "hourly"; "daily HH:MM" (in ``timezone``)
    timezone: str = "UTC"  # the [alerts] timezone


_DAILY = re.compile(r"^daily (\d{1,2}):(\d{2})$")


def check_digest(spec: str) -> str:
    """``spec`` if it is "", "hourly" or "daily HH:MM"; else ValueError."""
    found = _DAILY.match(spec)
    if spec in ("", "hourly") or (found and int(found[1]) < 24 and int(found[2]) < 60):
        return spec
    raise ValueError('must be "hourly" or "daily HH:MM" (24-hour clock)')


def next_digest(spec: str, now: datetime, timezone: str = "UTC") -> datetime:
    """The first digest time of ``spec`` after ``now`` (an aware datetime), in UTC.

    Times are compared as instants, never as wall-clock readings, so daylight saving changes
    neither skip nor repeat a digest: "hourly" is every local hour (23 on the day clocks go
    forward, 25 on the day they go back); "daily 02:30" comes once a day, at the first 02:30
    when that time happens twice, and at 03:30 (the same instant as 02:30 before the change)
    on the day 02:30 does not exist.
    """
    zone = ZoneInfo(timezone)
    now = now.astimezone(UTC)
    if spec == "hourly":
        hour = now.astimezone(zone).replace(minute=0, second=0, microsecond=0)
        return hour.astimezone(UTC) + timedelta(hours=1)
    found = _DAILY.match(spec)
    if found is None:
        raise ValueError(f"not a digest schedule: {spec!r}")
    today = now.astimezone(zone).date()
    for days in range(3):
        day = today + timedelta(days=days)
        at = datetime(day.year, day.month, day.day, int(found[1]), int(found[2]), tzinfo=zone)
        if at.astimezone(UTC) > now:
            return at.astimezone(UTC)
    raise AssertionError("unreachable: a daily time always comes within two days")


def digest_times(
    severity: str,
    watches: Sequence[str],
    routes: Sequence[Route],
    now: datetime,
) -> dict[str, datetime | None]:
    """For each tag the alert is routed to: None (send now) or the digest time it waits for.
    A tag reached by an immediate route and a digest route is sent now."""
    times: dict[str, datetime | None] = {}
    for route in routes:
        if not (
            severity_at_least(severity, route.min_severity)
            and (route.watches is None or route.watches & set(watches))
        ):
            continue
        when = next_digest(route.digest, now, route.timezone) if route.digest else None
        for tag in route.tags:
            if tag in times and (times[tag] is None or when is None):
                times[tag] = None
            elif tag in times:
                times[tag] = min(times[tag], when)  # type: ignore[type-var]
            else:
                times[tag] = when
    return times


def targets(
    severity: str,
    watches: Sequence[str],
    destinations: Iterable[Destination],
    routes: Sequence[Route],
) -> list[Destination]:
    """The destinations this alert goes to."""
    if not routes:
        return list(destinations)
    wanted: set[str] = set()
    for route in routes:
        if severity_at_least(severity, route.min_severity) and (
            route.watches is None or route.watches & set(watches)
        ):
            wanted |= route.tags
    return [d for d in destinations if wanted & set(d.tags)]


def split_tags(url: str) -> tuple[tuple[str, ...], str]:
    """``"chat,email=matrix://..."`` -> (("chat", "email"), "matrix://..."): apprise's TEXT
    config syntax, also accepted inline."""
    head, sep, rest = url.partition("=")
    if (
        sep
        and "://" in rest
        and "://" not in head
        and head
        and all(
            tag.strip() and all(ch.isalnum() or ch in "_-" for ch in tag.strip())
            for tag in head.split(",")
        )
    ):
        return tuple(tag.strip() for tag in head.split(",")), rest.strip()
    return (), url
