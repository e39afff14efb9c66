"""Sources other than RSS: JSON Feed, listing pages, news sitemaps, search feeds with redirect
links, and discovery, each against a local server and each giving the entries the site's RSS
gives; the feed-rs fixtures against their expected results."""

from __future__ import annotations

import asyncio
import html
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from monitor.cli import main
from monitor.config import FetchSettings, load_settings
from monitor.errors import ConfigError, ParseError
from monitor.fetch import Fetcher
from monitor.localsite import LocalSite, Resource
from monitor.models import Entry, FeedSource, FetchResult
from monitor.sources import read_entries
from monitor.sources.discover import discover
from tests.conftest import corpus
from tests.test_pipeline import once, rows

STORIES = [
    (
        "a1",
        "Shelling reported near Sotk",
        "Azerbaijani forces shelled Armenian positions near Sotk overnight, the Armenian "
        "Defence Ministry said. No casualties were reported.",
        datetime(2026, 11, 24, 6, 30, tzinfo=UTC),
    ),
    (
        "a2",
        "Border commission meets in Gabala",
        "The delimitation commissions of Armenia and Azerbaijan met in Gabala to continue "
        "work on the border between the two countries.",
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    ),
    (
        "a3",
        "Ceasefire violation near Tegh",
        "Armenia's Defence Ministry said Azerbaijani units fired on positions near Tegh; "
        "Baku denied it and accused Armenian forces of provocation.",
        datetime(2026, 11, 24, 12, 15, tzinfo=UTC),
    ),
]


def page(title: str, text: str) -> bytes:
    body = "".join(f"<p>{sentence}.</p>" for sentence in text.split(". "))
    filler = "<p>" + "The report gave no further detail on the situation. " * 6 + "</p>"
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{body}{filler}</article></body></html>"
    ).encode()


def rss(site: LocalSite) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{site.url(f'/news/{slug}.html')}</link>"
        f"<guid>{site.url(f'/news/{slug}.html')}</guid>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>{text}</description></item>"
        for slug, title, text, when in STORIES
    )
    return f"<rss version='2.0'><channel><title>Site</title>{items}</channel></rss>".encode()


def json_feed(site: LocalSite) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Site",
            "feed_url": site.url("/feed.json"),
            "items": [
                {
                    "id": site.url(f"/news/{slug}.html"),
                    "url": f"/news/{slug}.html",  # relative: resolved against feed_url
                    "title": title,
                    "content_html": f"<p>{html.escape(text)}</p>",
                    "date_published": when.isoformat().replace("+00:00", "Z"),
                    "authors": [{"name": "Desk"}],
                }
                for slug, title, text, when in STORIES
            ],
        }
    ).encode()


def listing(site: LocalSite) -> bytes:
    links = "".join(
        f"<li class='item'><span>{when:%d.%m}</span> <a href='/news/{slug}.html'>{title}</a></li>"
        for slug, title, _, when in STORIES
    )
    return (
        "<html><body><nav><a href='/about.html'>About</a><a href='/news/'>News</a></nav>"
        f"<ul class='press'>{links}<li class='item'><a href='javascript:void(0)'>More</a></li>"
        "<li class='item'><a href='/gallery/photo-1.html'>Photo</a></li></ul>"
        "<footer><a href='/news/a1.html'>Latest</a></footer></body></html>"
    ).encode()


def sitemap(site: LocalSite) -> bytes:
    urls = "".join(
        f"<url><loc>{site.url(f'/news/{slug}.html')}</loc><news:news><news:publication>"
        "<news:name>Site</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>{when.isoformat()}</news:publication_date>"
        f"<news:title>{title}</news:title></news:news></url>"
        for slug, title, _, when in STORIES
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        f"xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'>{urls}</urlset>"
    ).encode()


def search_feed(site: LocalSite) -> bytes:
    items = "".join(
        f"<item><title>{title} - The Site</title><link>{site.url(f'/go/{slug}')}</link>"
        f"<guid isPermaLink='false'>search-{slug}</guid>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<source url='{site.base_url}'>The Site</source></item>"
        for slug, title, _, when in STORIES
    )
    return f"<rss version='2.0'><channel><title>Search</title>{items}</channel></rss>".encode()


