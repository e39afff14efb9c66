"""The review: `serve` (Datasette, map, Atom) over a database filled by a real `once` run, and
`export`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import httpx
import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from monitor.cli import main
from monitor.localsite import LocalSite
from tests.servers import free_port
from tests.test_pipeline import once, write_config


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A config whose database holds one real `once` over the demo feeds."""
    from monitor.localsite import load_folder
    from tests.conftest import DEMO

    tmp_path = tmp_path_factory.mktemp("review")
    with LocalSite() as site:
        site.resources.update(load_folder(DEMO, site.base_url))
        config = write_config(tmp_path, site, [])
        once(config)
    yield config


class Served:
    def __init__(self, config: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor",
                "--config",
                str(config),
                "serve",
                "--port",
                str(self.port),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.base + "/-/versions.json", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError("serve did not start: " + self.stop())

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.base + path, timeout=10, **kwargs)  # type: ignore[arg-type]

    def rows(self, path: str) -> list[dict[str, object]]:
        joiner = "&" if "?" in path else "?"
        response = self.get(f"{path}{joiner}_shape=array")
        assert response.status_code == 200, response.text
        rows: list[dict[str, object]] = response.json()
        return rows

    def stop(self) -> str:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        said = self.proc.stdout.read().decode(errors="replace")
        self.proc.stdout.close()
        return said


@pytest.fixture(scope="module")
def served(filled: Path) -> Iterator[Served]:
    server = Served(filled)
    yield server
    server.stop()


def db_of(config: Path) -> Database:
    return Database(config.parent / "data" / "monitor.db")


def test_pages_facets_and_search(served: Served, filled: Path) -> None:
    db = db_of(filled)
    flagged = db.execute("select count(*) from articles where flagged = 1").fetchone()[0]
    assert flagged >= 2
    home = served.get("/")
    assert home.status_code == 200 and "news-monitor review" in home.text
    assert len(served.rows("/monitor/flagged_items.json")) == flagged
    faceted = served.get("/monitor/flagged_items.json?_facet=severity&_facet=side").json()
    severities = {v["value"]: v["count"] for v in faceted["facet_results"]["severity"]["results"]}
    expected = dict(
        db.execute("select severity, count(*) from articles where flagged = 1 group by severity")
    )
    assert severities == expected
    page = served.get("/monitor/flagged_items")
    assert page.status_code == 200 and "Flagged items" in page.text and "severity" in page.text
    found = served.rows("/monitor/articles.json?_search=Goris")
    assert found and all("Goris" in (r["title"] or "") + (r["text"] or "") for r in found)


def test_canned_queries_answer_with_the_expected_rows(served: Served, filled: Path) -> None:
    db = db_of(filled)
    today = served.rows("/monitor/flagged_today.json")
    assert {r["id"] for r in today} == {
        r[0] for r in db.execute("select id from articles where flagged = 1")
    }
    story = db.execute("select id from stories where flagged = 1 order by id").fetchone()[0]
    rows = served.rows(f"/monitor/story.json?story={story}")
    sources = [r for r in rows if r["row"] == "source"]
    assert sources and all(r["url"] for r in sources)
    deliveries = served.rows("/monitor/alerts_and_deliveries.json")
    assert len(deliveries) == db.table("deliveries").count
    health = served.rows("/monitor/feed_health.json")
    assert {r["name"] for r in health} == {r["name"] for r in db.table("feeds").rows}
    places = served.rows("/monitor/incidents_by_place.json")
    assert any(r["place"] == "Goris" and r["latitude"] for r in places)


def test_map_and_atom(served: Served, filled: Path) -> None:
    page = served.get("/-/map")
    assert page.status_code == 200 and "<svg" in page.text and ">Goris<" in page.text
    assert "<script" not in page.text  # drawn offline, nothing fetched from elsewhere
    db = db_of(filled)
    flagged = db.execute("select count(*) from stories where flagged = 1").fetchone()[0]
    atom = served.get("/-/atom.xml")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == flagged
    assert all(e.link.startswith("http://127.0.0.1") for e in parsed.entries)
    critical = feedparser.parse(served.get("/-/atom.xml?severity=critical").content)
    assert (
        len(critical.entries)
        == db.execute(
            "select count(*) from stories where flagged = 1 and severity = 'critical'"
        ).fetchone()[0]
    )
    assert served.get("/-/atom.xml?severity=dire").status_code == 400
    none = feedparser.parse(served.get("/-/atom.xml?watch=no-such-watch").content)
    assert not none.bozo and none.entries == []


