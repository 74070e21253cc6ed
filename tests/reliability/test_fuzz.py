"""Fuzzing with a fixed budget (derandomized, so CI sees the same examples every time) over every reader and
code mapper. tests/unit/test_readers_fuzz.py covers random bytes and random CSV text; this covers workbooks
built from random cell grids, JSON records, SDMX-CSV headers, label normalisation (Python against the dbt
macro) and number parsing."""

import json
import math

import unicodedata

import duckdb
import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labels import macro_sql
from pipelines.ingest.layout import RECORD_COLUMNS, extract_records, parse_number
from pipelines.ingest.readers import read_tables
from pipelines.quality.findings import Finding
from pipelines.reference import normalise_label

BUDGET = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
WORDS = st.sampled_from(["indicator", "indicateur", "time_period", "Année", "value", "valeur", "sex", "Sexe", "age",
                         "unit", "obs_status", "comment", "CJ_PROSECUTIONS", "CJ_CONVICTIONS", "Poursuites", "F", "M",
                         "_T", "2022", "2023", "1 297,5", "1,297", "..", "-", "n/a", "Date of birth", "Name", "Total",
                         "DATAFLOW", "STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "TIME_PERIOD", "OBS_VALUE",
                         "المؤشر", "السنة", "* provisional"])
# Cells as a workbook holds them: text, numbers (including NaN and infinities), booleans, dates, blanks.
XLSX_CELL = st.one_of(
    WORDS, st.text(max_size=10), st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.dates(), st.none())


def read_all(path, country="KEN"):
    tables, findings = read_tables(path)
    assert all(isinstance(f, Finding) and f.message for f in findings)
    for t in tables:
        df, fs, _ = extract_records(t, country)
        assert list(df.columns) == list(RECORD_COLUMNS)
        assert all(isinstance(f, Finding) and f.message for f in fs)
        # Every record points back at a row of the file as the country sees it.
        assert all(1 <= r <= len(t.rows) for r in df["file_row"])
    return tables, findings


@BUDGET
@given(grid=st.lists(st.lists(XLSX_CELL, min_size=1, max_size=6), min_size=1, max_size=10),
       title=st.booleans(), sheets=st.integers(1, 3))
def test_workbooks_from_random_cell_grids_never_crash(tmp_path, grid, title, sheets):
    wb = openpyxl.Workbook()
    for s in range(sheets):
        ws = wb.active if s == 0 else wb.create_sheet(f"S{s}")
        if title:
            ws.append(["Table 1: statistics"])
        for row in grid[s:] or grid:
            # Control characters cannot be stored in a workbook at all (openpyxl refuses them, as Excel does).
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    p = tmp_path / "f.xlsx"
    wb.save(p)
    tables, findings = read_all(p)
    assert tables or findings


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8) | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6)


@BUDGET
@given(records=st.lists(st.dictionaries(WORDS | st.text(max_size=6), JSON_VALUE, max_size=6), max_size=8),
       wrap=st.sampled_from([None, "data", "records", "x"]))
def test_json_records_never_crash(tmp_path, records, wrap):
    p = tmp_path / "f.json"
    p.write_text(json.dumps(records if wrap is None else {wrap: records}))
    tables, findings = read_all(p)
    assert tables or findings


@BUDGET
@given(first=st.sampled_from(["DATAFLOW", "STRUCTURE", "STRUCTURE[;]", "Structure", '"STRUCTURE"', "DATAFLOW "]),
       sep=st.sampled_from([",", ";", "\t", "|", ":"]),
       header=st.lists(WORDS, max_size=8),
       rows=st.lists(st.lists(WORDS | st.text(max_size=6), max_size=9), max_size=6))
def test_sdmx_csv_headers_never_crash(tmp_path, first, sep, header, rows):
    lines = [sep.join([first, *header])] + [sep.join(r) for r in rows]
    p = tmp_path / "f.csv"
    p.write_text("\n".join(lines), encoding="utf-8")
    tables, findings = read_all(p)
    assert tables or findings


def _macro_sql() -> str:
    return macro_sql("default", "?")


# The scripts labels are written in (DESIGN.md section 4: English, French, Spanish, Portuguese, Arabic), with
# their diacritics and the punctuation, digits and spaces around them, compatibility characters (ª º ² ½) included.
LABEL_TEXT = st.text(alphabet=(st.characters(include_characters=" \t%-_/().,;:'\"*#0123456789\u00a0ªº²½",
                                             categories=("Lu", "Ll"), max_codepoint=0x024F)
                               | st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
                               | st.characters(min_codepoint=0x0300, max_codepoint=0x036F)
                               ), max_size=24)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(label=LABEL_TEXT)
def test_python_and_dbt_normalise_random_labels_the_same_way(label):
    with duckdb.connect() as con:
        assert con.execute(f"select {_macro_sql()}", [label]).fetchone()[0] == normalise_label(label)


@pytest.mark.parametrize("label", ["Nº de casos", "1ª instancia", "km²", "½ journée"])
def test_python_and_dbt_normalise_compatibility_characters_the_same_way(label):
    with duckdb.connect() as con:
        assert con.execute(f"select {_macro_sql()}", [label]).fetchone()[0] == normalise_label(label)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(text=st.text(max_size=20) | st.from_regex(r"[-+ ]?[\d ,.\u00a0\u202f]{0,14}%?", fullmatch=True),
       comma=st.booleans())
def test_parse_number_never_raises(text, comma):
    out = parse_number(text, comma)
    assert out is None or (isinstance(out, float) and math.isfinite(out) or abs(out) == math.inf)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(value=st.integers(-10**12, 10**12), cents=st.integers(0, 99), decimals=st.booleans(),
       style=st.sampled_from(["plain", "space", "nbsp", "thousands"]), comma=st.booleans())
def test_parse_number_round_trips_numbers_as_countries_write_them(value, cents, decimals, style, comma):
    sign = "-" if value < 0 else ""
    digits = f"{abs(value):,}"     # 1,297,474
    group = {"plain": "", "space": " ", "nbsp": "\u00a0", "thousands": "." if comma else ","}[style]
    text = sign + digits.replace(",", group)
    expected = float(value)
    if decimals:
        text += ("," if comma else ".") + f"{cents:02d}"
        expected = float(f"{sign}{abs(value)}.{cents:02d}")
    assert parse_number(text, comma) == expected, text
