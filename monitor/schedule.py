"""When to look again: next poll of a feed, next attempt of a delivery. Pure functions."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta


def _spread(key: str, fraction: float) -> float:
    """A stable factor in [1 - fraction, 1 + fraction] from a key, so feeds do not march in step."""
    value = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big")
    return 1.0 - fraction + 2 * fraction * (value / 0xFFFFFFFF)


def next_check(
    *,
    url: str,
    interval: float,
    now: datetime,
    outcome: str,
    error_count: int = 0,
    retry_after: float | None = None,
    max_backoff: float = 6 * 3600.0,
) -> datetime:
    """When to poll a feed next.

    ``outcome`` is "ok", "not-modified" or "error"; ``error_count`` counts consecutive errors
    including this one. Errors back off exponentially from the feed's interval up to
    ``max_backoff``; a server's Retry-After is honoured when it asks for longer (capped at a day).
    """
    delay = interval
    if outcome == "error":
        steps = max(0, min(error_count - 1, 16))
        delay = min(max_backoff, interval * (2**steps))
    if retry_after is not None:
        delay = max(delay, min(retry_after, 86400.0))
    return now + timedelta(seconds=delay * _spread(url, 0.05))


def retry_delay(attempts: int, *, key: str = "", base: float = 30.0, cap: float = 900.0) -> float:
    """Seconds before the next delivery attempt after ``attempts`` failed ones (>= 1): 30 s
    doubling up to 15 minutes, +-20% jitter, so a destination back from an outage hears from us
    within a quarter of an hour."""
    raw = min(cap, base * (2 ** max(0, attempts - 1)))
    return float(raw * _spread(f"{key}:{attempts}", 0.2))
