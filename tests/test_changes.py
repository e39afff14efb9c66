"""What changed between two versions of an article."""

from __future__ import annotations

from monitor.changes import describe


def test_an_added_death_toll_is_described() -> None:
    old = "Azerbaijani forces fired at Sotk. Two soldiers were wounded. The ministry said so."
    new = "Azerbaijani forces fired at Sotk. Three soldiers were wounded. The ministry said so."
    line = describe("Fire at Sotk", old, "Fire at Sotk: 3 wounded", new)
    assert 'title changed ("Fire at Sotk" -> "Fire at Sotk: 3 wounded")' in line
    assert "1 sentence added, 1 removed" in line
    assert 'added: "Three soldiers were wounded."' in line


def test_numbers_that_changed_are_listed() -> None:
    line = describe("T", "Shelling lasted 20 minutes.", "T", "Shelling lasted 45 minutes.")
    assert "numbers 20 -> 45" in line


def test_layout_alone_is_no_change() -> None:
    assert describe("T", "One.  Two.", "T", "One.\nTwo.") == "no change in the words"
