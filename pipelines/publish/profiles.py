"""Country profiles: one self-contained HTML page per country (profiles/<ISO3>.html), from the latest release.

Built from the release (not the warehouse) so that a profile shows exactly the disclosure-controlled values
that were released: each indicator over time as an inline SVG chart with its flags (P provisional,
E estimated, Q suppressed, U low reliability, ...), the country's MNR capability coverage by year, and links
to the release files. No country is compared with another.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import duckdb

from pipelines.pages import environment, with_policy
from pipelines.publish.exports import number_text
from pipelines.warehouse import fetch_dicts
from pipelines.publish.release import latest

TEMPLATES = Path(__file__).parent / "templates"
_env = environment(TEMPLATES)

RELEASE_FILES = ("observations.csv", "observations.parquet", "observations.sdmx.csv", "derived_indicators.csv",
                 "capability_coverage.csv", "datapackage.json", "CHANGES.md", "MANIFEST.sha256", "release.duckdb")
# The headline series of an indicator: its total over every breakdown the catalogue has.
HEADLINE = "sex in ('_T', '_Z') and age in ('_T', '_Z', 'Y0T17') and offence in ('_T', '_Z')"
W, H, PAD = 360, 130, 34


def chart(points: list[dict]) -> dict:
    """Coordinates of a small line chart (years on x, values on y from 0); suppressed points sit on the axis
    as hollow markers labelled with their flag."""
    years = [p["time_period"] for p in points]
    values = [p["obs_value"] for p in points if p["obs_value"] is not None]
    top = max(values) if values else 1.0
    top = top if top > 0 else 1.0
    lo, hi = min(years), max(years)

    def x(y):
        return PAD + (W - 2 * PAD) * ((y - lo) / (hi - lo) if hi > lo else 0.5)

    def yv(v):
        return H - PAD + (-(H - 2 * PAD) * (v / top))

    marks = []
    for p in points:
        known = p["obs_value"] is not None
        flag = "" if p["obs_status"] == "A" else p["obs_status"]
        marks.append({"x": round(x(p["time_period"]), 1), "y": round(yv(p["obs_value"]) if known else H - PAD, 1),
                      "known": known, "flag": flag, "year": p["time_period"],
                      "label": number_text(p["obs_value"]) if known else "suppressed"})
    line = " ".join(f"{m['x']},{m['y']}" for m in marks if m["known"])
    return {"w": W, "h": H, "pad": PAD, "marks": marks, "line": line, "top": number_text(round(top, 2)),
            "axis_y": H - PAD}


def profile(db: duckdb.DuckDBPyConnection, country: str) -> dict:
    rows = fetch_dicts(db, f"""
        select o.*, i.label as indicator_name from observations o
        left join cl_indicator i on i.code = o.indicator_code
        where o.ref_area = ? and {HEADLINE}
        order by o.mnr_capability, o.indicator_code, o.sex, o.age, o.offence, o.time_period""", [country])
    series: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        series[(r["mnr_capability"], r["indicator_code"], r["indicator_name"], r["unit_measure"])].append(r)
    indicators = [{"capability": cap, "code": code, "name": name or code, "unit": unit, "points": pts,
                   "chart": chart(pts)} for (cap, code, name, unit), pts in series.items()]
    coverage = fetch_dicts(db, "select * from capability_coverage where ref_area = ? "
                               "order by mnr_capability, time_period", [country])
    years = sorted({c["time_period"] for c in coverage})
    grid: dict[int, dict] = {}
    for c in coverage:
        g = grid.setdefault(c["mnr_capability"], {"capability": c["mnr_capability"], "name": c["capability_name"],
                                                  "years": {}})
        g["years"][c["time_period"]] = c["has_data"]
    progress = fetch_dicts(db, "select * from capability_progress where ref_area = ? order by time_period",
                           [country])
    name = db.execute("select label from cl_ref_area where code = ?", [country]).fetchone()
    return {"country": country, "name": name[0] if name else country, "indicators": indicators, "years": years,
            "coverage": [grid[k] for k in sorted(grid)], "progress": progress}


def write_profiles(p, release: tuple[str, Path] | None = None) -> list[Path]:
    """Write profiles/<ISO3>.html for every country of the latest release; returns the pages written."""
    release = release or latest(p.releases)
    if release is None:
        return []
    release_id, folder = release
    out_dir = p.home / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    template = _env.get_template("profile.html.j2")
    written = []
    with duckdb.connect(str(folder / "release.duckdb"), read_only=True) as db:
        countries = [r[0] for r in db.execute("select distinct ref_area from observations order by 1").fetchall()]
        links = [{"name": f, "href": os.path.relpath(folder / f, out_dir)} for f in RELEASE_FILES
                 if (folder / f).exists()]
        for country in countries:
            html = with_policy(template.render(p=profile(db, country), release_id=release_id, links=links))
            path = out_dir / f"{country}.html"
            tmp = path.with_suffix(".html.tmp")
            tmp.write_text(html, encoding="utf-8")
            os.replace(tmp, path)
            written.append(path)
    return written
