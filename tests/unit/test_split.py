"""mnr submit --split (pipelines/ingest/split.py): one submission per country a file holds, each under the contract
id <ISO3>-<first 12 hex of the file's sha256>, whether the country column is named by the template's aliases or
only by the file's mapping (Eurostat's geo in a bulk TSV), the file archived byte for byte for each."""

import hashlib

import pytest

from conftest import FIXTURES
from pipelines.ingest.archive import SubmissionRefused
from pipelines.ingest.split import countries_in, submit_split
from pipelines.settings import Paths

FILES = FIXTURES / "files"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MNR_HOME", str(tmp_path))
    return Paths(tmp_path)


@pytest.mark.parametrize("name, countries", [
    ("multi_country_split.csv", {"BDI": 2, "RWA": 2}),                 # names, alpha-2 and M49 codes
    ("eurostat_crim_off_cat.tsv", {"BEL": 3, "FRA": 1, "GRC": 1}),     # geo, read by the crim_off_cat mapping
    ("eurostat_crim_off_cat_sdmx20_labels.csv", {"BEL": 9, "FRA": 3, "GRC": 3}),
])
def test_each_country_of_the_file_gets_its_own_submission_of_the_same_bytes(home, name, countries):
    digest = hashlib.sha256((FILES / name).read_bytes()).hexdigest()
    parts = submit_split(home, FILES / name)
    assert {r.country: n for r, _, n in parts} == countries
    for r, new, _ in parts:
        assert new and r.submission_id == f"{r.country}-{digest[:12]}" and r.sha256 == digest
        assert r.path(home).read_bytes() == (FILES / name).read_bytes()
    # The same bytes split again: the same submissions, nothing repeated.
    assert [(r.submission_id, new) for r, new, _ in submit_split(home, FILES / name)] == [
        (r.submission_id, False) for r, _, _ in parts]


def test_rows_of_no_country_are_counted_not_submitted():
    found, nowhere, has_column = countries_in(FILES / "multi_country_split.csv")
    assert has_column and nowhere == 1 and "EU27_2020" not in found     # an aggregate


@pytest.mark.parametrize("name, country, said", [
    ("csv_utf8.csv", None, "has no country column"),
    ("eurostat_crim_off_cat.tsv", "LUX", "holds no row of LUX; it holds rows of BEL, FRA, GRC"),
    ("nothing.csv", None, "file not found"),
    ("multi_country_split.csv", "XXX", "unknown country"),
])
def test_a_file_that_cannot_be_split_is_refused_with_the_reason(home, name, country, said):
    with pytest.raises(SubmissionRefused, match=said):
        submit_split(home, FILES / name, country)
    assert not home.landing.exists() or not any(home.landing.glob("*/*/receipt.json"))
