"""Codes as agencies write them, read into the catalogue's codes (DESIGN.md section 5).

The labels of seeds/aliases.csv are matched in dbt (int_observations_mapped). What a fixed list of labels cannot
hold is read here, once per distinct value of a submission, and handed to dbt as raw.codes:
- age bands in any of their forms (Y15T17, Y_LT18, Y_GE18, "15-17", "0 to 14", "under 18", "18+",
  "Age not known"), with their bounds, so that dbt can judge them against the indicator;
- ICCS codes with their prefix (ICCS030221 -> 030221);
- UN M49 numeric country codes (4, 004 -> AFG);
- SDMX and Eurostat codes that differ from ours (seeds/standard_codes.csv: EL, UK, T, NAP, UNK, NR, PC, P_HTHAB,
  the Eurostat aggregates), some of them out of scope rather than codes (a rate per inhabitants is not a count);
- Eurostat observation flags (seeds/obs_flags.csv), which may be combined (`bep`);
- a reference year written as a span of two years (2018/19, 2020-2021: a financial, school or survey year), read
  as the year it ends, as UNICEF (custodian of SDG 16.2.3) dates survey data by the end of fieldwork
  (TIME_PERIOD_METHOD EOF), and SDMX's guidelines on non-calendar years date a fiscal year ending in 2015 as 2015.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.reference import normalise_label, read_seed


@dataclass(frozen=True)
class Code:
    code: str | None                 # the catalogue's code, or None when the value is out of scope
    scope: str | None = None         # why the row is left out (e.g. PER_INHABITANTS), None when in scope
    age_lower: int | None = None
    age_upper: int | None = None
    conf: str | None = None          # the confidentiality a flag carries (obs_flag only)


@lru_cache(maxsize=None)
def _standard() -> dict[tuple[str, str], Code]:
    return {(r["kind"], normalise_label(r["code_as_written"])): Code(r["code"] or None, r["scope"] or None)
            for r in read_seed("standard_codes")}


@lru_cache(maxsize=None)
def _flags() -> dict[str, dict[str, str]]:
    return {r["flag"]: r for r in read_seed("obs_flags")}


@lru_cache(maxsize=None)
def _m49() -> dict[int, str]:
    return {int(r["m49_code"]): r["ref_area"] for r in read_seed("ref_areas") if r["m49_code"].isdigit()}


@lru_cache(maxsize=None)
def _offences() -> frozenset[str]:
    return frozenset(r["code"] for r in read_seed("cl_offence"))


_YEARS = r"(?: (?:years?|yrs?|ans?|anos?|anos de edad|anos|años|year olds?|ano|sana|عاما|سنة))?"
_AGE_FORMS = [
    # normalised text (normalise_label: lower case, accents and punctuation gone) -> (lower, upper)
    (re.compile(r"^y(\d{1,3})t(\d{1,3})$"), lambda a, b: (a, b)),
    (re.compile(r"^y(\d{1,3})$"), lambda a: (a, a)),
    (re.compile(r"^y lt(\d{1,3})$"), lambda n: (0, n - 1)),
    (re.compile(r"^y ge(\d{1,3})$"), lambda n: (n, None)),
    (re.compile(r"^y gt(\d{1,3})$"), lambda n: (n + 1, None)),
    (re.compile(rf"^(?:de |from |entre |aged? |edad )?(\d{{1,3}})(?: to | a | e | y | et | and | )(\d{{1,3}}){_YEARS}$"),
     lambda a, b: (a, b)),
    (re.compile(rf"^(?:under|less than|below|younger than|menos de|menores de|moins de|menor de|menores de|"
                rf"abaixo de|inferior a|lt)(?: age)? (\d{{1,3}}){_YEARS}$"), lambda n: (0, n - 1)),
    (re.compile(rf"^(\d{{1,3}}){_YEARS} (?:and over|and above|and older|or older|or over|plus|et plus|y mas|"
                rf"e mais|ou plus|o mas|ans et plus)$"), lambda n: (n, None)),
    (re.compile(rf"^(?:over|older than|plus de|mas de|mais de|stariji od) (\d{{1,3}}){_YEARS}$"),
     lambda n: (n + 1, None)),
]
_AGE_UNKNOWN = {"age not known", "unknown", "unknown age", "not known", "not stated", "age unknown", "unk",
                "inconnu", "age inconnu", "desconocido", "edad desconocida", "desconhecido", "idade desconhecida",
                "no especificado", "non precise", "not specified"}
_PLUS = re.compile(r"^\s*(\d{1,3})\s*\+\s*$")   # "18+" loses its "+" to normalise_label
_LESS = re.compile(r"^\s*<\s*(\d{1,3})\s*$")
_AT_LEAST = re.compile(r"^\s*(?:>=|≥)\s*(\d{1,3})\s*$")


def age_band(text: str) -> Code | None:
    """An age band as written, as a Y{a}T{b} / Y_GE{n} code with its bounds; None when the text is no band."""
    raw = str(text).strip()
    bounds = None
    for pattern, rule in ((_PLUS, lambda n: (n, None)), (_LESS, lambda n: (0, n - 1)),
                          (_AT_LEAST, lambda n: (n, None))):
        m = pattern.match(raw)
        if m:
            bounds = rule(int(m.group(1)))
    key = normalise_label(raw)
    if key in _AGE_UNKNOWN:
        return Code("_U")
    for pattern, rule in ([] if bounds else _AGE_FORMS):
        m = pattern.match(key)
        if m:
            bounds = rule(*(int(g) for g in m.groups()))
            break
    if bounds is None:
        return None
    lower, upper = bounds
    if upper is not None and (upper < lower or upper > 130):
        return None
    if upper is None:
        return Code(f"Y_GE{lower}", age_lower=lower)
    return Code(f"Y{lower}T{upper}", age_lower=lower, age_upper=upper)


_ICCS = re.compile(r"^\s*iccs[\s_-]*(\d{2,8})\s*$", re.IGNORECASE)


def offence(text: str) -> Code | None:
    m = _ICCS.match(str(text))
    return Code(m.group(1)) if m and m.group(1) in _offences() else None


def ref_area(text: str) -> Code | None:
    s = str(text).strip()
    if s.isdigit() and len(s) <= 3 and int(s) in _m49():
        return Code(_m49()[int(s)])
    return None


def obs_flag(text: str) -> Code | None:
    """Eurostat flags, one letter each and possibly several (`bep`, `e p`): the status of the flag that matters
    most to a user (seeds/obs_flags.csv priority), and the confidentiality if any flag carries one."""
    letters = [c for c in str(text).strip() if not c.isspace()]
    rows = [_flags().get(c) for c in letters]
    if not letters or any(r is None for r in rows):
        return None
    ranked = sorted((r for r in rows if r["obs_status"]), key=lambda r: int(r["priority"]))
    conf = next((r["obs_conf"] for r in rows if r["obs_conf"]), None)
    return Code(ranked[0]["obs_status"] if ranked else "A", conf=conf)


_SPAN = re.compile(r"^\s*((?:19|20)\d\d)\s*[/\-\u2013\u2014]\s*(\d\d|(?:19|20)\d\d)\s*$")


def year_span(text: str) -> Code | None:
    """A span of two consecutive years (2018/19, 2018-19, 2018/2019, 2020-2021) as the year it ends; None for
    anything else (a single year is read by dbt; 2015-2020 is no reference year)."""
    m = _SPAN.match(str(text))
    if not m:
        return None
    start, end = int(m.group(1)), m.group(2)
    end_year = int(end) if len(end) == 4 else (start // 100) * 100 + int(end) + (100 if int(end) < start % 100 else 0)
    return Code(str(end_year)) if end_year == start + 1 else None


_PARSERS = {"age": age_band, "offence": offence, "ref_area": ref_area, "obs_flag": obs_flag,
            "time_period": year_span}


def resolve(field: str, value: str) -> Code | None:
    """The code for a value that the alias tables do not hold, or None (then dbt's aliases decide)."""
    std = _standard().get((field, normalise_label(value)))
    if std is not None:
        return std
    parser = _PARSERS.get(field)
    return parser(value) if parser else None


# The fields whose codes are resolved here (and, for those this leaves open, by dbt's aliases).
CODED_FIELDS = ("ref_area", "indicator", "sex", "age", "offence", "unit", "obs_status", "obs_flag", "obs_conf",
                "time_period")
CODE_COLUMNS = ("field", "value_raw", "code", "scope", "age_lower", "age_upper")


def code_rows(records, mapping=None) -> list[tuple]:
    """raw.codes for one submission: each distinct value of each coded field that a mapping or a reader here
    resolves, as (field, value as written, code, scope, age_lower, age_upper). A flag's confidentiality is a row
    of its own (field obs_flag_conf)."""
    out: list[tuple] = []
    for f in CODED_FIELDS:
        col = f"{f}_raw"
        if col not in records or not len(records):
            continue
        for value in records[col].dropna().unique():
            listed, mapped = mapping.code_for(f, value) if mapping is not None else (False, None)
            code = Code(mapped) if listed else None
            if code is not None and f == "age" and mapped:
                parsed = age_band(mapped)      # a mapped age band keeps its bounds for the judgement in dbt
                code = parsed if parsed is not None and parsed.code == mapped else code
            if code is None:
                code = resolve(f, value)
            if code is None:
                continue
            out.append((f, value, code.code, code.scope, code.age_lower, code.age_upper))
            if f == "obs_flag" and code.conf:
                out.append(("obs_flag_conf", value, code.conf, None, None, None))
    return out


def catalogue_code(field: str, value: str, country: str | None = None, mapping=None) -> Code | None:
    """The code a value of a file stands for, decided in Python as int_observations_mapped decides it in dbt: the
    file's mapping, then the readers here, then the labels (the country's own first). None when unknown; a Code
    whose code is None when the value is out of scope."""
    if mapping is not None:
        listed, mapped = mapping.code_for(field, value)
        if listed:
            return Code(mapped, scope=None if mapped else "MAPPING")
    found = resolve(field, value)
    if found is not None:
        return found
    from pipelines.reference import catalogue_label_code

    code = catalogue_label_code(field, value, country)
    return Code(code) if code else None
