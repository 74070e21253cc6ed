"""The reference data's validator: `python -m pipelines.catalogue check` (or `make catalogue`).

The catalogue, its code lists and its labels in every language are authored as the CSV files in seeds/ (the dbt
seeds themselves: what is edited is what is loaded). This checks them together before they are used, and says
for each problem the file, row and column and how to fix it: codes unique, every domain, capability, unit,
type and category known, bounds consistent with the indicator's type, every relation and flag naming known
indicators, every label unambiguous (as pipelines.reference.normalise_label matches it, over everything the
alias table int_aliases_normalised is built from) and present in each language of the catalogue.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pycountry

from pipelines.reference import normalise_label
from pipelines.settings import SEEDS_DIR

LANGUAGES = ("en", "fr", "es", "pt", "ar")
ALIAS_LANGUAGES = (*LANGUAGES, "code", "any")      # "code": the code as written; "any": the same in several
# The fields a file's columns are mapped to (pipelines/ingest/layout.py FIELDS).
FIELDS = ("ref_area", "time_period", "indicator", "sex", "age", "offence", "value", "unit", "obs_status",
          "comment", "obs_flag", "obs_conf")
INDICATOR_TYPES = ("count", "rate", "pct", "duration", "amount", "binary", "year", "categorical", "ordinal")
DISAGGREGATIONS = ("SEX", "AGE", "OFF")
# The MNR domain each indicator code's prefix names (CTX: context figures, e.g. the child population).
DOMAIN_OF_PREFIX = {"PG": "POLICY_GOVERNANCE", "CJ": "CRIMINAL_JUSTICE", "VS": "VICTIM", "SO": "SOCIETAL",
                    "IN": "INDUSTRY", "MC": "MEDIA_COMMUNICATIONS", "CTX": "POLICY_GOVERNANCE"}
# Bounds that follow from an indicator's type (categorical and ordinal: its categories' values).
TYPE_BOUNDS = {"pct": (0, 100), "binary": (0, 1), "year": (1990, 2100)}
RELATIONS = ("le", "requires")
SEVERITIES = ("error", "warning", "info")
# Kinds of label whose codes, once they have a label in one language, need one in each.
TRANSLATED_KINDS = ("column", "sex", "age", "offence", "unit", "obs_status", "indicator")
BOOLEAN = ("true", "false")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None        # the file's line (the header is line 1)
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f" line {self.row}" if self.row else "") + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class Catalogue:
    """The seeds of a folder, read as text, and the problems found in them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[Problem] = []
        self.tables: dict[str, list[dict[str, str]]] = {}

    def rows(self, name: str) -> list[tuple[int, dict[str, str]]]:
        """(line, row) of seeds/<name>.csv."""
        if name not in self.tables:
            path = self.folder / f"{name}.csv"
            if not path.exists():
                self.problem(name, None, None, "the file is missing")
                self.tables[name] = []
            else:
                with open(path, newline="", encoding="utf-8") as f:
                    self.tables[name] = [{k: (v or "") for k, v in r.items()} for r in csv.DictReader(f)]
        return list(enumerate(self.tables[name], start=2))

    def problem(self, name: str, line: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(f"seeds/{name}.csv", line, column, message))

    def codes(self, name: str, column: str) -> set[str]:
        return {r[column] for _, r in self.rows(name)}

    def unique(self, name: str, *columns: str, optional: tuple[str, ...] = ()) -> None:
        """Each combination of these columns once; all but the optional ones given."""
        seen: dict[tuple, int] = {}
        for line, r in self.rows(name):
            key = tuple(r[c] for c in columns)
            empty = [c for c in columns if not r[c].strip() and c not in optional]
            if empty:
                self.problem(name, line, empty[0], f"{empty[0]} must not be empty")
            elif key in seen:
                self.problem(name, line, columns[-1], f"{'/'.join(k for k in key if k)} is already given on line {seen[key]}: "
                                                      "each may appear once; remove or rename one of them")
            else:
                seen[key] = line

    def known(self, name: str, line: int, column: str, value: str, allowed, what: str, empty_ok=False) -> bool:
        if (empty_ok and value == "") or value in allowed:
            return True
        shown = sorted(allowed) if len(allowed) <= 12 else f"the codes of {what}"
        self.problem(name, line, column, f"'{value}' is not a known {what.split(' (')[0]}; use one of {shown}")
        return False


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check(folder: Path = SEEDS_DIR) -> list[Problem]:
    """Every problem of the seeds in this folder (none: they may be loaded)."""
    cat = Catalogue(folder)
    _code_lists(cat)
    _domains(cat)
    _indicators(cat)
    _names_and_categories(cat)
    _relations(cat)
    _aliases(cat)
    _others(cat)
    return cat.problems


