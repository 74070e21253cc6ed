"""The audit of a suppression pattern, as an attacker would attack it (DESIGN.md section 7): a blocking check on
every release and the test that disclosure control applies to itself until it passes.

For every primary cell (obs_conf C) it finds the lowest and highest whole value the cell can take under every
published fact at once, by linear programming (HiGHS), as tau-ARGUS's and sdcTable's audits do:
  - every relation of the table (pipelines/breakdowns.py: sex, age and offence hierarchies together, identities
    where the file completes them, "at most the total" where it does not), with the published cells as
    constants, in every published state of the table (history: each state was served; releases are states);
  - the flags: a C cell is a count from 1 to MNR_SUPPRESS_MAX; a D cell of a count of children is never one,
    so it is 0 or above MNR_SUPPRESS_MAX; every count is 0 or more;
  - across states, a cell whose value did not change is one unknown (the attacker may assume so), so a value
    published once is known in every state where the cell kept it;
  - published rates and ratios with their printed denominators: rate x denominator / 100000 gives the
    numerator back within the rounding of the rate.
A primary cell is protected when that interval holds at least MNR_PROTECTION_WIDTH whole values: by default 2,
the criterion of sdcTable's attack() (never narrowed to one value); a wider protection interval, as tau-ARGUS
sets with its protection levels, by raising it (never more than the flag's own range, 1 to MNR_SUPPRESS_MAX,
and beware that the flags alone may narrow a table of many small counts below a width above 2).

Method and its limits. Each table (country, year, indicator) is independent of the others (no published relation
links two of them), and within it only the suppressed cells are unknowns; connected components of unknowns are
solved separately, and a component with no primary cell is skipped. The model solved is the attacker's set with
each D cell on the side of 0 / above the threshold where its true value lies: a subset of what the attacker must
consider, so an interval found wide enough there is wide enough for the attacker (sound), and control, which
uses this same audit, never relies on the attacker being unable to tell a D zero from a large D. The LP
relaxation gives the integer bounds whenever its optimal vertex is whole (always for a two-way table without
nested totals, whose constraint matrix is totally unimodular and whose bounds are whole); where a vertex is
fractional (three-way tables, nested hierarchies, rounded rates) the bound is solved again as an integer
programme. A primary cell withheld by control (its row not published) has no flag: only 0 or more. The attacker's knowledge of which cells changed between states
is taken as exact (the worst case).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from pipelines.breakdowns import table_relations
from pipelines.schema import KEY

TABLE = ("ref_area", "time_period", "indicator_code")
EPS = 1e-6


@dataclass(frozen=True)
class Leak:
    key: tuple
    reason: str
    low: float | None = None
    high: float | None = None

    def __str__(self) -> str:
        area, year, ind, sex, age, off = self.key
        return f"{area} {year} {ind} sex={sex} age={age} offence={off}: {self.reason}"


@dataclass
class _Version:
    """One unknown of the attacker's problem: a cell with one value, in every state that showed it so."""
    cell: tuple
    value: float | None          # the true (unsuppressed) value, None when there is none (missing)
    known: float | None = None   # published in some state
    primary: bool = False
    secondary: bool = False
    suppressed: bool = False
    unflagged: bool = False      # a primary cell withheld from publication (its row is not published)
    bounds: list = field(default_factory=lambda: [0.0, math.inf])


def _suppressed(r: dict) -> bool:
    """Suppressed by disclosure control (a value the country itself withheld is missing to everyone)."""
    return r["obs_value"] is None and (r.get("obs_conf") in ("C", "D") or bool(r.get("withheld")))


def _value(r: dict) -> float | None:
    """The cell's value: as published, or for a suppressed cell as the restricted layer has it (None where
    the auditor was not given it)."""
    return r.get("true_value") if _suppressed(r) else r["obs_value"]


def _version_id(r: dict) -> tuple:
    cell = (r["sex"], r["age"], r["offence"])
    v = _value(r)
    # Without a value a version is its submission's own: nothing links it to another state.
    return (cell, v) if v is not None else (cell, None, r.get("submission_id"))


@dataclass
class TableAudit:
    """The attacker's problem for one table: its versions and relations over every state given."""
    versions: dict = field(default_factory=dict)
    constraints: dict = field(default_factory=dict)     # (((vid, coef), ...), is_equality, gap) -> None

    def intervals(self, t, primaries=None) -> dict[tuple, tuple[float, float]]:
        """(lowest, highest) whole value of each primary version under every constraint."""
        return _solve(self, t, primaries)


