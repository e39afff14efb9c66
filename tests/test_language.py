from __future__ import annotations

import pytest

from monitor.language import guess_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Armenia accused Azerbaijan of shelling its territory near Goris and Kapan.", "en"),
        ("Минобороны Армении сообщило об обстреле позиций у села Тех в Сюнике.", "ru"),
        ("Հայաստանի պաշտպանության նախարարությունը հայտնում է, որ կրակոցներ են եղել։", "hy"),
        ("Azərbaycan Müdafiə Nazirliyi bildirib ki, Kəlbəcər istiqamətində atəş açılıb.", "az"),
        ("ok", None),
        ("", None),
    ],
)
def test_guess_language(text: str, language: str | None) -> None:
    assert guess_language(text) == language
