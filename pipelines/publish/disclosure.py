"""Statistical disclosure control of published tables (DESIGN.md section 7).

Hand-written on purpose: the Python SDC packages work from microdata (acro, cell-key-perturbation) or need
tau-ARGUS installed (piargus), while our tables are small additive aggregates received from countries.

- Primary suppression: person counts about children from 1 to MNR_SUPPRESS_MAX (default 4) are suppressed
  (obs_value null, obs_status Q, obs_conf C). Zero stays zero.
- Secondary suppression: within every additive relation (sex: F + M + _U = _T; age: bands + _U = Y0T17, or
  = _T when there is no Y0T17) a suppressed cell must not be the only unknown one. Where it is, the smallest
  known sibling is suppressed too (obs_status Q, obs_conf D), or the total when there is no sibling; this is
  repeated over both hierarchies until nothing changes (a fixed point).
- Rates follow their numerator: a rate whose numerator is suppressed is suppressed (obs_conf D); a rate whose
  numerator is under MNR_RELIABLE_MIN (default 20) gets obs_status U (low reliability).

Rows are plain dicts with the harmonised columns (pipelines.publish.publish.COLUMNS).
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

KEY = ("ref_area", "time_period", "indicator_code", "sex", "age", "offence")
SEX_TOTAL = "_T"
SEX_MEMBERS = ("F", "M", "_U")
AGE_TOTALS = ("Y0T17", "_T")
NOT_AN_AGE_BAND = ("Y0T17", "_T", "_Z")


@dataclass(frozen=True)
class Thresholds:
    suppress_max: int = 4      # child person counts 1..suppress_max are suppressed
    reliable_min: int = 20     # a rate with a numerator below this is flagged U (low reliability)


def thresholds() -> Thresholds:
    """Thresholds from the environment (README, Configuration): MNR_SUPPRESS_MAX, MNR_RELIABLE_MIN."""
    t = Thresholds(
        suppress_max=int(os.environ.get("MNR_SUPPRESS_MAX", Thresholds.suppress_max)),
        reliable_min=int(os.environ.get("MNR_RELIABLE_MIN", Thresholds.reliable_min)),
    )
    if t.suppress_max < 0 or t.reliable_min < 0:
        raise ValueError("MNR_SUPPRESS_MAX and MNR_RELIABLE_MIN must be 0 or more")
    return t


def key(row: dict) -> tuple:
    return tuple(row[c] for c in KEY)


def is_unknown(row: dict) -> bool:
    return row["obs_value"] is None


def relations(rows: list[dict]) -> list[tuple[dict, list[dict]]]:
    """Every additive relation among these rows as (total row, member rows), over the sex and age hierarchies.

    Shared with the verifier, so that suppression and its proof use the same relations."""
    by_key = {key(r): r for r in rows}
    sex_groups: dict[tuple, list[dict]] = defaultdict(list)
    age_groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        sex_groups[(r["ref_area"], r["time_period"], r["indicator_code"], r["age"], r["offence"])].append(r)
        age_groups[(r["ref_area"], r["time_period"], r["indicator_code"], r["sex"], r["offence"])].append(r)
    out: list[tuple[dict, list[dict]]] = []
    for (area, year, ind, age, off), group in sex_groups.items():
        total = by_key.get((area, year, ind, SEX_TOTAL, age, off))
        members = [r for r in group if r["sex"] in SEX_MEMBERS]
        if total is not None and members:
            out.append((total, sorted(members, key=lambda r: r["sex"])))
    for (area, year, ind, sex, off), group in age_groups.items():
        ages = {r["age"] for r in group}
        total_code = next((a for a in AGE_TOTALS if a in ages), None)
        if total_code is None:
            continue
        # Adults belong to the all-ages total only, never to the under-18 one.
        members = [r for r in group if r["age"] not in NOT_AN_AGE_BAND
                   and not (total_code == "Y0T17" and r["age"].startswith("Y_GE"))]
        if members:
            out.append((by_key[(area, year, ind, sex, total_code, off)], sorted(members, key=lambda r: r["age"])))
    return out


def _suppress(row: dict, conf: str) -> None:
    row["obs_value"] = None
    row["obs_status"] = "Q"
    row["obs_conf"] = conf


def control(rows: list[dict], child_person_counts: set[str], t: Thresholds | None = None) -> list[dict]:
    """Primary and secondary suppression of these rows (copies; the input is left as it was)."""
    t = t or thresholds()
    rows = [dict(r) for r in rows]
    original = {key(r): r["obs_value"] for r in rows}
    for r in rows:
        v = r["obs_value"]
        if r["indicator_code"] in child_person_counts and v is not None and 1 <= v <= t.suppress_max:
            _suppress(r, "C")
    related = relations(rows)   # the relations depend on the rows' keys only, which suppression leaves alone
    changed = True
    while changed:  # to a fixed point: a secondary suppression may open a leak in another relation
        changed = False
        for total, members in related:
            cells = [total, *members]
            unknown = [c for c in cells if is_unknown(c)]
            if len(unknown) != 1 or unknown[0]["obs_status"] != "Q":
                continue
            known = [m for m in members if not is_unknown(m)]
            # The smallest non-zero sibling hides least information (a true zero stays visible when it can);
            # the code breaks ties so the choice is the same on every run.
            known.sort(key=lambda m: (original[key(m)] == 0, original[key(m)], m["sex"], m["age"]))
            _suppress(known[0] if known else total, "D")
            changed = True
    return rows


def control_rates(rates: list[dict], numerators: dict[tuple, dict], t: Thresholds | None = None) -> list[dict]:
    """Rates follow their numerator: suppressed with it (obs_conf D), flagged U when it is under reliable_min.

    `rates` carry `numerator_key` (the key of the published numerator row) and `numerator_value` (unsuppressed);
    `numerators` maps keys to the disclosure-controlled rows."""
    t = t or thresholds()
    out = []
    for r in rates:
        r = dict(r)
        num = numerators.get(r["numerator_key"])
        if num is not None and num["obs_value"] is None and num["obs_status"] == "Q":
            _suppress(r, "D")
        elif r["obs_value"] is not None and r["numerator_value"] is not None and r["numerator_value"] < t.reliable_min:
            r["obs_status"] = "U"
        out.append(r)
    return out
