"""The outbox from the command line, and the operator told when a delivery goes dead."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.cli import main
from monitor.config import AlertSettings
from monitor.deliver import deliver_pending
from monitor.localsite import LocalSite
from monitor.models import AlertDraft, Destination
from monitor.store import open_db
from monitor.store.alerts import add_alert
from tests.servers import SmtpSink, WebhookReceiver
from tests.test_pipeline import once, write_config

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_dead_delivery_tells_the_operator_and_can_be_retried(
    tmp_path: Path, webhook: WebhookReceiver
) -> None:
    ops = WebhookReceiver()
    with ops:
        urls = (
            f"chat=json://127.0.0.1:{webhook.port}/chat",
            f"ops=json://127.0.0.1:{ops.port}/ops",
        )
        notifier = Notifier.from_settings(AlertSettings(urls=urls))
        chat = [d for d in notifier.destinations if "chat" in d.tags]
        db_path = tmp_path / "data" / "monitor.db"
        db = open_db(db_path)
        with db.atomic():
            draft = AlertDraft("nm-0123456789abcdef", "high", "[HIGH] Fire near Sotk", "b", None)
            alert_id = add_alert(db, None, draft, chat, NOW)
        webhook.fail_next = 5
        for minutes in range(3):  # three attempts: the third gives up
            asyncio.run(
                deliver_pending(
                    db,
                    notifier,
                    now=NOW + timedelta(hours=minutes),
                    max_attempts=3,
                    operator_tag="ops",
                )
            )
        status = db.execute("select status from deliveries where alert_id = ?", [alert_id])
        assert status.fetchone()[0] == "dead"
        asyncio.run(deliver_pending(db, notifier, now=NOW + timedelta(hours=4), max_attempts=3))
        (notice,) = ops.received
        assert notice.json()["title"].startswith("[OPERATOR] delivery failed for good")
        assert f"news-monitor alerts retry {alert_id}" in notice.json()["message"]

        config = tmp_path / "monitor.toml"
        config.write_text(
            f'[storage]\npath = "data/monitor.db"\n[alerts]\nurls = {json.dumps(list(urls))}\n',
            encoding="utf-8",
        )
        run = CliRunner()
        dead = run.invoke(main, ["--config", str(config), "alerts", "--status", "dead", "--json"])
        assert [json.loads(line)["id"] for line in dead.output.splitlines()] == [alert_id]
        again = run.invoke(main, ["--config", str(config), "alerts", "retry", str(alert_id)])
        assert again.exit_code == 0 and "1 deliveries due again" in again.output
        missing = run.invoke(main, ["--config", str(config), "alerts", "retry", "999"])
        assert missing.exit_code != 0 and "no alert with id 999" in missing.output
        webhook.fail_next = 0
        asyncio.run(deliver_pending(db, notifier, now=datetime.now(UTC), max_attempts=3))
        assert [h.json()["title"] for h in webhook.received] == ["[HIGH] Fire near Sotk"]
        left = run.invoke(main, ["--config", str(config), "alerts", "--status", "dead"])
        assert left.output == ""

        tagged = run.invoke(main, ["--config", str(config), "test-alert", "--tag", "ops"])
        assert tagged.exit_code == 0 and tagged.output.count("sent") == 1
        assert ops.received[-1].json()["title"] == "[TEST] news-monitor test alert"
        none = run.invoke(main, ["--config", str(config), "test-alert", "--tag", "nobody"])
        assert none.exit_code != 0 and "with tag nobody" in none.output


def test_a_refusal_goes_dead_after_three_attempts_an_outage_keeps_trying(
    tmp_path: Path, webhook: WebhookReceiver
) -> None:
    down = WebhookReceiver()
    with down:
        notifier = Notifier.from_settings(
            AlertSettings(
                urls=(
                    f"json://127.0.0.1:{webhook.port}/refuses",
                    f"json://127.0.0.1:{down.port}/down",
                )
            )
        )
        webhook.fail_status, webhook.fail_next = 401, 100
        down.fail_next = 100  # 500: an outage
        db = open_db(tmp_path / "m.db")
        with db.atomic():
            draft = AlertDraft("nm-00000000000000aa", "high", "[HIGH] t", "b", None)
            add_alert(db, None, draft, notifier.destinations, NOW)
        for hour in range(5):
            asyncio.run(
                deliver_pending(db, notifier, now=NOW + timedelta(hours=hour), max_attempts=8)
            )
        rows = dict(
            db.execute("select destination, status || ':' || attempts from deliveries").fetchall()
        )
        refused = next(v for k, v in rows.items() if "refuses" in k)
        outage = next(v for k, v in rows.items() if "down" in k)
        assert refused == "dead:3"
        assert outage == "failed:5"


def test_dry_run_renders_what_would_be_sent_and_changes_nothing(
    tmp_path: Path, demo_site: LocalSite, webhook: WebhookReceiver, smtp: SmtpSink
) -> None:
    config = write_config(
        tmp_path, demo_site, [f"json://127.0.0.1:{webhook.port}/hook", smtp.url()]
    )
    dry = CliRunner().invoke(main, ["--config", str(config), "once", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing stored, 6 message(s) not sent" in dry.output  # 3 alerts x 2
    assert "(html)" in dry.output and "<p><b>What:</b>" in dry.output  # the email, as HTML
    assert "(text)" in dry.output and "What: incident" in dry.output  # the webhook, as text
    assert webhook.received == [] and smtp.messages == []
    assert not (tmp_path / "data" / "monitor.db").exists()
    real = once(config)  # the real run then does everything, as if the dry run never was
    assert "new_articles=" in real and len(webhook.received) == 3


def _alert(db: Database, number: int, destinations: list[Destination], when: datetime) -> None:
    with db.atomic():
        draft = AlertDraft(f"nm-{number:016x}", "high", f"[HIGH] incident {number}", "b", None)
        add_alert(db, None, draft, destinations, when)


def test_a_destination_down_for_hours_gets_everything_in_order_once_it_is_back(
    tmp_path: Path, webhook: WebhookReceiver
) -> None:
    down = WebhookReceiver()
    with down:
        notifier = Notifier.from_settings(
            AlertSettings(
                urls=(f"json://127.0.0.1:{webhook.port}/ok", f"json://127.0.0.1:{down.port}/down")
            )
        )
        db = open_db(tmp_path / "m.db")
        down.fail_next = 10**6  # 500 until further notice
        back_at = NOW + timedelta(hours=4)
        delivered_after_recovery: datetime | None = None
        created = 0
        for tick in range(6 * 12 + 1):  # a cycle every 5 minutes for 6 hours
            now = NOW + timedelta(minutes=5 * tick)
            if tick % 6 == 0 and now < NOW + timedelta(hours=5):
                created += 1
                _alert(db, created, notifier.destinations, now)
            if now >= back_at:
                down.fail_next = 0
            asyncio.run(deliver_pending(db, notifier, now=now, give_up_after=timedelta(days=2)))
            # The healthy destination is never held up: it has every alert made so far.
            assert len(webhook.received) == created
            caught_up = len(down.received) == created
            if delivered_after_recovery is None and caught_up and now >= back_at:
                delivered_after_recovery = now
        expected = [f"[HIGH] incident {n}" for n in range(1, created + 1)]
        assert [h.json()["title"] for h in webhook.received] == expected
        assert [h.json()["title"] for h in down.received] == expected  # in order, once each
        assert created == 10
        # Back within one capped backoff (15 minutes, +20% jitter, on a 5-minute tick).
        assert delivered_after_recovery is not None
        assert delivered_after_recovery - back_at <= timedelta(minutes=25)
        # Only the first waiting alert was tried during the outage, with a growing backoff.
        attempts_while_down = [r for r in down.requests if r.method == "POST" and r.status == 500]
        assert 10 <= len(attempts_while_down) <= 25
        statuses = db.execute("select distinct status from deliveries").fetchall()
        assert statuses == [("sent",)]


def test_a_transient_failure_goes_dead_after_give_up_after(
    tmp_path: Path, webhook: WebhookReceiver
) -> None:
    notifier = Notifier.from_settings(AlertSettings(urls=(f"json://127.0.0.1:{webhook.port}/",)))
    db = open_db(tmp_path / "m.db")
    _alert(db, 1, notifier.destinations, NOW)
    webhook.fail_next = 10**6
    for hour in range(4):
        asyncio.run(
            deliver_pending(
                db, notifier, now=NOW + timedelta(hours=hour), give_up_after=timedelta(hours=3)
            )
        )
    status, attempts = db.execute("select status, attempts from deliveries").fetchone()
    assert (status, attempts) == ("dead", 4)  # tried at 0, 1, 2 h; dead at the 3 h attempt


@pytest.mark.parametrize("header", ["120", "HTTP-date"])
def test_retry_after_from_the_destination_is_honoured(
    tmp_path: Path, webhook: WebhookReceiver, header: str
) -> None:
    notifier = Notifier.from_settings(AlertSettings(urls=(f"json://127.0.0.1:{webhook.port}/",)))
    db = open_db(tmp_path / "m.db")
    now = datetime.now(UTC).replace(microsecond=0)
    _alert(db, 1, notifier.destinations, now)
    _alert(db, 2, notifier.destinations, now)
    webhook.fail_status, webhook.fail_next = 429, 1
    wait = 1800 if header != "120" else 120
    webhook.fail_headers = {
        "Retry-After": str(wait)
        if header == "120"
        else format_datetime(now + timedelta(seconds=wait), usegmt=True)
    }
    assert asyncio.run(deliver_pending(db, notifier, now=now)) == (0, 1)
    (next_at,) = db.execute(
        "select next_attempt_at from deliveries where status = 'failed'"
    ).fetchone()
    # The backoff alone would retry within 36 s; the destination asked for longer.
    assert datetime.fromisoformat(next_at) - now >= timedelta(seconds=wait - 2)
    # Before that time nothing goes to it, not even the alert queued behind the failed one.
    early = now + timedelta(seconds=wait // 2)
    assert asyncio.run(deliver_pending(db, notifier, now=early)) == (0, 0)
    assert len(webhook.requests) == 1
    later = now + timedelta(seconds=wait + 1)
    assert asyncio.run(deliver_pending(db, notifier, now=later)) == (2, 0)
    assert [h.json()["title"] for h in webhook.received] == [
        "[HIGH] incident 1",
        "[HIGH] incident 2",
    ]
