"""Work a cycle does not do: copies are not matched again, and a watchlist that compiled cleanly
on this database before is compiled only when an article needs it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import monitor.refresh
from monitor.cli import main
from monitor.clicontext import WATCHLIST_COMPILED, compile_unless_known
from monitor.errors import ConfigError
from monitor.localsite import LocalSite, Resource
from monitor.match import WatchlistError, load_watchlist
from monitor.models import Article, MatchResult
from monitor.service import read_state
from monitor.store import open_db
from tests.test_match import MINIMAL
from tests.test_pipeline import SEED_PAGE

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CLASH = MINIMAL.replace('en = ["shelled"]', 'en = ["Testville"]')


def watch_files(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    return path


def config(
    tmp_path: Path, site: LocalSite, watchlist: Path | None = None, extra: tuple[str, ...] = ()
) -> Path:
    lines = ["[storage]", 'path = "monitor.db"']
    if watchlist is not None:  # its [watch.*] table and its entries, in two files
        text = watchlist.read_text(encoding="utf-8")
        header = "[watch.test-watch]\nthreshold = 4.0\n"
        watches = watchlist.with_name("watches.toml")
        watches.write_text(header, encoding="utf-8")
        gazetteer = watchlist.with_name("gazetteer.toml")
        gazetteer.write_text(text.replace(header, ""), encoding="utf-8")
        lines += ["[watch]", f"gazetteer = {json.dumps(str(gazetteer))}"]
        lines += [f"watches = {json.dumps(str(watches))}"]
    for name in ("armenian-wire.xml", "caucasus-world.atom", "regional-ru.xml", *extra):
        lines += ["[[feeds]]", f'name = "{name}"', f'url = "{site.url("/feeds/" + name)}"']
    path = tmp_path / "monitor.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rss(site: LocalSite, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Copy {n}</title><link>{site.url(link)}</link><guid>copy-{n}</guid></item>"
        for n, link in enumerate(links)
    )
    return f"<rss version='2.0'><channel><title>Copies</title>{items}</channel></rss>".encode()


def test_copies_of_stored_articles_are_not_matched_again(
    tmp_path: Path, demo_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    matched: list[str] = []
    real = monitor.refresh.match_article

    def counting(article: Article, watchlist: object) -> MatchResult:
        matched.append(article.url or "")
        return real(article, watchlist)  # type: ignore[arg-type]

    monkeypatch.setattr(monitor.refresh, "match_article", counting)
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config(tmp_path, demo_site)), "once"])
    assert result.exit_code == 0, result.output
    db = open_db(tmp_path / "monitor.db")
    articles = db.execute("select count(*) from articles").fetchone()[0]
    assert len(matched) >= articles  # copies in one cycle may race: each may be matched
    assert db.execute("select count(*) from articles where flagged = 1").fetchone()[0] > 0

    # A new feed carries a stored page under a tracking link, and the same page's bytes under
    # another address: both join stored articles, and neither is matched again.
    demo_site.resources["/mirror/copy.html"] = demo_site.resources[SEED_PAGE]
    demo_site.resources["/feeds/copies.xml"] = Resource(
        rss(demo_site, [SEED_PAGE + "?utm_source=copies", "/mirror/copy.html"]),
        "application/rss+xml",
    )
    matched.clear()
    extra = ("copies.xml",)
    result = runner.invoke(
        main, ["--config", str(config(tmp_path, demo_site, extra=extra)), "once"]
    )
    assert result.exit_code == 0, result.output
    assert "new_articles=0 duplicates=2" in result.output
    assert demo_site.requests_for("/mirror/copy.html")  # read, found to be a copy
    assert matched == []


def test_a_watchlist_compiled_before_on_this_database_waits_for_its_first_article(
    tmp_path: Path,
) -> None:
    path = watch_files(tmp_path, MINIMAL)
    db = open_db(tmp_path / "monitor.db")
    first = load_watchlist(path, compile=False)
    assert not first.compiled
    compile_unless_known(first, db, NOW)
    assert first.compiled
    assert read_state(db)[WATCHLIST_COMPILED] == first.fingerprint

    again = load_watchlist(path, compile=False)
    assert again.fingerprint == first.fingerprint
    compile_unless_known(again, db, NOW)
    assert not again.compiled  # known good: nothing compiled yet
    assert again.matcher.size == first.matcher.size  # compiled at first use
    assert again.compiled

    path.write_text(MINIMAL.replace("Testville", "Testburg"), encoding="utf-8")
    changed = load_watchlist(path, compile=False)
    assert changed.fingerprint != first.fingerprint
    compile_unless_known(changed, db, NOW)
    assert changed.compiled  # new words: checked now


def test_a_clashing_watchlist_fails_before_any_fetch(tmp_path: Path, demo_site: LocalSite) -> None:
    path = watch_files(tmp_path, CLASH)
    lazy = load_watchlist(path, compile=False)  # the cheap checks pass ...
    with pytest.raises(WatchlistError, match="already alias"):
        lazy.compile()  # ... the clash is found by compiling
    db = open_db(tmp_path / "other.db")
    with pytest.raises(ConfigError, match="already alias"):
        compile_unless_known(load_watchlist(path, compile=False), db, NOW)
    assert WATCHLIST_COMPILED not in read_state(db)

    demo_site.requests.clear()
    result = CliRunner().invoke(main, ["--config", str(config(tmp_path, demo_site, path)), "once"])
    assert result.exit_code != 0
    assert "already alias" in result.output
    assert demo_site.requests == []  # refused before anything was fetched
