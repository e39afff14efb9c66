"""``news-monitor demo``: the whole pipeline offline, on the bundled demo feeds and pages."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from monitor.alert import Notifier
from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.localsite import LocalSite, load_folder
from monitor.match import load_watchlist
from monitor.refresh import run_cycle
from monitor.store import open_db
from monitor.store.alerts import list_alerts
from monitor.store.feeds import sync_feeds

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def run_demo(keep: Path | None, *, echo: Callable[[str], None], seeds: Path = SEEDS) -> int:
    """Serve ``seeds/demo`` on loopback, run one cycle into a fresh database, print the outcome.

    Returns the number of flagged articles.
    """
    if not (seeds / "demo").is_dir():
        raise ConfigError(
            [f"{seeds / 'demo'}: demo content not found (run from a source checkout)"]
        )
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="news-monitor-demo-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db_path = folder / "demo.db"
        db_path.unlink(missing_ok=True)
        with LocalSite() as site:
            site.resources.update(load_folder(seeds / "demo", site.base_url))
            template = (seeds / "demo.toml").read_text(encoding="utf-8")
            config = folder / "demo.toml"
            config.write_text(
                template.replace("{{BASE}}", site.base_url).replace("{{DB}}", db_path.as_posix()),
                encoding="utf-8",
            )
            settings = load_settings(config)
            echo(f"Serving the demo site at {site.base_url} ({len(site.resources)} files)")
            db = open_db(settings.storage_path)
            sync_feeds(db, settings.feeds, _utcnow())
            report = asyncio.run(
                run_cycle(
                    db,
                    settings,
                    watchlist=load_watchlist(settings.watchlist),
                    notifier=Notifier.from_settings(settings.alerts),
                    clock=_utcnow,
                    only_due=False,
                )
            )
        echo("")
        for feed in report.feeds:
            state = feed.status if not feed.error else f"{feed.status}: {feed.error}"
            echo(
                f"{feed.name}: {state}; {feed.entries} entries, {feed.new_articles} new articles, "
                f"{feed.duplicates} duplicates, {feed.pages_fetched} pages fetched"
            )
        echo("")
        echo(f"Flagged {len(report.flagged)} article(s):")
        for saved in report.flagged:
            verdict = saved.item.verdict
            places = ", ".join(f"{p.name} ({p.lat:.3f}, {p.lon:.3f})" for p in verdict.places)
            echo(f"  #{saved.article_id} [{verdict.severity}] {saved.item.article.title}")
            echo(f"      where: {places or '-'}")
            echo(f"      why:   {verdict.reason}")
        echo("")
        alerts = list_alerts(db)
        echo(f"Alerts it would send ({len(alerts)}; no destinations are configured in the demo):")
        for alert in reversed(alerts):
            body = db.execute("select body from alerts where id = ?", [alert["id"]]).fetchone()[0]
            echo(f"--- {alert['title']}")
            for line in body.splitlines():
                echo(f"    {line}")
        db.close()
        echo("")
        where = f"; database kept at {db_path}" if keep else ""
        echo(f"Demo finished in {time.monotonic() - started:.1f}s{where}.")
    return len(report.flagged)
