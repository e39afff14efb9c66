"""The command line's shared context: the config, and what is built from it on demand."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from sqlite_utils import Database

from monitor.alert import Notifier
from monitor.config import Settings, load_settings
from monitor.errors import ConfigError
from monitor.match import Watchlist, WatchlistError, load_watchlist


@dataclass
class Context:
    config_path: Path | None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def watchlist(self) -> Watchlist:
        try:
            return load_watchlist(self.settings.watchlist)
        except WatchlistError as exc:
            raise ConfigError([str(exc)]) from exc

    def notifier(self) -> Notifier:
        return Notifier.from_settings(self.settings.alerts)


pass_context = click.make_pass_decorator(Context)


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
