from __future__ import annotations

import gzip
import json
import re
import time

from monitor.extract import extract_article

from .conftest import DEMO, SEED_ARTICLE, corpus

BASE = "http://127.0.0.1:9999"


def page(name: str) -> bytes:
    return (DEMO / "pages" / name).read_bytes().replace(b"{{BASE}}", BASE.encode())


def seed_body() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8").split("\n", 1)[1]


def test_seed_article_page_gives_the_article_text_without_site_chrome() -> None:
    article = extract_article(
        page("armenia-accuses-azerbaijan-of-attack.html"), url=BASE + "/pages/a.html"
    )
    assert article is not None
    assert "shelling in the direction of the southern Armenian towns of Goris" in article.text
    assert "Pashinyan and Azerbaijani President Ilham Aliyev met" in article.text
    assert "Back to top button" not in article.text
    assert "Most read" not in article.text
    assert article.title.startswith("Armenia Accuses Azerbaijan")
    assert article.language == "en"
    assert article.published is not None and article.published.year == 2026
    assert article.source == "page"


def test_syndicated_copy_extracts_to_the_same_text() -> None:
    original = extract_article(page("armenia-accuses-azerbaijan-of-attack.html"), url=BASE + "/a")
    copy = extract_article(page("wire/armenia-azerbaijan-shelling-copy.html"), url=BASE + "/b")
    assert original is not None and copy is not None
    assert original.text == copy.text


def test_page_without_an_article_gives_none() -> None:
    assert extract_article(page("broken.html"), url=BASE + "/broken.html") is None
    assert extract_article(b"", url=BASE + "/empty") is None
    assert extract_article(b"\xff\xfe\x00garbage", url=BASE + "/garbage") is None


def test_russian_page_language() -> None:
    article = extract_article(
        page("minoborony-armenii-obstrel-pozicij-teh-syunik.html"), url=BASE + "/ru"
    )
    assert article is not None and article.language == "ru"
    assert "Тех" in article.text


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_extraction_quality_on_the_benchmark_corpus() -> None:
    """Token-level F1 against the ground truth over a sample of real pages."""
    root = corpus("article-extraction-benchmark")
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = sorted((root / "html").glob("*.html.gz"))[:40]
    scores = []
    started = time.monotonic()
    for path in pages:
        key = path.name.split(".")[0]
        expected = _words(truth[key]["articleBody"])
        article = extract_article(gzip.decompress(path.read_bytes()), url=truth[key]["url"])
        got = _words(article.text) if article else []
        common = sum(min(got.count(w), expected.count(w)) for w in set(got))
        precision = common / len(got) if got else 0.0
        recall = common / len(expected) if expected else 0.0
        scores.append(2 * precision * recall / (precision + recall) if common else 0.0)
    elapsed = time.monotonic() - started
    mean_f1 = sum(scores) / len(scores)
    assert mean_f1 > 0.8, f"mean token F1 {mean_f1:.3f}"
    assert elapsed / len(pages) < 1.0
