"""SQLite storage: one file per aggregate (feeds, articles, alerts), schema in db.py."""

from monitor.store.db import checkpoint, open_db

__all__ = ["checkpoint", "open_db"]
