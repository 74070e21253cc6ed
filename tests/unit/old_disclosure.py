"""Disclosure control and verifier as they were before the audit by linear programming (frozen here so that the
tests can show the new audit catching the leaks they let through): sex and age relations only, age bands
summed with _U to Y0T17, one relation at a time, no offence hierarchy, no earlier states."""

from __future__ import annotations

from collections import defaultdict

KEY = ("ref_area", "time_period", "indicator_code", "sex", "age", "offence")
AGE_TOTALS = ("Y0T17", "_T")
NOT_AN_AGE_BAND = ("Y0T17", "_T", "_Z")


def key(r):
    return tuple(r[c] for c in KEY)


def relations(rows):
    by_key = {key(r): r for r in rows}
    sex_groups, age_groups = defaultdict(list), defaultdict(list)
    for r in rows:
        sex_groups[(r["ref_area"], r["time_period"], r["indicator_code"], r["age"], r["offence"])].append(r)
        age_groups[(r["ref_area"], r["time_period"], r["indicator_code"], r["sex"], r["offence"])].append(r)
    out = []
    for (area, year, ind, age, off), group in sex_groups.items():
        total = by_key.get((area, year, ind, "_T", age, off))
        members = [r for r in group if r["sex"] in ("F", "M", "_U")]
        if total is not None and members:
            out.append((total, sorted(members, key=lambda r: r["sex"])))
    for (area, year, ind, sex, off), group in age_groups.items():
        ages = {r["age"] for r in group}
        total_code = next((a for a in AGE_TOTALS if a in ages), None)
        if total_code is None:
            continue
        members = [r for r in group if r["age"] not in NOT_AN_AGE_BAND
                   and not (total_code == "Y0T17" and r["age"].startswith("Y_GE"))]
        if members:
            out.append((by_key[(area, year, ind, sex, total_code, off)], sorted(members, key=lambda r: r["age"])))
    return out


def _suppress(row, conf):
    row["obs_value"], row["obs_status"], row["obs_conf"] = None, "Q", conf


def control(rows, children, suppress_max=4):
    rows = [dict(r) for r in rows]
    original = {key(r): r["obs_value"] for r in rows}
    for r in rows:
        v = r["obs_value"]
        if r["indicator_code"] in children and v is not None and 1 <= v <= suppress_max:
            _suppress(r, "C")
    related = relations(rows)
    changed = True
    while changed:
        changed = False
        for total, members in related:
            unknown = [c for c in (total, *members) if c["obs_value"] is None]
            if len(unknown) != 1 or unknown[0]["obs_status"] != "Q":
                continue
            known = [m for m in members if m["obs_value"] is not None]
            known.sort(key=lambda m: (original[key(m)] == 0, original[key(m)], m["sex"], m["age"]))
            _suppress(known[0] if known else total, "D")
            changed = True
    for r in rows:
        r["true_value"] = original[key(r)]
    return rows


def leaks(rows):
    """The old verifier: a suppressed cell that is the only unknown of one relation."""
    found = set()
    for total, members in relations(rows):
        unknown = [c for c in (total, *members) if c["obs_value"] is None]
        if len(unknown) == 1 and unknown[0]["obs_status"] == "Q":
            found.add(key(unknown[0]))
    return sorted(found)
