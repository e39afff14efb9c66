"""``news-monitor check``: read documents (text files, HTML files, URLs) and match them."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path
from typing import Any

from monitor.config import FetchSettings
from monitor.errors import SourceError
from monitor.extract import extract_article
from monitor.fetch import Fetcher
from monitor.language import guess_language
from monitor.match import Watchlist, match_article
from monitor.models import Article, MatchResult


def article_from_text(text: str, *, url: str | None = None) -> Article:
    """A .txt document: the title on the first line, the body after it."""
    title, _, body = text.strip().partition("\n")
    return Article(url=url, title=title.strip(), text=body.strip(), source="file")


def article_from_html(html: bytes, *, url: str) -> Article:
    extracted = extract_article(html, url=url)
    if extracted is None:
        raise ValueError("no article text could be extracted from this page")
    return extracted


async def _fetch_all(urls: list[str], settings: FetchSettings) -> dict[str, bytes | str]:
    async with Fetcher(settings) as fetcher:

        async def one(url: str) -> bytes | str:
            try:
                result = await fetcher.fetch(url, accept="text/html")
            except SourceError as exc:
                return exc.reason
            return result.body or b""

        bodies = await asyncio.gather(*(one(u) for u in urls))
    return dict(zip(urls, bodies, strict=True))


def verdict_json(source: str, article: Article, verdict: MatchResult) -> dict[str, Any]:
    return {
        "input": source,
        "title": article.title,
        "language": article.language or guess_language(article.title + "\n" + article.text),
        "flagged": verdict.flagged,
        "score": round(verdict.score, 3),
        "severity": verdict.severity,
        "watches": list(verdict.watches),
        "reason": verdict.reason,
        "matches": [
            {
                "text": m.text,
                "kind": m.kind,
                "canonical": m.canonical,
                "sentence": m.sentence,
                "weight": round(m.weight, 3),
            }
            for m in verdict.matches
        ],
        "places": [
            {"name": p.name, "lat": p.lat, "lon": p.lon, "country": p.country, "kind": p.kind}
            for p in verdict.places
        ],
        "fired": [asdict(f) for f in verdict.fired],
    }


def _load(source: str, fetched: dict[str, bytes | str]) -> Article:
    if source in fetched:
        body = fetched[source]
        if isinstance(body, str):
            raise ValueError(body)
        return article_from_html(body, url=source)
    path = Path(source)
    data = path.read_bytes()
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return article_from_html(data, url=path.resolve().as_uri())
    return article_from_text(data.decode("utf-8", errors="replace"))


def check_inputs(
    inputs: tuple[str, ...] | list[str], watchlist: Watchlist, settings: FetchSettings
) -> list[dict[str, Any]]:
    """One result per input, in order; an input that cannot be read gives an ``error`` entry."""
    urls = [s for s in inputs if s.lower().startswith(("http://", "https://"))]
    fetched = asyncio.run(_fetch_all(urls, settings)) if urls else {}
    results = []
    for source in inputs:
        try:
            article = _load(source, fetched)
        except (OSError, ValueError) as exc:
            results.append({"input": source, "error": str(exc)})
            continue
        results.append(verdict_json(source, article, match_article(article, watchlist)))
    return results
