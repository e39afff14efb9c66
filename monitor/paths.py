"""Where the shipped data lives: the source tree this package runs from (``make run`` and the
systemd unit run from a clone, with the package installed in editable mode)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GAZETTEER = ROOT / "seeds" / "gazetteer"
WATCHES = ROOT / "config" / "watches.toml"