def _code_lists(cat: Catalogue) -> None:
    for name in ("cl_sex", "cl_age", "cl_offence", "cl_obs_status", "cl_obs_conf", "cl_unit_measure"):
        cat.unique(name, "code")
        for line, r in cat.rows(name):
            if not r["label"].strip():
                cat.problem(name, line, "label", f"code {r['code']} has no label")
    offences = cat.codes("cl_offence", "code")
    for line, r in cat.rows("cl_offence"):
        cat.known("cl_offence", line, "parent", r["parent"], offences, "offence (cl_offence.csv)", empty_ok=True)
    for line, r in cat.rows("cl_age"):
        lo, hi = _number(r["age_lower"]) if r["age_lower"] else None, _number(r["age_upper"]) if r["age_upper"] else None
        if lo is not None and hi is not None and lo > hi:
            cat.problem("cl_age", line, "age_upper", f"{r['code']}: the upper age {r['age_upper']} is below the "
                                                     f"lower age {r['age_lower']}")
        child = "true" if hi is not None and hi <= 17 else "false"
        if r["is_child_band"] != child:
            cat.problem("cl_age", line, "is_child_band", f"{r['code']}: is_child_band is {child} for a band whose "
                                                         f"upper age is {r['age_upper'] or 'open'}")
    cat.unique("ref_areas", "ref_area")
    cat.unique("ref_areas", "iso2")
    for line, r in cat.rows("ref_areas"):
        if not re.fullmatch(r"[A-Z]{3}", r["ref_area"]) or not re.fullmatch(r"[A-Z]{2}", r["iso2"]):
            cat.problem("ref_areas", line, "ref_area", "ref_area is 3 capital letters (ISO 3166-1 alpha-3) and "
                                                        "iso2 2 (alpha-2)")
        if not re.fullmatch(r"\d{3}", r["m49_code"]) or not r["name"].strip():
            cat.problem("ref_areas", line, "m49_code", f"{r['ref_area']}: the M49 code has 3 digits (e.g. 004) "
                                                        "and the name is given")
        iso = pycountry.countries.get(alpha_3=r["ref_area"])
        if iso is not None and (iso.alpha_2, iso.numeric) != (r["iso2"], r["m49_code"]):
            cat.problem("ref_areas", line, "iso2", f"{r['ref_area']} is {iso.alpha_2} and {iso.numeric} in ISO "
                                                    f"3166-1, not {r['iso2']} and {r['m49_code']}")


def _domains(cat: Catalogue) -> None:
    cat.unique("mnr_domains", "domain_code")
    domains = cat.codes("mnr_domains", "domain_code")
    cat.unique("mnr_capabilities", "capability")
    caps = []
    for line, r in cat.rows("mnr_capabilities"):
        cat.known("mnr_capabilities", line, "domain_code", r["domain_code"], domains, "MNR domain (mnr_domains.csv)")
        if not r["capability"].isdigit():
            cat.problem("mnr_capabilities", line, "capability", f"'{r['capability']}' is not a capability number")
        else:
            caps.append(int(r["capability"]))
    if sorted(caps) != list(range(1, len(caps) + 1)):
        cat.problem("mnr_capabilities", None, "capability", "the capabilities are numbered 1, 2, 3, ... without gaps")


