"""news-monitor: watches news sources and alerts on Armenia–Azerbaijan border incidents."""

__version__ = "0.1.0"
