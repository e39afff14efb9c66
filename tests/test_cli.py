"""The commands a user types, run as they would run them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.localsite import LocalSite

from .conftest import DEMO, ROOT, SEED_ARTICLE

BORING = (
    "Jermuk mineral water exports rise\nThe spa town's bottling plant shipped more water abroad."
)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_json_on_the_seed_article() -> None:
    result = invoke("check", "--json", str(SEED_ARTICLE))
    assert result.exit_code == 0
    (line,) = result.output.strip().splitlines()
    verdict = json.loads(line)
    for key in ("input", "title", "language", "flagged", "score", "severity", "watches"):
        assert key in verdict
    assert verdict["title"] == "Armenia Accuses Azerbaijan of Attack"
    assert verdict["language"] == "en"
    assert verdict["flagged"] is True and verdict["severity"] in ("high", "critical")
    assert verdict["watches"]
    assert all({"text", "kind", "canonical"} <= set(m) for m in verdict["matches"])
    places = {p["name"]: p for p in verdict["places"]}
    assert {"Goris", "Kapan", "Jermuk"} <= set(places)
    assert places["Jermuk"]["lat"] == pytest.approx(39.84, abs=0.05)
    # The rules and weights that fired, and the sentence each rests on.
    fired = verdict["fired"]
    assert sum(part["weight"] for part in fired) == pytest.approx(verdict["score"], abs=0.01)
    best = max(fired, key=lambda part: part["weight"])
    assert best["rule"] == "co-occurrence" and "Goris" in best["sentence"]
    assert "incident 'shelling'" in best["detail"] and "anchors" in best["detail"]


def test_check_several_inputs_text_html_and_url(tmp_path: Path, demo_site: LocalSite) -> None:
    boring = tmp_path / "water.txt"
    boring.write_text(BORING, encoding="utf-8")
    html = tmp_path / "f1.html"
    html.write_bytes((DEMO / "pages" / "baku-grand-prix-race-report.html").read_bytes())
    url = demo_site.url("/pages/minoborony-armenii-obstrel-pozicij-teh-syunik.html")
    result = invoke("check", "--json", str(boring), str(html), url)
    verdicts = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [v["input"] for v in verdicts] == [str(boring), str(html), url]
    assert [v["flagged"] for v in verdicts] == [False, False, True]
    assert verdicts[2]["language"] == "ru"
    assert "Tegh" in {p["name"] for p in verdicts[2]["places"]}


def test_check_human_output_and_unreadable_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(SEED_ARTICLE), str(tmp_path / "missing.txt")])
    assert result.exit_code == 1
    assert "FLAGGED" in result.output and "place: Goris" in result.output
    assert "evidence:" in result.output and "«Goris»" in result.output
    assert "missing.txt: error:" in result.output


def test_review_commands_after_a_run(tmp_path: Path, demo_site: LocalSite) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[storage]\npath = "m.db"\n[[feeds]]\nname = "Wire"\n'
        f'url = "{demo_site.url("/feeds/armenian-wire.xml")}"\n',
        encoding="utf-8",
    )
    assert invoke("--config", str(config), "once").exit_code == 0

    items = [
        json.loads(x)
        for x in invoke("--config", str(config), "items", "--json").output.split("\n")
        if x
    ]
    assert len(items) == 5
    flagged = invoke("--config", str(config), "items", "--flagged", "--json").output
    flagged_items = [json.loads(x) for x in flagged.splitlines()]
    assert flagged_items and all(i["flagged"] for i in flagged_items)
    seed = next(i for i in flagged_items if i["title"].startswith("Armenia Accuses"))
    assert {"Goris", "Kapan", "Jermuk"} <= {p["name"] for p in seed["places"]}

    hits = [
        json.loads(x)
        for x in invoke("--config", str(config), "search", "Jermuk", "--json").output.splitlines()
    ]
    assert {h["id"] for h in hits} >= {seed["id"]}
    assert all("[" in h["snippet"] for h in hits)
    bad = CliRunner().invoke(main, ["--config", str(config), "search", 'AND "'])
    assert bad.exit_code == 2 and "bad search query" in bad.output

    shown = invoke("--config", str(config), "show", str(seed["id"])).output
    assert "FLAGGED" in shown and "Goris" in shown and "Blinken" in shown
    assert "evidence:" in shown and "«" in shown
    assert "rule [armenia-azerbaijan-border] co-occurrence +" in shown
    missing = CliRunner().invoke(main, ["--config", str(config), "show", "9999"])
    assert missing.exit_code == 1 and "no article" in missing.output

    feeds = [
        json.loads(x)
        for x in invoke("--config", str(config), "feeds", "--json").output.splitlines()
    ]
    assert feeds[0]["name"] == "Wire" and feeds[0]["last_status"] == "ok"
    assert feeds[0]["error_count"] == 0 and feeds[0]["next_check_at"]

    alerts = [
        json.loads(x)
        for x in invoke("--config", str(config), "alerts", "--json").output.splitlines()
    ]
    assert len(alerts) == len([i for i in flagged_items if i["severity"] != "info"])
    assert all(a["deliveries"] == [] for a in alerts)  # no destinations configured


def test_test_alert_reports_each_destination(tmp_path: Path, webhook: object) -> None:
    from tests.servers import WebhookReceiver, free_port

    assert isinstance(webhook, WebhookReceiver)
    config = tmp_path / "monitor.toml"
    dead = free_port()
    config.write_text(
        f'[alerts]\nurls = ["json://127.0.0.1:{webhook.port}/ok", "json://127.0.0.1:{dead}/x"]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["--config", str(config), "test-alert"])
    assert result.exit_code == 1
    assert re.search(r"^sent\s+json://127.0.0.1:\d+/ok", result.output, re.M)
    assert "FAILED json://127.0.0.1" in result.output
    assert webhook.received[0].json()["title"].startswith("[TEST]")


def test_demo_runs_offline_in_under_a_minute() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert took < 60
    assert "Armenia Accuses Azerbaijan of Attack" in result.stdout
    assert "Goris (39.5" in result.stdout
    assert "Alerts it would send" in result.stdout
    assert "Baku" not in result.stdout.split("Flagged", 1)[1].split("Alerts it would", 1)[0]


def test_version_and_help_list_every_command() -> None:
    result = invoke("--help")
    for command in (
        "run",
        "once",
        "check",
        "items",
        "search",
        "show",
        "feeds",
        "alerts",
        "test-alert",
        "demo",
    ):
        assert re.search(rf"^\s+{command}\s", result.output, re.M), command
    assert "--config" in result.output


def test_readme_documents_every_command_and_option() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    for name, command in main.commands.items():
        assert f"`{name}" in readme, f"command {name} missing from the README"
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--"):
                    assert opt in readme, f"{name} {opt} missing from the README"
    for param in main.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert opt in readme, f"global option {opt} missing from the README"
