from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.schedule import next_check, retry_delay

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("outcome", "errors", "retry_after", "low", "high"),
    [
        ("ok", 0, None, 570, 630),  # the interval, spread by +-5%
        ("not-modified", 0, None, 570, 630),
        ("error", 1, None, 570, 630),  # first error: the interval again
        ("error", 2, None, 1140, 1260),  # then doubling
        ("error", 3, None, 2280, 2520),
        ("error", 30, None, 3600 * 0.95, 3600 * 1.05),  # capped at max_backoff
        ("error", 1, 7200.0, 7200 * 0.95, 7200 * 1.05),  # Retry-After asks for longer
        ("ok", 0, 10.0, 570, 630),  # a shorter Retry-After does not shorten the interval
        ("error", 1, 10 * 86400.0, 86400 * 0.95, 86400 * 1.05),  # absurd Retry-After: a day
    ],
)
def test_next_check(
    outcome: str, errors: int, retry_after: float | None, low: float, high: float
) -> None:
    when = next_check(
        url="https://a.example/rss",
        interval=600,
        now=NOW,
        outcome=outcome,
        error_count=errors,
        retry_after=retry_after,
        max_backoff=3600,
    )
    assert timedelta(seconds=low) <= when - NOW <= timedelta(seconds=high)


def test_spread_is_stable_per_feed_and_differs_between_feeds() -> None:
    first = next_check(url="https://a.example/rss", interval=600, now=NOW, outcome="ok")
    again = next_check(url="https://a.example/rss", interval=600, now=NOW, outcome="ok")
    other = next_check(url="https://b.example/rss", interval=600, now=NOW, outcome="ok")
    assert first == again != other


def test_retry_delay_grows_and_caps() -> None:
    delays = [retry_delay(n, key="k") for n in range(1, 12)]
    assert delays[0] < delays[1] < delays[2]
    assert max(delays) <= 900 * 1.2
