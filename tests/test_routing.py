"""Routes from severities and watches to destination tags."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.alert import Notifier
from monitor.config import AlertSettings, load_settings
from monitor.deliver import deliver_pending
from monitor.errors import ConfigError
from monitor.localsite import LocalSite
from monitor.models import AlertDraft, Destination
from monitor.routing import Route, next_digest, split_tags, targets
from monitor.store import open_db
from monitor.store.alerts import add_alert
from tests.servers import WebhookReceiver
from tests.test_pipeline import DEMO_FEEDS, once

CHAT = Destination("a", "matrix://...", ("chat",))
MAIL = Destination("b", "mailtos://...", ("email",))
BOTH = Destination("c", "json://...", ("chat", "email"))
BARE = Destination("d", "json://...")
ALL = [CHAT, MAIL, BOTH, BARE]
ROUTES = [
    Route(frozenset({"chat"}), "critical"),
    Route(frozenset({"email"}), "high"),
    Route(frozenset({"chat"}), "low", frozenset({"lachin-corridor"})),
]


@pytest.mark.parametrize(
    ("severity", "watches", "expected"),
    [
        ("critical", ("armenia-azerbaijan-border",), [CHAT, MAIL, BOTH]),
        ("high", ("armenia-azerbaijan-border",), [MAIL, BOTH]),
        ("medium", ("armenia-azerbaijan-border",), []),  # stored, not sent
        ("medium", ("lachin-corridor",), [CHAT, BOTH]),
        ("info", ("lachin-corridor",), []),
    ],
)
def test_routes_pick_destinations_by_tag(
    severity: str, watches: tuple[str, ...], expected: list[Destination]
) -> None:
    assert targets(severity, watches, ALL, ROUTES) == expected


def test_without_routes_everyone_gets_everything() -> None:
    assert targets("low", (), ALL, []) == ALL


@pytest.mark.parametrize(
    ("url", "tags", "rest"),
    [
        ("chat,email=json://h/x", ("chat", "email"), "json://h/x"),
        ("json://h/x?a=b", (), "json://h/x?a=b"),
        ("mailto://u:p@h?to=a@b.c", (), "mailto://u:p@h?to=a@b.c"),
        ("bad tag=json://h", (), "bad tag=json://h"),
    ],
)
def test_inline_tags(url: str, tags: tuple[str, ...], rest: str) -> None:
    assert split_tags(url) == (tags, rest)


def test_a_route_needs_tags(tmp_path: Path) -> None:
    config = tmp_path / "m.toml"
    config.write_text('[[alerts.route]]\nmin_severity = "high"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="a route needs the tags"):
        load_settings(config)


def test_demo_alerts_routed_by_severity(
    tmp_path: Path, demo_site: LocalSite, webhook: WebhookReceiver
) -> None:
    mail = WebhookReceiver()
    with mail:
        lines = [
            "[storage]",
            'path = "data/monitor.db"',
            "[alerts]",
            f'urls = ["chat=json://127.0.0.1:{webhook.port}/chat", '
            f'"email=json://127.0.0.1:{mail.port}/mail"]',
            "[[alerts.route]]",
            'min_severity = "critical"',
            'tags = ["chat"]',
            "[[alerts.route]]",
            'min_severity = "high"',
            'tags = ["email"]',
        ]
        for name, path, side in DEMO_FEEDS:
            lines += ["[[feeds]]", f'name = "{name}"', f'url = "{demo_site.url(path)}"']
            lines.append(f'side = "{side}"')
        config = tmp_path / "monitor.toml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        once(config)
        chat = [hook.json()["title"][:10] for hook in webhook.received]
        email = sorted(hook.json()["title"].split("]")[0] for hook in mail.received)
        assert chat == ["[CRITICAL]"]  # the soldier wounded near Sotk
        assert email == ["[CRITICAL", "[HIGH", "[HIGH"]  # and the two reports of fire
        assert "/chat" in webhook.received[0].path and all("/mail" in h.path for h in mail.received)


def test_secrets_come_from_the_environment_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NM_TEST_TOKEN", "s3cret-token")
    (tmp_path / "password").write_text("p4ss-word\nignored\n", encoding="utf-8")
    config = tmp_path / "m.toml"
    config.write_text(
        '[alerts]\nurls = ["json://u:${NM_TEST_TOKEN}@127.0.0.1:9/x", '
        '"mailto://u:${file:password}@127.0.0.1:9?to=a@b.example"]\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    assert settings.alerts.urls == (
        "json://u:s3cret-token@127.0.0.1:9/x",
        "mailto://u:p4ss-word@127.0.0.1:9?to=a@b.example",
    )
    monkeypatch.delenv("NM_TEST_TOKEN")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert "environment variable NM_TEST_TOKEN is not set" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_next_digest_times_in_the_users_timezone() -> None:
    six_am_yerevan = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # UTC+4
    assert next_digest("daily 08:00", six_am_yerevan, "Asia/Yerevan") == datetime(
        2026, 11, 25, 4, 0, tzinfo=UTC
    )
    assert next_digest("daily 05:30", six_am_yerevan, "Asia/Yerevan") == datetime(
        2026, 11, 26, 1, 30, tzinfo=UTC
    )
    assert next_digest("hourly", six_am_yerevan) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def _schedule(spec: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Every digest time of ``spec`` from ``start`` to ``end``, as a daemon would meet them."""
    times, now = [], start
    while True:
        now = next_digest(spec, now, zone)
        if now > end:
            return times
        times.append(now)


