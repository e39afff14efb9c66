from __future__ import annotations

import time

import pytest

from monitor.errors import ParseError
from monitor.parse import html_to_text, parse_feed, strip_doctype

from .conftest import DEMO, corpus

BASE = "http://127.0.0.1:9999"


def demo_feed(name: str) -> bytes:
    return (DEMO / "feeds" / name).read_bytes().replace(b"{{BASE}}", BASE.encode())


def test_rss_entries_have_keys_links_dates_and_text() -> None:
    entries = parse_feed(demo_feed("armenian-wire.xml"), url=BASE + "/feeds/armenian-wire.xml")
    assert len(entries) == 5
    first = entries[0]
    assert first.key.startswith("guid:")
    assert first.url and first.url.startswith(BASE + "/pages/")
    assert first.published is not None and first.published.tzinfo is not None
    assert first.title and first.summary
    assert "<" not in first.summary


def test_atom_entries() -> None:
    entries = parse_feed(demo_feed("caucasus-world.atom"), url=BASE + "/feeds/x.atom")
    assert len(entries) == 4
    assert all(e.key.startswith("guid:tag:") for e in entries)
    assert all(e.url and e.url.startswith(BASE) for e in entries)


def test_item_without_guid_is_keyed_by_its_canonical_link() -> None:
    entries = parse_feed(demo_feed("regional-ru.xml"), url=BASE + "/feeds/regional-ru.xml")
    keyed_by_url = [e for e in entries if e.key.startswith("url:")]
    assert len(keyed_by_url) == 1
    assert "utm_" not in keyed_by_url[0].key and "#" not in keyed_by_url[0].key


def test_relative_links_resolve_against_the_feed_url() -> None:
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>A</title><link>/news/1.html</link></item></channel></rss>"""
    (entry,) = parse_feed(body, url="https://site.example/feeds/rss.xml")
    assert entry.url == "https://site.example/news/1.html"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body><p>This is a web page, not a feed.</p></body></html>",
        b"\x00\x01\x02 binary garbage \xff\xfe",
        b'{"not": "a feed"}',
    ],
)
def test_non_feeds_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_feed(body, url="https://x.example/feed")


def test_entity_expansion_bomb_is_defused_quickly() -> None:
    lol = b"lol" * 10
    decl = b"".join(
        b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1)) * 10 if i else lol) for i in range(9)
    )
    item = b"<item><title>x &a8;</title><link>https://x.example/1</link></item>"
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [' + decl + b']><rss version="2.0"><channel>'
        b"<title>t</title>" + item * 200 + b"</channel></rss>"
    )
    started = time.monotonic()
    try:
        entries = parse_feed(body, url="https://x.example/feed")
    except ParseError:
        entries = []
    assert time.monotonic() - started < 5
    assert all(len(e.title) < 1000 for e in entries)
    assert b"<!DOCTYPE" not in strip_doctype(body)


def test_doctype_is_stripped_only_from_the_prolog() -> None:
    body = b'<?xml version="1.0"?>\n<!-- c -->\n<!DOCTYPE rss [<!ENTITY x "y">]>\n<rss/>'
    assert strip_doctype(body) == b'<?xml version="1.0"?>\n<!-- c -->\n\n<rss/>'
    inside = b"<rss><item><description><![CDATA[ <!DOCTYPE ]]></description></item></rss>"
    assert strip_doctype(inside) == inside


def test_html_to_text() -> None:
    assert html_to_text("<p>One <b>two</b></p><p>three &amp; four</p>") == "One two\nthree & four"
    assert html_to_text("plain   text") == "plain text"
    assert html_to_text("") == ""


def test_feedparser_corpus_never_raises_unexpectedly() -> None:
    root = corpus("feedparser-tests")
    files = sorted(root.rglob("*.xml"))
    assert files
    parsed = errors = 0
    for path in files:
        try:
            parse_feed(path.read_bytes(), url="http://127.0.0.1/" + path.name)
            parsed += 1
        except ParseError:
            errors += 1
    assert parsed > len(files) * 0.95


def test_feed_rs_fixtures_parse() -> None:
    root = corpus("feed-rs-fixtures")
    files = [p for p in sorted(root.rglob("*")) if p.suffix in (".xml", ".rss", ".atom")]
    assert files
    entries = 0
    for path in files:
        try:
            entries += len(parse_feed(path.read_bytes(), url="http://127.0.0.1/" + path.name))
        except ParseError:
            continue
    assert entries > 80
