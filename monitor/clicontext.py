"""The command line's shared context: the config, and what is built from it on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.config import Settings, load_settings
from monitor.errors import ConfigError
from monitor.match import Watchlist, WatchlistError, load_watchlist
from monitor.service import read_state, record_state


@dataclass
class Context:
    config_path: Path | None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def watchlist(self, *, compile: bool = True) -> Watchlist:
        try:
            return load_watchlist(self.settings.watchlist, compile=compile)
        except WatchlistError as exc:
            raise ConfigError([str(exc)]) from exc

    def notifier(self) -> Notifier:
        return Notifier.from_settings(self.settings.alerts)


pass_context = click.make_pass_decorator(Context)

WATCHLIST_COMPILED = "watchlist_compiled"  # service_state key: the last fingerprint compiled


def compile_unless_known(watchlist: Watchlist, db: Database, now: datetime) -> None:
    """Compile the watchlist's patterns now (a clash between aliases is a config error before
    anything is fetched), unless these very files and this code compiled cleanly before on this
    database: then they compile at the first article to match, and a cycle with nothing new
    never pays the 0.4 s."""
    if read_state(db).get(WATCHLIST_COMPILED) == watchlist.fingerprint:
        return
    try:
        watchlist.compile()
    except WatchlistError as exc:
        raise ConfigError([str(exc)]) from exc
    record_state(db, {WATCHLIST_COMPILED: watchlist.fingerprint}, now)


def open_existing(obj: Context) -> Database:
    from monitor.store import open_db

    return open_db(obj.settings.storage_path)


def emit(data: bytes, output: Path | None, wrote: str) -> None:
    """``data`` to standard output, or to ``output`` with ``wrote`` said on standard error."""
    if output is None:
        click.echo(data.decode(), nl=False)
    else:
        output.write_bytes(data)
        click.echo(wrote, err=True)
