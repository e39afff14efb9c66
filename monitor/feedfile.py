"""Adding a source to a config file: one ``[[feeds]]`` table appended, checked before it stays.

The file is rewritten whole (a temporary file renamed over it), and only when the config that
results loads cleanly, so a mistake never leaves a broken config behind.
"""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from pathlib import Path

from monitor.config import load_settings
from monitor.errors import ConfigError
from monitor.models import FeedSource


def feed_table(source: FeedSource, interval: str | None = None) -> str:
    """The TOML of one ``[[feeds]]`` table (strings written as TOML basic strings)."""
    lines = ["[[feeds]]", f"name = {json.dumps(source.name, ensure_ascii=False)}"]
    lines.append(f"url = {json.dumps(source.url, ensure_ascii=False)}")
    if source.kind != "feed":
        lines.append(f"type = {json.dumps(source.kind)}")
    for key in ("language", "country", "side", "selector", "notes", "checked"):
        value = getattr(source, key)
        if value:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    for key in ("include", "exclude"):
        if getattr(source, key):
            lines.append(f"{key} = {json.dumps(list(getattr(source, key)), ensure_ascii=False)}")
    if interval:
        lines.append(f"interval = {json.dumps(interval)}")
    return "\n".join(lines) + "\n"


def append_feed(config: Path, feeds_file: Path, table: str) -> None:
    """Append ``table`` to ``feeds_file`` if ``config`` then still loads; else ConfigError and
    nothing changed. ``feeds_file`` is the config itself or a file it includes."""
    existed = feeds_file.exists()
    old = feeds_file.read_text(encoding="utf-8") if existed else ""
    gap = "" if not old else ("\n" if old.endswith("\n") else "\n\n")
    _replace(feeds_file, old + gap + table)
    try:
        load_settings(config)
    except ConfigError:
        if existed:
            _replace(feeds_file, old)
        else:
            feeds_file.unlink()
        raise


def _replace(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def feed_files(config: Path) -> list[Path]:
    """The config file and the files its ``include_feeds`` names: where sources are listed."""
    with config.open("rb") as handle:
        data = tomllib.load(handle)
    included = data.get("include_feeds", [])
    names = [included] if isinstance(included, str) else list(included)
    return [config, *((config.parent / str(name)).resolve() for name in names)]


def remove_feed(config: Path, wanted: str) -> tuple[Path, str]:
    """Remove the ``[[feeds]]`` table whose url or name is ``wanted`` (with the comment lines
    just above it) from the file that lists it; (that file, the removed url). LookupError when
    no table has it; ConfigError (nothing changed) when the config would not load."""
    for path in feed_files(config):
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        for start, end in _tables(lines):
            block = "".join(lines[start:end])
            if not block.lstrip().startswith("[[feeds]]"):
                continue
            try:
                table = tomllib.loads(block)["feeds"][0]
            except (tomllib.TOMLDecodeError, KeyError, IndexError):
                continue  # not a table of its own (e.g. a "[" line inside a long string)
            if wanted not in (table.get("url"), table.get("name")):
                continue
            first, stop = start, end
            while first > 0 and lines[first - 1].lstrip().startswith("#"):
                first -= 1  # its comments above it go with it
            while stop > start + 1 and lines[stop - 1].lstrip().startswith("#"):
                stop -= 1  # the next table's comments stay
            kept = "".join(lines[:first] + lines[stop:])
            _replace(path, kept)
            try:
                load_settings(config)
            except ConfigError:
                _replace(path, text)
                raise
            return path, str(table.get("url"))
    raise LookupError(wanted)


def _tables(lines: list[str]) -> list[tuple[int, int]]:
    """(first line, end) of each table: from its header to the next header."""
    headers = [n for n, line in enumerate(lines) if line.lstrip().startswith("[")]
    return [
        (n, headers[i + 1] if i + 1 < len(headers) else len(lines)) for i, n in enumerate(headers)
    ]