def test_a_password_guards_the_review(filled: Path) -> None:
    server = Served(filled, "--password-env", "REVIEW_PW", env={"REVIEW_PW": "s3cret"})
    try:
        assert server.get("/").status_code == 401
        assert server.get("/", auth=("review", "wrong")).status_code == 401
        assert server.get("/", auth=("review", "s3cret")).status_code == 200
    finally:
        server.stop()


def test_serve_refuses_the_network_without_a_password(filled: Path) -> None:
    # Decided before anything is bound: nothing listens beyond loopback in this test.
    refused = CliRunner().invoke(main, ["--config", str(filled), "serve", "--host", "0.0.0.0"])
    assert refused.exit_code != 0 and "not a loopback address" in refused.output


def test_export_csv_json_atom(filled: Path, tmp_path: Path) -> None:
    run = CliRunner()
    db = db_of(filled)
    flagged = db.execute("select count(*) from articles where flagged = 1").fetchone()[0]
    as_csv = run.invoke(main, ["--config", str(filled), "export", "--format", "csv"])
    assert as_csv.exit_code == 0 and len(as_csv.output.strip().splitlines()) == flagged + 1
    as_json = run.invoke(main, ["--config", str(filled), "export", "--format", "json"])
    rows = [json.loads(line) for line in as_json.output.splitlines()]
    assert len(rows) == flagged and all(r["severity"] for r in rows)
    out = tmp_path / "flagged.atom"
    as_atom = run.invoke(
        main, ["--config", str(filled), "export", "--format", "atom", "--output", str(out)]
    )
    assert as_atom.exit_code == 0
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo and parsed.entries
    graver = run.invoke(
        main, ["--config", str(filled), "export", "--format", "json", "--severity", "critical"]
    )
    assert all(json.loads(line)["severity"] == "critical" for line in graver.output.splitlines())


def test_timeline_picture_counts_flagged_stories(
    served: Served, filled: Path, tmp_path: Path
) -> None:
    db = db_of(filled)
    flagged = db.execute("select count(*) from stories where flagged = 1").fetchone()[0]
    out = tmp_path / "timeline.svg"
    result = CliRunner().invoke(
        main, ["--config", str(filled), "report", "--weeks", "2", "-o", str(out)]
    )
    assert result.exit_code == 0 and f"{flagged} flagged stories" in result.output
    svg = ET.fromstring(out.read_text(encoding="utf-8"))
    titles = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert sum(int(t.split(": ")[1].split()[0]) for t in titles) == flagged
    page = served.get("/-/timeline?weeks=1")
    assert (
        page.status_code == 200 and "<svg" in page.text and "Flagged stories per day" in page.text
    )


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_review_commands_read_well_in_a_terminal(
    filled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # as on a terminal
    monkeypatch.setenv("COLUMNS", "160")
    run = CliRunner()
    db = db_of(filled)
    flagged = db.execute(
        "select id, title, severity from articles where flagged = 1 order by id"
    ).fetchall()

    def shown(*args: str) -> tuple[str, str]:
        result = run.invoke(main, ["--config", str(filled), *args])
        assert result.exit_code == 0, result.output
        return result.output, ANSI.sub("", result.output)

    raw, plain = shown("items", "--flagged")
    assert "Stored items, newest first" in plain and "┃" in plain  # a table
    assert all(title[:30] in plain for _, title, _ in flagged)
    assert "\x1b[" in raw  # coloured by severity
    raw, plain = shown("search", "Goris")
    assert "Search results" in plain and "Goris" in plain
    assert "\x1b[1;33mGoris" in raw  # the matched word highlighted, its brackets gone
    article, _, severity = flagged[0]
    raw, plain = shown("show", str(article))
    assert f"FLAGGED {severity}" in plain and "matched terms highlighted" in plain
    terms = [r[0] for r in db.execute("select text from matches where article_id = ?", [article])]
    assert any(f"\x1b[1;33m{term}" in raw for term in terms)
    _, plain = shown("feeds")
    assert "Feed health" in plain and "Armenian Wire" in plain
    _, plain = shown("stories", "--flagged")
    assert "Stories, newest first" in plain
    # Pipes and files keep the plain lines.
    monkeypatch.delenv("FORCE_COLOR")
    piped = run.invoke(main, ["--config", str(filled), "items", "--flagged"])
    assert "\x1b[" not in piped.output and "┃" not in piped.output
    assert piped.output.startswith(f"#{flagged[-1][0]}")
