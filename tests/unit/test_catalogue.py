"""The authored reference data (seeds/*.csv) and its validator: the seeds as they are pass, and each kind of
defect a statistician or translator could make is caught with the file, line and column and how to fix it."""

import csv
import shutil
import subprocess
import sys

import pytest

from pipelines.catalogue import check
from pipelines.settings import REPO_ROOT, SEEDS_DIR


def test_the_seeds_pass_the_validator():
    assert [str(p) for p in check()] == []


def test_the_command_checks_the_seeds():
    done = subprocess.run([sys.executable, "-m", "pipelines.catalogue", "check"], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no problems" in done.stdout


def _edit(folder, name, change):
    """Apply change(rows) to seeds/<name>.csv in the copy (rows: list of dicts, header kept)."""
    path = folder / f"{name}.csv"
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    rows = change(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _set(rows, match, **values):
    hit = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert hit, match
    for r in hit:
        r.update(values)
    return rows


def _add(rows, **values):
    return [*rows, {k: values.get(k, "") for k in rows[0]}]


# (seed, the change, what the problem names)
DEFECTS = {
    "duplicate indicator code": ("indicators", lambda rows: [*rows, dict(rows[0])],
                                 "indicators.csv line 68, column indicator_code: CJ_CASES_OPENED is already given on line 2"),
    "unknown domain": ("indicators", lambda rows: _set(rows, {"indicator_code": "CJ_CONVICTIONS"}, mnr_domain="JUSTICE"),
                       "'JUSTICE' is not a known MNR domain"),
    "capability of another domain": ("indicators",
                                     lambda rows: _set(rows, {"indicator_code": "CJ_CONVICTIONS"}, mnr_capability="1"),
                                     "CJ_CONVICTIONS: capability 1 belongs to POLICY_GOVERNANCE, not to CRIMINAL_JUSTICE"),
    "unknown unit": ("indicators", lambda rows: _set(rows, {"indicator_code": "CJ_CONVICTIONS"}, unit_measure="HEADS"),
                     "'HEADS' is not a known unit"),
    "unknown type": ("indicators", lambda rows: _set(rows, {"indicator_code": "CJ_CONVICTIONS"}, indicator_type="tally"),
                     "'tally' is not a known indicator type"),
    "bounds crossed": ("indicators", lambda rows: _set(rows, {"indicator_code": "CJ_CONVICTIONS"}, max_value="-1"),
                       "CJ_CONVICTIONS: the maximum -1 is below the minimum 0"),
    "percentage over 100": ("indicators", lambda rows: _set(rows, {"indicator_code": "IN_REMOVED_3D_PCT"},
                                                            max_value="150"),
                            "IN_REMOVED_3D_PCT: a pct indicator's bounds are 0 to 100"),
    "unknown category's indicator": ("indicator_categories",
                                     lambda rows: _add(rows, indicator_code="CJ_CONVICTIONS", value="0",
                                                       category_code="X", category_label="x"),
                                     "CJ_CONVICTIONS is not a categorical or ordinal indicator"),
    "relation naming an unknown indicator": ("indicator_relations",
                                             lambda rows: _set(rows, {"rule_id": "FUNNEL_CASES_LE_REPORTS"},
                                                               rhs_indicator="CJ_REPORTS"),
                                             "column rhs_indicator: 'CJ_REPORTS' is not a known indicator"),
    "ambiguous alias": ("aliases", lambda rows: _add(rows, kind="sex", alias="FEMALE!", code="M", language="en"),
                        "the sex label 'FEMALE!' (M) reads as"),
    "alias of an unknown code": ("aliases", lambda rows: _add(rows, kind="sex", alias="nonbinary", code="X",
                                                             language="en"),
                                 "'X' is not a known sex code"),
    "alias of an unknown language": ("aliases", lambda rows: _add(rows, kind="sex", alias="weiblich", code="F",
                                                                 language="de"),
                                     "'de' is not a known language"),
    "missing translation of a name": ("indicator_names",
                                      lambda rows: [r for r in rows if (r["indicator_code"], r["language"])
                                                    != ("CJ_CONVICTIONS", "pt")],
                                      "CJ_CONVICTIONS has no name in 'pt'"),
    "missing translation of a label": ("aliases", lambda rows: [r for r in rows if not (
        r["kind"] == "offence" and r["code"] == "030223" and r["language"] == "ar")],
                                       "the offence 030223 has labels but none in 'ar'"),
    "name that is no alias": ("indicator_names", lambda rows: _set(rows, {"indicator_code": "CJ_CONVICTIONS",
                                                                          "language": "fr"}, name="Condamnés"),
                              "the name is not a label of CJ_CONVICTIONS: add a row indicator,\"Condamnés\""),
    "capability of an unknown domain": ("mnr_capabilities",
                                        lambda rows: _set(rows, {"capability": "4"}, domain_code="JUSTICE"),
                                        "mnr_capabilities.csv line 5, column domain_code: 'JUSTICE' is not a known"),
    "offence with an unknown parent": ("cl_offence", lambda rows: _set(rows, {"code": "03011"}, parent="0399"),
                                       "'0399' is not a known offence"),
    "country not as ISO 3166 says": ("ref_areas", lambda rows: _set(rows, {"ref_area": "KEN"}, iso2="KN"),
                                     "KEN is KE and 404 in ISO 3166-1, not KN and 404"),
    "flag without its relation": ("indicator_relations",
                                  lambda rows: [r for r in rows if r["rule_id"] != "REQUIRES_PG_GOV_BODY_SECTORS_PG_GOV_BODY"],
                                  "PG_GOV_BODY_SECTORS requires PG_GOV_BODY: add the 'requires' relation"),
}


@pytest.fixture
def seeds(tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, folder, ignore=shutil.ignore_patterns("mappings", "*.md"))
    return folder


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_a_planted_defect_is_caught_where_it_is(seeds, defect):
    name, change, expected = DEFECTS[defect]
    _edit(seeds, name, change)
    problems = [str(p) for p in check(seeds)]
    assert any(expected in p for p in problems), problems
