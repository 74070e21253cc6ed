"""Files as agencies publish them (tests/fixtures/make_fixtures.py writes them), through the whole pipeline: what is
published equals the file cell by cell, with its flags, and the findings say what was left out and why."""

import json
import sys

import duckdb
import pytest

from conftest import FIXTURES, warm_copy
from pipelines.cli import run_pipeline
from pipelines.ingest.archive import submit

sys.path.insert(0, str(FIXTURES))
import make_fixtures as fx  # noqa: E402

FILES = FIXTURES / "files"
# Eurostat's flags as SDMX observation status (and confidentiality), as the hub must read them.
STATUS = {"": ("A", "F"), "p": ("P", "F"), "e": ("E", "F"), "b": ("B", "F"), "c": ("Q", "C"), "z": ("M", "F")}
OFFENCE = {"ICCS0301": "0301", "ICCS0302": "0302", "ICCS030221": "030221"}


def eurostat_cell(cell: str):
    value, _, flag = cell.strip().partition(" ")
    status, conf = STATUS[flag] if value != ":" or flag else ("O", "F")
    return (None if value == ":" else float(value)), status, conf


@pytest.fixture(scope="module")
def run(reference_home, tmp_path_factory):
    import os

    home_dir = warm_copy(reference_home, tmp_path_factory.mktemp("agency_home"))
    old = os.environ.get("MNR_HOME")
    os.environ["MNR_HOME"] = str(home_dir)
    from pipelines.settings import prepare_environment

    home = prepare_environment()
    only_fr = tmp_path_factory.mktemp("files") / "crim_off_cat_FR.tsv"
    only_fr.write_text(fx._tsv("freq,iccs,unit,geo", {k: v for k, v in fx.OFF_CAT.items() if k[2] == "FR"}))
    subs = {
        "tsv": (FILES / "eurostat_crim_off_cat.tsv", "BEL"),
        "just_sex": (FILES / "eurostat_crim_just_sex.tsv", "BEL"),
        "just_ctz": (FILES / "eurostat_crim_just_ctz.tsv", "DEU"),
        "unicef": (FILES / "unicef_dw_sdmx10_labels_both.csv", "KEN"),
        "open_sdg": (FILES / "open_sdg_indicator_16-2-3.csv", "GBR"),
        "ages": (FILES / "uncts_age_bands.csv", "PHL"),
        "multi": (FILES / "multi_country.csv", "KEN"),
        "region": (FILES / "unread_region.csv", "UGA"),
        "fr_as_bel": (only_fr, "NLD"),
        "sdmx20": (FILES / "eurostat_crim_off_cat_sdmx20_labels.csv", "LUX"),
    }
    receipts = {k: submit(home, f, c)[0] for k, (f, c) in subs.items()}
    rows = {r["submission_id"]: r for r in run_pipeline()}
    yield home, receipts, rows
    if old is None:
        os.environ.pop("MNR_HOME", None)
    else:
        os.environ["MNR_HOME"] = old


def published(home, receipt):
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(
            "select ref_area, time_period, indicator_code, sex, age, offence, obs_value, obs_status, obs_conf "
            "from published.observations where submission_id = ? order by all", [receipt.submission_id]).fetchall()


def marts(home, receipt):
    """The harmonised values before disclosure control (the restricted layer): the file's numbers as read."""
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(
            "select ref_area, time_period, indicator_code, sex, age, offence, obs_value, obs_status, obs_conf "
            "from marts.fct_observations where submission_id = ? order by all", [receipt.submission_id]).fetchall()


def findings(home, receipt):
    doc = json.loads((home.feedback_dir(receipt.country, receipt.submission_id) / "findings.json").read_text())
    return [f for f in doc["findings"] if f["rule_id"] not in ("NOT_COVERED", "REQUIRED_NOT_COVERED")]


def by_rule(home, receipt, rule):
    return [f for f in findings(home, receipt) if f["rule_id"] == rule]


