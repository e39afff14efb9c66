"""Reviewing what the monitor stored: an Atom feed of flagged stories, and the Datasette UI."""