def build(states: list[list[dict]], child: bool, t, rate_bounds: dict | None = None) -> TableAudit:
    """The problem of one table from its published states (oldest first; rows with obs_value as published,
    obs_conf, and true_value as in the restricted layer). rate_bounds: cell -> (low, high) a published rate
    gives the numerator of the last state."""
    a = TableAudit()
    for rows in states:
        vid_of = {}
        for r in rows:
            vid = _version_id(r)
            cell = vid[0]
            vid_of[cell] = vid
            v = a.versions.get(vid)
            if v is None:
                v = a.versions[vid] = _Version(cell, _value(r))
            v.suppressed = v.suppressed or _suppressed(r)
            if r["obs_value"] is not None:
                v.known = r["obs_value"]
            elif r.get("withheld"):
                # Not published at all: no flag says it is small, but if it is, it still needs protecting.
                v.unflagged = True
                v.primary = v.primary or (v.value is not None and 1 <= v.value <= t.suppress_max)
            elif r.get("source_confidential"):
                # Confidential in the file itself: a primary cell of any size (no flag says it is small).
                v.primary = v.unflagged = True
            elif r.get("obs_conf") == "C":
                # Not a cell the file withheld itself (Eurostat's ': c'): the restricted layer has no value of
                # it either, so there is nothing of it to protect, and it need not be 1 to suppress_max.
                v.primary = not ("true_value" in r and r["true_value"] is None)
            elif r.get("obs_conf") == "D":
                v.secondary = True
        hidden = {c for c, vid in vid_of.items() if a.versions[vid].suppressed}
        if not hidden:
            continue
        for rel, total, members in table_relations(vid_of, child):
            cells = (total, *members)
            if hidden.isdisjoint(cells):
                continue    # every cell published: nothing to learn from it
            vals = [a.versions[vid_of[c]].value for c in cells]
            if any(x is None and c not in hidden for x, c in zip(vals, cells)):
                continue    # a missing cell: the rules did not check this relation, so no one may assume it
            terms = ((vid_of[total], -1.0), *((vid_of[m], 1.0) for m in members))
            if all(x is not None for x in vals):
                gap = vals[0] - sum(vals[1:])
                # Only relations that hold (a later submission may revise a total and not its parts).
                if (rel.complete and abs(gap) > EPS) or gap < -EPS:
                    continue
                # Where members that do not cover the total happen to add up to it, a reader takes the breakdown
                # as complete (the attack on an offence total and its ICCS children): an identity too.
                a.constraints[(terms, rel.complete or abs(gap) <= EPS, 0.0)] = None
            else:
                a.constraints[(terms, rel.complete, 0.0)] = None
    for vid, v in a.versions.items():
        if v.known is not None:
            v.bounds = [v.known, v.known]
        elif v.primary and not v.unflagged:
            v.bounds = [1.0, float(t.suppress_max)]
        elif v.secondary and child:
            v.bounds = [0.0, 0.0] if v.value == 0 else [t.suppress_max + 1.0, math.inf]
    if rate_bounds and states:
        for r in states[-1]:
            b = rate_bounds.get((r["sex"], r["age"], r["offence"]))
            if b is not None:
                v = a.versions[_version_id(r)]
                v.bounds = [max(v.bounds[0], b[0]), min(v.bounds[1], b[1])]
    return a


def _components(a: TableAudit, t, primaries=None) -> list[tuple[list, list]]:
    """Connected components of unknowns (versions without a known value) through the constraints, each with
    its constraints; components holding no primary (of those given) are left out."""
    unknown = {vid for vid, v in a.versions.items() if v.bounds[0] != v.bounds[1]}
    parent = {u: u for u in unknown}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    rows = []
    for terms, eq, gap in a.constraints:
        vs = [vid for vid, _ in terms if vid in unknown]
        if not vs:
            continue
        rows.append(((terms, eq, gap), vs))
        for x in vs[1:]:
            parent[find(x)] = find(vs[0])
    groups: dict = defaultdict(lambda: ([], []))
    for u in unknown:
        groups[find(u)][0].append(u)
    for con, vs in rows:
        groups[find(vs[0])][1].append(con)
    out = []
    for variables, cons in groups.values():
        if any(a.versions[v].primary and (primaries is None or v in primaries) for v in variables):
            out.append((sorted(variables, key=_order), cons))
    return out


def _order(vid: tuple) -> tuple:
    return vid[0], str(vid[1:])


