"""Chat delivery against a real Matrix homeserver (Synapse) on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.alert import Notifier, render_alert
from monitor.config import AlertSettings
from tests.matrix import MatrixServer
from tests.test_alert import hostile_item


@pytest.fixture(scope="module")
def synapse() -> Iterator[MatrixServer]:
    with MatrixServer() as server:
        server.register("monitor", "monitor-password")
        yield server


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_an_alert_reaches_a_matrix_room(synapse: MatrixServer, fmt: str) -> None:
    room = f"#border-{fmt}:localhost"
    url = f"matrix://monitor:monitor-password@127.0.0.1:{synapse.port}/{room}?format={fmt}"
    notifier = Notifier.from_settings(AlertSettings(urls=(url,)))
    (destination,) = notifier.destinations
    assert "monitor-password" not in destination.label
    draft = render_alert(hostile_item(), feed_name="Wire", side="armenian")
    notifier.send(
        destination.key,
        title=draft.title,
        body=draft.body,
        severity=draft.severity,
        payload=draft.payload,
    )
    token = synapse.login("monitor", "monitor-password")
    (message,) = synapse.messages(room, token)
    text = message["body"]
    assert "Shelling" in text and "Goris" in text and draft.alert_key in text
    assert "https://news.example/a" in text
    # Feed text never becomes markup or a link in the room: only the item's own URL is a link.
    rendered = message.get("formatted_body", "")
    assert "<script" not in rendered
    assert '<a href="http://evil.example' not in rendered
    if fmt == "markdown":
        assert 'href="https://news.example/a"' in rendered
        assert "<strong>shelled</strong>" in rendered
        assert "&lt;script&gt;" in rendered  # the feed's markup, as text
    else:
        assert "<script>alert(1)</script>" in text  # shown as the characters it is
