"""Emptying the outbox: send each due delivery row with apprise and record the outcome.

Deliveries to different destinations go out concurrently; one destination's failure never holds
up another's. Within a destination they go in order: after a failure the rest wait for the retry.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.errors import AlertError
from monitor.models import AlertDraft
from monitor.schedule import retry_delay
from monitor.store import alerts as alert_store
from monitor.store.timefmt import from_iso

log = logging.getLogger(__name__)
_COLLECTED = frozenset({"summary", "digest"})
PERMANENT_ATTEMPTS = 3  # a refusal (bad credentials, gone) is tried this often, then dead
MAX_RETRY_AFTER = 6 * 3600.0  # a destination's Retry-After is honoured up to this


async def deliver_pending(
    db: Database,
    notifier: Notifier,
    *,
    now: datetime,
    max_attempts: int = 0,
    give_up_after: timedelta | None = None,
    max_per_hour: int = 0,
    operator_tag: str = "",
) -> tuple[int, int]:
    """Send every due delivery; failures stay in the outbox for a later attempt.

    Deliveries to different destinations go out concurrently; one destination's failure never
    holds up another's. A failed delivery is tried again after an exponential backoff with
    jitter, or after the destination's Retry-After when it asks for longer. It goes dead (and
    the operator is told) after ``PERMANENT_ATTEMPTS`` refusals, or when a transient failure
    has lasted ``give_up_after`` or ``max_attempts`` attempts (0: no limit by count). With
    ``max_per_hour``, a destination that has had that many messages in the last hour gets the
    rest folded into one summary (storm control). Returns (sent, failed).
    """
    waiting: dict[str, list[alert_store.PendingDelivery]] = {}
    for delivery in alert_store.due_digests(db, now):
        waiting.setdefault(delivery.destination_key, []).append(delivery)
    for queue in waiting.values():  # each becomes one digest message, due now
        made = alert_store.digest(db, queue, now=now)
        log.info(
            "destination=%s digest %s of %d alerts", made.destination, made.alert_key, len(queue)
        )
    due = alert_store.due_deliveries(db, now)
    by_destination: dict[str, list[alert_store.PendingDelivery]] = {}
    for delivery in due:
        by_destination.setdefault(delivery.destination_key, []).append(delivery)

    async def drain(key: str, queue: list[alert_store.PendingDelivery]) -> tuple[int, int]:
        sent = failed = 0
        if max_per_hour:
            room = max(0, max_per_hour - alert_store.sent_since(db, key, now - timedelta(hours=1)))
            summaries = [d for d in queue if d.kind in _COLLECTED]  # never folded again
            waiting = [d for d in queue if d.kind not in _COLLECTED]
            if len(waiting) > room:
                summary = alert_store.fold(db, waiting[room:], now=now, limit=max_per_hour)
                log.warning(
                    "destination=%s storm: %d alerts folded into summary %s",
                    summary.destination,
                    len(waiting) - room,
                    summary.alert_key,
                )
                queue = [*summaries, *waiting[:room], summary]
        for delivery in queue:  # in order, so a destination receives alerts as they came
            if not notifier.has(key):
                alert_store.mark_failed(
                    db, delivery.id, "destination no longer configured", next_attempt=None
                )
                failed += 1
                continue
            try:
                await asyncio.to_thread(
                    notifier.send,
                    key,
                    title=delivery.title,
                    body=delivery.body,
                    severity=delivery.severity,
                    payload=delivery.payload,
                )
            except AlertError as exc:
                attempts = delivery.attempts + 1
                retry = _next_attempt(delivery, exc, attempts, now, max_attempts, give_up_after)
                alert_store.mark_failed(db, delivery.id, str(exc), next_attempt=retry)
                if retry is None and operator_tag:
                    _tell_operator(db, notifier, delivery, str(exc), operator_tag, now)
                log.warning(
                    "alert=%s destination=%s status=%s attempts=%d error=%s",
                    delivery.alert_key,
                    delivery.destination,
                    "failed" if retry else "dead",
                    attempts,
                    exc,
                )
                failed += 1
                break  # keep this destination's order: the rest wait for the retry
            alert_store.mark_sent(db, delivery.id, now)
            log.info(
                "alert=%s destination=%s status=sent title=%r",
                delivery.alert_key,
                delivery.destination,
                delivery.title,
            )
            sent += 1
        return sent, failed

    results = await asyncio.gather(*(drain(k, q) for k, q in by_destination.items()))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def _next_attempt(
    delivery: alert_store.PendingDelivery,
    error: AlertError,
    attempts: int,
    now: datetime,
    max_attempts: int,
    give_up_after: timedelta | None,
) -> datetime | None:
    """When to try a failed delivery again, or None to give up on it."""
    if error.permanent:
        if attempts >= (min(max_attempts, PERMANENT_ATTEMPTS) or PERMANENT_ATTEMPTS):
            return None
    elif max_attempts and attempts >= max_attempts:
        return None
    queued = from_iso(delivery.created_at)
    if give_up_after is not None and queued is not None and now - queued >= give_up_after:
        return None
    delay = retry_delay(attempts, key=delivery.destination_key)
    if error.retry_after is not None:  # the destination said how long; within reason
        delay = max(delay, min(error.retry_after, MAX_RETRY_AFTER))
    return now + timedelta(seconds=delay)


def _tell_operator(
    db: Database,
    notifier: Notifier,
    dead: alert_store.PendingDelivery,
    error: str,
    tag: str,
    now: datetime,
) -> None:
    """A delivery went dead: say so to the destinations tagged for the operator (not the dead
    one), through the outbox like any alert."""
    others = [d for d in notifier.destinations if tag in d.tags and d.key != dead.destination_key]
    if not others:
        log.error(
            "alert=%s destination=%s dead and no %r destination to tell",
            dead.alert_key,
            dead.destination,
            tag,
        )
        return
    title = f"[OPERATOR] delivery failed for good: {dead.destination}"
    body = "\n".join(
        [
            f"Alert {dead.alert_key} ({dead.title}) could not be delivered to {dead.destination} "
            f"after {dead.attempts + 1} attempts: {error}",
            f"Send it again with: news-monitor alerts retry {dead.alert_id}",
        ]
    )
    key = f"nm-op-{dead.id}"
    alert_store.add_alert(
        db, None, AlertDraft(key, "high", title, body, None), others, now, kind="operator"
    )