@pytest.mark.parametrize(
    ("zone", "spring", "autumn", "twice", "summer_offset"),
    [
        # 02:00 -> 03:00 in March; 03:00 -> 02:00 in October, so 02:30 happens twice.
        ("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25), "02:30", 2),
        # 02:00 -> 03:00 in March; 02:00 -> 01:00 in November, so 01:30 happens twice.
        ("America/New_York", date(2026, 3, 8), date(2026, 11, 1), "01:30", -4),
    ],
)
def test_daily_digest_across_daylight_saving_comes_once_a_day(
    zone: str, spring: date, autumn: date, twice: str, summer_offset: int
) -> None:
    tz = ZoneInfo(zone)
    for change in (spring, autumn):
        start = datetime.combine(change - timedelta(days=3), time(), tz).astimezone(UTC)
        end = datetime.combine(change + timedelta(days=3), time(), tz).astimezone(UTC)
        for spec in ("daily 02:30", "daily 08:00", "daily 00:00"):
            times = _schedule(spec, zone, start, end)
            local_days = [t.astimezone(tz).date() for t in times]
            assert len(times) == 6 and len(set(local_days)) == 6  # one per day, none twice
            hour, minute = (int(x) for x in spec.split()[1].split(":"))
            for moment in times:
                local = moment.astimezone(tz)
                if (local.hour, local.minute) != (hour, minute):
                    # Only 02:30 on the day clocks skip it: sent at 03:30, never earlier.
                    assert spec == "daily 02:30" and local.date() == spring
                    assert (local.hour, local.minute) == (3, 30)
    # Autumn: a time that happens twice; the digest goes at the first (still summer time).
    (autumn_digest,) = [
        t
        for t in _schedule(
            f"daily {twice}",
            zone,
            datetime.combine(autumn, time(), tz).astimezone(UTC),
            datetime.combine(autumn + timedelta(days=1), time(), tz).astimezone(UTC),
        )
    ]
    assert autumn_digest.astimezone(tz).fold == 0
    assert autumn_digest.astimezone(tz).utcoffset() == timedelta(hours=summer_offset)
    assert autumn_digest.astimezone(tz).strftime("%H:%M") == twice


def test_hourly_digest_follows_local_hours_through_clock_changes() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    for day, hours in ((date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)):
        start = datetime.combine(day, time(), berlin).astimezone(UTC) - timedelta(seconds=1)
        end = datetime.combine(day + timedelta(days=1), time(), berlin).astimezone(UTC)
        times = _schedule("hourly", "Europe/Berlin", start, end - timedelta(seconds=1))
        assert len(times) == hours
        assert all(b - a == timedelta(hours=1) for a, b in pairwise(times))
    # A zone half an hour off UTC: on its own hours, i.e. at half past in UTC.
    kolkata = next_digest("hourly", datetime(2026, 11, 25, 10, 40, tzinfo=UTC), "Asia/Kolkata")
    assert kolkata == datetime(2026, 11, 25, 11, 30, tzinfo=UTC)


def test_digest_route_holds_alerts_for_one_message(
    tmp_path: Path, webhook: WebhookReceiver
) -> None:

    mail = WebhookReceiver()
    with mail:
        notifier = Notifier.from_settings(
            AlertSettings(
                urls=(
                    f"chat=json://127.0.0.1:{webhook.port}/chat",
                    f"email=json://127.0.0.1:{mail.port}/mail",
                )
            )
        )
        routes = [
            Route(frozenset({"chat"}), "critical"),
            Route(frozenset({"email"}), "low", digest="daily 08:00", timezone="Asia/Yerevan"),
        ]
        db = open_db(tmp_path / "m.db")
        now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 06:00 in Yerevan
        with db.atomic():
            for number, severity in enumerate(["critical", "high", "low", "medium"]):
                draft = AlertDraft(
                    f"nm-{number}", severity, f"[{severity.upper()}] t{number}", "b", None
                )
                add_alert(db, None, draft, notifier.destinations, now, routes=routes)
        asyncio.run(deliver_pending(db, notifier, now=now, max_attempts=3))
        assert [h.json()["title"] for h in webhook.received] == ["[CRITICAL] t0"]
        assert mail.received == []  # waiting for 08:00
        asyncio.run(deliver_pending(db, notifier, now=now + timedelta(hours=1), max_attempts=3))
        assert mail.received == []
        asyncio.run(deliver_pending(db, notifier, now=now + timedelta(hours=2), max_attempts=3))
        (digest,) = mail.received
        assert digest.json()["title"] == "[DIGEST] 4 alerts"
        assert all(f"t{n} (nm-{n})" in digest.json()["message"] for n in range(4))
        asyncio.run(deliver_pending(db, notifier, now=now + timedelta(hours=3), max_attempts=3))
        assert len(mail.received) == 1 and len(webhook.received) == 1
