"""Different reports of one incident are linked; different incidents are not."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.incidents import Signature, same_incident, signature
from monitor.match import load_watchlist, match_article
from monitor.models import Article
from monitor.store import open_db
from monitor.store.stories import link_incident
from tests.storykit import reports

BASE = datetime(2026, 1, 1, tzinfo=UTC)
HOURS = {"a": 0, "b": 6, "c": 30}  # a first report, the other side, a follow-up next day


def seen_at(key: str) -> datetime:
    """Incidents four days apart (template pairs too); reports of one within 30 hours."""
    number, report = key.split("-")
    day = int(number) if number.isdigit() else 20 + 2 * int(number[1])
    return BASE + timedelta(days=4 * day, hours=HOURS[report])


@pytest.fixture(scope="module")
def signatures() -> list[tuple[str, str, Signature]]:
    watchlist = load_watchlist()
    found = []
    for report in reports():
        verdict = match_article(
            Article(url=None, title=report.title, text="\n".join(report.paragraphs)), watchlist
        )
        if verdict.flagged:
            found.append((report.incident, report.key, signature(verdict, seen_at(report.key))))
    return found


def test_reports_of_one_incident_link_and_others_do_not(
    signatures: list[tuple[str, str, Signature]],
) -> None:
    assert len(signatures) >= 50  # nearly every report is flagged
    tp = fp = fn = 0
    wrong = []
    for (a_incident, a_key, a), (b_incident, b_key, b) in itertools.combinations(signatures, 2):
        linked = same_incident(a, b)
        if a_incident == b_incident:
            tp += linked
            fn += not linked
        elif linked:
            fp += 1
            wrong.append((a_key, b_key))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.99, wrong
    assert recall >= 0.85, recall


def test_place_time_and_kind_must_all_agree() -> None:
    sotk = ("Sotk", 40.2146, 45.9454)
    zod_pass = ("Zod pass", 40.2, 45.98)  # a few km away: the same border section
    kapan = ("Kapan", 39.2076, 46.4058)
    shelling = Signature(frozenset({sotk}), frozenset(), frozenset({"fire"}), BASE)
    toll = Signature(frozenset({zod_pass}), frozenset(), frozenset({"casualties"}), BASE)
    assert same_incident(shelling, toll)
    later = Signature(toll.places, toll.regions, toll.families, BASE + timedelta(days=3))
    assert not same_incident(shelling, later)
    elsewhere = Signature(frozenset({kapan}), frozenset(), frozenset({"fire"}), BASE)
    assert not same_incident(shelling, elsewhere)
    talks = Signature(frozenset({sotk}), frozenset(), frozenset({"line"}), BASE)
    assert not same_incident(shelling, talks)


def test_stories_are_linked_in_the_database(tmp_path: Path) -> None:
    db = open_db(tmp_path / "m.db")
    sotk = frozenset({("Sotk", 40.2146, 45.9454)})
    ids = []
    with db.atomic():
        for hours, families in ((0, {"fire"}), (5, {"casualties"}), (80, {"fire"})):
            story = int(db.table("stories").insert({"title": f"s{hours}"}).last_pk)
            sig = Signature(sotk, frozenset(), frozenset(families), BASE + timedelta(hours=hours))
            ids.append(link_incident(db, story, sig))
    assert ids[0] == ids[1] != ids[2]
    (count,) = db.execute("select story_count from incidents where id = ?", [ids[0]]).fetchone()
    assert count == 2