def test_eurostat_tsv_is_published_cell_by_cell_with_its_flags(run):
    home, r, rows = run
    expected = sorted(
        ("BEL", year, "CJ_OFFENCES_RECORDED", "_Z", "_Z", OFFENCE[iccs], *eurostat_cell(cell))
        for (iccs, unit, geo), cells in fx.OFF_CAT.items() if geo == "BE" and unit == "NR" and iccs in OFFENCE
        for year, cell in zip(fx.YEARS, cells))
    assert marts(home, r["tsv"]) == expected
    assert rows[r["tsv"].submission_id]["verdict"] == "accepted_with_warnings"
    assert {f["severity"] for f in findings(home, r["tsv"])} <= {"info", "warning"}


def test_eurostat_left_out_rows_are_counted_once_each(run):
    home, r, _ = run
    left = {(f["rule_id"], f["column"], f["value"], f["row"]) for f in findings(home, r["tsv"])
            if f["rule_id"] in ("MAPPING_LEFT_OUT", "LEFT_OUT_OF_SCOPE")}
    assert left == {("MAPPING_LEFT_OUT", "iccs", "ICCS0101", 2), ("MAPPING_LEFT_OUT", "unit", "P_HTHAB", 4),
                    ("LEFT_OUT_OF_SCOPE", "geo", "EU27_2020", 9)}
    (other,) = by_rule(home, r["tsv"], "OTHER_COUNTRY_ROWS")
    assert "FRA ('FR'): 1 row, 3 values" in other["message"] and "GRC ('EL'): 1 row, 3 values" in other["message"]
    # Nothing per 100,000 inhabitants is published as a count.
    assert all(v[6] not in (66.29, 68.01, 69.5) for v in published(home, r["tsv"]))


def test_eurostat_sdmx_csv_with_label_columns_reads_the_same_cells(run):
    home, r, _ = run
    # Submitted for Luxembourg, a file of BE, FR and EL rows publishes nothing and says why.
    assert published(home, r["sdmx20"]) == []
    (err,) = by_rule(home, r["sdmx20"], "NO_ROWS_FOR_COUNTRY")
    assert err["severity"] == "error" and "BEL ('BE')" in err["message"] and err["column"] == "geo"


def test_a_file_about_france_submitted_for_another_country_publishes_nothing_under_it(run):
    home, r, rows = run
    assert published(home, r["fr_as_bel"]) == [] and marts(home, r["fr_as_bel"]) == []
    assert rows[r["fr_as_bel"].submission_id]["verdict"] == "rejected"
    (err,) = by_rule(home, r["fr_as_bel"], "NO_ROWS_FOR_COUNTRY")
    assert "FRA ('FR'): 1 row, 3 values" in err["message"]


def test_crim_just_sex_maps_legal_status_to_indicators_and_shows_unrecorded_sex(run):
    home, r, rows = run
    indicator = {"PER_SUSP": "CJ_SUSPECTS_ARRESTED", "PER_PRSC": "CJ_PROSECUTIONS", "PER_CNV": "CJ_CONVICTIONS"}
    expected = sorted(
        ("BEL", year, indicator[leg], {"T": "_T"}.get(sex, sex), "_T" if leg == "PER_SUSP" else "_Z", "030221",
         *eurostat_cell(cell))
        for (unit, leg, sex, iccs, geo), cells in fx.JUST_SEX.items() if unit == "NR" and iccs == "ICCS030221"
        for year, cell in zip(fx.YEARS, cells))
    assert marts(home, r["just_sex"]) == expected
    assert rows[r["just_sex"].submission_id]["verdict"] == "accepted_with_warnings"
    gaps = by_rule(home, r["just_sex"], "SEX_GAP")
    assert sorted(f["time_period"] for f in gaps) == [2021, 2022, 2023]
    assert not by_rule(home, r["just_sex"], "SEX_SUM")


