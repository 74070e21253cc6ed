"""The one definition of each breakdown (sex, age, offence) and of the relations it implies between cells.

Both the consistency rules (pipelines/quality/consistency.py: SEX_SUM, AGE_SUM, OFFENCE_SUM and the gap
warnings) and disclosure control with its audit (pipelines/publish/disclosure.py, verify.py) take their
relations from here, so what the rules enforce is exactly what an attacker may assume and what control protects.

Each code of a dimension stands for a set of "atoms" (what it counts):
  sex      F, M, _U (unknown) are atoms; _T is all three.
  age      Y{a}T{b}, Y{a}, Y_LT{n}, Y_GE{n} are the years they cover; _U is the atom "unknown age". The total
           of the indicator's universe holds every year and the unknown: for a count of children (the
           catalogue's is_child_person_count) _T and Y0T17 are both that total (0-17 and unknown); otherwise
           _T is every age and unknown, and Y0T17 is a band like any other.
  offence  the ICCS tree of seeds/cl_offence.csv (column parent): a code is the union of its children when
           they are exhaustive, that is when one of them is a residual category (ICCS codes ending in 9, or
           OTHER_...) or the parent is _T; otherwise the parent also holds offences none of its children name.
_Z (not applicable) and codes outside these forms are in no relation.

Given the codes present in a group (the other dimensions fixed), every code T with codes inside it gets one
relation per maximal family of pairwise disjoint codes inside it: an identity (members sum to T) when the
family covers T exactly, otherwise members sum to at most T. `gap_is_unknown` marks a family that would cover
T if the unknown category (_U) were given: there the shortfall is persons of unknown sex or age.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.reference import read_seed

DIMENSIONS = ("sex", "age", "offence")
TOTAL, UNKNOWN, NOT_APPLICABLE = "_T", "_U", "_Z"
MAX_AGE = 150                     # Y_GE{n} and the all-ages total run up to this year of age
_UNKNOWN_ATOM = "unknown"
_MAX_FAMILIES = 512               # maximal families of one total; far above any code list in use

_BAND = re.compile(r"^Y(\d{1,3})T(\d{1,3})$")
_SINGLE = re.compile(r"^Y(\d{1,3})$")
_LT = re.compile(r"^Y_LT(\d{1,3})$")
_GE = re.compile(r"^Y_GE(\d{1,3})$")


@dataclass(frozen=True)
class Relation:
    """sum(members) = total when complete, sum(members) <= total otherwise."""
    dimension: str
    total: str
    members: tuple[str, ...]
    complete: bool
    gap_is_unknown: bool = False


def _years(lo: int, hi: int) -> frozenset:
    return frozenset(range(lo, hi + 1))


def age_atoms(code: str, child_universe: bool) -> frozenset | None:
    universe = _years(0, 17 if child_universe else MAX_AGE) | {_UNKNOWN_ATOM}
    if code == TOTAL or (child_universe and code == "Y0T17"):
        return universe
    if code == UNKNOWN:
        return frozenset({_UNKNOWN_ATOM})
    if m := _BAND.match(code):
        lo, hi = int(m[1]), int(m[2])
        return _years(lo, hi) if lo <= hi else None
    if m := _SINGLE.match(code):
        return _years(int(m[1]), int(m[1]))
    if m := _LT.match(code):
        return _years(0, int(m[1]) - 1) if int(m[1]) > 0 else None
    if m := _GE.match(code):
        return _years(int(m[1]), MAX_AGE)
    return None


def sex_atoms(code: str) -> frozenset | None:
    if code == TOTAL:
        return frozenset({"F", "M", _UNKNOWN_ATOM})
    if code == UNKNOWN:
        return frozenset({_UNKNOWN_ATOM})
    return frozenset({code}) if code in ("F", "M") else None


def is_residual(code: str) -> bool:
    """An ICCS residual category ('other ...'): it makes its siblings exhaustive."""
    return code.endswith("9") or code.startswith("OTHER")


@lru_cache(maxsize=1)
def _offence_tree() -> dict[str, frozenset]:
    parent = {r["code"]: (r.get("parent") or None) for r in read_seed("cl_offence") if r["code"] != NOT_APPLICABLE}
    children: dict[str, list[str]] = {}
    for code, p in parent.items():
        if p:
            children.setdefault(p, []).append(code)
    atoms: dict[str, frozenset] = {}

    def walk(code: str) -> frozenset:
        if code not in atoms:
            kids = children.get(code, [])
            if not kids:
                atoms[code] = frozenset({code})
            else:
                inner = frozenset().union(*(walk(k) for k in kids))
                exhaustive = code == TOTAL or any(is_residual(k) for k in kids)
                atoms[code] = inner if exhaustive else inner | {f"{code}:rest"}
        return atoms[code]

    for code in parent:
        walk(code)
    return atoms


def offence_atoms(code: str) -> frozenset | None:
    return _offence_tree().get(code)


def atoms(dimension: str, code: str, child_universe: bool = True) -> frozenset | None:
    if dimension == "sex":
        return sex_atoms(code)
    if dimension == "age":
        return age_atoms(code, child_universe)
    return offence_atoms(code)


def _maximal_families(candidates: list[tuple[str, frozenset]]) -> list[tuple[str, ...]]:
    """Every maximal set of pairwise disjoint candidates (by inclusion), candidates in the order given."""
    out: list[tuple[str, ...]] = []

    def extend(i: int, chosen: list[int], used: frozenset) -> None:
        if len(out) >= _MAX_FAMILIES:
            return
        if i == len(candidates):
            # Maximal: no candidate left out fits beside the chosen ones.
            if all(j in chosen or candidates[j][1] & used for j in range(len(candidates))):
                out.append(tuple(candidates[j][0] for j in chosen))
            return
        code, a = candidates[i]
        if not (a & used):
            extend(i + 1, [*chosen, i], used | a)
        extend(i + 1, chosen, used)

    extend(0, [], frozenset())
    return out


def _order(dimension: str, code: str, child_universe: bool):
    """Members listed as people read them: F, M, _U; age bands by their first year; offences by code."""
    a = atoms(dimension, code, child_universe) or frozenset()
    years = [x for x in a if isinstance(x, int)]
    return (code == UNKNOWN, min(years) if years else 10**6, code)


@lru_cache(maxsize=4096)
def relations(dimension: str, codes: frozenset[str], child_universe: bool = True) -> tuple[Relation, ...]:
    """The relations among these codes of one dimension (the other dimensions fixed), in a stable order."""
    known = {c: a for c in codes if (a := atoms(dimension, c, child_universe))}
    out: list[Relation] = []
    for total in sorted(known):
        whole = known[total]
        # Inside: a proper subset, or the same set named twice (Y0T17 and _T of a count of children) once.
        inside = sorted(((c, a) for c, a in known.items() if c != total and a <= whole
                         and (a != whole or (total == TOTAL or (c != TOTAL and c > total)))),
                        key=lambda ca: _order(dimension, ca[0], child_universe))
        if not inside:
            continue
        for family in _maximal_families(inside):
            covered = frozenset().union(*(known[c] for c in family))
            complete = covered == whole
            gap_unknown = (not complete and UNKNOWN not in family
                           and covered | {_UNKNOWN_ATOM} == whole)
            out.append(Relation(dimension, total, family, complete, gap_unknown))
    return tuple(out)


Cell = tuple[str, str, str]     # (sex, age, offence) of one country, year and indicator


def table_relations(cells, child_universe: bool = True) -> list[tuple[Relation, Cell, tuple[Cell, ...]]]:
    """Every relation of a table of (sex, age, offence) cells: each dimension's relations with the other two
    fixed, as (relation, total cell, member cells)."""
    return _table_relations(frozenset(cells), child_universe)


@lru_cache(maxsize=1024)    # tables of a catalogue share a few shapes, and control asks again for each round
def _table_relations(cells: frozenset, child_universe: bool) -> list:
    out = []
    for d in range(3):
        groups: dict[tuple, set[str]] = {}
        for c in cells:
            groups.setdefault(c[:d] + c[d + 1:], set()).add(c[d])
        for rest, codes in sorted(groups.items()):
            for rel in relations(DIMENSIONS[d], frozenset(codes), child_universe):
                def cell(code, rest=rest, d=d):
                    return (*rest[:d], code, *rest[d:])
                out.append((rel, cell(rel.total), tuple(cell(m) for m in rel.members)))
    return out
