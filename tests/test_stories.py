"""One story, one alert: near-duplicate sketches, story placement in SQLite, and the command."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.localsite import LocalSite, Resource
from monitor.similarity import Sketch, likeness, lsh_keys, similar, sketch
from monitor.store import open_db
from monitor.store.stories import list_stories, place_article
from tests import storykit
from tests.conftest import corpus as shared_corpus
from tests.servers import WebhookReceiver
from tests.storykit import Copy, Report, copies, reports
from tests.test_pipeline import once, write_config

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAIR_PRECISION = 0.99
PAIR_RECALL = 0.95


@pytest.fixture(scope="module")
def corpus() -> list[tuple[Report, list[Copy]]]:
    return [(report, copies(report)) for report in reports()]


def test_the_story_set_is_what_it_claims(corpus: list[tuple[Report, list[Copy]]]) -> None:
    incidents = {report.incident for report, _ in corpus}
    assert len(corpus) >= 60 and len(incidents) >= 28
    by_incident: dict[str, int] = {}
    for report, made in corpus:
        by_incident[report.incident] = by_incident.get(report.incident, 0) + 1
        hows = " ".join(copy.how for copy in made)
        for change in ("excerpt", "added paragraph", "new headline", "syndicated"):
            assert change in hows
    assert sum(1 for count in by_incident.values() if count >= 3) >= 16  # reports per incident


def test_pairs_copies_join_and_different_reports_stay_apart(
    corpus: list[tuple[Report, list[Copy]]],
) -> None:
    docs = []
    for report, made in corpus:
        docs.append((report.key, "original", sketch("\n".join(report.paragraphs))))
        docs += [(report.key, copy.how, sketch(copy.text)) for copy in made]
    tp = fp = fn = 0
    merged: list[tuple[str, str]] = []
    for (key_a, _, a), (key_b, _, b) in itertools.combinations(docs, 2):
        predicted = similar(a, b)
        if key_a == key_b:
            tp += predicted
            fn += not predicted
        elif predicted:
            fp += 1
            merged.append((key_a, key_b))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= PAIR_PRECISION, f"precision {precision:.4f}; merged {merged[:10]}"
    assert recall >= PAIR_RECALL, f"recall {recall:.4f}"


def test_a_template_statement_about_another_place_is_another_story() -> None:
    one = (
        "On 14 May at 03:10, units of the armed forces of Azerbaijan opened fire from small arms "
        "at Armenian combat positions near Sotk in the eastern part of the border. "
    ) * 3
    other = one.replace("14 May", "2 June").replace("03:10", "22:45").replace("Sotk", "Tegh")
    a, b = sketch(one + "The Armenian side took retaliatory measures."), sketch(other)
    assert likeness(a, b).body > 0.3  # worded alike ...
    assert not similar(a, b)  # ... but the numbers and names differ


def test_a_sketch_survives_the_database_round_trip() -> None:
    original = sketch(
        " ".join(
            f"Azerbaijani forces shelled Sotk for the {n}th time, the ministry said."
            for n in range(9)
        )
    )
    again = Sketch.from_blobs(original.size, *original.to_blobs())
    assert again == original
    assert len(lsh_keys(original)) == 28 and all(0 <= k < 2**63 for k in lsh_keys(original))
    assert lsh_keys(sketch("Too short.")) == []


def test_articles_are_placed_in_stories(
    tmp_path: Path, corpus: list[tuple[Report, list[Copy]]]
) -> None:
    db = open_db(tmp_path / "m.db")
    story_of: dict[str, set[int]] = {}
    with db.atomic():
        for number, (report, made) in enumerate(corpus[:24]):
            for index, text in enumerate(["\n".join(report.paragraphs), *(c.text for c in made)]):
                article_id = int(
                    db.table("articles")
                    .insert(
                        {"title": report.title, "text": text, "content_hash": f"{number}.{index}"}
                    )
                    .last_pk
                )
                placed = place_article(
                    db,
                    article_id,
                    title=report.title,
                    text=text,
                    flagged=True,
                    severity="high",
                    now=NOW + timedelta(minutes=index),
                )
                story_of.setdefault(report.key, set()).add(placed.story_id)
    assert all(len(stories) == 1 for stories in story_of.values()), story_of
    assert len({next(iter(s)) for s in story_of.values()}) == len(story_of)
    listed = list_stories(db, limit=100)
    assert len(listed) == 24 and all(story["count"] == 6 for story in listed)


def test_stories_command_lists_stories_with_their_articles(
    tmp_path: Path, demo_site: LocalSite
) -> None:
    config = write_config(tmp_path, demo_site, [])
    once(config)
    result = CliRunner().invoke(main, ["--config", str(config), "stories", "--json"])
    assert result.exit_code == 0, result.output
    stories = [json.loads(line) for line in result.output.splitlines()]
    for story in stories:
        assert {"id", "title", "first_seen", "flagged", "severity", "articles"} <= set(story)
        assert {"incident", "related", "sources"} <= set(story)
        assert (story["incident"] is not None) == story["flagged"]
        assert all({"url", "feed", "title"} <= set(a) for a in story["articles"])
    (seed,) = [s for s in stories if s["title"] == "Armenia Accuses Azerbaijan of Attack"]
    assert seed["flagged"] is True and seed["severity"] in ("high", "critical")
    # The page and its syndicated copy on another feed: one story, two sources.
    assert len(seed["articles"]) == 2 and len(seed["sources"]) == 2
    text = CliRunner().invoke(main, ["--config", str(config), "stories", "--flagged"]).output
    assert "Armenia Accuses Azerbaijan of Attack" in text and "2 sources" in text


def test_five_feeds_with_copies_of_one_story_send_one_alert_and_one_corroboration(
    tmp_path: Path, site: LocalSite, webhook: WebhookReceiver, seed_text: str
) -> None:
    title, _, body = seed_text.strip().partition("\n")
    paragraphs = [p.strip() for p in body.split("\n") if p.strip()]
    outlets = [
        ("Armenpress", "armenian"),
        ("news.am", "armenian"),
        ("APA", "azerbaijani"),
        ("TASS", "russian"),
        ("Reuters", "international"),
    ]
    lines = ["[storage]", 'path = "data/monitor.db"', "[fetch]", 'timeout = "3s"', "[alerts]"]
    lines.append(f'urls = ["json://127.0.0.1:{webhook.port}/hook"]')
    for number, (outlet, side) in enumerate(outlets):
        slug = outlet.lower().replace(".", "-")
        text = list(paragraphs)
        if number % 2:  # every other copy is an excerpt
            text = [*text[: len(text) * 2 // 3], "Read more on our website."]
        if number == 3:
            text.insert(2, "Moscow has called on both sides to show restraint, TASS reported.")
        page = f"/{slug}/news/{number}.html"
        site.resources[page] = Resource(storykit.page(number, f"{title} ({outlet})", text, number))
        item = (
            f"<item><title>{title}</title><link>{site.url(page)}?utm_source=rss</link>"
            f"<guid>{slug}-1</guid><description>{paragraphs[0]}</description></item>"
        )
        feed = f"<rss version='2.0'><channel><title>{outlet}</title>{item}</channel></rss>"
        site.resources[f"/{slug}/rss.xml"] = Resource(feed.encode(), "application/rss+xml")
        lines += ["[[feeds]]", f'name = "{outlet}"', f'side = "{side}"']
        lines.append(f'url = "{site.url(f"/{slug}/rss.xml")}"')
    config = tmp_path / "monitor.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = once(config)
    assert "new_articles=5" in output, output
    # One alert for the story, and one follow-up once three sides (the default) carried it.
    titles = [hook.json()["title"] for hook in webhook.received]
    assert len(titles) == 2, titles
    (first,) = [t for t in titles if not t.startswith("[CORROBORATED]")]
    (followup,) = [
        hook.json() for hook in webhook.received if "[CORROBORATED]" in hook.json()["title"]
    ]
    assert "Armenia Accuses Azerbaijan of Attack" in first
    message = followup["message"] if "message" in followup else followup["body"]
    assert "outlets from" in message and "sides:" in message
    result = CliRunner().invoke(main, ["--config", str(config), "stories", "--json"])
    (story,) = [json.loads(line) for line in result.output.splitlines()]
    assert story["flagged"] and len(story["articles"]) == 5 and len(story["sources"]) == 5
    once(config)  # nothing new: nothing more sent
    assert len(webhook.received) == 2


def test_a_story_from_one_side_is_not_corroborated(
    tmp_path: Path, demo_site: LocalSite, webhook: WebhookReceiver
) -> None:
    # The demo carries the seed article on an Armenian and an international feed: two sides.
    config = write_config(tmp_path, demo_site, [f"json://127.0.0.1:{webhook.port}/hook"])
    once(config)
    titles = [hook.json()["title"] for hook in webhook.received]
    assert not any(t.startswith("[CORROBORATED]") for t in titles), titles


_RSS = "application/rss+xml"


def _page(paragraphs: list[str]) -> bytes:
    return storykit.page(0, "Shooting near Sotk", paragraphs)


def _feed(site: LocalSite, summary: str, updated: str) -> bytes:
    item = (
        f"<item><title>Shooting near Sotk</title><link>{site.url('/news/1.html')}</link>"
        f"<guid>sotk-1</guid><description>{summary}</description>"
        f"<pubDate>Wed, 25 Nov 2026 06:00:00 GMT</pubDate>{updated}</item>"
    )
    return f"<rss version='2.0'><channel><title>Wire</title>{item}</channel></rss>".encode()


def test_a_changed_page_is_a_new_version_and_alerts_only_when_graver(
    tmp_path: Path, site: LocalSite, webhook: WebhookReceiver
) -> None:
    first = [
        "Azerbaijani forces opened fire on Armenian positions near Sotk overnight, the Armenian "
        "Defence Ministry said on Wednesday.",
        "The ministry said the shooting lasted about forty minutes and came from small arms.",
        "Residents of the village said they heard the gunfire from their homes.",
    ]
    site.resources["/news/1.html"] = Resource(_page(first))
    site.resources["/rss.xml"] = Resource(_feed(site, "Shooting near Sotk.", ""), _RSS)
    config = tmp_path / "monitor.toml"
    config.write_text(
        "\n".join(
            [
                "[storage]",
                'path = "data/monitor.db"',
                "[alerts]",
                f'urls = ["json://127.0.0.1:{webhook.port}/hook"]',
                "[[feeds]]",
                'name = "Wire"',
                f'url = "{site.url("/rss.xml")}"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert "new_articles=1" in once(config)
    assert [h.json()["title"][:8] for h in webhook.received] == ["[MEDIUM]"]

    # The page adds a death: the feed re-issues the item; a new version, and an update alert.
    graver = [*first[:2], "One Armenian serviceman was killed by the fire, the ministry said."]
    site.resources["/news/1.html"] = Resource(_page(graver))
    site.resources["/rss.xml"] = Resource(_feed(site, "A serviceman was killed.", ""), _RSS)
    assert "updated=1" in once(config)
    titles = [h.json()["title"] for h in webhook.received]
    assert len(titles) == 2, titles
    assert titles[1].startswith(("[UPDATE] [HIGH]", "[UPDATE] [CRITICAL]")), titles
    update = webhook.received[1].json()
    assert "What changed:" in update["message"] and "killed" in update["message"]

    # The feed re-issues the item again, the page gains a sentence: a version, no alert.
    site.resources["/news/1.html"] = Resource(
        _page([*graver, "The ministry said the situation was calm by morning."])
    )
    site.resources["/rss.xml"] = Resource(_feed(site, "Calm by morning.", ""), _RSS)
    assert "updated=1" in once(config)
    assert len(webhook.received) == 2

    # Re-issued with the same page: nothing changes.
    site.resources["/rss.xml"] = Resource(_feed(site, "Once more.", ""), _RSS)
    assert "updated=0" in once(config)

    result = CliRunner().invoke(main, ["--config", str(config), "show", "1", "--json"])
    shown = json.loads(result.output)
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert "1 sentence added" in shown["versions"][0]["changes"]
    assert shown["severity"] in ("high", "critical") and "calm by morning" in shown["text"]
    text = CliRunner().invoke(main, ["--config", str(config), "show", "1"]).output
    assert "version 1 (seen" in text


def test_real_pages_join_their_own_text_and_nothing_else() -> None:
    # 181 real article pages nobody here wrote: the extractor's text of each page against the
    # publisher's own article body (a copy in another rendering), and every other article.
    pairs = storykit.real_page_pairs(shared_corpus("article-extraction-benchmark"))
    assert len(pairs) >= 170
    joined = sum(similar(page, body) for page, body in pairs)
    assert joined / len(pairs) >= 0.95
    merged = [
        (i, j)
        for i, j in itertools.combinations(range(len(pairs)), 2)
        if any(similar(u, v) for u in pairs[i] for v in pairs[j])
    ]
    assert merged == []
