"""Statistical disclosure control of published tables (DESIGN.md section 7).

Hand-written on purpose: the Python SDC packages work from microdata (acro, cell-key-perturbation) or need
tau-ARGUS installed (piargus), while our tables are small additive aggregates received from countries. The
method is sdcTable's SIMPLEHEURISTIC: suppress, attack the pattern as an attacker would (the audit of
pipelines/publish/verify.py, by linear programming), add suppressions where a primary cell is not protected,
and attack again, until every primary cell is protected. Control and the release's audit are the same code,
so a pattern control accepts is one the audit accepts.

- Primary suppression: person counts about children from 1 to MNR_SUPPRESS_MAX (default 4) are suppressed
  (obs_value null, obs_status Q, obs_conf C). Zero stays zero. A value the file gives but marks confidential
  (SDMX CONF_STATUS other than F, Eurostat's flag c) is a primary cell too, whatever the indicator.
- Once protected, always protected: a cell suppressed in any earlier published state stays suppressed (the same
  or a wider pattern), so that no later state gives back what an earlier one hid.
- Secondary suppression (obs_conf D), over every relation of pipelines/breakdowns.py (sex, age and offence
  hierarchies together): first a fast pass to a fixed point (no relation may have a suppressed cell as its
  only unknown), then the audit's repair loop: for each primary cell the audit finds narrowed below
  MNR_PROTECTION_WIDTH values, the smallest non-zero published cell of a relation it is in (one whose value
  no earlier state published) is suppressed too. A zero is never a secondary suppression: the audit assumes an
  attacker can tell a suppressed zero from a suppressed count, so hiding one would protect nothing.
- Where even that leaves a primary cell narrowed (a table of many small counts whose C flags, each saying
  "1 to MNR_SUPPRESS_MAX", pin each other down), the narrowed cells are withheld: not published at all
  (`withheld` set on the row; publish.py leaves it out, the restricted layer keeps it), so no flag bounds them.
- Rates follow their numerator and denominator: suppressed with either (obs_conf D); a rate whose numerator is
  under MNR_RELIABLE_MIN (default 20) gets obs_status U (low reliability).

Rows are plain dicts with the harmonised columns (pipelines.publish.publish.COLUMNS); a row may carry
`true_value` (the unsuppressed value) for the audit, which control sets itself from obs_value.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

from pipelines.breakdowns import table_relations
from pipelines.publish import verify
from pipelines.schema import KEY

MAX_ROUNDS = 200     # repair rounds of one table; each adds at least one suppression, so a table ends sooner


@dataclass(frozen=True)
class Thresholds:
    suppress_max: int = 4      # child person counts 1..suppress_max are suppressed
    reliable_min: int = 20     # a rate with a numerator below this is flagged U (low reliability)
    protection_width: int = 2  # a suppressed count keeps at least this many possible values (<= suppress_max)


def thresholds() -> Thresholds:
    """Thresholds from the environment (README, Configuration): MNR_SUPPRESS_MAX, MNR_RELIABLE_MIN,
    MNR_PROTECTION_WIDTH."""
    t = Thresholds(
        suppress_max=int(os.environ.get("MNR_SUPPRESS_MAX", Thresholds.suppress_max)),
        reliable_min=int(os.environ.get("MNR_RELIABLE_MIN", Thresholds.reliable_min)),
        protection_width=int(os.environ.get("MNR_PROTECTION_WIDTH", Thresholds.protection_width)),
    )
    if t.suppress_max < 0 or t.reliable_min < 0:
        raise ValueError("MNR_SUPPRESS_MAX and MNR_RELIABLE_MIN must be 0 or more")
    if t.suppress_max == 1:
        # obs_conf C says "1 to MNR_SUPPRESS_MAX": with 1, the flag itself would publish the value.
        raise ValueError("MNR_SUPPRESS_MAX must be 0 (no suppression) or at least 2: with 1, a cell marked "
                         "confidential (C) could only be 1")
    if t.protection_width < 2:
        raise ValueError("MNR_PROTECTION_WIDTH must be at least 2 (a suppressed count never narrowed to one value)")
    return t


def key(row: dict) -> tuple:
    return tuple(row[c] for c in KEY)


def is_unknown(row: dict) -> bool:
    return row["obs_value"] is None


def _suppress(row: dict, conf: str) -> None:
    row["obs_value"] = None
    row["obs_status"] = "Q"
    row["obs_conf"] = conf


def _is_small(row: dict, value, t: Thresholds) -> bool:
    return value is not None and 1 <= value <= t.suppress_max


def control(rows: list[dict], child_person_counts: set[str], t: Thresholds | None = None,
            history: list[dict] = ()) -> list[dict]:
    """Primary and secondary suppression of these rows (copies; the input is left as it was).

    history: the rows of earlier published states of the same tables (with published_at, superseded_at and
    true_value), which the new pattern must not open and whose suppressions it keeps."""
    t = t or thresholds()
    rows = [dict(r) for r in rows]
    tables: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        r.setdefault("true_value", r["obs_value"])
        if r["obs_value"] is not None and r["obs_conf"] not in ("F", None):
            # A value the file gives but marks confidential (CONF_STATUS, a Eurostat flag c on a transmission):
            # a primary cell of any size, never published, and protected by secondary suppression as the
            # receiver's job (CL_CONF_STATUS S); its bounds are not 1 to suppress_max, so the audit takes it as
            # a withheld cell. A cell the file withholds itself (': c', no value) is published as the file has
            # it: the hub holds nothing to protect, and hides none of the values the file gives as free.
            r["source_confidential"] = True
            _suppress(r, "C")
        tables[verify.table_of(r)].append(r)
    past: dict[tuple, list[dict]] = defaultdict(list)
    for h in history:
        past[verify.table_of(h)].append(h)
    for tab, table in tables.items():
        child = tab[2] in child_person_counts and t.suppress_max > 0
        if child or any(r.get("source_confidential") for r in table):
            _control_table(table, past.get(tab, []), t, child)
    return rows


def _control_table(table: list[dict], history: list[dict], t: Thresholds, child: bool = True) -> None:
    states = verify.states_of(history)
    hidden_before = {(h["sex"], h["age"], h["offence"]) for s in states for h in s if h["obs_value"] is None
                     and h.get("obs_conf") in ("C", "D")}
    # Values an earlier state published: suppressing the cell now hides nothing if its value is the same.
    shown_before = {((h["sex"], h["age"], h["offence"]), h["obs_value"]) for s in states for h in s
                    if h["obs_value"] is not None}
    # In cell order, so that the pattern does not depend on the order the rows came in.
    by_cell = {(r["sex"], r["age"], r["offence"]): r for r in sorted(table, key=lambda r: (r["sex"], r["age"],
                                                                                         r["offence"]))}
    for cell, r in by_cell.items():
        v = r["true_value"]
        if child and _is_small(r, v, t):
            _suppress(r, "C")
        elif cell in hidden_before and v is not None and r["obs_value"] is not None:
            _suppress(r, "D")
    if not any(r["obs_conf"] == "C" for r in table) and not any(h.get("obs_conf") == "C" for h in history):
        return
    related = [(total, members) for _, total, members in table_relations(by_cell, True)]
    in_relations: dict[tuple, list[int]] = defaultdict(list)
    for i, (total, members) in enumerate(related):
        for c in (total, *members):
            in_relations[c].append(i)

    def candidates(cells_of_relation) -> list[dict]:
        """Published non-zero cells that suppressing would hide (no earlier state showed their value)."""
        out = [by_cell[c] for c in cells_of_relation
               if by_cell[c]["obs_value"] is not None and by_cell[c]["true_value"]
               and (c, by_cell[c]["obs_value"]) not in shown_before]
        return sorted(out, key=lambda r: (r["true_value"], r["sex"], r["age"], r["offence"]))

    # Fast pass, to a fixed point: no relation keeps a suppressed cell as its only unknown, nor primary cells
    # as its only unknowns (C cells are 1 to suppress_max each, so their sum barely moves).
    changed = True
    while changed:
        changed = False
        for total, members in related:
            cells = (total, *members)
            unknown = [c for c in cells if by_cell[c]["obs_value"] is None]
            if not unknown or by_cell[unknown[0]]["obs_status"] != "Q":
                continue
            if len(unknown) > 1 and any(by_cell[c]["obs_conf"] != "C" for c in unknown):
                continue
            pick = candidates(members) or candidates((total,))
            if pick:
                _suppress(pick[0], "D")
                changed = True
    # Repair: the audit's verdict, and one more suppression for each primary cell it finds narrowed.
    lost = verify.already_given_away(states, True, t)
    weak = None
    for _ in range(MAX_ROUNDS):
        audit = verify.build([*states, table], child, t)
        # Only the cells found weak need attacking again: a suppression more only widens every interval.
        weak = {vid for vid, iv in audit.intervals(t, weak).items() if not verify.protected(iv, t)} - lost
        if not weak:
            return
        added = False
        for vid in sorted(weak, key=verify._order):
            cell = vid[0]
            # The relations of the weak cell first, those with fewest unknowns first; then the whole table.
            rels = sorted(in_relations.get(cell, []),
                          key=lambda i: sum(by_cell[c]["obs_value"] is None for c in (related[i][0], *related[i][1])))
            pick = next((p for i in rels for p in candidates((related[i][0], *related[i][1]))), None)
            if pick is None:
                pick = next(iter(candidates(by_cell)), None)
            if pick is not None:
                _suppress(pick, "D")
                added = True
        if not added:
            # Every cell that could hide something is hidden, and the flags themselves still tell: C says
            # "1 to MNR_SUPPRESS_MAX", and many small counts with small totals pin each other down. These
            # primary cells are withheld: their rows are not published at all (kept in the restricted layer),
            # so no flag bounds them.
            fresh = [by_cell[vid[0]] for vid in sorted(weak, key=verify._order)
                     if vid[0] in by_cell and not by_cell[vid[0]].get("withheld")]
            if not fresh:
                return    # a weak cell of an earlier state: nothing now can hide it, and the release is refused
            for r in fresh:
                _suppress(r, "C" if _is_small(r, r["true_value"], t) else "D")
                r["withheld"] = True


def control_rates(rates: list[dict], numerators: dict[tuple, dict], t: Thresholds | None = None) -> list[dict]:
    """Rates follow their numerator and denominator: suppressed with either (obs_conf D), flagged U when the
    numerator is under reliable_min.

    `rates` carry `numerator_key` (the key of the published numerator row), `numerator_value` (unsuppressed)
    and, for ratios of two published indicators, `denominator_key`; `numerators` maps keys to the
    disclosure-controlled rows."""
    t = t or thresholds()
    out = []
    for r in rates:
        r = dict(r)
        num = numerators.get(tuple(r["numerator_key"]))
        den = numerators.get(tuple(r["denominator_key"])) if r.get("denominator_key") else None
        if any(x is not None and x["obs_value"] is None and x["obs_status"] == "Q" for x in (num, den)):
            _suppress(r, "D")
            if den is not None and den["obs_value"] is None:
                r["denominator_value"] = None     # printed beside the ratio, it would give the cell away
        elif r["obs_value"] is not None and r["numerator_value"] is not None and r["numerator_value"] < t.reliable_min:
            r["obs_status"] = "U"
        out.append(r)
    return out
