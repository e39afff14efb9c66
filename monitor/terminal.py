"""Whether standard output is a terminal, and a progress bar on standard error when it is one.
rich is imported only for a bar; tables live in ``monitor.termview``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any


def wanted() -> bool:
    """Rich output: a terminal (or FORCE_COLOR asks for it)."""
    return bool(os.environ.get("FORCE_COLOR")) or sys.stdout.isatty()


@contextlib.contextmanager
def progress(total: int, what: str) -> Iterator[Callable[[Any], None]]:
    """A progress bar on standard error while the block runs; yields the step callback. Plain
    output (no bar) when standard error is not a terminal."""
    if not (os.environ.get("FORCE_COLOR") or sys.stderr.isatty()):
        yield lambda _done: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=total)
        yield lambda _done: bar.advance(task)
