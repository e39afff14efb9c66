"""The query language of watch rules: parsing, and evaluation over real matches of a text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.match import Watchlist, load_watchlist, match_article
from monitor.match.query import And, Literal, Near, Not, Or, QueryError, Ref, parse, render
from monitor.models import Article

GAZETTEER = Path(__file__).resolve().parents[1] / "seeds" / "gazetteer"


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("shelling", Literal("shelling")),
        ('"Lachin corridor"', Literal("Lachin corridor")),
        ("blockad*", Literal("blockad*")),
        ("@place.AM", Ref("@place.AM")),
        ('@place:"Vayots Dzor"', Ref('@place:"Vayots Dzor"')),
        ("a b", And((Literal("a"), Literal("b")))),
        ("a AND b OR c", Or((And((Literal("a"), Literal("b"))), Literal("c")))),
        ("a AND (b OR c)", And((Literal("a"), Or((Literal("b"), Literal("c")))))),
        ("a NOT b", And((Literal("a"), Not(Literal("b"))))),
        ("a NEAR/5 b NEAR/5 c", Near((Literal("a"), Literal("b"), Literal("c")), 5)),
        ("a NEAR/s @place", Near((Literal("a"), Ref("@place")), None)),
        ("android AND ORacle", And((Literal("android"), Literal("ORacle")))),
    ],
)
def test_parse(text: str, tree: object) -> None:
    assert parse(text) == tree
    assert parse(render(parse(text))) == tree  # rendering keeps the meaning


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty query"),
        ("(a OR b", "')' is missing"),
        ("a OR", "a term is missing"),
        ("a )", "unexpected ')'"),
        ("NOT a", "at least one term that is not negated"),
        ("a NEAR/5 NOT b", "NEAR cannot take a negated term"),
        ("a NEAR/5 b NEAR/3 c", "one chain of NEAR uses one distance"),
        ('""', "empty phrase"),
    ],
)
def test_parse_errors_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        parse(text)


WATCHES = """
schema = 1

[groups]
syunik-south = ["@place:Kapan", "@place:Meghri", '"Syunik"']
convoys = 'convoy* OR колонн*'

[watch.probe]
scorer = "rules"
threshold = 1.0

[[watch.probe.rule]]
name = "words"
query = '"opened fire" NEAR/3 (village OR villages)'

[[watch.probe.rule]]
name = "entities in one sentence"
query = "@incident.hostile NEAR/s @place.AM"
weight = 2.0

[[watch.probe.rule]]
name = "group"
query = "@syunik-south AND @convoys"
weight = 0.5

[[watch.probe.rule]]
name = "none"
any = ["@place:Jermuk"]
none = ["@exclude.economy", "water"]
weight = 0.25
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Watchlist:
    path = tmp_path_factory.mktemp("q") / "watches.toml"
    path.write_text(WATCHES, encoding="utf-8")
    return load_watchlist([GAZETTEER, path])


def fired(watchlist: Watchlist, text: str, title: str = "") -> set[str]:
    result = match_article(Article(url=None, title=title, text=text), watchlist)
    return {f.rule for f in result.fired if f.watch == "probe"}


def test_words_within_n_words(probe: Watchlist) -> None:
    assert "words" in fired(probe, "Soldiers opened fire on the village overnight.")
    assert "words" in fired(probe, "Soldiers opened fire at three border villages.")
    too_far = "Soldiers opened fire, the mayor of the small village said."
    assert "words" not in fired(probe, too_far)  # 5 words between
    assert "words" in fired(probe, "It was the village. Soldiers opened fire.")  # either order


def test_entity_selectors_in_one_sentence(probe: Watchlist) -> None:
    assert "entities in one sentence" in fired(probe, "Azerbaijani forces shelled Sotk.")
    assert "entities in one sentence" in fired(probe, "Азербайджанские войска обстреляли Сотк.")
    # Kalbajar is in Azerbaijan: @place.AM does not select it.
    assert "entities in one sentence" not in fired(probe, "Armenian forces shelled Kalbajar.")
    # Incident and place in two sentences.
    split = "Fire was opened at dawn. Sotk residents stayed indoors."
    assert "entities in one sentence" not in fired(probe, split)


def test_groups_expand_and_russian_literals_inflect(probe: Watchlist) -> None:
    assert "group" in fired(probe, "A convoy left Kapan for Meghri.")
    assert "group" in fired(probe, "Колонна вышла из Капана в Мегри.")  # Капана: case ending
    assert "group" not in fired(probe, "A convoy left Yerevan.")


def test_none_holds_an_article_back(probe: Watchlist) -> None:
    assert "none" in fired(probe, "Drones were seen over Jermuk overnight.")
    exports = "Jermuk mineral water exports rose; the water is sold abroad."
    assert "none" not in fired(probe, exports)


def test_masked_and_longer_names_hide_entities(probe: Watchlist) -> None:
    # "Azerbaijan Grand Prix" is sport and "Mount Ararat" a mountain: the words are there, the
    # actor Azerbaijan and the province Ararat are not.
    for text in ("Rivals opened fire at the Azerbaijan Grand Prix.", "Shots near Mount Ararat."):
        result = match_article(Article(url=None, title="", text=text), probe)
        assert not any(m.kind in ("actor", "place") for m in result.matches), result.matches