def test_crim_just_ctz_reads_the_citizenship_total(run):
    home, r, _ = run
    expected = sorted(("DEU", y, "CJ_PROSECUTIONS", "_T", "_Z", "0301", *eurostat_cell(c))
                      for y, c in zip(fx.YEARS, fx.JUST_CTZ[("NR", "TOTAL", "PER_PRSC", "ICCS0301", "DE")]))
    assert marts(home, r["just_ctz"]) == expected
    (left,) = by_rule(home, r["just_ctz"], "MAPPING_LEFT_OUT")
    assert (left["column"], left["value"]) == ("citizen", "FOR, NAT") and left["message"].startswith("2 rows (6 values)")


def test_unicef_sdmx_csv_with_labels_both(run):
    home, r, _ = run
    assert marts(home, r["unicef"]) == [("KEN", 2014, "CTX_SDG_16_2_3", "F", "_Z", "_Z", 11.4, "A", "F"),
                                        ("KEN", 2014, "CTX_SDG_16_2_3", "M", "_Z", "_Z", 4.7, "A", "F")]
    left = {f["column"]: f["value"] for f in by_rule(home, r["unicef"], "MAPPING_LEFT_OUT")}
    assert left == {"WEALTH_QUINTILE": "Q1, Q5", "RESIDENCE": "R", "INDICATOR": "PT_CHLD_1-14_PS-PSY-V_CGVR"}
    assert not by_rule(home, r["unicef"], "DUPLICATE_KEY")


def test_open_sdg_blank_is_total(run):
    home, r, _ = run
    assert marts(home, r["open_sdg"]) == [("GBR", 2019, "CTX_SDG_16_2_3", "F", "_Z", "_Z", 10.6, "A", "F"),
                                          ("GBR", 2019, "CTX_SDG_16_2_3", "M", "_Z", "_Z", 2.2, "A", "F"),
                                          ("GBR", 2019, "CTX_SDG_16_2_3", "_T", "_Z", "_Z", 6.3, "A", "F")]
    assert {f["value"] for f in by_rule(home, r["open_sdg"], "MAPPING_LEFT_OUT")} == {"18-74", "VC_VAW_PHYPYV"}


def test_age_bands_in_any_form_judged_against_the_indicator(run):
    home, r, rows = run
    got = {(v[2], v[4]): v[6] for v in marts(home, r["ages"])}
    assert got == {("CJ_VICTIMS_IDENTIFIED", "Y0T14"): 61, ("CJ_VICTIMS_IDENTIFIED", "Y15T17"): 33,
                   ("CJ_VICTIMS_IDENTIFIED", "_U"): 7, ("CJ_VICTIMS_IDENTIFIED", "Y0T17"): 94,
                   ("CJ_SUSPECTS_ARRESTED", "Y_GE18"): 230}
    assert not [f for f in findings(home, r["ages"]) if f["rule_id"].startswith("UNKNOWN")]
    (left,) = by_rule(home, r["ages"], "LEFT_OUT_OF_SCOPE")
    assert left["severity"] == "info" and left["value"] == "18+, Y15T24" and left["message"].startswith("2 values")


def test_multi_country_file_publishes_only_the_submitting_country(run):
    home, r, _ = run
    assert {(v[0], v[2], v[6]) for v in marts(home, r["multi"])} == {("KEN", "CJ_PROSECUTIONS", 118),
                                                                       ("KEN", "CJ_CONVICTIONS", 41)}
    (w,) = by_rule(home, r["multi"], "OTHER_COUNTRY_ROWS")
    assert w["severity"] == "warning" and "UGA ('UGA'): 2 rows" in w["message"] and "TZA ('834'): 1 row" in w["message"]


def test_a_column_that_tells_one_key_apart_is_one_error_naming_it(run):
    home, r, _ = run
    errors = [f for f in findings(home, r["region"]) if f["severity"] == "error"]
    assert [(f["rule_id"], f["column"], f["row"]) for f in errors] == [("UNREAD_BREAKDOWN", "region", 3)]
    assert "Nairobi" in errors[0]["message"] and "Mombasa" in errors[0]["message"]
