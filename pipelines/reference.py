"""Reference data (the dbt seeds) as Python sees it: read straight from seeds/*.csv, cached per process."""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache

from pipelines.settings import SEEDS_DIR

# The one definition of how labels are matched: accents, case, punctuation and spacing ignored. Words are ASCII
# letters and digits and the Arabic block's letters and digits (its punctuation, e.g. the Arabic comma U+060C, and
# symbols separate words as Latin punctuation does); % and the Arabic percent sign read as "percent". The dbt
# macro norm_label() is this rule written for DuckDB and Postgres (which normalise every raw cell in SQL);
# tests/unit/test_reference.py and tests/integration/test_postgres.py hold them to the same answer on every label
# of every seed and on every character of the scripts labels are written in.
_NON_WORD = re.compile(r"[^0-9a-z\u0620-\u064a\u0660-\u0669\u066e\u066f\u0671-\u06d3\u06d5\u06e5\u06e6\u06ee-\u06fc\u06ff]+")
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670\u0640]")


def normalise_label(text: object) -> str:
    if text is None:
        return ""
    s = unicodedata.normalize("NFD", str(text))
    s = "".join(c for c in s if unicodedata.category(c)[0] != "M")
    s = _ARABIC_MARKS.sub("", s.lower()).replace("%", " percent ").replace("\u066a", " percent ")
    return _NON_WORD.sub(" ", s).strip()


def read_seed(name: str) -> list[dict[str, str]]:
    """The rows of seeds/<name>.csv (copies: callers may change them without touching the cache)."""
    return [dict(r) for r in _seed_rows(name)]


@lru_cache(maxsize=None)
def _seed_rows(name: str) -> tuple[dict[str, str], ...]:
    # Read once per process: ingest asks for the aliases of every file of every country.
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


@lru_cache(maxsize=None)
def country_codes() -> frozenset[str]:
    return frozenset(r["ref_area"] for r in read_seed("ref_areas"))


@lru_cache(maxsize=None)
def indicators() -> dict[str, dict[str, str]]:
    return {r["indicator_code"]: r for r in read_seed("indicators")}


def alias_rows() -> list[dict[str, str]]:
    """The shared aliases and the countries' own labels (seeds/country_aliases.csv, edited by hand)."""
    return read_seed("aliases") + read_seed("country_aliases")


@lru_cache(maxsize=None)
def _normalised_alias_rows() -> tuple[tuple[str, str, str, str], ...]:
    """(kind, normalised alias, code, country) for every alias row, normalised once per process."""
    return tuple((r["kind"], normalise_label(r["alias"]), r["code"], r.get("country") or "")
                 for r in _seed_rows("aliases") + _seed_rows("country_aliases"))


@lru_cache(maxsize=None)
def aliases(kind: str, country: str | None = None) -> dict[str, str]:
    """Normalised label -> code for one kind of label; a country's own labels win over the shared ones."""
    shared: dict[str, str] = {}
    own: dict[str, str] = {}
    for k, key, code, c in _normalised_alias_rows():
        if k != kind:
            continue
        if not c:
            shared[key] = code
        elif c == country:
            own[key] = code
    return {**shared, **own}


@lru_cache(maxsize=None)
def known_labels(kind: str) -> dict[str, tuple[str, str]]:
    """Normalised label -> (label as written, code), for suggesting the closest known labels."""
    out: dict[str, tuple[str, str]] = {}
    for r in alias_rows():
        if r["kind"] == kind and not r.get("country"):
            out.setdefault(normalise_label(r["alias"]), (r["alias"], r["code"]))
    return out


def closest_labels(kind: str, label: str, limit: int = 3) -> list[str]:
    """The known labels nearest to an unknown one, one per code, as 'label (CODE)'."""
    from rapidfuzz import fuzz, process

    choices = known_labels(kind)
    out: list[str] = []
    codes: set[str] = set()
    for key, _score, _ in process.extract(normalise_label(label), list(choices), scorer=fuzz.token_ratio,
                                          limit=limit * 4, score_cutoff=55):
        text, code = choices[key]
        if code not in codes:
            codes.add(code)
            out.append(text if text == code else f"{text} ({code})")
        if len(out) == limit:
            break
    return out


# The code lists whose codes and labels a file may use as they are, per kind of label. dbt's
# int_aliases_normalised adds the same ones to the alias seed in SQL; this is their Python side, for the readers
# that decide before dbt runs (mnr map, mnr submit --split).
_CODE_LISTS = {"sex": "cl_sex", "age": "cl_age", "offence": "cl_offence", "obs_status": "cl_obs_status",
               "obs_conf": "cl_obs_conf", "unit": "cl_unit_measure"}


@lru_cache(maxsize=None)
def catalogue_choices(kind: str) -> dict[str, tuple[str, str]]:
    """Normalised label -> (label as written, code) for every shared label of a kind, in every language: the
    alias seed first, then the code lists' own codes and labels (as int_aliases_normalised has them)."""
    out = dict(known_labels(kind))
    extra: list[tuple[str, str]] = []
    if kind in _CODE_LISTS:
        extra = [(r[c], r["code"]) for r in read_seed(_CODE_LISTS[kind]) for c in ("code", "label")]
    elif kind == "ref_area":
        extra = [(r[c], r["ref_area"]) for r in read_seed("ref_areas") for c in ("ref_area", "iso2", "name")]
    elif kind == "indicator":
        extra = [(r[c], r["indicator_code"]) for r in read_seed("indicators") for c in ("indicator_code", "indicator_name")]
    for label, code in extra:
        key = normalise_label(label)
        if key:
            out.setdefault(key, (label, code))
    return out


def catalogue_label_code(kind: str, label: str, country: str | None = None) -> str | None:
    """The code a label stands for, as dbt maps it: the country's own labels first, then the shared ones."""
    key = normalise_label(label)
    own = aliases(kind, country)
    if key in own:
        return own[key]
    hit = catalogue_choices(kind).get(key)
    return hit[1] if hit else None


def closest_codes(kind: str, label: str, limit: int = 4, cutoff: float = 55) -> list[tuple[str, str, int]]:
    """The catalogue codes nearest to a label, over the labels of every language: (code, nearest label, score
    0-100), one per code, best first."""
    from rapidfuzz import fuzz, process

    choices = catalogue_choices(kind)
    out: list[tuple[str, str, int]] = []
    for key, score, _ in process.extract(normalise_label(label), list(choices), scorer=fuzz.token_ratio,
                                         limit=limit * 6, score_cutoff=cutoff):
        text, code = choices[key]
        if code not in {c for c, _, _ in out}:
            out.append((code, text, round(score)))
        if len(out) == limit:
            break
    return out
