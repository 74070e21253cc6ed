"""Codes as agencies write them (pipelines/ingest/codes.py): a year written as a span of two years, and the code
a value stands for decided in Python as dbt decides it (for mnr map and mnr submit --split)."""

import pytest

from pipelines.ingest.codes import catalogue_code, year_span


@pytest.mark.parametrize("text, year", [
    ("2018/19", "2019"), ("2018-19", "2019"), ("2018/2019", "2019"), ("2020-2021", "2021"), (" 2019 – 20 ", "2020"),
    ("1999/00", "2000"),
])
def test_a_span_of_two_years_is_the_year_it_ends(text, year):
    assert year_span(text).code == year


@pytest.mark.parametrize("text", ["2018", "2015-2020", "2018/17", "2018/2018", "18/19", "2018/19/20", "FY2019"])
def test_anything_else_is_no_span(text):
    assert year_span(text) is None


def test_the_code_a_value_stands_for():
    assert catalogue_code("ref_area", "EL").code == "GRC"              # Eurostat's code for Greece
    assert catalogue_code("ref_area", "108").code == "BDI"             # M49
    assert catalogue_code("ref_area", "Burundi").code == "BDI"         # a name
    assert catalogue_code("ref_area", "EU27_2020").scope == "AREA_AGGREGATE"
    assert catalogue_code("sex", "Mujer").code == "F"                  # a label in Spanish
    assert catalogue_code("age", "15 to 17").code == "Y15T17"
    assert catalogue_code("offence", "ICCS030221").code == "030221"
    assert catalogue_code("sex", "Sin dato") is None
