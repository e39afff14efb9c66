"""The review in a real browser: headless Chromium (Debian's, driven by Playwright; no browser
download) opens the flagged list, facets it by severity, opens a story and the map. Screenshots
go to tests/output/browser/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from tests.test_review import Served, filled  # noqa: F401  (the module's fixture)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parent / "output" / "browser"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on this machine (make test installs Debian's)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


def test_flagged_list_facet_story_and_map(filled: Path, browser: object) -> None:  # noqa: F811
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    SHOTS.mkdir(parents=True, exist_ok=True)
    db = Database(filled.parent / "data" / "monitor.db")
    server = Served(filled)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(server.base + "/monitor/flagged_items")
        assert "Flagged items" in page.title() or page.locator("h1").inner_text()
        rows = page.locator("table.rows-and-columns tbody tr")
        flagged = db.execute("select count(*) from articles where flagged = 1").fetchone()[0]
        assert rows.count() == flagged
        page.screenshot(path=str(SHOTS / "1-flagged-list.png"), full_page=True)

        facet = page.locator(".facet-info[data-column='severity'] a[href*='severity=']").first
        chosen = facet.get_attribute("href") or ""
        value = chosen.split("severity=", 1)[1].split("&", 1)[0]
        facet.click()
        page.wait_for_url("**severity=*")
        expected = db.execute(
            "select count(*) from articles where flagged = 1 and severity = ?", [value]
        ).fetchone()[0]
        assert page.locator("table.rows-and-columns tbody tr").count() == expected
        page.screenshot(path=str(SHOTS / "2-faceted-by-severity.png"), full_page=True)

        story = db.execute("select id from stories where flagged = 1 order by id").fetchone()[0]
        page.goto(f"{server.base}/monitor/story?story={story}")
        cells = page.locator("table.rows-and-columns tbody td.col-row")
        assert cells.count() >= 1 and "source" in cells.first.inner_text()
        page.screenshot(path=str(SHOTS / "3-story.png"), full_page=True)

        page.goto(server.base + "/-/map")
        spots = page.locator("svg a.spot circle")
        assert spots.count() >= 1
        assert page.locator("svg text", has_text="Goris").count() >= 1
        page.screenshot(path=str(SHOTS / "4-map.png"), full_page=True)
    finally:
        page.close()
        server.stop()
    assert all(
        (SHOTS / name).stat().st_size > 5000
        for name in ("1-flagged-list.png", "2-faceted-by-severity.png", "3-story.png", "4-map.png")
    )
