"""Which destinations an alert goes to: routes from severities and watches to tags. Pure.

Without routes every destination gets every alert (at or above ``[alerts] min_severity``). With
``[[alerts.route]]`` tables, an alert goes to the destinations that carry a tag of any route it
matches: a route matches when the alert is at least as grave as its ``min_severity`` and, if
it lists ``watches``, one of them flagged the article. An alert that matches no route is
stored and listed, not sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.models import SEVERITIES, Destination


@dataclass(frozen=True, slots=True)
class Route:
    tags: frozenset[str]
    min_severity: str = "low"
    watches: frozenset[str] | None = None  # None: any watch


def _at_least(severity: str, minimum: str) -> bool:
    if severity not in SEVERITIES or minimum not in SEVERITIES:
        return False
    return severity != "none" and SEVERITIES.index(severity) >= SEVERITIES.index(minimum)


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
        if _at_least(severity, route.min_severity) and (
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
