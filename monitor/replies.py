"""What destinations' HTTP servers answered during one send: their status and Retry-After.

apprise sends with ``requests`` and reports failures as log lines, without the response headers.
To honour a destination's Retry-After (429, 503) we watch the responses ``requests`` returns
in the sending context only: ``watching()`` collects them for the duration of one send (a
context variable, which apprise carries into the worker threads it sends from), and sends in
other contexts (or outside ``watching``) are untouched.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

_seen: contextvars.ContextVar[list[tuple[int, str | None]] | None] = contextvars.ContextVar(
    "monitor_replies", default=None
)
_lock = threading.Lock()


def _install() -> None:
    """Wrap ``requests.Session.send`` once, so responses are seen by the watching context."""
    with _lock:
        original = requests.Session.send
        if getattr(original, "_monitor_watch", False):
            return

        def send(self: requests.Session, request: Any, **kwargs: Any) -> Any:
            response = original(self, request, **kwargs)
            seen = _seen.get()
            if seen is not None:
                seen.append((int(response.status_code), response.headers.get("Retry-After")))
            return response

        send._monitor_watch = True  # type: ignore[attr-defined]
        requests.Session.send = send  # type: ignore[method-assign]


@contextmanager
def watching() -> Iterator[list[tuple[int, str | None]]]:
    """Collect (status, Retry-After header) of every HTTP response in this context meanwhile."""
    _install()
    seen: list[tuple[int, str | None]] = []
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)


def asked_to_wait(seen: list[tuple[int, str | None]]) -> str | None:
    """The Retry-After of the last 429 or 503 answer, if it gave one."""
    for status, retry_after in reversed(seen):
        if status in (429, 503) and retry_after:
            return retry_after
    return None
