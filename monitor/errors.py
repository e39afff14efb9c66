"""The exceptions news-monitor raises. Library errors are translated at one boundary per module.

::

    MonitorError
    ├── ConfigError            startup only; lists every problem with file and key; exit status 2
    ├── SourceError(url)       one feed or page; recorded on the feed row; never stops a cycle
    │   ├── FetchError         status, network, timeout, too large, redirects, address refused
    │   │   ├── AddressRefused the URL's scheme or address is not allowed by the policy
    │   │   └── RateLimited    429/503 with an optional Retry-After
    │   └── ParseError         the bytes are not a feed
    ├── StoreError             the database cannot be opened or written; aborts this cycle
    └── AlertError             one delivery failed; its row stays pending and is retried
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error news-monitor raises on purpose."""


class ConfigError(MonitorError):
    """The configuration is invalid. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class SourceError(MonitorError):
    """One feed or page could not be read. Recorded, never fatal."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{reason} ({url})")


class FetchError(SourceError):
    """An HTTP fetch failed: network, timeout, status, size or redirects."""

    def __init__(self, url: str, reason: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(url, reason)


class AddressRefused(FetchError):
    """The URL's scheme or the address it resolves to is not allowed."""


class RateLimited(FetchError):
    """The server said "too many requests" or "unavailable", maybe with a Retry-After."""

    def __init__(self, url: str, status: int, retry_after: float | None) -> None:
        self.retry_after = retry_after
        wait = f", retry after {retry_after:.0f}s" if retry_after is not None else ""
        super().__init__(url, f"HTTP {status}{wait}", status=status)


class ParseError(SourceError):
    """The bytes could not be read as a feed."""


class StoreError(MonitorError):
    """The database failed; the cycle stops."""


class AlertError(MonitorError):
    """One delivery to one destination failed."""

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent  # the destination refused it (bad credentials, gone)
        self.retry_after = retry_after  # seconds the destination asked us to wait (429, 503)
