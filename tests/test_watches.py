"""Watches defined in TOML: rules, weights, thresholds, severities, groups, and their errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.match import Watchlist, WatchlistError, load_watchlist, match_article
from monitor.models import Article, MatchResult

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT / "seeds" / "gazetteer"
SHIPPED = ROOT / "config" / "watches.toml"
EXAMPLE = ROOT / "config" / "watches.example.toml"

RULES = """
schema = 1

[watch.corridor]
title = "Lachin road"
threshold = 2.0

[[watch.corridor.rule]]
name = "closure"
any = ['"Lachin corridor"', '@place:"Hakari bridge"']
all = ["closed OR blockad*"]
within = "sentence"
weight = 2.0
severity = "medium"

[[watch.corridor.rule]]
name = "gunfire"
any = ['"Lachin corridor"']
all = ["@incident.hostile"]
within = 6
weight = 1.0
severity = "high"

[[watch.corridor.rule]]
name = "not sport"
query = '"Lachin corridor" AND @exclude.sport'
weight = -5.0

[[watch.corridor.rule]]
name = "headline"
query = '"Lachin corridor"'
where = "title"
weight = 0.5
"""


def write(tmp_path: Path, text: str, name: str = "watches.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def judge(watchlist: Watchlist, text: str, title: str = "") -> MatchResult:
    return match_article(Article(url=None, title=title, text=text), watchlist)


@pytest.fixture(scope="module")
def corridor(tmp_path_factory: pytest.TempPathFactory) -> Watchlist:
    return load_watchlist([GAZETTEER, write(tmp_path_factory.mktemp("w"), RULES)])


def parts(result: MatchResult) -> dict[str, float]:
    return {f.rule: f.weight for f in result.fired if f.watch == "corridor"}


def test_rules_add_weights_up_to_the_threshold(corridor: Watchlist) -> None:
    closed = judge(corridor, "Azerbaijan closed the Lachin corridor on Monday.")
    assert closed.flagged and closed.watches == ("corridor",)
    assert parts(closed) == {"closure": 2.0}
    assert closed.score == 2.0 and closed.severity == "medium"
    assert "rules 'closure' (+2, medium); score 2 >= 2" in closed.reason

    # A rule that holds alone below the threshold does not flag.
    shot = judge(corridor, "Shots were fired near the Lachin corridor by unknown people.")
    assert parts(shot) == {"gunfire": 1.0} and not shot.flagged and shot.severity == "none"

    # Two rules: the weights add up and the gravest severity wins.
    both = judge(corridor, "The Lachin corridor was closed after shots were fired at it.")
    assert parts(both) == {"closure": 2.0, "gunfire": 1.0}
    assert both.score == 3.0 and both.severity == "high"


def test_within_counts_words_and_sentences(corridor: Watchlist) -> None:
    far = "Shots were fired on Sunday in a remote valley, far from the Lachin corridor."
    assert "gunfire" not in parts(judge(corridor, far))  # 8 words apart, within = 6
    apart = "The Lachin corridor stays open. The Hakari river road was closed for repairs."
    assert "closure" not in parts(judge(corridor, apart))  # closed: another sentence


def test_a_negative_weight_holds_an_article_back(corridor: Watchlist) -> None:
    match = "Football fans closed the Lachin corridor on their way to the match."
    result = judge(corridor, match)
    assert parts(result) == {"closure": 2.0, "not sport": -5.0}
    assert not result.flagged and result.score == -3.0


def test_where_title_looks_at_the_title_only(corridor: Watchlist) -> None:
    assert "headline" in parts(judge(corridor, "Traffic was light.", title="Lachin corridor open"))
    assert "headline" not in parts(judge(corridor, "The Lachin corridor is open.", title="Roads"))


def test_the_shipped_severity_levels() -> None:
    shipped = load_watchlist()
    wounded = judge(
        shipped,
        "An Armenian serviceman was wounded by Azerbaijani fire at a position near Sotk, the "
        "Defence Ministry said.",
    )
    assert wounded.flagged and wounded.severity == "critical"
    assert any(f.severity == "critical" and f.weight == 0 for f in wounded.fired)
    shelled = judge(
        shipped, "Azerbaijani units shelled Armenian positions near Sotk overnight, without losses."
    )
    assert shelled.flagged and shelled.severity == "high"
    talks = judge(
        shipped,
        "The delimitation commissions of Armenia and Azerbaijan met in Tbilisi to agree on the "
        "next section of the border near Kirants and Baghanis.",
    )
    assert talks.flagged and talks.severity == "info"


def test_the_example_watch_works_beside_the_shipped_one() -> None:
    both = load_watchlist([GAZETTEER, SHIPPED, EXAMPLE])
    assert both.names == ("armenia-azerbaijan-border", "lachin-corridor")
    closed = judge(
        both,
        "Azerbaijan closed the Lachin corridor checkpoint at the Hakari bridge on Monday, "
        "turning back a Red Cross convoy.",
    )
    assert set(closed.watches) == {"armenia-azerbaijan-border", "lachin-corridor"}
    assert {f.rule for f in closed.fired if f.watch == "lachin-corridor"} == {
        "closure or checkpoint on the Lachin road",
        "convoys and evacuations",
    }
    fans = judge(both, "Qarabağ FK fans travelled along the Lachin road to the cup match.")
    assert not fans.flagged


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("query = '\"Lachin corridor\"'", "query = '\"Lachin corridor\" AND (x'"),
            "')' is missing",
        ),
        (("@incident.hostile", "@incidents.hostile"), "no entity group or kind 'incidents'"),
        (("@incident.hostile", "@incident.hostlie"), "no incident has 'hostlie'"),
        (('@place:"Hakari bridge"', '@place:"Hakari brigde"'), "no place named 'hakari brigde'"),
        (("within = 6", "within = -1"), "within: expected 'article', 'sentence' or a whole"),
        (("weight = 0.5", "wieght = 0.5"), "unknown key (did you mean 'weight'?)"),
        (('severity = "high"', 'severity = "severe"'), "'severe' is not one of"),
        (("threshold = 2.0", "threshold = 2.0\ntitle_factor = 2"), "scorer = 'border'"),
        (('where = "title"', 'where = "body"'), "'body' is not one of"),
        (('name = "headline"', 'name = "headline"\nany = ["x"]'), "either 'query' or"),
    ],
)
def test_malformed_rules_name_file_and_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    assert change[0] in RULES
    path = write(tmp_path, RULES.replace(*change, 1))
    with pytest.raises(WatchlistError, match=re.escape(message)) as raised:
        load_watchlist([GAZETTEER, path])
    assert str(path) in str(raised.value) and "watch.corridor" in str(raised.value)


def test_groups_nest_and_cycles_are_refused(tmp_path: Path) -> None:
    groups = """