@pytest.fixture
def news_site(site: LocalSite) -> LocalSite:
    site.resources.update(
        {
            "/rss.xml": Resource(rss(site), "application/rss+xml"),
            "/feed.json": Resource(json_feed(site), "application/feed+json"),
            "/news/": Resource(listing(site)),
            "/sitemap-news.xml": Resource(sitemap(site), "application/xml"),
            "/search.xml": Resource(search_feed(site), "application/rss+xml"),
            "/": Resource(
                b"<html><head><link rel='alternate' type='application/rss+xml' title='All news'"
                b" href='/rss.xml'><link rel='alternate' type='application/feed+json'"
                b" href='/feed.json'><link rel='stylesheet' href='/s.css'></head></html>"
            ),
        }
    )
    for slug, title, text, _ in STORIES:
        site.resources[f"/news/{slug}.html"] = Resource(page(title, text))
        site.resources[f"/go/{slug}"] = Resource(
            b"", status=302, headers={"Location": site.url(f"/news/{slug}.html")}, etag=False
        )
    return site


SOURCES = {
    "rss": FeedSource("RSS", "/rss.xml", 600),
    "json": FeedSource("JSON", "/feed.json", 600),
    "listing": FeedSource(
        "Press page",
        "/news/",
        600,
        kind="listing",
        selector="ul.press li.item a",
        exclude=(r"/gallery/",),
    ),
    "sitemap": FeedSource("Sitemap", "/sitemap-news.xml", 600, kind="sitemap"),
    "search": FeedSource("Search", "/search.xml", 600, kind="search"),
}


def entries_of(site: LocalSite, name: str) -> list[Entry]:
    source = SOURCES[name]
    path = source.url
    resource = site.resources[path]
    return read_entries(
        source, resource.body, url=site.url(path), headers={"Content-Type": resource.content_type}
    )


def test_json_feed_gives_the_entries_of_the_rss(news_site: LocalSite) -> None:
    expected = entries_of(news_site, "rss")
    got = entries_of(news_site, "json")
    assert [(e.key, e.url, e.title, e.published) for e in got] == [
        (e.key, e.url, e.title, e.published) for e in expected
    ]
    assert [e.content for e in got] == [e.summary for e in expected]
    assert {e.author for e in got} == {"Desk"}


@pytest.mark.parametrize("name", ["listing", "sitemap"])
def test_pages_and_sitemaps_give_the_links_of_the_rss(news_site: LocalSite, name: str) -> None:
    expected = entries_of(news_site, "rss")
    got = entries_of(news_site, name)
    # Same pages, same titles, in page order; nav, footer, javascript: and excluded links left.
    assert [(e.url, e.title) for e in got] == [(e.url, e.title) for e in expected]
    if name == "sitemap":
        assert [e.published for e in got] == [e.published for e in expected]


def test_search_feed_titles_lose_the_publisher(news_site: LocalSite) -> None:
    got = entries_of(news_site, "search")
    assert [e.title for e in got] == [title for _, title, _, _ in STORIES]
    assert {e.author for e in got} == {"The Site"}
    assert all(urlsplit(e.url or "").path.startswith("/go/") for e in got)


def test_every_kind_joins_the_same_three_articles(tmp_path: Path, news_site: LocalSite) -> None:
    """All five sources through `once`: the search feed's redirect links are resolved to the
    publisher, so the 15 entries are 3 articles and 3 stories."""
    lines = ["[storage]", 'path = "m.db"', "[fetch]", 'timeout = "3s"']
    for source in SOURCES.values():
        lines += ["[[feeds]]", f"name = {json.dumps(source.name)}"]
        lines += [f"url = {json.dumps(news_site.url(source.url))}"]
        if source.kind != "feed":
            lines += [f"type = {json.dumps(source.kind)}"]
        if source.selector:
            lines += [f"selector = {json.dumps(source.selector)}"]
            lines += [f"exclude = {json.dumps(list(source.exclude))}"]
    config = tmp_path / "monitor.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = once(config)
    assert "status=error" not in output
    db = Database(tmp_path / "m.db")
    assert db.table("entries").count == 15
    assert db.table("articles").count == 3
    assert db.table("stories").count == 3
    urls = {r["url"] for r in rows(db, "select url from articles")}
    assert urls == {news_site.url(f"/news/{slug}.html") for slug, _, _, _ in STORIES}
    kinds = {r["name"]: r["kind"] for r in rows(db, "select name, kind from feeds")}
    assert kinds == {s.name: s.kind for s in SOURCES.values()}
    for source in SOURCES.values():
        assert len(news_site.requests_for(source.url)) == 1
    # Four sources link each page directly: one request between them (the cycle shares its
    # pages); the search feed's redirect link is followed once more, to learn where it leads.
    for slug, _, _, _ in STORIES:
        assert len(news_site.requests_for(f"/news/{slug}.html")) == 2
        assert len(news_site.requests_for(f"/go/{slug}")) == 1