def _solve(a: TableAudit, t, primaries=None) -> dict[tuple, tuple[float, float]]:
    """(low, high) of each primary (or of those given): for a protected cell, whole values it is shown to reach
    (enough to prove the width); for another, its exact lowest and highest whole values."""
    import highspy

    width = min(t.protection_width, t.suppress_max)
    out: dict[tuple, tuple[float, float]] = {}
    for variables, cons in _components(a, t, primaries):
        index = {v: i for i, v in enumerate(variables)}
        n = len(variables)
        lower = np.array([a.versions[v].bounds[0] for v in variables])
        upper = np.array([a.versions[v].bounds[1] if a.versions[v].bounds[1] != math.inf else highspy.kHighsInf
                          for v in variables])
        starts, idx, vals, rlo, rhi = [0], [], [], [], []
        for terms, eq, gap in cons:
            const = gap
            for vid, coef in terms:
                if vid in index:
                    idx.append(index[vid])
                    vals.append(coef)
                else:
                    const += coef * a.versions[vid].bounds[0]
            starts.append(len(idx))
            rlo.append(-const if eq else -highspy.kHighsInf)
            rhi.append(-const)
        targets = [v for v in variables if a.versions[v].primary and (primaries is None or v in primaries)]
        at = [index[v] for v in targets]
        # Certificates: whole feasible points, starting with the true table; each solve adds one.
        if all(a.versions[v].value is not None for v in variables):
            lo_seen = {v: a.versions[v].value for v in targets}
        else:
            lo_seen = {v: math.inf for v in targets}
        hi_seen = {v: (lo_seen[v] if lo_seen[v] != math.inf else -math.inf) for v in targets}

        def seen(x):
            if x is not None:
                for v, j in zip(targets, at):
                    lo_seen[v], hi_seen[v] = min(lo_seen[v], x[j]), max(hi_seen[v], x[j])

        def wide(v):
            return hi_seen[v] - lo_seen[v] + 1 >= width - EPS

        solver = _Model(n, lower, upper, starts, idx, vals, rlo, rhi)
        # Solves that move every primary not yet shown wide at once, each away from the end of its range it
        # is nearest to (then towards it): most are shown wide enough by these, and only the others need a
        # solve of their own.
        for turn in (1.0, -1.0, 1.0):
            left = [(j, turn if hi_seen[v] < a.versions[v].bounds[1] else -turn)
                    for v, j in zip(targets, at) if not wide(v)]
            if not left:
                break
            seen(solver.point([j for j, _ in left], "max", [w for _, w in left]))
        for v, j in zip(targets, at):
            bound = {}
            for sense in ("max", "min"):
                if wide(v):
                    break
                value, x = solver.bound(j, sense)
                seen(x)
                bound[sense] = value
            out[v] = (bound.get("min", lo_seen[v]), bound.get("max", hi_seen[v]))
    return out


class _Model:
    """One component's LP, re-solved for each objective (HiGHS keeps the basis between solves); a bound whose
    optimal vertex is fractional is solved again with every unknown whole."""

    def __init__(self, n, lower, upper, starts, idx, vals, rlo, rhi):
        import highspy

        self.hs = highspy
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rlo)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_, lp.col_upper_ = lower, upper
        lp.row_lower_, lp.row_upper_ = np.array(rlo, dtype=float), np.array(rhi, dtype=float)
        # Rows as given, stored row-wise.
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(idx, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(vals, dtype=float)
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(rlo)
        self.lp, self.n = lp, n
        self.h = _solver("lp")
        self.h.passModel(lp)
        self.mip_ready = False
        self.all = np.arange(n, dtype=np.int32)

    def _run(self, h, cols, sense, weights=None):
        cost = np.zeros(self.n)
        cost[cols] = (1.0 if sense == "min" else -1.0) * (np.array(weights) if weights is not None else 1.0)
        h.changeColsCost(self.n, self.all, cost)
        h.run()
        if h.getModelStatus() != self.hs.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().col_value)

    def _whole(self, x):
        return x is not None and bool(np.all(np.abs(x - np.round(x)) < EPS))

    def point(self, cols, sense, weights=None) -> np.ndarray | None:
        """A whole feasible point with these unknowns' (weighted) sum lowest (min) or highest (max), if the LP
        gives one."""
        x = self._run(self.h, cols, sense, weights)
        return np.round(x) if self._whole(x) else None

    def bound(self, j, sense) -> tuple[float, np.ndarray | None]:
        """The lowest (min) or highest (max) whole value of unknown j, and a whole point attaining it."""
        x = self._run(self.h, [j], sense)
        if x is None:
            # Not solved: a table whose published facts contradict each other (never one with its true values
            # given, which are feasible). Not audited is not protected.
            return math.nan, None
        if self._whole(x):
            return float(round(x[j])), np.round(x)
        mip = _solver("mip")
        if not self.mip_ready:
            mip.passModel(self.lp)
            mip.changeColsIntegrality(self.n, self.all, np.array([self.hs.HighsVarType.kInteger] * self.n))
            self.mip_ready = True
        y = self._run(mip, [j], sense)
        if y is None:
            return math.nan, None
        return float(round(y[j])), np.round(y)


_SOLVERS: dict = {}


def _solver(kind: str):
    """One HiGHS instance per kind and process, given each component's model in turn (an instance costs more
    to make than a small LP to solve)."""
    if kind not in _SOLVERS:
        h = _new_highs()
        h.setOptionValue("output_flag", False)
        if kind == "lp":
            h.setOptionValue("presolve", "off")    # components are small: presolve costs more than it saves
        _SOLVERS[kind] = h
    return _SOLVERS[kind]


