"""Deterministic synthetic submissions for the benchmarks: countries x years x the whole indicator catalogue,
with sex / age / offence breakdowns, in the layouts and formats of samples/.

    .venv/bin/python bench/generate.py OUT_DIR --countries 200 --years 15 [--seed 7]

Same arguments, same bytes. Files go to OUT_DIR/<format>/<ISO3>_<format>.<ext>; OUT_DIR/manifest.json lists them
with their country, format, cell count and planted defects. Formats (one per country, in turn):
  long       CSV, canonical long layout, codes (samples/KEN_*)
  wide       CSV, indicators as rows and years as columns (samples/PHL_*, as CSV)
  semicolon  CSV with semicolons, decimal comma, thousands with spaces, French labels (samples/FRA_*)
  json       JSON records with Portuguese keys and labels (samples/BRA_*)
XLSX is left out on purpose: the floor (bench/floor.sql) reads the same files with DuckDB alone, and DuckDB's
excel extension cannot be installed offline.

Breakdowns are additive (F + M + _U = _T; age bands 0-4, 5-9, 10-14, 15-17 sum to Y0T17; offence parts sum to
_T), so that the consistency checks pass on clean data. Defects are planted in a share of the countries
(--defective-share), at a rate per value cell (--defect-rate): negative counts, unknown codes, non-numeric
values. Such a country's submission is rejected; the others are accepted (possibly with warnings).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import sys
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pipelines.reference import aliases, normalise_label, read_seed  # noqa: E402

LAST_YEAR = 2024
FORMATS = ("long", "wide", "semicolon", "json")
CHILD_AGE_BANDS = ("Y0T4", "Y5T9", "Y10T14", "Y15T17")
OFFENCE_PARTS = ("030221", "030222", "030223", "OTHER_ONLINE")

# Typical size of a count per 100,000 children, by indicator (orders of magnitude from research/domain.md
# section 3: CyberTipline referrals in the 10^4-10^6 range for large countries, a steep funnel down to
# convictions, hotline and helpline volumes in the thousands).
PER_100K = {
    "CJ_NCMEC_REFERRALS_RECEIVED": 900.0, "CJ_REPORTS_RECEIVED": 400.0, "CJ_OFFENCES_RECORDED": 60.0,
    "CJ_CASES_OPENED": 40.0, "CJ_SUSPECTS_ARRESTED": 12.0, "CJ_PROSECUTIONS": 6.0, "CJ_CONVICTIONS": 3.0,
    "CJ_VICTIMS_IDENTIFIED": 8.0, "CJ_VICTIMS_IDENTIFIED_ICSE": 1.5, "CJ_REGISTERED_OFFENDERS": 30.0,
    "VS_VICTIMS_REFERRED": 6.0, "VS_VICTIMS_SUPPORTED": 4.0, "VS_HELPLINE_CONTACTS_CSEA": 120.0,
    "SO_HOTLINE_REPORTS": 300.0, "SO_HOTLINE_CSAM_CONFIRMED": 150.0, "IN_DOMESTIC_ESP_REPORTS": 50.0,
    "SO_PREVENTION_CONTACTS": 10.0, "VS_CP_WORKERS_TRAINED": 5.0, "CJ_TRAINED_PROSECUTORS_JUDGES": 1.0,
    "VS_COMPENSATION_AWARDS": 0.5, "CJ_UNIT_FTE": 0.5,
}
FIXED_RANGE = {   # counts that do not scale with the population: (low, high)
    "IN_COMPANIES_HASH_MATCHING": (0, 40), "PG_GOV_BODY_SECTORS": (3, 11),
}


@dataclass
class Cell:
    indicator: str
    year: int
    sex: str | None      # None: the file leaves the breakdown out
    age: str | None
    offence: str | None
    value: float | None
    defect: str | None = None


@lru_cache(maxsize=None)
def catalogue() -> list[dict]:
    return sorted(read_seed("indicators"), key=lambda r: r["indicator_code"])


def _dims(ind: dict) -> list[str]:
    d = ind["disaggregations"] or ""
    return [k for k in ("SEX", "AGE", "OFF") if k in d]


def _split(rng: random.Random, total: int, n: int, weights=None) -> list[int]:
    """An integer total split into n parts (roughly proportional to weights), parts summing exactly to total."""
    w = [max(1e-6, x * rng.uniform(0.7, 1.3)) for x in (weights or [1.0] * n)]
    s = sum(w)
    parts = [int(total * x / s) for x in w]
    parts[rng.randrange(n)] += total - sum(parts)
    return parts


def _count_cells(rng: random.Random, ind: dict, year: int, total: int) -> list[Cell]:
    """Every margin of a count broken down by its dimensions: the finest cells are drawn, totals are their sums."""
    code = ind["indicator_code"]
    dims = _dims(ind)
    parts: dict[str, tuple[list[str], str, list[float]]] = {}
    if "SEX" in dims:
        parts["SEX"] = (["F", "M", "_U"], "_T", [0.62, 0.35, 0.03])
    if "AGE" in dims:
        if code == "CJ_SUSPECTS_ARRESTED":      # suspects are mostly adults: juveniles + adults = total
            parts["AGE"] = (["Y0T17", "Y_GE18"], "_T", [0.1, 0.9])
        else:
            parts["AGE"] = (list(CHILD_AGE_BANDS), "Y0T17", [0.1, 0.2, 0.35, 0.35])
    if "OFF" in dims:
        parts["OFF"] = (list(OFFENCE_PARTS), "_T", [0.5, 0.1, 0.3, 0.1])
    if not parts:
        return [Cell(code, year, None, None, None, float(total))]
    names = list(parts)
    # Finest cells: split the total over the product of the parts.
    fine_keys = list(product(*(parts[n][0] for n in names)))
    fine_w = [math.prod(parts[n][2][parts[n][0].index(k[i])] for i, n in enumerate(names)) for k in fine_keys]
    fine = dict(zip(fine_keys, _split(rng, total, len(fine_keys), fine_w)))
    out = []
    for key in product(*([*parts[n][0], parts[n][1]] for n in names)):
        v = sum(x for fk, x in fine.items()
                if all(key[i] == parts[n][1] or key[i] == fk[i] for i, n in enumerate(names)))
        got = dict(zip(names, key))
        out.append(Cell(code, year, got.get("SEX"), got.get("AGE"), got.get("OFF"), float(v)))
    return out


def _plain_cells(rng: random.Random, ind: dict, year: int, value: float) -> list[Cell]:
    """Breakdowns of a value that does not add up (a percentage, a duration): each margin drawn around it."""
    dims = _dims(ind)
    axes = {"SEX": ["F", "M", "_T"], "AGE": ["Y10T14", "Y15T17", "Y0T17"], "OFF": ["030221", "030223", "_T"]}
    if not dims:
        return [Cell(ind["indicator_code"], year, None, None, None, value)]
    hi = float(ind["max_value"]) if ind["max_value"] else None
    out = []
    for key in product(*(axes[d] for d in dims)):
        got = dict(zip(dims, key))
        v = value * rng.uniform(0.8, 1.2)
        v = round(min(v, hi) if hi is not None else v, 1)
        out.append(Cell(ind["indicator_code"], year, got.get("SEX"), got.get("AGE"), got.get("OFF"), v))
    return out


def country_cells(rng: random.Random, iso3: str, years: list[int]) -> list[Cell]:
    child_pop = int(math.exp(rng.uniform(math.log(2e5), math.log(4e8))))   # from small states to India
    per100k = child_pop / 1e5
    flags = rng.random() < 0.9     # the "exists" flags (unit, register, scheme...) of this country
    growth = rng.uniform(-0.03, 0.12)
    cells: list[Cell] = []
    base: dict[str, float] = {}
    for ind in catalogue():
        code, typ = ind["indicator_code"], ind["indicator_type"]
        lo = float(ind["min_value"]) if ind["min_value"] else 0.0
        hi = float(ind["max_value"]) if ind["max_value"] else None
        for t, year in enumerate(years):
            drift = (1 + growth) ** t * rng.uniform(0.93, 1.07)    # within the year-on-year tolerances
            if code == "CTX_CHILD_POP":
                cells += _count_cells(rng, ind, year, int(child_pop * (1.005 ** t)))
            elif typ == "count":
                if code in FIXED_RANGE:
                    a, b = FIXED_RANGE[code]
                    v = base.setdefault(code, rng.randint(a, b))
                elif ind["required_flag"] and not flags:
                    v = 0
                else:
                    b = base.setdefault(code, PER_100K.get(code, 5.0) * per100k * rng.uniform(0.3, 3.0))
                    v = int(b * drift)
                    if hi is not None:
                        v = min(v, int(hi))
                cells += _count_cells(rng, ind, year, int(v))
            elif typ == "binary":
                cells.append(Cell(code, year, None, None, None, 1.0 if flags else 0.0))
            elif typ in ("categorical", "ordinal"):
                v = base.setdefault(code, rng.randint(int(lo), int(hi)))
                cells.append(Cell(code, year, None, None, None, float(v)))
            elif typ == "year":
                cells.append(Cell(code, year, None, None, None, float(year - rng.randint(0, 4))))
            elif typ == "pct":
                b = base.setdefault(code, rng.uniform(5, 85))
                cells += _plain_cells(rng, ind, year, round(min(100.0, b * drift), 1))
            elif typ == "rate":
                b = base.setdefault(code, rng.uniform(1, 40))
                cells += _plain_cells(rng, ind, year, round(b * drift, 1))
            elif typ == "duration":
                b = base.setdefault(code, rng.uniform(24, 200) if ind["unit_measure"] == "HOURS" else rng.uniform(200, 1500))
                cells += _plain_cells(rng, ind, year, round(b * drift))
            elif typ == "amount":
                b = base.setdefault(code, per100k * rng.uniform(500, 5000))
                cells.append(Cell(code, year, None, None, None, round(b * drift)))
            else:
                raise ValueError(f"indicator type {typ!r} of {code} has no generator")
    return cells


DEFECTS = ("negative count", "unknown code", "non-numeric value")


def plant_defects(rng: random.Random, cells: list[Cell], rate: float) -> list[dict]:
    """Turn about `rate` of the cells into defects (at least one of each kind); return what was planted."""
    n = max(len(DEFECTS), round(len(cells) * rate))
    counts = [i for i, c in enumerate(cells) if c.value and c.value > 0 and c.indicator in _COUNTS]
    picked = sorted(rng.sample(range(len(cells)), n))
    planted = []
    for k, i in enumerate(picked):
        kind = DEFECTS[k % len(DEFECTS)]
        if kind == "negative count":
            i = counts[rng.randrange(len(counts))]
        c = cells[i]
        if c.defect:
            continue
        c.defect = kind
        planted.append({"kind": kind, "indicator": c.indicator, "year": c.year})
    return planted


_COUNTS = {r["indicator_code"] for r in read_seed("indicators") if r["indicator_type"] == "count"}


# ------------------------------------------------------------------------------------------ labels per format
@lru_cache(maxsize=None)
def _alias_rows() -> tuple[dict, ...]:
    return tuple(read_seed("aliases"))


def _label(kind: str, code: str, language: str) -> str:
    """A label in the language that the pipeline maps back to the code (else the code itself)."""
    for r in _alias_rows():
        if r["kind"] == kind and r["code"] == code and r["language"] == language and not r["country"]:
            if aliases(kind).get(normalise_label(r["alias"])) == code:
                return r["alias"]
    return code


_LABELS: dict[tuple[str, str, str], str] = {}


def label(kind: str, code: str | None, language: str) -> str:
    if code is None:
        return ""
    if language == "code":
        return code
    key = (kind, code, language)
    if key not in _LABELS:
        _LABELS[key] = _label(kind, code, language)
    return _LABELS[key]


def _value_text(c: Cell, decimal_comma: bool) -> str:
    if c.defect == "non-numeric value":
        return f"approx. {c.value:g}"
    v = c.value if c.defect != "negative count" else -c.value
    if v is None:
        return ""
    if float(v).is_integer():
        s = str(int(v))
        if decimal_comma and abs(v) >= 1000:        # 96 812, as in samples/FRA_*
            s = f"{int(v):,}".replace(",", " ")
        return s
    s = f"{v:.1f}"
    return s.replace(".", ",") if decimal_comma else s


def _codes(c: Cell, language: str) -> tuple[str, str, str, str]:
    ind = "CJ_UNKNOWN_MEASURE" if c.defect == "unknown code" and c.sex is None else label("indicator", c.indicator, language)
    sex = "X" if c.defect == "unknown code" and c.sex is not None else label("sex", c.sex, language)
    return ind, sex, label("age", c.age, language), label("offence", c.offence, language)


def write_long(cells: list[Cell]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["indicator", "time_period", "sex", "age", "offence", "value", "unit", "obs_status", "comment"])
    for c in cells:
        ind, sex, age, off = _codes(c, "code")
        w.writerow([ind, c.year, sex, age, off, _value_text(c, False), "", "A", ""])
    return out.getvalue().encode()


def write_wide(cells: list[Cell], years: list[int]) -> bytes:
    rows: dict[tuple, dict[int, Cell]] = {}
    for c in cells:
        rows.setdefault((c.indicator, c.sex, c.age, c.offence, c.defect == "unknown code"), {})[c.year] = c
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Indicator", "Sex", "Age", "Offence", *years])
    for (_, _, _, _, _), by_year in rows.items():
        first = next(iter(by_year.values()))
        ind, sex, age, off = _codes(first, "code")
        w.writerow([ind, sex, age, off, *(_value_text(by_year[y], False) if y in by_year else "" for y in years)])
    return out.getvalue().encode()


def write_semicolon(cells: list[Cell]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["Indicateur", "Année", "Sexe", "Âge", "Infraction", "Valeur", "Unité", "Commentaire"])
    for c in cells:
        ind, sex, age, off = _codes(c, "fr")
        w.writerow([ind, c.year, sex, age, off, _value_text(c, True), "", ""])
    return out.getvalue().encode()


def write_json(cells: list[Cell]) -> bytes:
    recs = []
    for c in cells:
        ind, sex, age, off = _codes(c, "pt")
        r = {"indicador": ind, "ano": c.year}
        if sex:
            r["sexo"] = sex
        if age:
            r["idade"] = age
        if off:
            r["tipo de crime"] = off
        text = _value_text(c, False)
        r["valor"] = text if c.defect == "non-numeric value" else (float(text) if "." in text else int(text))
        recs.append(r)
    return json.dumps(recs, ensure_ascii=False, indent=0).encode()


EXT = {"long": "csv", "wide": "csv", "semicolon": "csv", "json": "json"}


def write_country(out_dir: Path, iso3: str, fmt: str, cells: list[Cell], years: list[int], tag: str = "") -> Path:
    data = {"long": lambda: write_long(cells), "wide": lambda: write_wide(cells, years),
            "semicolon": lambda: write_semicolon(cells), "json": lambda: write_json(cells)}[fmt]()
    path = out_dir / fmt / f"{iso3}_{fmt}{tag}.{EXT[fmt]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def countries(n: int, seed: int) -> list[str]:
    codes = sorted(r["ref_area"] for r in read_seed("ref_areas"))
    if n > len(codes):
        raise SystemExit(f"at most {len(codes)} countries (seeds/ref_areas.csv)")
    return sorted(random.Random(seed).sample(codes, n))


def generate(out_dir: Path, n_countries: int, n_years: int, seed: int = 7, defect_rate: float = 0.01,
             defective_share: float = 0.1) -> dict:
    out_dir = Path(out_dir)
    years = list(range(LAST_YEAR - n_years + 1, LAST_YEAR + 1))
    entries = []
    chosen = countries(n_countries, seed)
    n_defective = round(len(chosen) * defective_share)
    defective = set(random.Random(seed + 1).sample(chosen, n_defective))
    for i, iso3 in enumerate(chosen):
        rng = random.Random(f"{seed}:{iso3}")
        cells = country_cells(rng, iso3, years)
        planted = plant_defects(rng, cells, defect_rate) if iso3 in defective else []
        fmt = FORMATS[i % len(FORMATS)]
        path = write_country(out_dir, iso3, fmt, cells, years)
        entries.append({"country": iso3, "format": fmt, "file": str(path.relative_to(out_dir)),
                        "cells": len(cells), "defects": planted})
    manifest = {"seed": seed, "countries": n_countries, "years": years, "defect_rate": defect_rate,
                "defective_share": defective_share, "cells": sum(e["cells"] for e in entries),
                "files": entries}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def revision(out_dir: Path, iso3: str, n_years: int, seed: int) -> Path:
    """A clean revised submission for one country (the feedback-latency case): same shape, new values."""
    years = list(range(LAST_YEAR - n_years + 1, LAST_YEAR + 1))
    cells = country_cells(random.Random(f"{seed}:{iso3}:revision"), iso3, years)
    return write_country(out_dir, iso3, "long", cells, years, tag="_revised")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--defect-rate", type=float, default=0.01, help="share of a defective file's cells")
    ap.add_argument("--defective-share", type=float, default=0.1, help="share of countries with defects")
    a = ap.parse_args(argv)
    m = generate(a.out_dir, a.countries, a.years, a.seed, a.defect_rate, a.defective_share)
    print(f"{len(m['files'])} files, {m['cells']} value cells -> {a.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
