"""The outbox: alerts and one delivery row per (alert, destination)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from monitor.models import AlertDraft, Destination, gravest
from monitor.routing import Route, digest_times, targets
from monitor.store.db import insert_row, insert_rows
from monitor.store.timefmt import iso


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    id: int
    alert_id: int
    alert_key: str
    destination_key: str
    destination: str
    attempts: int
    severity: str
    title: str
    body: str
    payload: str | None = None
    kind: str = "first"
    created_at: str = ""  # ISO time the delivery was queued


def add_alert(
    db: Database,
    article_id: int | None,
    draft: AlertDraft,
    destinations: Iterable[Destination],
    now: datetime,
    *,
    kind: str = "first",
    routes: Sequence[Route] = (),
) -> int:
    """Insert an alert and its deliveries. Call inside the transaction that stores the article.

    ``kind``: "first" (a story's first alert), "graver" (a copy graver than what was sent),
    "corroboration" (the story's follow-up) or "update" (a changed article). ``routes`` pick
    the destinations from the alert's severity and watches (``routing.py``).
    """
    chosen = targets(draft.severity, draft.watches, destinations, routes)
    modes = digest_times(draft.severity, draft.watches, routes, now)
    alert_id = insert_row(
        db,
        "alerts",
        {
            "alert_key": draft.alert_key,
            "article_id": article_id,
            "created_at": iso(now),
            "severity": draft.severity,
            "title": draft.title,
            "body": draft.body,
            "url": draft.url,
            "kind": kind,
            "payload": draft.payload,
        },
    )
    insert_rows(
        db,
        "deliveries",
        (
            {
                "alert_id": alert_id,
                "destination": dest.label,
                "destination_key": dest.key,
                "status": "pending" if _digest_at(dest, modes) is None else "digest",
                "attempts": 0,
                "next_attempt_at": iso(_digest_at(dest, modes) or now),
                "created_at": iso(now),
            }
            for dest in chosen
        ),
    )
    return alert_id


def _digest_at(dest: Destination, modes: dict[str, datetime | None]) -> datetime | None:
    """When this destination gets the alert: None now; else at its earliest digest. A tag with
    an immediate route wins over a digest."""
    times = [modes[tag] for tag in dest.tags if tag in modes]
    if not times or any(t is None for t in times):
        return None
    return min(t for t in times if t is not None)


_OUTBOX = """
    select d.id, d.alert_id, a.alert_key, d.destination_key, d.destination, d.attempts,
           a.severity, a.title, a.body, a.payload, coalesce(a.kind, 'first'), d.created_at,
           d.next_attempt_at
    from deliveries d join alerts a on a.id = d.alert_id
"""


def due_deliveries(db: Database, now: datetime) -> list[PendingDelivery]:
    """Each destination's waiting deliveries, oldest alert first, for the destinations whose
    first waiting delivery is due. A destination whose first delivery waits for a retry gets
    nothing else meanwhile, so it receives alerts in the order they came."""
    rows = db.execute(
        """
        with heads as (
            select destination_key, next_attempt_at, row_number() over (
                partition by destination_key order by alert_id, id) as place
            from deliveries where status in ('pending', 'failed')
        )
        """
        + _OUTBOX
        + """
        where d.status in ('pending', 'failed') and d.destination_key in (
            select destination_key from heads where place = 1 and next_attempt_at <= ?)
        order by a.id, d.id
        """,
        [iso(now)],
    ).fetchall()
    return [PendingDelivery(*row[:-1]) for row in rows]


def mark_sent(db: Database, delivery_id: int, now: datetime) -> None:
    with db.atomic():
        db.execute(
            "update deliveries set status = 'sent', attempts = attempts + 1, sent_at = ?, "
            "last_error = null where id = ?",
            [iso(now), delivery_id],
        )


def mark_failed(
    db: Database, delivery_id: int, error: str, *, next_attempt: datetime | None
) -> None:
    """Record a failed attempt; ``next_attempt=None`` gives up (status "dead")."""
    status = "failed" if next_attempt is not None else "dead"
    with db.atomic():
        db.execute(
            "update deliveries set status = ?, attempts = attempts + 1, last_error = ?, "
            "next_attempt_at = ? where id = ?",
            [status, error[:1000], iso(next_attempt), delivery_id],
        )


def list_alerts(
    db: Database, limit: int = 50, statuses: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Recent alerts, newest first, each with its deliveries; optionally only those with a
    delivery in one of ``statuses``."""
    where, params = "", []
    if statuses:
        marks = ",".join("?" * len(statuses))
        where = f"where id in (select alert_id from deliveries where status in ({marks}))"
        params = list(statuses)
    cursor = db.execute(
        "select id, alert_key, article_id, created_at, severity, title, url, kind "
        f"from alerts {where} order by id desc limit ?",
        [*params, limit],
    )
    names = [c[0] for c in cursor.description]
    alerts = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for alert in alerts:
        alert["deliveries"] = [
            dict(row)
            for row in db.table("deliveries").rows_where(
                "alert_id = ?",
                [alert["id"]],
                select="destination, status, attempts, last_error, sent_at, next_attempt_at",
                order_by="id",
            )
        ]
    return alerts


def retry(db: Database, alert_id: int, now: datetime) -> int | None:
    """Make an alert's failed and dead deliveries due now; how many, or None without the alert."""
    with db.atomic():
        if db.execute("select 1 from alerts where id = ?", [alert_id]).fetchone() is None:
            return None
        cursor = db.execute(
            "update deliveries set status = 'pending', attempts = 0, next_attempt_at = ? "
            "where alert_id = ? and status in ('failed', 'dead')",
            [iso(now), alert_id],
        )
        return cursor.rowcount


def sent_since(db: Database, destination_key: str, since: datetime) -> int:
    """How many messages this destination has been sent since ``since``."""
    row = db.execute(
        "select count(*) from deliveries where destination_key = ? and status = 'sent' "
        "and sent_at >= ?",
        [destination_key, iso(since)],
    ).fetchone()
    return int(row[0]) if row else 0


def fold(
    db: Database, queue: list[PendingDelivery], *, now: datetime, limit: int
) -> PendingDelivery:
    """Storm control: fold a destination's waiting deliveries into one summary message.

    The folded deliveries become "folded" (a final status; the summary names them); the summary
    is a new alert with one delivery to this destination only, returned to be sent now.
    """
    return _collect(
        db,
        queue,
        now=now,
        kind="summary",
        status="folded",
        title=f"[SUMMARY] {len(queue)} more alerts held back (limit {limit} an hour)",
        intro=(
            f"{len(queue)} alerts arrived after this destination's limit of {limit} messages "
            "an hour was reached. They are stored and listed here; `news-monitor alerts` shows "
            "each in full."
        ),
    )


def due_digests(db: Database, now: datetime) -> list[PendingDelivery]:
    """Deliveries waiting for their destination's digest, whose digest time has come."""
    rows = db.execute(
        _OUTBOX + "where d.status = 'digest' and d.next_attempt_at <= ? order by a.id, d.id",
        [iso(now)],
    ).fetchall()
    return [PendingDelivery(*row[:-1]) for row in rows]


def digest(db: Database, queue: list[PendingDelivery], *, now: datetime) -> PendingDelivery:
    """One destination's digest: its waiting alerts in one message, sent now."""
    return _collect(
        db,
        queue,
        now=now,
        kind="digest",
        status="digested",
        title=f"[DIGEST] {len(queue)} alert{'s' if len(queue) != 1 else ''}",
        intro=f"{len(queue)} alerts since the last digest, oldest first:",
    )


def _collect(
    db: Database,
    queue: list[PendingDelivery],
    *,
    now: datetime,
    kind: str,
    status: str,
    title: str,
    intro: str,
) -> PendingDelivery:
    first = queue[0]
    listed = [f"- {d.title} ({d.alert_key})" for d in queue[:50]]
    if len(queue) > 50:
        listed.append(f"- ... and {len(queue) - 50} more")
    hashed = hashlib.sha256(f"{first.destination_key}:{first.id}:{kind}".encode())
    key = "nm-" + hashed.hexdigest()[:16]
    worst = gravest(*(d.severity for d in queue))
    body = "\n".join([intro, *listed, f"Alert id: {key}"])
    with db.atomic():
        alert_id = insert_row(
            db,
            "alerts",
            {
                "alert_key": key,
                "article_id": None,
                "created_at": iso(now),
                "severity": worst,
                "title": title,
                "body": body,
                "url": None,
                "kind": kind,
            },
        )
        delivery_id = insert_row(
            db,
            "deliveries",
            {
                "alert_id": alert_id,
                "destination": first.destination,
                "destination_key": first.destination_key,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": iso(now),
                "created_at": iso(now),
            },
        )
        marks = ",".join("?" * len(queue))
        db.execute(
            f"update deliveries set status = ?, last_error = ? where id in ({marks})",
            [status, f"{status} into {kind} {key}", *(d.id for d in queue)],
        )
    return PendingDelivery(
        delivery_id,
        alert_id,
        key,
        first.destination_key,
        first.destination,
        0,
        worst,
        title,
        body,
        None,
        kind,
        iso(now) or "",
    )