_BANNER_SHOWN = False


def _new_highs():
    """A HiGHS instance. The first one of a process prints the solver's banner on standard output (in C++,
    before any option can be set), which would go into mnr's own output: it is sent to /dev/null."""
    import os

    import highspy

    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    import sys

    sys.stdout.flush()
    sys_stdout = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(sys_stdout, 1)
        os.close(sys_stdout)
    _BANNER_SHOWN = True
    return h


def protected(interval: tuple[float, float], t) -> bool:
    lo, hi = interval
    if math.isnan(lo) or math.isnan(hi):
        return False
    return math.floor(hi + EPS) - math.ceil(lo - EPS) + 1 >= min(t.protection_width, t.suppress_max)


def table_of(r: dict) -> tuple:
    return tuple(r[c] for c in TABLE)


def rate_bounds(rates: list[dict]) -> dict[tuple, dict[tuple, tuple[float, float]]]:
    """table -> cell -> (low, high) of a numerator that a published rate or ratio gives back: the rate was
    rounded to 2 decimals (per 100,000) or 1 (per 100), and its denominator is printed beside it."""
    out: dict = defaultdict(dict)
    for r in rates:
        if r["obs_value"] is None or not r.get("denominator_value"):
            continue
        area, year, code, sex, age, off = r["numerator_key"]
        per, half = (100000.0, 0.005) if r["unit_measure"] == "RATE_100000" else (100.0, 0.05)
        den = r["denominator_value"]
        lo, hi = (r["obs_value"] - half) * den / per, (r["obs_value"] + half) * den / per
        b = out[(area, year, code)].get((sex, age, off), (0.0, math.inf))
        out[(area, year, code)][(sex, age, off)] = (max(b[0], lo), min(b[1], hi))
    return out


def leaks(rows: list[dict], rates: list[dict] = (), t=None, history: list[dict] = (),
          children: set[str] | None = None) -> list[Leak]:
    """Every primary cell the published rows (with earlier states in `history`, rows with published_at and
    superseded_at) narrow below the protection width, in a stable order. Rows carry true_value where the
    restricted layer has it; children are the child person count indicators (None: every indicator with a
    C cell)."""
    from pipelines.publish.disclosure import thresholds

    t = t or thresholds()
    by_table: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        by_table[table_of(r)].append(r)
    past: dict[tuple, list[dict]] = defaultdict(list)
    for r in history:
        past[table_of(r)].append(r)
    bounds = rate_bounds(list(rates))
    found: list[Leak] = []
    for tab in sorted(set(by_table) | set(past), key=lambda k: tuple(str(x) for x in k)):
        current = by_table.get(tab, [])
        states = [*states_of(past.get(tab, [])), current]
        if not any(r["obs_value"] is None and r.get("obs_conf") == "C" for s in states for r in s):
            continue
        child = children is None or tab[2] in children
        audit = build(states, child, t, bounds.get(tab))
        weak = {vid: iv for vid, iv in audit.intervals(t).items() if not protected(iv, t)}
        for vid in weak.keys() & already_given_away(states[:-1], child, t):
            del weak[vid]
        for vid, (lo, hi) in weak.items():
            found.append(Leak((*tab, *vid[0]), _reason(lo, hi, t), lo, hi))
    return found


def already_given_away(states: list[list[dict]], child: bool, t) -> set:
    """The primary cells that earlier states alone narrow below the width (states published before this audit
    existed): nothing published now can hide them again, so they do not hold up every later state; control
    does not try, and the release's audit does not refuse for them. A cell still protected by the earlier
    states must stay protected."""
    if not states or not any(r["obs_value"] is None and r.get("obs_conf") == "C" for s in states for r in s):
        return set()
    return {vid for vid, iv in build(states, child, t).intervals(t).items() if not protected(iv, t)}


def _reason(lo: float, hi: float, t) -> str:
    if math.isnan(lo) or math.isnan(hi):
        return "suppressed, and the published values contradict each other: the table could not be audited"
    if lo == hi:
        return f"suppressed but recomputable: it can only be {lo:g} from what is published"
    return (f"suppressed but narrowed to {lo:g} to {hi:g} by what is published (at least "
            f"{min(t.protection_width, t.suppress_max)} possible values are required)")


def states_of(history: list[dict]) -> list[list[dict]]:
    """The states a table was published in, oldest first, from its history rows (published_at, superseded_at):
    at every moment a row was published, the rows current then."""
    times = sorted({r["published_at"] for r in history if r.get("published_at")})
    out = []
    for at in times:
        out.append([r for r in history if r["published_at"] <= at
                    and (r.get("superseded_at") is None or r["superseded_at"] > at)])
    return out