[groups]
south = ["@place:Kapan", "@place:Meghri"]
syunik = ["@south", "@place:Goris"]

[watch.g]
scorer = "rules"
[[watch.g.rule]]
query = "@syunik NEAR/s @incident"
"""
    watchlist = load_watchlist([GAZETTEER, write(tmp_path, groups)])
    assert judge(watchlist, "Drones struck near Meghri.").flagged
    assert judge(watchlist, "Drones struck near Goris.").flagged
    assert not judge(watchlist, "Drones struck near Vardenis.").flagged
    cyclic = groups.replace('"@place:Kapan"', '"@syunik"')
    with pytest.raises(WatchlistError, match="a group uses itself"):
        load_watchlist([GAZETTEER, write(tmp_path, cyclic)])


def test_files_must_fit_together(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match=r"watch\.armenia-azerbaijan-border: already defined"):
        load_watchlist([GAZETTEER, SHIPPED, write(tmp_path, SHIPPED.read_text(encoding="utf-8"))])
    with pytest.raises(WatchlistError, match="no watch defined"):
        load_watchlist([GAZETTEER])
    with pytest.raises(WatchlistError, match="the watchlist has no places"):
        load_watchlist([write(tmp_path, RULES)])
    lonely = '[[place]]\nname = "X"\ncountry = "AM"\nkind = "village"\nlat = 40\nlon = 45\n'
    lonely += 'en = ["Xyzzyville"]\nshared = ["Xyzzyville"]\n'
    with pytest.raises(WatchlistError, match="no other place lists 'xyzzyville' as shared"):
        load_watchlist([GAZETTEER, SHIPPED, write(tmp_path, lonely, "more.toml")])


def test_config_chooses_gazetteer_and_watches(tmp_path: Path) -> None:
    mine = write(tmp_path, RULES, "mine.toml")
    config = write(tmp_path, '[watch]\nwatches = ["watches.toml", "mine.toml"]\n', "m.toml")
    write(tmp_path, SHIPPED.read_text(encoding="utf-8"))
    settings = load_settings(config)
    assert settings.watchlist == (GAZETTEER, tmp_path / "watches.toml", mine)
    assert load_watchlist(settings.watchlist).names == ("armenia-azerbaijan-border", "corridor")
    bad = write(tmp_path, '[watch]\ngazetteer = "nowhere"\n', "bad.toml")
    with pytest.raises(ConfigError, match=r"watch\.gazetteer.*not found"):
        load_settings(bad)


def test_a_mistake_in_a_watch_stops_the_cli_with_the_file_and_a_hint(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import main

    write(tmp_path, '[watch.x]\nscorer = "rules"\n[[watch.x.rule]]\nquery = "@plac:Goris"\n')
    config = write(tmp_path, '[watch]\nwatches = ["watches.toml"]\n', "m.toml")
    article = write(tmp_path, "Title\nBody.", "a.txt")
    result = CliRunner().invoke(main, ["--config", str(config), "check", str(article)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'watches.toml'}: watch.x.rule[0]: @plac:Goris" in result.output
    assert "did you mean @place?" in result.output