def _indicators(cat: Catalogue) -> None:
    name = "indicators"
    cat.unique(name, "indicator_code")
    domains = cat.codes("mnr_domains", "domain_code")
    domain_of = {r["capability"]: r["domain_code"] for _, r in cat.rows("mnr_capabilities")}
    units = cat.codes("cl_unit_measure", "code")
    codes = cat.codes(name, "indicator_code")
    values = {}
    for _, r in cat.rows("indicator_categories"):
        values.setdefault(r["indicator_code"], []).append(_number(r["value"]))
    unit_measure: dict[str, tuple[str, int]] = {}
    for line, r in cat.rows(name):
        code = r["indicator_code"]

        def bad(column: str, message: str) -> None:
            cat.problem(name, line, column, f"{code}: {message}")

        if not re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", code):
            bad("indicator_code", "an indicator code is capital letters, digits and underscores, e.g. CJ_CONVICTIONS")
        if not r["indicator_name"].strip() or not r["description"].strip():
            bad("indicator_name", "the indicator needs an English name and a description")
        if cat.known(name, line, "mnr_domain", r["mnr_domain"], domains, "MNR domain (mnr_domains.csv)"):
            prefix = DOMAIN_OF_PREFIX.get(code.split("_", 1)[0])
            if prefix != r["mnr_domain"]:
                bad("mnr_domain", f"its prefix names the domain {prefix or 'of no known prefix'} "
                                  f"({', '.join(DOMAIN_OF_PREFIX)}), not {r['mnr_domain']}")
        if cat.known(name, line, "mnr_capability", r["mnr_capability"], set(domain_of), "MNR capability (1-21)"):
            if domain_of[r["mnr_capability"]] != r["mnr_domain"]:
                bad("mnr_capability", f"capability {r['mnr_capability']} belongs to "
                                      f"{domain_of[r['mnr_capability']]}, not to {r['mnr_domain']}")
        related = r["related_capabilities"].split("|")
        if r["mnr_capability"] not in related or not set(related) <= set(domain_of):
            bad("related_capabilities", "list the known capabilities separated by |, the indicator's own "
                                        f"({r['mnr_capability']}) among them")
        type_ok = cat.known(name, line, "indicator_type", r["indicator_type"], INDICATOR_TYPES, "indicator type")
        if cat.known(name, line, "unit_measure", r["unit_measure"], units, "unit (cl_unit_measure.csv)"):
            first = unit_measure.setdefault(r["unit"], (r["unit_measure"], line))
            if first[0] != r["unit_measure"]:
                bad("unit_measure", f"the unit '{r['unit']}' is {first[0]} on line {first[1]}: one unit, one code")
        given = [d for d in r["disaggregations"].split("|") if d]
        if not set(given) <= set(DISAGGREGATIONS) or len(set(given)) != len(given):
            bad("disaggregations", f"breakdowns are {', '.join(DISAGGREGATIONS)}, each once, separated by |")
        for column in ("is_child_person_count", "is_extension", "is_restricted"):
            if r[column] not in BOOLEAN:
                bad(column, "write true or false")
        if r["yoy_tolerance_pct"] and not (_number(r["yoy_tolerance_pct"]) or 0) > 0:
            bad("yoy_tolerance_pct", "the year-on-year tolerance is a percentage above 0, or empty")
        if r["required_flag"]:
            cat.known(name, line, "required_flag", r["required_flag"], codes, "indicator (indicators.csv)")
        lo = _number(r["min_value"]) if r["min_value"] else None
        hi = _number(r["max_value"]) if r["max_value"] else None
        if (r["min_value"] and lo is None) or (r["max_value"] and hi is None):
            bad("min_value", "the bounds are numbers (or empty for no bound)")
            continue
        if lo is not None and hi is not None and lo > hi:
            bad("max_value", f"the maximum {r['max_value']} is below the minimum {r['min_value']}")
        if not type_ok:
            continue
        typ = r["indicator_type"]
        if typ in ("categorical", "ordinal"):
            vals = [v for v in values.get(code, []) if v is not None]
            if not vals:
                bad("indicator_type", "a categorical or ordinal indicator needs its categories in "
                                      "indicator_categories.csv")
            elif (lo, hi) != (min(vals), max(vals)):
                bad("min_value", f"the bounds are its categories' values, {min(vals):g} to {max(vals):g}")
        elif typ in TYPE_BOUNDS:
            want_lo, want_hi = TYPE_BOUNDS[typ]
            if lo != want_lo or hi != want_hi:
                bad("min_value", f"a {typ} indicator's bounds are {want_lo} to {want_hi}")
        elif lo is None or lo < 0:
            bad("min_value", f"a {typ} is never negative: the minimum is 0 or more")


