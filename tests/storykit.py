"""Copies of one report as the web serves them: site templates, boilerplate, promos, excerpts,
added paragraphs, new headlines, datelines and tracking URLs. Deterministic (seeded).

Used by the story tests and ``benchmarks/story_pairs.py``: every copy goes through the real
extractor, so what is compared is what the pipeline would store.
"""

from __future__ import annotations

import csv
import gzip
import html
import json
import random
from dataclasses import dataclass
from pathlib import Path

from monitor.extract import extract_article
from monitor.similarity import Sketch, sketch

STORIES = Path(__file__).resolve().parent / "data" / "stories"

_NAV = "".join(
    f'<li><a href="/section/{name.lower()}">{name}</a></li>'
    for name in ("Politics", "Economy", "Society", "Sport", "Culture", "World", "Opinion")
)
_PROMOS = [
    "Subscribe to our newsletter and get the day's top stories every morning.",
    "Follow us on Telegram for breaking news from the region.",
    "Read also: Parliament debates the new budget for the coming year.",
    "Most read: Ten places to visit in the mountains this autumn.",
    "Advertisement. Best mortgage rates in town, apply online today.",
]
_NOTES = [
    "Editor's note: this story has been updated with comments from the ministry.",
    "Earlier this year, officials from both countries met several times to discuss the "
    "situation in the border areas, but no agreement on monitoring was announced.",
    "The agency's correspondent in the region contributed to this report, which was updated "
    "later in the day after further statements from both capitals.",
]


@dataclass(frozen=True, slots=True)
class Report:
    key: str  # file stem, e.g. "01-a"
    incident: str
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Copy:
    report: str  # the key of the report it copies
    how: str  # what was done to it
    url: str
    title: str
    text: str  # as extracted from its HTML


def reports(folder: Path = STORIES) -> list[Report]:
    incidents = {}
    with (folder / "incidents.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            incidents[row["file"]] = row["incident"]
    found = []
    for path in sorted(folder.glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        paragraphs = tuple(p.strip() for p in body.split("\n\n") if p.strip())
        found.append(Report(path.stem, incidents[path.name], title.strip(), paragraphs))
    return found


def _page(template: int, title: str, paragraphs: list[str], rng: random.Random) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    promo = html.escape(rng.choice(_PROMOS))
    related = "".join(
        f'<li><a href="/news/{rng.randrange(10**6)}">{html.escape(text)}</a></li>'
        for text in rng.sample(_PROMOS, 3)
    )
    head = f"<head><meta charset='utf-8'><title>{html.escape(title)} | News</title></head>"
    chrome = f"<header><nav><ul>{_NAV}</ul></nav></header>"
    footer = "<footer><p>© News agency. All rights reserved. Cookies policy.</p></footer>"
    escaped = html.escape(title)
    if template == 0:
        main = f"<article><h1>{escaped}</h1><div class='text'>{body}</div></article>"
    elif template == 1:
        main = (
            f"<div id='content'><h1 class='title'>{escaped}</h1><div class='date'>12:40</div>"
            f"<div class='article-body'>{body}<p class='promo'><b>{promo}</b></p></div>"
            f"<ul class='related'>{related}</ul></div>"
        )
    elif template == 2:
        main = (
            f"<main><article><header><h1>{escaped}</h1></header>"
            f"<section class='share'>Share: Facebook Twitter Telegram</section>{body}"
            f"<aside><h3>Read more</h3><ul>{related}</ul></aside></article></main>"
        )
    elif template == 3:
        main = (
            f"<div class='amp-wrapper'><h1>{escaped}</h1><amp-img src='x.jpg'></amp-img>"
            f"{body}<div class='tags'>Tags: border, security, region</div></div>"
        )
    else:
        main = (
            f"<table><tr><td class='main'><h2>{escaped}</h2>{body}</td>"
            f"<td class='side'><ul>{related}</ul><p>{promo}</p></td></tr></table>"
        )
    return f"<!DOCTYPE html><html>{head}<body>{chrome}{main}{footer}</body></html>"


def page(template: int, title: str, paragraphs: list[str], seed: int = 0) -> bytes:
    """A site's HTML page for an article (template 0-4: different markup and chrome)."""
    return _page(template % 5, title, paragraphs, random.Random(seed)).encode()


def copies(report: Report, count: int = 5, seed: int = 0) -> list[Copy]:
    """``count`` copies, each through a different template and one or more changes."""
    rng = random.Random(f"{seed}:{report.key}")
    made = []
    kinds = ["syndicated", "excerpt", "added paragraph", "new headline", "dateline", "promo"]
    for number in range(count):
        paragraphs = list(report.paragraphs)
        title = report.title
        how = [kinds[number % len(kinds)], *rng.sample(kinds, 1)]
        if "excerpt" in how:
            keep = max(2, round(len(paragraphs) * rng.uniform(0.45, 0.65)))
            paragraphs = [*paragraphs[:keep], "Read the full story on the agency's website."]
        if "added paragraph" in how:
            paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), rng.choice(_NOTES))
        if "new headline" in how:
            title = rng.choice(["UPDATE: ", "Breaking: ", ""]) + title.upper().title()[:80]
        if "dateline" in how:
            paragraphs[0] = f"{rng.choice(['YEREVAN', 'BAKU', 'MOSCOW'])}, (News) — {paragraphs[0]}"
        if "promo" in how:
            paragraphs.insert(1, rng.choice(_PROMOS))
        url = f"https://site{number}.example/news/{report.key}?utm_source=rss&id={number}"
        extracted = extract_article(_page(number % 5, title, paragraphs, rng).encode(), url=url)
        text = extracted.text if extracted is not None else "\n".join(paragraphs)
        made.append(Copy(report.key, "+".join(dict.fromkeys(how)), url, title, text))
    return made


def real_page_pairs(root: Path) -> list[tuple[Sketch, Sketch]]:
    """Real pages of ``../shared/corpora/article-extraction-benchmark``: for each, the sketch of
    the extractor's text of the page and of the publisher's own article body."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pairs = []
    for key, item in truth.items():
        page = gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes())
        extracted = extract_article(page, url=item["url"])
        if extracted is not None:
            pairs.append((sketch(extracted.text), sketch(item["articleBody"])))
    return pairs
