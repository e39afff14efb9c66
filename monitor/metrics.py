"""``/healthz`` and ``/metrics`` (the Prometheus text format) over a tiny HTTP/1.1 server that runs
in the daemon's event loop. Off unless ``[service] metrics`` names an address; the config refuses
an address beyond loopback unless ``metrics_allow_remote`` is set.

Each request is answered and the connection closed: one scraper every few seconds is the load
this is meant for. A request that does not finish its headers within a few seconds is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from monitor.errors import MonitorError
from monitor.service import Status
from monitor.store.timefmt import from_iso

log = logging.getLogger(__name__)

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REQUEST_TIMEOUT = 5.0
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
_REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True, slots=True)
class Counters:
    """What only the running daemon knows (since it started)."""

    cycles: int
    feed_errors: int
    last_cycle_seconds: float | None


def render_metrics(status: Status, counters: Counters) -> str:
    """The Prometheus text exposition of one status."""
    last_at = from_iso(status.last_cycle_at)
    families: list[tuple[str, str, str, list[tuple[str, float]]]] = [
        ("news_monitor_feeds", "gauge", "Active feeds.", [("", status.feeds_total)]),
        (
            "news_monitor_feeds_due",
            "gauge",
            "Active feeds due for a poll.",
            [("", status.feeds_due)],
        ),
        (
            "news_monitor_feeds_erroring",
            "gauge",
            "Active feeds whose last poll failed.",
            [("", status.feeds_erroring)],
        ),
        (
            "news_monitor_feed_errors_total",
            "counter",
            "Failed feed polls since the daemon started.",
            [("", counters.feed_errors)],
        ),
        ("news_monitor_items_stored", "gauge", "Articles stored.", [("", status.items_stored)]),
        ("news_monitor_items_flagged", "gauge", "Articles flagged.", [("", status.items_flagged)]),
        (
            "news_monitor_alert_deliveries",
            "gauge",
            "Alert deliveries not (yet) sent, by status.",
            [
                ('{status="pending"}', status.alerts_pending),
                ('{status="failed"}', status.alerts_failed),
                ('{status="dead"}', status.alerts_dead),
            ],
        ),
        (
            "news_monitor_cycles_total",
            "counter",
            "Cycles finished since the daemon started.",
            [("", counters.cycles)],
        ),
    ]
    if last_at is not None:
        families.append(
            (
                "news_monitor_last_cycle_timestamp_seconds",
                "gauge",
                "When the last cycle finished (Unix time).",
                [("", last_at.timestamp())],
            )
        )
    if counters.last_cycle_seconds is not None:
        families.append(
            (
                "news_monitor_last_cycle_duration_seconds",
                "gauge",
                "How long the last cycle took.",
                [("", counters.last_cycle_seconds)],
            )
        )
    lines = []
    for name, kind, help_text, samples in families:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{labels} {_number(value)}" for labels, value in samples]
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class MetricsServer:
    """Serves ``/metrics`` from ``metrics()`` and ``/healthz`` from ``health()`` (ok, reason)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        metrics: Callable[[], str],
        health: Callable[[], tuple[bool, str]],
    ) -> None:
        self.host, self.port = host, port
        self.metrics, self.health = metrics, health
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._handle, self.host, self.port)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise MonitorError(
                f"cannot serve metrics on {self.host}:{self.port}: {reason}"
            ) from exc
        log.info("metrics on http://%s:%d/metrics and /healthz", self.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)

    def answer(self, method: str, target: str) -> tuple[int, str, str]:
        """Status, content type and body for one request."""
        path = target.split("?", 1)[0]
        if path not in ("/metrics", "/healthz"):
            return 404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n"
        if method not in ("GET", "HEAD"):
            return 405, "text/plain; charset=utf-8", "only GET and HEAD\n"
        try:
            if path == "/metrics":
                return 200, PROMETHEUS_TYPE, self.metrics()
            ok, reason = self.health()
        except Exception as exc:  # a scrape must never take the daemon down
            log.exception("metrics: %s failed", path)
            return 500, "text/plain; charset=utf-8", f"error: {type(exc).__name__}\n"
        return (200 if ok else 503), "text/plain; charset=utf-8", reason + "\n"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                return
            parts = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(parts) == 3 and parts[2].startswith("HTTP/"):
                code, kind, text = self.answer(parts[0], parts[1])
            else:
                code, kind, text = 400, "text/plain; charset=utf-8", "bad request\n"
            body = text.encode("utf-8")
            writer.write(
                (
                    f"HTTP/1.1 {code} {_REASONS[code]}\r\nContent-Type: {kind}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                    + ("Allow: GET, HEAD\r\n" if code == 405 else "")
                    + "\r\n"
                ).encode("latin-1")
                + (b"" if parts and parts[0] == "HEAD" else body)
            )
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
