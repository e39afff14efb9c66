"""A map of flagged places as SVG, drawn offline (no tiles, no scripts from elsewhere). Pure.

Places are dots on an equirectangular projection of their bounding box (longitudes scaled by
the cosine of the middle latitude), sized by how many flagged items named them and coloured by
the gravest severity among those; each links to the items that named it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

COLOURS = {
    "critical": "#b30000",
    "high": "#e34a33",
    "medium": "#fc8d59",
    "low": "#fdbb84",
    "info": "#9ecae1",
}


@dataclass(frozen=True, slots=True)
class Spot:
    place: str
    country: str
    lat: float
    lon: float
    items: int
    severity: str


def map_svg(spots: Iterable[Spot], *, width: int = 900, height: int = 640, link: str = "") -> str:
    """The SVG document; ``link`` is the address of the items table (``?place=`` appended)."""
    spots = list(spots)
    if not spots:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="120">'
            '<text x="10" y="40" font-family="sans-serif">No flagged places yet.</text></svg>'
        )
    lats = [s.lat for s in spots]
    lons = [s.lon for s in spots]
    pad = 0.15
    south, north = min(lats) - pad, max(lats) + pad
    west, east = min(lons) - pad, max(lons) + pad
    squeeze = math.cos(math.radians((south + north) / 2))
    span_x, span_y = (east - west) * squeeze, north - south
    scale = min((width - 80) / span_x, (height - 80) / span_y)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return 40 + (lon - west) * squeeze * scale, 40 + (north - lat) * scale

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="#f7f7f2"/>',
    ]
    step = 0.5 if span_y < 4 else 1.0
    grid = math.floor(south / step) * step
    while grid <= north:
        _, y = xy(grid, west)
        parts.append(f'<line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="2" y="{y - 2:.1f}" fill="#999">{grid:.1f}°N</text>')
        grid += step
    grid = math.floor(west / step) * step
    while grid <= east:
        x, _ = xy(north, grid)
        parts.append(f'<line y1="0" y2="{height}" x1="{x:.1f}" x2="{x:.1f}" stroke="#ddd"/>')
        parts.append(f'<text y="{height - 4}" x="{x + 2:.1f}" fill="#999">{grid:.1f}°E</text>')
        grid += step
    most = max(s.items for s in spots)
    for spot in sorted(spots, key=lambda s: (-s.items, s.place)):
        x, y = xy(spot.lat, spot.lon)
        radius = 4 + 12 * math.sqrt(spot.items / most)
        colour = COLOURS.get(spot.severity, "#999")
        label = html.escape(f"{spot.place} ({spot.country}): {spot.items} flagged")
        name = html.escape(spot.place)
        href = html.escape(f"{link}?place={quote(spot.place)}", quote=True)
        parts.append(
            f'<a href="{href}" class="spot"><title>{label}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}" '
            f'fill-opacity="0.8" stroke="#333" stroke-width="0.5"/>'
            f'<text x="{x + radius + 2:.1f}" y="{y + 4:.1f}">{name}</text></a>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