def test_a_listing_page_that_changed_layout_is_an_error_on_the_feed(news_site: LocalSite) -> None:
    broken = FeedSource("x", "/news/", 600, kind="listing", selector="div.gone a")
    with pytest.raises(ParseError, match="no links matched the selector"):
        read_entries(broken, news_site.resources["/news/"].body, url=news_site.url("/news/"))


def test_sitemap_index_and_entity_bombs_are_clean_errors() -> None:
    index = (
        b"<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        b"<sitemap><loc>https://x.example/news.xml</loc></sitemap></sitemapindex>"
    )
    source = FeedSource("s", "https://x.example/sitemap.xml", 600, kind="sitemap")
    with pytest.raises(ParseError, match=r"https://x\.example/news\.xml"):
        read_entries(source, index, url=source.url)
    # An entity bomb (a billion laughs) is refused by the parser, quickly and cleanly.
    levels = [b"<!ENTITY a0 'laugh'>"] + [
        b"<!ENTITY a%d '%s'>" % (n, b"".join(b"&a%d;" % (n - 1) for _ in range(10)))
        for n in range(1, 10)
    ]
    bomb = (
        b"<?xml version='1.0'?><!DOCTYPE urlset [" + b"".join(levels) + b"]>"
        b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        b"<url><loc>https://x.example/a&a9;</loc></url></urlset>"
    )
    started = time.monotonic()
    with pytest.raises(ParseError, match="not a sitemap"):
        read_entries(source, bomb, url=source.url)
    assert time.monotonic() - started < 2


def test_discovery_from_a_site_page_and_from_common_paths(news_site: LocalSite) -> None:
    async def found_at(url: str) -> list[tuple[str, str, int]]:
        async with Fetcher(FetchSettings(timeout=3)) as fetcher:

            async def fetch(address: str) -> FetchResult:
                return await fetcher.fetch(address)

            return [(f.url, f.kind, f.entries) for f in await discover(url, fetch)]

    announced = asyncio.run(found_at(news_site.url("/")))
    assert announced == [
        (news_site.url("/rss.xml"), "rss", 3),
        (news_site.url("/feed.json"), "json", 3),
    ]
    assert asyncio.run(found_at(news_site.url("/rss.xml"))) == [
        (news_site.url("/rss.xml"), "rss", 3)
    ]
    # A page announcing nothing: the common paths are tried.
    news_site.resources["/"] = Resource(b"<html><body>Welcome</body></html>")
    news_site.resources["/feed"] = news_site.resources.pop("/rss.xml")
    assert asyncio.run(found_at(news_site.url("/"))) == [
        (news_site.url("/feed"), "rss", 3),
        (news_site.url("/feed.json"), "json", 3),
    ]


