"""Ambiguous names are read by context: people, brands and clubs, places that share a name."""

from __future__ import annotations

import pytest

from monitor.match import Watchlist, load_watchlist, match_article
from monitor.models import Article, MatchResult


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist()


def judge(watchlist: Watchlist, text: str, title: str = "") -> MatchResult:
    return match_article(Article(url=None, title=title, text=text), watchlist)


def places(result: MatchResult) -> list[str]:
    return [place.name for place in result.places]


@pytest.mark.parametrize(
    "text",
    [
        "Lachin Mammadova, a teacher, said the school reopened after the shelling of Goris.",
        "Учительница Лачин Алиева рассказала, что школа в Горисе открылась после обстрела.",
        "Müəllimə Laçın xanım deyir ki, atəşə tutulan Gorusda məktəb yenidən açılıb.",
        "Ararat Petrosyan, a resident, said shelling hit Goris overnight.",
        "According to Mr Lachin, the shelling of Goris lasted an hour.",
    ],
)
def test_a_place_that_is_also_a_personal_name_is_a_person_by_context(
    watchlist: Watchlist, text: str
) -> None:
    result = judge(watchlist, text)
    assert "Goris" in places(result)
    assert "Lachin" not in places(result) and "Ararat" not in places(result)
    assert "is a person" in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "Azerbaijani forces shelled the outskirts of Lachin overnight.",
        "Lachin district residents heard the shelling of Goris.",
        "The Lachin corridor was closed. Lachin Mammadov's shop was shelled near Goris.",
    ],
)
def test_the_same_names_stay_places_elsewhere(watchlist: Watchlist, text: str) -> None:
    assert {"Lachin", "Lachin corridor"} & set(places(judge(watchlist, text)))


def test_a_town_name_in_quotes_is_a_brand_or_club(watchlist: Watchlist) -> None:
    water = judge(watchlist, "Продажи «Джермука» в России выросли на 12%, сообщила компания.")
    assert "Jermuk" not in places(water) and "in quotes is a name" in water.reason
    hotel = judge(watchlist, 'The "Goris" hotel opened a new wing for tourists.')
    assert "Goris" not in places(hotel)
    # "So-called" before the quotes is how one side names the other's places: still a place.
    so_called = judge(watchlist, 'Azerbaijani forces shelled the so-called "Stepanakert".')
    assert "Stepanakert" in places(so_called)


def test_brand_and_us_state_phrases_are_masked(watchlist: Watchlist) -> None:
    water = judge(watchlist, "Jermuk mineral water exports to Russia rose by 12 percent.")
    assert "Jermuk" not in places(water)
    shelled = judge(watchlist, "Azerbaijani troops shelled Jermuk, the Defence Ministry said.")
    assert places(shelled) == ["Jermuk"] and shelled.flagged
    us = judge(watchlist, "Voters in Atlanta, Georgia chose a new governor.")
    assert not any(m.canonical == "Georgia" for m in us.matches)
    country = judge(watchlist, "Armenia and Georgia opened a new crossing on their border.")
    assert any(m.canonical == "Georgia" for m in country.matches)


@pytest.mark.parametrize(
    ("text", "reading", "country"),
    [
        ("Azerbaijani forces shelled positions near Martuni and Vardenis.", "Martuni", "AM"),
        ("Фронт у Мартуни, Гадрута и Аскерана снова обстреляли.", "Khojavend", "AZ"),
        ("Martuni, Askeran and Hadrut were shelled overnight.", "Khojavend", "AZ"),
        ("Армянские позиции у Мартуни обстреляли, сообщили в Гегаркунике.", "Martuni", "AM"),
        ("Martuni was shelled overnight.", "Martuni", "AM"),  # no context: the first reading
        ("Kəlbəcər rayonunun İstisu kəndi atəşə tutulub.", "Istisu", "AZ"),
        ("Erməni hərbçiləri İstisu istiqamətindən, Vayk tərəfdən atəş açıb.", "Jermuk", "AM"),
    ],
)
def test_a_shared_name_means_the_place_nearest_the_others(
    watchlist: Watchlist, text: str, reading: str, country: str
) -> None:
    result = judge(watchlist, text)
    found = {place.name: place for place in result.places}
    assert reading in found, result.reason
    assert found[reading].country == country
    assert f"read as {reading}" in result.reason


@pytest.mark.parametrize(
    ("text", "name", "country"),
    [
        ("Tovuz rayonunun Ağdam kəndi atəşə tutulub.", "Tovuz", "AZ"),
        ("Тавушская область: обстреляны позиции у Берда.", "Tavush", "AM"),
        ("Տավուշի մարզում հակառակորդը կրակ է բացել։", "Tavush", "AM"),
        ("Azerbaijani forces in Tovuz opened fire towards Tavush.", "Tovuz", "AZ"),
    ],
)
def test_tovuz_and_tavush_are_different_places(
    watchlist: Watchlist, text: str, name: str, country: str
) -> None:
    found = {place.name: place.country for place in judge(watchlist, text).places}
    assert found.get(name) == country
