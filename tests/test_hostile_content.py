"""Hostile bytes, no network: feeds and pages built to hurt the parser and the extractor."""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor import extract
from monitor.errors import ParseError
from monitor.extract import MAX_PAGE_BYTES, extract_article, refusal
from monitor.parse import (
    MAX_ITEMS,
    as_utf8,
    believable,
    clean_text,
    keep_first_items,
    parse_feed,
    web_link,
)
from tests.hostile import billion_laughs, deep_markup, deep_page, flood, quadratic_blowup

from .conftest import DEMO

URL = "http://127.0.0.1:9/feed.xml"
MiB = 1024 * 1024


def measured(call: Callable[[], Any]) -> tuple[Any, float, int]:
    """(outcome or exception, seconds, peak Python memory in bytes)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        try:
            outcome: Any = call()
        except Exception as exc:
            outcome = exc
        return outcome, time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("build", [billion_laughs, quadratic_blowup], ids=["laughs", "quadratic"])
def test_entity_bombs_cost_neither_time_nor_memory(build: Callable[[], bytes]) -> None:
    body = build()
    entries, seconds, peak = measured(lambda: parse_feed(body, url=URL))
    assert isinstance(entries, list) and entries
    assert all(len(e.title) <= len(body) for e in entries)  # nothing was expanded
    assert seconds < 5
    assert peak < 20 * len(body) + 20 * MiB, f"peak {peak / MiB:.0f} MiB"


def test_a_10_mb_feed_of_10000_items_reads_the_first_500_quickly() -> None:
    body = flood(10_000)
    assert len(body) > 10_000_000
    entries, seconds, peak = measured(lambda: parse_feed(body, url=URL))
    assert isinstance(entries, list)
    assert len(entries) == MAX_ITEMS
    assert [e.guid for e in entries[:2]] == ["flood-0", "flood-1"]  # the newest, in order
    assert seconds < 5  # all 10,000 take feedparser ~15 s
    assert peak < 80 * MiB, f"peak {peak / MiB:.0f} MiB"


def test_cutting_items_keeps_the_document_whole() -> None:
    entries = b"".join(b"<entry><id>%d</id></entry>" % i for i in range(5))
    body = b"<feed><title>t</title>" + entries + b"<link/></feed>"
    two = b"<entry><id>0</id></entry><entry><id>1</id></entry>"
    assert keep_first_items(body, 2) == b"<feed><title>t</title>" + two + b"<link/></feed>"
    assert keep_first_items(body, 10) == body
    rdf = b"<rdf:RDF><items/><item>a</item><item>b</item><rss:item>c</rss:item></rdf:RDF>"
    assert keep_first_items(rdf, 1) == b"<rdf:RDF><items/><item>a</item></rdf:RDF>"


def test_a_feed_nested_200000_levels_deep_is_refused_at_once() -> None:
    body = deep_markup()
    outcome, seconds, _ = measured(lambda: parse_feed(body, url=URL))
    assert isinstance(outcome, ParseError) and "too much markup" in outcome.reason
    assert seconds < 1  # feedparser itself would take ~20 s


def rss_with_title(title: bytes, declared: bytes = b"utf-8") -> bytes:
    return (
        b'<?xml version="1.0" encoding="' + declared + b'"?><rss version="2.0"><channel>'
        b"<title>t</title><item><title>" + title + b"</title><link>http://a.example/1</link>"
        b"</item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("title", "declared", "header", "expected"),
    [
        ("Ереван".encode(), b"utf-8", "", "Ереван"),
        ("Ереван".encode(), b"windows-1251", "", "Ереван"),  # UTF-8 claiming 1251
        ("Ереван".encode(), b"utf-8", "text/xml; charset=iso-8859-1", "Ереван"),
        ("Ереван".encode("cp1251"), b"windows-1251", "", "Ереван"),  # honest 1251
        ("Գորիս".encode() + b"\xff", b"utf-8", "", "Գորիս\ufffd"),  # one broken byte
        ("Արցախ Գորիս ".encode() + b"\xc3\x28", b"utf-8", "", "Արցախ Գորիս \ufffd("),
    ],
)
def test_charsets(title: bytes, declared: bytes, header: str, expected: str) -> None:
    headers = {"content-type": header} if header else {}
    (entry,) = parse_feed(rss_with_title(title, declared), url=URL, headers=headers)
    assert entry.title == expected


def test_utf8_repair_leaves_other_encodings_alone() -> None:
    cp1251 = rss_with_title("Ереван и Горис".encode("cp1251"))  # 1251 mislabelled as UTF-8
    assert as_utf8(cp1251, {}) == cp1251
    utf16 = rss_with_title(b"x").decode().replace("utf-8", "utf-16").encode("utf-16")
    assert as_utf8(utf16, {}) == utf16
    ascii_only = rss_with_title(b"plain", b"windows-1251")
    headers: dict[str, str] = {}
    assert as_utf8(ascii_only, headers) == ascii_only and headers == {}


def test_nul_and_control_characters_are_dropped() -> None:
    body = rss_with_title(b"a\x00b\x01c\x1fd\te")
    (entry,) = parse_feed(body, url=URL)
    assert entry.title == "abc d e"  # \x1f counts as a space to str.split()
    assert clean_text("line\nbreak\r\x00\x7f") == "line\nbreak\r"


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("https://news.example/a", True),
        ("http://news.example/a?b=c", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("file:///etc/passwd", False),
        ("ftp://news.example/a", False),
        ("//news.example/a", False),  # feedparser resolves relative links; this one was not
        ("http:///nohost", False),
        ("", False),
        (None, False),
    ],
)
def test_only_web_links_are_kept(link: str | None, kept: bool) -> None:
    assert (web_link(link) is not None) is kept


def test_relative_and_scheme_links_in_a_feed() -> None:
    items = b"".join(
        b"<item><title>%s</title><link>%s</link></item>" % (t, link)
        for t, link in [
            (b"rel", b"/news/1.html"),
            (b"js", b"javascript:alert(1)"),
            (b"data", b"data:text/html,x"),
            (b"file", b"file:///etc/passwd"),
        ]
    )
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>' + items
    entries = {e.title: e for e in parse_feed(body + b"</channel></rss>", url=URL)}
    assert entries["rel"].url == "http://127.0.0.1:9/news/1.html"
    assert [entries[t].url for t in ("js", "data", "file")] == [None, None, None]
    assert len({e.key for e in entries.values()}) == 4  # each still has its own key


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "kept"),
    [
        (datetime(2099, 1, 1, tzinfo=UTC), False),
        (datetime(1970, 1, 1, tzinfo=UTC), False),
        (datetime(1989, 12, 31, tzinfo=UTC), False),
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), True),  # a time zone ahead
        (datetime(2026, 11, 27, 0, 0, tzinfo=UTC), False),
        (datetime(2001, 9, 9, tzinfo=UTC), True),
        (None, False),
    ],
)
def test_believable_dates(when: datetime | None, kept: bool) -> None:
    assert (believable(when, NOW) is not None) is kept


# -- article pages ---------------------------------------------------------------------------


def test_a_page_nested_200000_levels_deep_is_refused_quickly() -> None:
    page = deep_page()
    assert len(page) < MAX_PAGE_BYTES  # not the size: the depth
    started = time.monotonic()
    assert refusal(page) == "markup nested over 255 levels deep"
    assert extract_article(page, url="http://127.0.0.1:9/deep") is None
    assert time.monotonic() - started < 3


def test_an_oversized_page_is_refused_before_parsing() -> None:
    paragraph = b"<p>" + b"Shelling was reported near the border village overnight. " * 20 + b"</p>"
    page = b"<html><body><article>" + paragraph * (MAX_PAGE_BYTES // len(paragraph) + 1)
    started = time.monotonic()
    assert refusal(page + b"</article></body></html>") is not None
    assert time.monotonic() - started < 0.5


def test_a_normal_page_passes_the_guard() -> None:
    page = (DEMO / "pages" / "armenia-accuses-azerbaijan-of-attack.html").read_bytes()
    assert refusal(page) is None
    article = extract_article(page, url="http://127.0.0.1:9/a")
    assert article is not None and "Goris" in article.text


def test_at_most_two_pages_are_extracted_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_extraction(html: bytes, **kwargs: Any) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", slow_extraction)
    page = b"<html><body><p>x</p></body></html>"
    threads = [
        threading.Thread(target=extract_article, args=(page,), kwargs={"url": "http://a/"})
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == extract.PARALLEL == 2
