"""The review commands' output in a terminal: tables, colours by severity, matched terms
highlighted (rich). Used when standard output is a terminal (or FORCE_COLOR is set); pipes and
files get the plain lines, and ``--json`` its objects, unchanged. Imported only then
(``monitor.terminal.wanted``): rich takes 40 ms to import."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

STYLE = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _severity(row: dict[str, Any]) -> Text:
    severity = str(row.get("severity") or "")
    if not row.get("flagged", True) or not severity:
        return Text("")
    return Text(severity, style=STYLE.get(severity, ""))


def items_table(rows: Iterable[dict[str, Any]]) -> None:
    table = Table(title="Stored items, newest first", expand=True)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("feed", max_width=24, overflow="ellipsis", no_wrap=True)
    table.add_column("title", ratio=1)
    for row in rows:
        table.add_row(str(row["id"]), _severity(row), row["feed"] or "-", row["title"] or "")
    console().print(table)


def search_table(rows: Iterable[dict[str, Any]]) -> None:
    table = Table(title="Search results", expand=True, show_lines=True)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("title and snippet", ratio=1)
    for row in rows:
        cell = Text(f"{row['title'] or ''}\n", style="bold")
        cell.append_text(snippet_text(row["snippet"] or ""))
        table.add_row(str(row["id"]), cell)
    console().print(table)


def snippet_text(snippet: str) -> Text:
    """An FTS snippet with its [matched] words highlighted (the brackets dropped)."""
    text = Text()
    for n, piece in enumerate(snippet.replace("]", "[").split("[")):
        text.append(piece, style="bold yellow" if n % 2 else "")
    return text


def feeds_table(rows: Iterable[dict[str, Any]]) -> None:
    table = Table(title="Feed health", expand=True)
    for name in ("name", "status", "errors", "next check", "last error"):
        table.add_column(name, overflow="fold")
    for row in rows:
        status = row["last_status"] or "never polled"
        style = {"ok": "green", "not-modified": "green", "error": "bold red"}.get(status, "dim")
        errors = row["error_count"] or 0
        table.add_row(
            row["name"],
            Text(status, style=style),
            Text(str(errors), style="red" if errors else ""),
            row["next_check_at"] or "now",
            row["last_error"] or "",
        )
    console().print(table)


def stories_table(stories: Iterable[dict[str, Any]]) -> None:
    table = Table(title="Stories, newest first", expand=True, show_lines=True)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("story", ratio=1)
    table.add_column("sources", ratio=1)
    for story in stories:
        table.add_row(
            str(story["id"]),
            _severity(story),
            f"{story['title']}\nfirst seen {story['first_seen']}, {len(story['articles'])} copies",
            ", ".join(story["sources"]) or "-",
        )
    console().print(table)


def article_panel(article: dict[str, Any], evidence: list[str], fired: list[str]) -> None:
    out = console()
    severity = article["severity"] if article["flagged"] else ""
    head = Text(f"#{article['id']} {article['title']}\n", style="bold")
    head.append(
        f"FLAGGED {severity}" if article["flagged"] else "not flagged",
        style=STYLE.get(severity, "dim"),
    )
    head.append(f"  score {article['score']}\n{article['reason'] or ''}")
    out.print(Panel(head, expand=True))
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    places = ", ".join(f"{p['name']} ({p['lat']}, {p['lon']})" for p in article["places"])
    facts.add_row("url", article["url"] or "-")
    facts.add_row("feed", f"{article['feed']} ({article['side'] or '-'})")
    facts.add_row("published", f"{article['published_at'] or '-'}  language {article['language']}")
    facts.add_row("places", places or "-")
    for sentence in evidence:
        facts.add_row("evidence", sentence)
    for line in fired:
        facts.add_row("rule", line.strip())
    for source in article["sources"]:
        facts.add_row("source", f"{source['feed']}: {source['url']}")
    for version in article["versions"]:
        facts.add_row(
            f"version {version['version']}",
            f"seen {version['seen_at']}, {version['severity']}: {version['changes']}",
        )
    for alert in article["alerts"]:
        facts.add_row("alert", f"{alert['alert_key']}: {alert['destination']} {alert['status']}")
    out.print(facts)
    text = Text(article["text"] or "")
    terms = sorted({m["text"] for m in article["matches"] if m["kind"] != "exclude"}, key=len)
    text.highlight_words(reversed(terms), style="bold yellow", case_sensitive=True)
    out.print(Panel(text, title="text, matched terms highlighted", expand=True))