def _names_and_categories(cat: Catalogue) -> None:
    inds = {r["indicator_code"]: r for _, r in cat.rows("indicators")}
    cat.unique("indicator_names", "indicator_code", "language")
    have = defaultdict(set)
    for line, r in cat.rows("indicator_names"):
        if not cat.known("indicator_names", line, "indicator_code", r["indicator_code"], set(inds),
                         "indicator (indicators.csv)"):
            continue
        cat.known("indicator_names", line, "language", r["language"], LANGUAGES, "language")
        have[r["indicator_code"]].add(r["language"])
        if not r["name"].strip():
            cat.problem("indicator_names", line, "name", f"{r['indicator_code']} has an empty {r['language']} name")
        if r["language"] == "en" and r["name"] != inds[r["indicator_code"]]["indicator_name"]:
            cat.problem("indicator_names", line, "name", f"the English name of {r['indicator_code']} is its "
                                                         "indicator_name in indicators.csv")
    for code in inds:
        for lang in LANGUAGES:
            if lang not in have[code]:
                cat.problem("indicator_names", None, "name", f"{code} has no name in '{lang}': add a row "
                                                             f"{code},{lang},<name>")
    cat.unique("indicator_categories", "indicator_code", "value")
    cat.unique("indicator_categories", "indicator_code", "category_code")
    for line, r in cat.rows("indicator_categories"):
        ind = inds.get(r["indicator_code"])
        if ind is None or ind["indicator_type"] not in ("categorical", "ordinal"):
            cat.problem("indicator_categories", line, "indicator_code", f"{r['indicator_code']} is not a "
                                                                        "categorical or ordinal indicator")
        if not r["value"].isdigit() or not r["category_label"].strip():
            cat.problem("indicator_categories", line, "value", "a category has a whole number as its value and a label")


def _relations(cat: Catalogue) -> None:
    inds = cat.codes("indicators", "indicator_code")
    cat.unique("indicator_relations", "rule_id")
    requires = set()
    for line, r in cat.rows("indicator_relations"):
        cat.known("indicator_relations", line, "relation", r["relation"], RELATIONS, "relation")
        for column in ("lhs_indicator", "rhs_indicator"):
            cat.known("indicator_relations", line, column, r[column], inds, "indicator (indicators.csv)")
        cat.known("indicator_relations", line, "severity", r["severity"], SEVERITIES, "severity")
        if r["relation"] == "requires":
            requires.add((r["lhs_indicator"], r["rhs_indicator"]))
    for line, r in cat.rows("indicators"):
        if r["required_flag"] and (r["indicator_code"], r["required_flag"]) not in requires:
            cat.problem("indicators", line, "required_flag", f"{r['indicator_code']} requires {r['required_flag']}: "
                        "add the 'requires' relation to indicator_relations.csv")


def _alias_labels(cat: Catalogue):
    """(file, line, kind, label, code, country) of every label a file may use, as int_aliases_normalised unions
    them: the two alias tables, each code list's codes and labels, the countries' codes and names and the
    indicators' codes and English names."""
    for name in ("aliases", "country_aliases"):
        for line, r in cat.rows(name):
            yield name, line, r["kind"], r["alias"], r["code"], r["country"]
    for kind, name, columns in (("sex", "cl_sex", ("code", "label")), ("age", "cl_age", ("code", "label")),
                                ("offence", "cl_offence", ("code", "label")),
                                ("obs_status", "cl_obs_status", ("code", "label")),
                                ("obs_conf", "cl_obs_conf", ("code", "label")), ("unit", "cl_unit_measure", ("code",)),
                                ("ref_area", "ref_areas", ("ref_area", "iso2", "name")),
                                ("indicator", "indicators", ("indicator_code", "indicator_name"))):
        key = "indicator_code" if name == "indicators" else "ref_area" if name == "ref_areas" else "code"
        for line, r in cat.rows(name):
            for column in columns:
                yield name, line, kind, r[column], r[key], ""


