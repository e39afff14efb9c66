"""The outbox: alerts and one delivery row per (alert, destination)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from monitor.models import AlertDraft, Destination
from monitor.store.db import insert_row
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


def add_alert(
    db: Database,
    article_id: int,
    draft: AlertDraft,
    destinations: Iterable[Destination],
    now: datetime,
    *,
    kind: str = "first",
) -> int:
    """Insert an alert and its deliveries. Call inside the transaction that stores the article.

    ``kind``: "first" (a story's first alert), "graver" (a copy graver than what was sent),
    "corroboration" (the story's follow-up) or "update" (a changed article).
    """
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
    db.table("deliveries").insert_all(
        {
            "alert_id": alert_id,
            "destination": dest.label,
            "destination_key": dest.key,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": iso(now),
            "created_at": iso(now),
        }
        for dest in destinations
    )
    return alert_id


def due_deliveries(db: Database, now: datetime) -> list[PendingDelivery]:
    """Pending deliveries whose next attempt is due, oldest alert first."""
    rows = db.execute(
        """
        select d.id, d.alert_id, a.alert_key, d.destination_key, d.destination, d.attempts,
               a.severity, a.title, a.body, a.payload
        from deliveries d join alerts a on a.id = d.alert_id
        where d.status in ('pending', 'failed') and d.next_attempt_at <= ?
        order by a.id, d.id
        """,
        [iso(now)],
    ).fetchall()
    return [PendingDelivery(*row) for row in rows]


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


def list_alerts(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """Recent alerts, newest first, each with its deliveries."""
    alerts = [
        dict(row)
        for row in db.table("alerts").rows_where(
            select="id, alert_key, article_id, created_at, severity, title, url",
            order_by="id desc",
            limit=limit,
        )
    ]
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