def test_feeds_add_discovers_and_writes_a_config_that_loads(
    tmp_path: Path, news_site: LocalSite
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('[storage]\npath = "m.db"\n', encoding="utf-8")
    run = CliRunner()
    listed = run.invoke(main, ["--config", str(config), "feeds", "discover", news_site.url("/")])
    assert listed.exit_code == 0, listed.output
    assert news_site.url("/rss.xml") in listed.output and "json" in listed.output
    added = run.invoke(
        main,
        [
            "--config",
            str(config),
            "feeds",
            "add",
            news_site.url("/"),
            "--side",
            "armenian",
            "--language",
            "en",
            "--notes",
            'Says "official" a lot',
        ],
    )
    assert added.exit_code == 0, added.output
    assert "the site also offers: " + news_site.url("/feed.json") in added.output
    (feed,) = load_settings(config).feeds
    assert (feed.name, feed.url, feed.side, feed.language) == (
        "All news",
        news_site.url("/rss.xml"),
        "armenian",
        "en",
    )
    assert feed.notes == 'Says "official" a lot'
    again = run.invoke(main, ["--config", str(config), "feeds", "add", news_site.url("/rss.xml")])
    assert again.exit_code != 0 and "no new feed" in again.output
    before = config.read_text(encoding="utf-8")
    nothing = run.invoke(main, ["--config", str(config), "feeds", "add", news_site.url("/none")])
    assert nothing.exit_code != 0
    assert config.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('type = "listing"', "a listing source needs the CSS selector"),
        ('type = "listing"\nselector = "ul >> a"', "not a CSS selector"),
        ('type = "listing"\nselector = "a"\ninclude = ["(unclosed"]', "not a regular expression"),
        ('selector = "a"', 'for type = "listing" only'),
        ('type = "podcast"', "must be one of feed, search, listing, sitemap"),
    ],
)
def test_source_config_mistakes(tmp_path: Path, table: str, said: str) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[[feeds]]\nname = "x"\nurl = "https://x.example/"\n{table}\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert said in str(raised.value) and "feeds[0]" in str(raised.value)


def _same_link(ours: str | None, theirs: str | None, base: str) -> bool:
    if theirs is None:
        return True  # feedparser also takes a permalink GUID or xml:base; feed-rs does not
    if ours is None:
        return False

    def norm(url: str) -> str:
        parts = urlsplit(urljoin(base, url))
        return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"

    return norm(ours) == norm(theirs)


def test_feed_rs_fixtures_match_their_expected_entries() -> None:
    root = corpus("feed-rs-fixtures")
    source = FeedSource("x", "http://127.0.0.1/", 600)
    compared = jsonfeeds = 0
    for expected_file in sorted(root.rglob("*.serde.json")):
        stem = expected_file.name.removesuffix(".serde.json")
        (feed_file,) = [p for p in expected_file.parent.glob(stem + ".*") if p != expected_file]
        expected = json.loads(expected_file.read_text(encoding="utf-8"))["entries"]
        base = "http://127.0.0.1/" + feed_file.name
        got = read_entries(source, feed_file.read_bytes(), url=base)
        assert len(got) == len(expected), feed_file.name
        for ours, theirs in zip(got, expected, strict=True):
            title = (theirs.get("title") or {}).get("content") or ""
            assert ours.title == " ".join(html.unescape(title).split()), feed_file.name
            links = theirs.get("links") or []
            assert _same_link(ours.url, links[0]["href"] if links else None, base), feed_file.name
        compared += 1
        jsonfeeds += feed_file.suffix == ".json"
    assert compared >= 60 and jsonfeeds >= 3


def test_the_shipped_source_list_covers_the_region() -> None:
    feeds = load_settings(Path(__file__).resolve().parents[1] / "config" / "monitor.toml").feeds
    assert len(feeds) >= 60
    assert {f.side for f in feeds} == {"armenian", "azerbaijani", "russian", "international"}
    assert {"en", "ru", "hy", "az"} <= {f.language for f in feeds}
    assert {f.kind for f in feeds} == {"feed", "search", "listing", "sitemap"}
    assert all(f.checked and f.notes and f.country and f.language for f in feeds)
    ministries = {urlsplit(f.url).hostname for f in feeds if f.kind == "listing"}
    assert {"mil.am", "mod.gov.az"} <= {h.removeprefix("www.") for h in ministries if h}


def test_every_kind_keeps_only_web_links_and_clean_text() -> None:
    hostile = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "items": [
                {"id": "1", "url": "javascript:alert(1)", "title": "A\x00B\x07C"},
                {"id": "2", "url": "file:///etc/passwd", "title": "t"},
                {"id": "3", "url": "https://x.example/ok", "title": "ok"},
            ]
            + [{"id": str(n), "url": f"https://x.example/{n}"} for n in range(4, 1000)],
        }
    ).encode()
    source = FeedSource("j", "https://x.example/feed.json", 600)
    entries = read_entries(source, hostile, url=source.url)
    assert [e.url for e in entries[:3]] == [None, None, "https://x.example/ok"]
    assert entries[0].title == "ABC"
    assert len(entries) == 500  # as many as a feed's first items