def _aliases(cat: Catalogue) -> None:
    known = {"column": set(FIELDS), "indicator": cat.codes("indicators", "indicator_code"),
             "sex": cat.codes("cl_sex", "code"), "age": cat.codes("cl_age", "code"),
             "offence": cat.codes("cl_offence", "code"), "unit": cat.codes("cl_unit_measure", "code"),
             "obs_status": cat.codes("cl_obs_status", "code"), "obs_conf": cat.codes("cl_obs_conf", "code"),
             "ref_area": cat.codes("ref_areas", "ref_area")}
    countries = known["ref_area"]
    for name in ("aliases", "country_aliases"):
        cat.unique(name, "kind", "alias", "country", optional=("country",))
        for line, r in cat.rows(name):
            if not cat.known(name, line, "kind", r["kind"], set(known), "kind of label"):
                continue
            cat.known(name, line, "code", r["code"], known[r["kind"]], f"{r['kind']} code")
            cat.known(name, line, "country", r["country"], countries, "country (ref_areas.csv)", empty_ok=True)
            if name == "aliases":
                cat.known(name, line, "language", r["language"], ALIAS_LANGUAGES, "language")
            elif not r["country"]:
                cat.problem(name, line, "country", "a country's own label names its country")
    # One code per label as matched: per kind and country (a country's own labels may differ from the shared ones).
    first: dict[tuple[str, str, str], tuple[str, str, int, str]] = {}
    for name, line, kind, label, code, country in _alias_labels(cat):
        key = normalise_label(label)
        if not key:
            cat.problem(name, line, None, f"the label '{label}' has no letter or digit, so it matches nothing")
            continue
        seen = first.setdefault((kind, key, country), (code, name, line, label))
        if seen[0] != code:
            cat.problem(name, line, None, f"the {kind} label '{label}' ({code}) reads as '{seen[3]}' "
                                          f"({seen[0]}, seeds/{seen[1]}.csv line {seen[2]}): a label names one "
                                          "code; change or remove one of them")
    # Each language's labels present.
    langs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for _, r in cat.rows("aliases"):
        if r["kind"] in TRANSLATED_KINDS and not r["country"] and r["language"] not in ("code", ""):
            langs[(r["kind"], r["code"])] |= set(LANGUAGES) if r["language"] == "any" else {r["language"]}
    for (kind, code), have in sorted(langs.items()):
        for lang in LANGUAGES:
            if lang not in have:
                cat.problem("aliases", None, "language", f"the {kind} {code} has labels but none in '{lang}': "
                                                         f"add a row {kind},<label>,{code},{lang},")
    # Every indicator name is a label of its indicator (the SDMX code list and the reports show them).
    matched = {(normalise_label(r["alias"]), r["code"]) for _, r in cat.rows("aliases") if r["kind"] == "indicator"}
    for line, r in cat.rows("indicator_names"):
        if r["name"] and (normalise_label(r["name"]), r["indicator_code"]) not in matched:
            cat.problem("indicator_names", line, "name", f"the name is not a label of {r['indicator_code']}: add a "
                                                         f"row indicator,\"{r['name']}\",{r['indicator_code']},"
                                                         f"{r['language']}, to aliases.csv")


def _others(cat: Catalogue) -> None:
    inds = cat.codes("indicators", "indicator_code")
    countries = cat.codes("ref_areas", "ref_area")
    statuses, confs = cat.codes("cl_obs_status", "code"), cat.codes("cl_obs_conf", "code")
    known = {"ref_area": countries, "sex": cat.codes("cl_sex", "code"), "age": cat.codes("cl_age", "code"),
             "unit": cat.codes("cl_unit_measure", "code")}
    cat.unique("standard_codes", "kind", "code_as_written")
    for line, r in cat.rows("standard_codes"):
        if cat.known("standard_codes", line, "kind", r["kind"], set(known), "kind of code"):
            cat.known("standard_codes", line, "code", r["code"], known[r["kind"]], f"{r['kind']} code",
                      empty_ok=bool(r["scope"]))
    cat.unique("obs_flags", "source", "flag")
    for line, r in cat.rows("obs_flags"):
        cat.known("obs_flags", line, "obs_status", r["obs_status"], statuses, "observation status", empty_ok=True)
        cat.known("obs_flags", line, "obs_conf", r["obs_conf"], confs, "confidentiality status", empty_ok=True)
    cat.unique("reporting_obligations", "country", "indicator_code", optional=("country",))
    for line, r in cat.rows("reporting_obligations"):
        cat.known("reporting_obligations", line, "country", r["country"], countries, "country", empty_ok=True)
        cat.known("reporting_obligations", line, "indicator_code", r["indicator_code"], inds, "indicator")
        cat.known("reporting_obligations", line, "required", r["required"], BOOLEAN, "true/false value")
    cat.unique("indicator_age_scope", "indicator_code")
    for line, r in cat.rows("indicator_age_scope"):
        cat.known("indicator_age_scope", line, "indicator_code", r["indicator_code"], inds, "indicator")
    cat.unique("child_population", "ref_area", "time_period", "sex")
    for line, r in cat.rows("child_population"):
        cat.known("child_population", line, "ref_area", r["ref_area"], countries, "country")
        cat.known("child_population", line, "sex", r["sex"], known["sex"], "sex code")
        if not r["time_period"].isdigit() or (_number(r["obs_value"]) or -1) < 0:
            cat.problem("child_population", line, "obs_value", "the year is a whole number and the population a "
                                                               "number of 0 or more")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["check"]:
        print("usage: python -m pipelines.catalogue check", file=sys.stderr)
        return 2
    problems = check()
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in seeds/: fix them before loading "
              "the reference data (mnr reference, dbt seed)", file=sys.stderr)
        return 1
    print(f"seeds/: {len(list(SEEDS_DIR.glob('*.csv')))} files checked, no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
