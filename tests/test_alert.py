"""Rendering and delivery, against a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.alert import Notifier, highlight, render_alert
from monitor.config import AlertSettings, load_settings
from monitor.errors import AlertError, ConfigError
from monitor.models import (
    Article,
    Entry,
    Firing,
    Item,
    Match,
    MatchResult,
    Place,
    severity_at_least,
)
from monitor.templates import Templates, apply
from tests.servers import SmtpSink, WebhookReceiver, free_port

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def flagged_item() -> Item:
    sentence = "Azerbaijan was shelling in the direction of Goris, Kapan and Jermuk."
    verdict = MatchResult(
        flagged=True,
        score=9.5,
        severity="high",
        watches=("armenia-azerbaijan-border",),
        matches=(
            Match("shelling", "incident", "shelling", sentence, 3.0),
            Match("Goris", "place", "Goris", sentence, 2.0),
            Match("Azerbaijan", "actor", "Azerbaijan", sentence, 1.0),
        ),
        places=(Place("Goris", 39.51, 46.34, "AM", "town"),),
        reason="incident 'shelling' near Goris with actor Azerbaijan in one sentence",
        fired=(
            Firing("armenia-azerbaijan-border", "co-occurrence", 9.0, "high", "...", sentence),
            Firing("armenia-azerbaijan-border", "people hurt at a named place", 0.0, "", "..."),
            Firing("armenia-azerbaijan-border", "exclusion contexts", -1.5, "", "sport"),
            Firing("other-watch", "rule of a watch that did not flag", 2.0, "low", "..."),
        ),
    )
    entry = Entry("guid:1", "https://news.example/a", "Feed title", "summary", "", NOW)
    article = Article("https://news.example/a", "Armenia Accuses Azerbaijan of Attack", "text")
    return Item(entry, article, verdict, "abc123", "https://news.example/a")


def test_alert_says_what_where_who_and_why() -> None:
    draft = render_alert(flagged_item(), feed_name="Armenpress", side="armenian")
    assert draft.title == "[HIGH] Armenia Accuses Azerbaijan of Attack"
    assert "What: incident 'shelling'" in draft.body
    assert "Where: Goris (AM)" in draft.body
    assert "Reported by: Armenpress (armenian)" in draft.body
    assert "incident: shelling" in draft.body and "place: Goris" in draft.body
    assert 'Key sentence: "«Azerbaijan» was «shelling» in the direction of «Goris»' in draft.body
    # The rules and weights that made the flagging watch fire (not penalties, not other watches).
    assert "Rules: armenia-azerbaijan-border: co-occurrence +9.0 [high]\n" in draft.body
    two = Firing("armenia-azerbaijan-border", "co-occurrence", 4.5, "medium", "...")
    item = flagged_item()
    item = replace(item, verdict=replace(item.verdict, fired=(*item.verdict.fired, two)))
    body = render_alert(item, feed_name="x", side=None).body
    assert "co-occurrence in 2 sentences +13.5 [high]" in body
    assert "Link: https://news.example/a" in draft.body
    assert draft.alert_key.startswith("nm-") and draft.alert_key in draft.body
    assert render_alert(flagged_item(), feed_name="x", side=None).alert_key == draft.alert_key


@pytest.mark.parametrize(
    ("severity", "minimum", "sent"),
    [
        ("high", "low", True),
        ("low", "low", True),
        ("low", "medium", False),
        ("critical", "high", True),
        ("none", "low", False),
        ("info", "low", False),
        ("info", "info", True),
        ("none", "info", False),
    ],
)
def test_severity_threshold(severity: str, minimum: str, sent: bool) -> None:
    assert severity_at_least(severity, minimum) is sent


def test_delivery_to_webhook_and_smtp(webhook: WebhookReceiver, smtp: SmtpSink) -> None:
    notifier = Notifier.from_settings(
        AlertSettings(urls=(f"json://127.0.0.1:{webhook.port}/hook", smtp.url()))
    )
    assert len(notifier.destinations) == 2
    labels = " ".join(d.label for d in notifier.destinations)
    assert smtp.password not in labels  # shown masked
    for dest in notifier.destinations:
        notifier.send(dest.key, title="[HIGH] Title", body="Body text", severity="high")
    assert webhook.received[0].json()["title"] == "[HIGH] Title"
    assert webhook.received[0].json()["message"] == "Body text"
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "[HIGH] Title"
    assert message["To"] == "ops@example.org"


def test_failed_delivery_raises_alert_error_without_secrets(webhook: WebhookReceiver) -> None:
    webhook.fail_next = 1
    notifier = Notifier.from_settings(
        AlertSettings(urls=(f"json://user:tok3n-secret@127.0.0.1:{webhook.port}/hook",))
    )
    (dest,) = notifier.destinations
    with pytest.raises(AlertError) as err:
        notifier.send(dest.key, title="t", body="b", severity="low")
    assert "tok3n-secret" not in str(err.value)
    assert "tok3n-secret" not in dest.label
    notifier.send(dest.key, title="t", body="b", severity="low")  # the receiver is back
    assert len(webhook.received) == 1


def test_unreachable_destination_fails_cleanly() -> None:
    notifier = Notifier.from_settings(AlertSettings(urls=(f"json://127.0.0.1:{free_port()}/",)))
    with pytest.raises(AlertError):
        notifier.send(notifier.destinations[0].key, title="t", body="b", severity="low")


def test_unusable_apprise_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="apprise cannot use"):
        Notifier.from_settings(AlertSettings(urls=("nosuchscheme://x",)))


def test_apprise_config_file_with_tags(tmp_path: object, webhook: WebhookReceiver) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    config = tmp_path / "apprise.yml"
    config.write_text(
        f"urls:\n  - json://127.0.0.1:{webhook.port}/chat:\n      tag: critical, chat\n",
        encoding="utf-8",
    )
    notifier = Notifier.from_settings(AlertSettings(config=config))
    (dest,) = notifier.destinations
    assert dest.tags == ("chat", "critical")
    notifier.send(dest.key, title="t", body="b", severity="critical")
    assert webhook.received[0].path.startswith("/chat")


@pytest.mark.parametrize(
    ("sentence", "terms", "expected"),
    [
        ("Shelling near Goris.", ["Goris", "Shelling"], "«Shelling» near «Goris»."),
        ("Kapan and Kapan again", ["Kapan"], "«Kapan» and «Kapan» again"),
        (
            "Verin Shorzha and Shorzha",
            ["Verin Shorzha", "Shorzha"],
            "«Verin Shorzha» and «Shorzha»",
        ),
        ("nothing here", ["Goris"], "nothing here"),
    ],
)
def test_highlight(sentence: str, terms: list[str], expected: str) -> None:
    assert highlight(sentence, terms) == expected


def hostile_item() -> Item:
    sentence = (
        'Azerbaijan shelled Goris <script>alert(1)</script> <a href="http://evil.example/x">'
        "click here</a> [more](http://evil.example/md) overnight."
    )
    item = flagged_item()
    matches = (
        Match("shelled", "incident", "shelling", sentence, 3.0),
        Match("Goris", "place", "Goris", sentence, 2.0),
    )
    article = replace(item.article, title="Shelling <script>x()</script> of Goris")
    return replace(item, article=article, verdict=replace(item.verdict, matches=matches))


def test_email_is_multipart_and_feed_text_stays_text(smtp: SmtpSink) -> None:
    notifier = Notifier.from_settings(AlertSettings(urls=(smtp.url(),)))
    draft = render_alert(hostile_item(), feed_name="Wire", side="armenian")
    (dest,) = notifier.destinations
    notifier.send(
        dest.key, title=draft.title, body=draft.body, severity="high", payload=draft.payload
    )
    (message,) = smtp.wait_for(1)
    assert message.get_content_type() == "multipart/alternative"
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    assert html_part is not None and text_part is not None
    markup = html_part.get_content()
    assert "<script" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert 'href="http://evil.example' not in markup
    assert "&lt;a href=&quot;http://evil.example/x&quot;&gt;" in markup
    assert '<a href="https://news.example/a">' in markup  # the item's own link, and only it
    assert "<b>shelled</b>" in markup and "<b>Goris</b>" in markup
    assert "alert(1)" in text_part.get_content()
    assert message["Subject"].startswith("[HIGH] Shelling <script>x()</script> of Goris")


def test_markdown_escapes_feed_text_and_links_only_the_item() -> None:
    from monitor.formats import MARKDOWN, Message, render

    draft = render_alert(hostile_item(), feed_name="Wire", side=None)
    assert draft.payload is not None
    title, body = render(Message.from_json(draft.payload), MARKDOWN)
    assert "\\[more\\]\\(http://evil\\.example/md\\)" in body
    assert "](<https://news.example/a>)" in body
    assert body.count("](") == 1
    assert "**shelled**" in body and title.startswith("[HIGH] Shelling <script>")


TEMPLATES = Templates(
    title="{severity} | {where} | {title}",
    text="{severity} at {where}\n{key_sentence}\n{link}\nid={alert_id}",
    html=(
        "<h2>{severity}: {title}</h2><p>At <i>{where}</i>, per {reported_by}</p>"
        "<blockquote>{key_sentence}</blockquote><p>{link}</p><small>{alert_id}</small>"
    ),
)


def test_user_templates_per_format_keep_feed_text_as_text(
    smtp: SmtpSink, webhook: WebhookReceiver
) -> None:
    urls = (smtp.url(), f"json://127.0.0.1:{webhook.port}/hook")
    notifier = Notifier.from_settings(AlertSettings(urls=urls, templates=TEMPLATES))
    draft = render_alert(hostile_item(), feed_name="Wire <b>", side="armenian")
    for dest in notifier.destinations:
        notifier.send(
            dest.key, title=draft.title, body=draft.body, severity="high", payload=draft.payload
        )
    (message,) = smtp.wait_for(1)
    assert message["Subject"] == "HIGH | Goris (AM) | Shelling <script>x()</script> of Goris"
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    assert html_part is not None and text_part is not None
    markup = html_part.get_content()
    # The template's markup stays; the feed's becomes text.
    assert "<h2>HIGH: Shelling &lt;script&gt;x()&lt;/script&gt; of Goris</h2>" in markup
    assert "<p>At <i>Goris (AM)</i>, per Wire &lt;b&gt; (armenian)</p>" in markup
    assert "<blockquote>" in markup and "<b>shelled</b>" in markup and "<script" not in markup
    assert 'href="http://evil.example' not in markup
    assert '<p><a href="https://news.example/a">https://news.example/a</a></p>' in markup
    assert f"<small>{draft.alert_key}</small>" in markup
    # Email's plain part is apprise's text version of the HTML template.
    assert "At Goris (AM), per Wire <b> (armenian)" in text_part.get_content()
    # A text destination gets the text template.
    (hook,) = webhook.received
    assert hook.json()["title"] == message["Subject"]
    assert hook.json()["message"] == (
        'HIGH at Goris (AM)\n"Azerbaijan «shelled» «Goris» <script>alert(1)</script> '
        '<a href="http://evil.example/x">click here</a> [more](http://evil.example/md) '
        f'overnight."\nhttps://news.example/a\nid={draft.alert_key}'
    )


def test_a_format_without_a_template_keeps_the_standard_body() -> None:
    from monitor.formats import MARKDOWN, Message, render

    draft = render_alert(hostile_item(), feed_name="Wire", side=None)
    assert draft.payload is not None
    message = Message.from_json(draft.payload)
    standard = render(message, MARKDOWN)
    title, body = apply(TEMPLATES, message, MARKDOWN, "high", standard)
    assert body == standard[1]
    assert title == "HIGH | Goris (AM) | Shelling <script>x()</script> of Goris"


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{wher}", "unknown field {wher} (did you mean {where}?)"),
        ("{title.__class__}", "unknown field {title.__class__}"),
        ("{title!r}", "no format specs or conversions"),
        ("{title:>99999}", "no format specs or conversions"),
        ("{title", "not a valid template"),
    ],
)
def test_bad_templates_are_config_errors(tmp_path: Path, template: str, said: str) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(f"[alerts.template]\nhtml = {json.dumps(template)}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(config)
    assert "alerts.template.html" in str(raised.value) and said in str(raised.value)
