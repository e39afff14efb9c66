"""The public feed corpora over real HTTP: every file of feedparser's tests and of feed-rs's
fixtures is served from 127.0.0.1 (with the HTTP headers its comment asks for) and goes through
the real pipeline, fetch -> parse -> store, as feeds of a config polled by ``run_cycle``. Every feed
either stores its entries or records a clean error; nothing raises."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from monitor.alert import Notifier
from monitor.config import load_settings
from monitor.errors import ParseError
from monitor.localsite import LocalSite, Resource
from monitor.match import load_watchlist
from monitor.models import FeedSource
from monitor.refresh import run_cycle
from monitor.sources import read_entries
from monitor.store import open_db
from monitor.store.feeds import sync_feeds

from .conftest import corpus

BATCHES = 4
# "Header: Name: value" lines in the comment that opens a feedparser test file.
_HEADER = re.compile(
    r"^[ \t]*Header:[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*:[ \t]*(.*?)[ \t]*$", re.M
)
_FRAMING = {"content-length", "transfer-encoding", "connection"}  # the server's own business


def _comment(data: bytes) -> str:
    """The file's opening comment, in whichever of the encodings the corpus uses it is legible."""
    head = data[:8192]
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        text = head.decode(encoding, errors="ignore")
        start = text.find("<!--")
        end = text.find("-->", start)
        if start >= 0 and end > start:
            return text[start:end]
    return ""


def _valid_value(value: str) -> bool:
    """A header value http.server can send and an HTTP client must accept (RFC 9110 5.5)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return all(ch == "\t" or " " <= ch != "\x7f" for ch in value)


def served_headers(data: bytes) -> dict[str, str]:
    """The HTTP headers a corpus file asks to be served with (lower-cased names)."""
    headers: dict[str, str] = {}
    for name, value in _HEADER.findall(_comment(data)):
        if name.lower() not in _FRAMING and _valid_value(value):
            headers[name.lower()] = value
    return headers


def _default_type(path: Path) -> str:
    if path.suffix == ".json":
        return "application/feed+json" if "jsonfeed" in path.parts else "application/json"
    return "application/xml" if path.suffix == ".xml" else "application/octet-stream"


def resource_for(path: Path) -> tuple[Resource, dict[str, str]]:
    """The resource serving one corpus file, and the headers it is served with."""
    data = path.read_bytes()
    headers = served_headers(data)
    content_type = headers.pop("content-type", _default_type(path))
    etag = "etag" not in headers  # the file's own ETag, else the server's
    resource = Resource(data, content_type, headers=dict(headers), etag=etag)
    return resource, {"content-type": content_type, **headers}


def _toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


def test_every_corpus_file_goes_through_fetch_parse_store(
    tmp_path: Path, site: LocalSite, caplog: pytest.LogCaptureFixture
) -> None:
    roots = [corpus("feedparser-tests"), corpus("feed-rs-fixtures")]
    files = [(root, p) for root in roots for p in sorted(root.rglob("*")) if p.is_file()]
    assert len(files) > 2000
    expected: dict[str, int] = {}  # feed URL -> distinct entries, when the parser takes it
    urls = []
    for root, path in files:
        url_path = "/" + quote(f"{root.name}/{path.relative_to(root).as_posix()}")
        resource, headers = resource_for(path)
        site.resources[url_path] = resource
        url = site.url(url_path)
        urls.append(url)
        try:
            # The parse stage on its own, given the bytes and headers the server sends.
            source = FeedSource(name=path.name, url=url, interval_seconds=600)
            entries = read_entries(source, resource.body, url=url, headers=headers)
        except ParseError:
            continue
        expected[url] = len({e.key for e in entries})
    with_headers = [p for _, p in files if served_headers(p.read_bytes())]
    assert len(with_headers) > 100  # feedparser's files that ask for HTTP headers

    watchlist = load_watchlist(None)
    caplog.set_level(logging.WARNING, logger="monitor")
    db_path = tmp_path / "corpora.db"
    size = -(-len(urls) // BATCHES)
    cycles = []
    for start in range(0, len(urls), size):
        feeds = "".join(
            f"[[feeds]]\nname = {_toml(url.rsplit('/', 2)[-2] + '/' + url.rsplit('/', 1)[-1])}\n"
            f"url = {_toml(url)}\n"
            for url in urls[start : start + size]
        )
        config = tmp_path / "corpora.toml"
        config.write_text(
            f"[storage]\npath = {_toml(str(db_path))}\n"
            "[polling]\nconcurrency = 16\nper_host = 16\n"
            # Entries link to example.org and the like: never follow them off loopback.
            "[fetch]\ntimeout = '10s'\nfetch_articles = false\n"
            "[alerts]\ncorroboration = 0\n" + feeds,
            encoding="utf-8",
        )
        settings = load_settings(config)
        db = open_db(settings.storage_path)
        try:
            sync_feeds(db, settings.feeds, datetime.now(UTC))
            report = asyncio.run(
                run_cycle(
                    db,
                    settings,
                    watchlist=watchlist,
                    notifier=Notifier.from_settings(settings.alerts),
                    clock=lambda: datetime.now(UTC),
                    only_due=False,
                )
            )
        finally:
            db.close()
        cycles.append(report)

    assert sum(len(report.feeds) for report in cycles) == len(urls)
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    db = open_db(db_path)
    rows = list(
        db.query(
            "select feeds.url, last_status, last_http_status, last_error, "
            "(select count(*) from entries where feed_id = feeds.id) as stored from feeds"
        )
    )
    db.close()
    assert len(rows) == len(urls)
    served = {r.path for r in site.requests}
    assert len(served) == len(urls)  # every file was fetched over HTTP
    ok = [row for row in rows if row["last_status"] == "ok"]
    failed = [row for row in rows if row["last_status"] == "error"]
    assert len(ok) + len(failed) == len(rows)
    for row in failed:
        error = row["last_error"] or ""
        assert error and not error.startswith("internal error"), row
        assert "Traceback" not in error, row
        assert row["url"] not in expected, row  # a feed the parser takes must not fail
    for row in ok:
        assert row["last_http_status"] == 200
        assert row["stored"] == expected[row["url"]], row
    assert sum(row["stored"] for row in ok) > 1000
    xml_files = [url for url in urls if "/feedparser-tests/" in url and url.endswith(".xml")]
    assert sum(url in expected for url in xml_files) > len(xml_files) * 0.95
