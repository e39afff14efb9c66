"""Storm control: 200 flagged items in one cycle, a limit of 10 messages an hour per destination."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.localsite import LocalSite, Resource
from tests.servers import WebhookReceiver
from tests.test_pipeline import once

VILLAGES = [
    "Sotk", "Tegh", "Kornidzor", "Jermuk", "Kapan", "Goris", "Berd", "Chinari", "Yeraskh",
    "Nerkin Hand", "Kut", "Norabak", "Verin Shorzha", "Davit Bek", "Khnatsakh", "Movses",
    "Aygepar", "Voskepar", "Kirants", "Shurnukh",
]  # fmt: skip


def storm_feed(site: LocalSite) -> bytes:
    items = []
    for number in range(200):
        village = VILLAGES[number % len(VILLAGES)]
        hour, minute = divmod(number * 7, 60)
        text = (
            f"Azerbaijani forces opened fire on Armenian positions near {village} at "
            f"{hour % 24:02d}:{minute:02d} on {1 + number // 20} March, the Armenian Defence "
            f"Ministry said, reporting incident number {number + 1}."
        )
        items.append(
            f"<item><title>Fire near {village}, incident {number + 1}</title>"
            f"<link>{site.url(f'/news/{number}.html')}</link><guid>storm-{number}</guid>"
            f"<description>{text}</description></item>"
        )
    return (
        f"<rss version='2.0'><channel><title>Storm</title>{''.join(items)}</channel></rss>".encode()
    )


def test_a_storm_is_folded_into_one_summary_per_destination(
    tmp_path: Path, site: LocalSite, webhook: WebhookReceiver
) -> None:
    other = WebhookReceiver()
    with other:
        site.resources["/storm.xml"] = Resource(storm_feed(site), "application/rss+xml")
        config = tmp_path / "monitor.toml"
        config.write_text(
            "\n".join(
                [
                    "[storage]",
                    'path = "data/monitor.db"',
                    "[fetch]",
                    "fetch_articles = false",
                    "[alerts]",
                    "max_per_hour = 10",
                    "corroboration = 0",
                    f'urls = ["json://127.0.0.1:{webhook.port}/a", '
                    f'"json://127.0.0.1:{other.port}/b"]',
                    "[[feeds]]",
                    'name = "Storm"',
                    f'url = "{site.url("/storm.xml")}"',
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        output = once(config)
        assert "flagged=200" in output, output
        for receiver in (webhook, other):
            titles = [hook.json()["title"] for hook in receiver.received]
            assert len(titles) == 11, len(titles)  # ten alerts and one summary
            assert titles[-1].startswith("[SUMMARY] 190 more alerts held back (limit 10")
            summary = receiver.received[-1].json()["message"]
            assert "incident 11 " in summary  # the first one held back is listed
            assert "... and 140 more" in summary  # fifty listed, the rest counted
        listed = CliRunner().invoke(
            main, ["--config", str(config), "alerts", "--json", "--limit", "300"]
        )
        rows = [json.loads(line) for line in listed.output.splitlines()]
        statuses = [d["status"] for row in rows for d in row["deliveries"]]
        assert statuses.count("folded") == 380 and statuses.count("sent") == 22
        once(config)  # nothing new, nothing more
        assert len(webhook.received) == 11 and len(other.received) == 11
