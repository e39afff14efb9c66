"""Writing an alert per destination format: feed text stays text, only the item is a link."""

from __future__ import annotations

import pytest

from monitor.formats import HTML, MARKDOWN, TEXT, Line, Message, render, safe_url


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://news.am/eng/news/1.html", True),
        ("http://127.0.0.1:8080/x?y=1", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("https://user:pass@news.am/x", False),
        ('https://news.am/x"onmouseover="alert(1)', False),
        ("//news.am/x", False),
        (None, False),
    ],
)
def test_only_plain_http_links(url: str | None, safe: bool) -> None:
    assert safe_url(url) == (url if safe else None)


def test_the_three_formats() -> None:
    message = Message(
        "[HIGH] <b>Title</b>",
        (Line("Key sentence", "Fire at Sotk *now* <i>", ((8, 12),)), Line("", "plain")),
        "https://news.am/1",
        "nm-1",
    )
    title, text = render(message, TEXT)
    assert title == "[HIGH] <b>Title</b>"
    assert text.splitlines() == [
        "Key sentence: Fire at «Sotk» *now* <i>",
        "plain",
        "Link: https://news.am/1",
        "Alert id: nm-1",
    ]
    _, html = render(message, HTML)
    assert "<p><b>Key sentence:</b> Fire at <b>Sotk</b> *now* &lt;i&gt;</p>" in html
    assert '<a href="https://news.am/1">https://news.am/1</a>' in html
    md_title, markdown = render(message, MARKDOWN)
    assert md_title == "[HIGH] <b>Title</b>"  # apprise writes titles as text
    assert "Fire at **Sotk** \\*now\\* \\<i\\>" in markdown


def test_a_message_survives_storage() -> None:
    message = Message("t", (Line("a", "b", ((0, 1),)),), "https://x.example/", "nm-2")
    assert Message.from_json(message.to_json()) == message
