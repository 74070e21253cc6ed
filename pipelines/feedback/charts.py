"""Small inline SVG line charts for the report: a series by year with the flagged points highlighted.

Hand-made rather than matplotlib: the report must be self-contained and light (a few kB per chart, no
embedded fonts), the chart is one line with points, and this avoids a plotting dependency for it.
"""

from __future__ import annotations

from html import escape

W, H = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 36
FLAG = "#c0262d"
LINE = "#3a6ea5"
MASKED = "#8a939c"


def _nice(v: float) -> str:
    if abs(v) >= 1e6:
        return f"{v / 1e6:.3g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.3g}k"
    return f"{v:.4g}"


def series_svg(points: list[dict], label: str) -> str:
    """points: dicts with year, value (None when missing), masked (a small count not to show), flagged,
    origin ('submission' or 'published'). Masked points sit on the axis with no height, so the chart never
    reveals a suppressed small count."""
    points = sorted(points, key=lambda p: p["year"])
    years = [p["year"] for p in points]
    shown = [p["value"] for p in points if p["value"] is not None and not p["masked"]]
    y0, y1 = 0.0, max(shown) if shown else 1.0
    if y1 <= y0:
        y1 = y0 + 1
    x0, x1 = min(years), max(years)
    span = max(x1 - x0, 1)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(year):
        return LEFT + (pw / 2 if x1 == x0 else (year - x0) / span * pw)

    def y(v):
        return TOP + ph - (v - y0) / (y1 - y0) * ph

    # Inline in HTML5, so no xmlns (the HTML parser puts <svg> in the SVG namespace) and no URL in the page.
    parts = [f'<svg class="chart" role="img" width="{W}" height="{H}" '
             f'viewBox="0 0 {W} {H}" aria-label="{escape(label)}">',
             f'<title>{escape(label)}</title>',
             f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{W - RIGHT}" y2="{TOP + ph}" stroke="#9aa3ad"/>']
    for frac in (0, 0.5, 1):
        v = y0 + frac * (y1 - y0)
        parts.append(f'<line x1="{LEFT}" y1="{y(v):.1f}" x2="{W - RIGHT}" y2="{y(v):.1f}" stroke="#e4e8ec"/>'
                     f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="#56606b">{_nice(v)}</text>')
    for year in range(x0, x1 + 1):
        parts.append(f'<text x="{x(year):.1f}" y="{H - 12}" text-anchor="middle" font-size="11" '
                     f'fill="#56606b">{year}</text>')
    # The line joins consecutive years that have a shown value; a missing or masked year breaks it.
    run: list[str] = []
    segments: list[list[str]] = []
    prev_year = None
    for p in points:
        if p["value"] is None or p["masked"] or (prev_year is not None and p["year"] != prev_year + 1):
            if run:
                segments.append(run)
            run = []
        if p["value"] is not None and not p["masked"]:
            run.append(f"{x(p['year']):.1f},{y(p['value']):.1f}")
        prev_year = p["year"]
    if run:
        segments.append(run)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="2" points="{" ".join(seg)}"/>')
    for p in points:
        where = "this file" if p["origin"] == "submission" else "published"
        if p["value"] is None:
            continue
        if p["masked"]:
            parts.append(f'<g class="masked"><title>{p["year"]}: fewer than 5 (suppressed), {where}</title>'
                         f'<circle cx="{x(p["year"]):.1f}" cy="{TOP + ph:.1f}" r="5" fill="white" stroke="{MASKED}" '
                         f'stroke-width="2"/></g>')
            continue
        cx, cy = x(p["year"]), y(p["value"])
        tip = f'{p["year"]}: {p["value"]:.15g} ({where})' + (" — flagged" if p["flagged"] else "")
        if p["flagged"]:
            parts.append(f'<g class="flagged"><title>{escape(tip)}</title>'
                         f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="8" fill="{FLAG}" fill-opacity="0.25"/>'
                         f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{FLAG}"/></g>')
        else:
            fill = LINE if p["origin"] == "submission" else "white"
            parts.append(f'<g><title>{escape(tip)}</title><circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{fill}" '
                         f'stroke="{LINE}" stroke-width="2"/></g>')
    parts.append("</svg>")
    return "".join(parts)
