"""The outbox from the command line, and the operator told when a delivery goes dead."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from monitor.alert import Notifier
from monitor.cli import main
from monitor.config import AlertSettings
from monitor.deliver import deliver_pending
from monitor.localsite import LocalSite
from monitor.models import AlertDraft
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
