"""Reference data: the catalogue and code lists are complete, and Python and SQL match labels the same way."""

import csv
import re
from pathlib import Path

import duckdb
import pytest

from labels import hostile_labels, macro_sql, seed_labels
from pipelines.reference import alias_rows, closest_labels, indicators, normalise_label, read_seed

REPO = Path(__file__).resolve().parents[2]
DOMAIN_MD = REPO.parent / "shared" / "research" / "domain.md"


def test_domains_and_capabilities():
    assert len(read_seed("mnr_domains")) == 6
    caps = read_seed("mnr_capabilities")
    assert sorted(int(c["capability"]) for c in caps) == list(range(1, 22))
    domains = {d["domain_code"] for d in read_seed("mnr_domains")}
    assert {c["domain_code"] for c in caps} == domains
    assert {i["mnr_domain"] for i in indicators().values()} <= domains


CONTRACT_CODES = ["CJ_REPORTS_RECEIVED", "CJ_PROSECUTIONS", "CJ_CONVICTIONS", "CJ_VICTIMS_IDENTIFIED",
                  "VS_HELPLINE_CONTACTS_CSEA", "SO_HOTLINE_CSAM_CONFIRMED", "IN_REMOVED_3D_PCT", "PG_LAW_GROOMING",
                  "CTX_CHILD_POP"]


def test_catalogue_has_the_contract_codes_with_units():
    cat = indicators()
    for code in CONTRACT_CODES:
        assert code in cat
    assert cat["IN_REMOVED_3D_PCT"]["unit_measure"] == "PCNT"
    assert cat["PG_LAW_GROOMING"]["unit_measure"] == "BOOL"
    assert cat["CJ_PROSECUTIONS"]["unit_measure"] == "PERSONS"
    assert cat["CJ_REPORTS_RECEIVED"]["unit_measure"] == "NUMBER"
    units = {r["code"] for r in read_seed("cl_unit_measure")}
    assert {i["unit_measure"] for i in cat.values()} <= units


# The contract's indicator codes and English names (DESIGN.md section 4: the catalogue keeps every code and name of
# the draft catalogue, research/domain.md section 4), kept beside the tests so that CI checks them on any clone.
CONTRACT_INDICATORS = REPO / "tests" / "fixtures" / "contract_indicators.csv"


def _draft_catalogue() -> list[tuple[str, str]]:
    text = DOMAIN_MD.read_text()
    section = text[text.index("## 4. Draft MNR indicator catalogue"): text.index("## 5.")]
    return [(c, n.strip()) for c, n in re.findall(r"^\| ([A-Z][A-Z0-9_]+)(?: \[EXT\])? \| ([^|]+) \|", section,
                                                  flags=re.M)]


def test_catalogue_keeps_every_code_and_name_of_the_draft_catalogue():
    with open(CONTRACT_INDICATORS, newline="", encoding="utf-8") as f:
        rows = [(r["indicator_code"], r["indicator_name"]) for r in csv.DictReader(f)]
    assert len(rows) >= 60
    if DOMAIN_MD.exists():   # where the research notes are beside the checkout, the list is theirs exactly
        assert rows == _draft_catalogue()
    cat = indicators()
    for code, name in rows:
        assert code in cat, code
        assert cat[code]["indicator_name"] == name, code


def test_every_country_has_an_m49_region():
    areas = read_seed("ref_areas")
    assert len(areas) == 249
    missing = [a["ref_area"] for a in areas if not a["m49_region"]]
    assert missing == ["ATA"]
    by = {a["ref_area"]: a for a in areas}
    assert by["KEN"]["m49_region"] == "Africa" and by["PHL"]["m49_subregion"] == "South-eastern Asia"


def test_aliases_are_unambiguous_and_cover_five_languages():
    seen = {}
    for r in alias_rows():
        key = (r["kind"], normalise_label(r["alias"]) or r["alias"], r.get("country") or "")
        assert seen.setdefault(key, r["code"]) == r["code"], key
    langs = {r.get("language") for r in read_seed("aliases")}
    assert {"en", "fr", "es", "pt", "ar"} <= langs


LABELS = ["Année", "  CJ_Prosecutions ", "Poursuites engagées", "أنثى", "ذَكَر", "% du matériel", "Pessoas  condenadas",
          "FEMMES", "Âge (ans)", "niño/niña", "per 100,000", "Y0T17", "_T"]


def test_python_and_dbt_normalise_labels_the_same_way():
    sql = macro_sql("default", "?")
    con = duckdb.connect()
    for label in LABELS:
        assert con.execute(f"select {sql}", [label]).fetchone()[0] == normalise_label(label), label


def test_closest_labels_suggest_codes():
    assert closest_labels("indicator", "Convictons")[0].endswith("(CJ_CONVICTIONS)")
    assert closest_labels("indicator", "zzzzzz") == []


# ---------------------------------------------------------------------------------------- one rule of matching
def _duckdb_norm(texts: list[str]) -> list[str]:
    with duckdb.connect() as con:
        return con.execute(f"select list_transform(?, lambda s: {macro_sql('default', 's')})",
                           [texts]).fetchone()[0]


def test_duckdb_normalises_every_seed_label_as_python_does():
    labels = sorted(seed_labels())
    assert len(labels) > 4000
    assert [(t, k) for t, k in zip(labels, _duckdb_norm(labels)) if k != normalise_label(t)] == []


def test_duckdb_normalises_every_character_and_hostile_string_as_python_does():
    texts = hostile_labels()
    assert [(t, k) for t, k in zip(texts, _duckdb_norm(texts)) if k != normalise_label(t)] == []


def test_arabic_punctuation_separates_words_and_both_percent_signs_read_percent():
    assert normalise_label("كوريا، جمهورية كوريا") == normalise_label("كوريا, جمهورية كوريا") == "كوريا جمهورية كوريا"
    assert normalise_label("iccs 030223؛ المادة 23") == "iccs 030223 المادة 23"
    assert normalise_label("٪") == normalise_label("%") == "percent"
    assert normalise_label("مـــــدينة") == "مدينة" and normalise_label("ذَكَر") == "ذكر"
