"""Flagged stories per day and severity as an SVG bar chart (stacked, gravest on top). Pure."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date, timedelta

from monitor.review.mapsvg import COLOURS

ORDER = ("info", "low", "medium", "high", "critical")  # bottom to top


def timeline_svg(
    counts: Mapping[tuple[date, str], int], *, first: date, last: date, width: int = 900
) -> str:
    """Bars for every day from ``first`` to ``last`` (days without stories stay empty)."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    totals = [sum(counts.get((day, s), 0) for s in ORDER) for day in days]
    top = max(totals, default=0) or 1
    height, left, bottom = 300, 40, 40
    plot_h = height - bottom - 20
    bar_w = (width - left - 10) / max(len(days), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="10">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{left}" y="12">Flagged stories per day, {first} to {last}</text>',
        f'<line x1="{left}" x2="{width - 10}" y1="{height - bottom}" '
        f'y2="{height - bottom}" stroke="#333"/>',
        f'<text x="{left - 4}" y="{height - bottom - plot_h + 4}" text-anchor="end">{top}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    for index, day in enumerate(days):
        x = left + index * bar_w
        y = float(height - bottom)
        for severity in ORDER:
            count = counts.get((day, severity), 0)
            if not count:
                continue
            h = plot_h * count / top
            y -= h
            label = html.escape(f"{day}: {count} {severity}")
            parts.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar_w - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[severity]}"><title>{label}</title></rect>'
            )
        if len(days) <= 31 or index % 7 == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 12}" '
                f'text-anchor="middle">{day:%d.%m}</text>'
            )
    for n, severity in enumerate(reversed(ORDER)):
        parts.append(
            f'<rect x="{left + n * 80}" y="{height - 14}" width="10" height="10" '
            f'fill="{COLOURS[severity]}"/><text x="{left + n * 80 + 14}" '
            f'y="{height - 5}">{severity}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
