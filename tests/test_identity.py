from __future__ import annotations

import pytest

from monitor.identity import canonical_url, content_hash, entry_key, page_canonical


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.COM/a/b", "https://example.com/a/b"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?id=5&fbclid=xyz&gclid=1", "https://example.com/a?id=5"),
        ("https://example.com/a?page=2&UTM_Campaign=x#top", "https://example.com/a?page=2"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        # AMP and mobile editions, trailing slashes, index pages
        ("https://amp.news.am/eng/news/1.html", "https://news.am/eng/news/1.html"),
        ("https://m.armenpress.am/eng/news/1/", "https://armenpress.am/eng/news/1"),
        ("https://www.example.com/a/b/amp/", "https://example.com/a/b"),
        ("https://example.com/amp/news/5", "https://example.com/news/5"),
        ("https://example.com/a/b.amp.html", "https://example.com/a/b.html"),
        ("https://example.com/a?amp=1&id=3", "https://example.com/a?id=3"),
        ("https://example.com/a?outputType=amp&id=3", "https://example.com/a?id=3"),
        ("https://example.com/a?output=print", "https://example.com/a?output=print"),
        ("https://example.com/news/index.html", "https://example.com/news"),
        (
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/a/b",
            "https://example.com/a/b",
        ),
        (
            "https://www.google.com/amp/s/www.example.com/a/b.amp.html",
            "https://example.com/a/b.html",
        ),
        ("https://m.co/x", "https://m.co/x"),
        ("  https://news.am/eng/news/1.html  ", "https://news.am/eng/news/1.html"),
        ("https://[::1]:8443/x", "https://[::1]:8443/x"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("guid", "link", "title", "summary", "expected_prefix"),
    [
        ("tag:a,2026:1", "https://a/x", "T", "S", "guid:tag:a,2026:1"),
        (None, "https://a/x?utm_source=rss#c", "T", "S", "url:https://a/x"),
        ("  ", "https://a/x", "T", "S", "url:https://a/x"),
        (None, None, "Title", "Summary", "hash:"),
        (None, "", "Title", "Summary", "hash:"),
    ],
)
def test_entry_key_precedence(
    guid: str | None, link: str | None, title: str, summary: str, expected_prefix: str
) -> None:
    assert entry_key(guid, link, title, summary).startswith(expected_prefix)


def test_entry_key_hash_ignores_case_and_spacing_but_not_words() -> None:
    a = entry_key(None, None, "Border  talks", "Held today.")
    assert a == entry_key(None, None, "border talks", "held today")
    assert a != entry_key(None, None, "Border talks", "Held tomorrow")


def test_content_hash_same_text_different_titles_and_layout() -> None:
    body = "Armenia accused Azerbaijan of shelling its territory. " * 10
    assert content_hash("Title A", body) == content_hash("Another title", "  " + body.upper())
    assert content_hash("T", body) != content_hash("T", body + " One more sentence.")


def test_content_hash_of_short_texts_includes_the_title() -> None:
    assert content_hash("Talks in Brussels", "Read more") != content_hash("Shelling", "Read more")


@pytest.mark.parametrize(
    ("html", "canonical"),
    [
        ('<head><link rel="canonical" href="/a/b?utm_source=x"></head>', "https://example.com/a/b"),
        (
            "<head><link href='https://pub.example/s/1/' rel='alternate canonical'></head>",
            "https://pub.example/s/1",
        ),
        (
            '<head><meta property="og:url" content="https://pub.example/q/"></head>',
            "https://pub.example/q",
        ),
        (
            '<head><meta property="og:url" content="https://z.example/og">'
            '<link rel="canonical" href="https://z.example/link"></head>',
            "https://z.example/link",
        ),
        ('<head><link rel="canonical" href="javascript:alert(1)"></head>', None),
        ('<head><link rel="canonical" href=""></head>', None),
        ("<head><title>No canonical</title></head><body><link rel=canonical href=/x></body>", None),
    ],
)
def test_page_canonical(html: str, canonical: str | None) -> None:
    assert page_canonical(html, "https://www.example.com/a/b?utm_source=rss") == canonical
