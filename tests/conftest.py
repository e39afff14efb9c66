"""Shared fixtures: real local servers, the seed article, configs in temporary folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.localsite import LocalSite, load_folder
from tests.servers import SmtpSink, WebhookReceiver

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
DEMO = SEEDS / "demo"
SEED_ARTICLE = SEEDS / "000_caf4df8b977f3d85.txt"
CORPORA = ROOT.parent / "shared" / "corpora"


def corpus(name: str) -> Path:
    """A folder of ../shared/corpora, or skip: a user's fresh clone has no ../shared."""
    path = CORPORA / name
    if not path.is_dir():
        pytest.skip(f"corpus {name} not present at {path} (it lives beside the repo, in shared/)")
    return path


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as served:
        yield served


@pytest.fixture
def demo_site() -> Iterator[LocalSite]:
    """The bundled demo feeds and pages, served on loopback."""
    with LocalSite() as served:
        served.resources.update(load_folder(DEMO, served.base_url))
        yield served


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def seed_text() -> str:
    return SEED_ARTICLE.read_text(encoding="utf-8")
