"""Files as agencies publish them (tests/fixtures/make_fixtures.py writes them), through the whole pipeline: what is
published equals the file cell by cell, with its flags, and the findings say what was left out and why."""

import contextlib
import hashlib
import io
import json
import sys

import duckdb
import pytest

from conftest import FIXTURES, warm_copy
from pipelines.cli import main, run_pipeline
from pipelines.ingest.archive import submit
from pipelines.publish.verify import leaks

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
        "sdmx20_bel": (FILES / "eurostat_crim_off_cat_sdmx20_labels.csv", "BEL"),
        "conf_tsv": (FILES / "eurostat_confidential.tsv", "ESP"),
        "conf_sdmx": (FILES / "sdmx_v2_confidential.csv", "ZAF"),
        "fiscal": (FILES / "open_sdg_fiscal_years.csv", "IRL"),
    }
    receipts = {k: submit(home, f, c)[0] for k, (f, c) in subs.items()}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["submit", str(FILES / "multi_country_split.csv"), "--split"]) == 0
    receipts["split"] = out.getvalue()
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
    # The hint names a command that exists.
    assert "mnr submit FILE --split" in err["message"]


def test_eurostat_sdmx_csv_with_label_columns_is_published_cell_by_cell_for_its_own_country(run):
    """The same crim_off_cat cells as the TSV, as Eurostat's SDMX-CSV 2.0 writes them with a label column after
    each code column and the flags in OBS_FLAG and CONF_STATUS: published as make_fixtures' table says (the TSV
    of the same cells is Belgium's too: a key is published from whichever came last, with the same value)."""
    home, r, rows = run
    expected = sorted(
        ("BEL", year, "CJ_OFFENCES_RECORDED", "_Z", "_Z", OFFENCE[iccs], *eurostat_cell(cell))
        for (iccs, unit, geo), cells in fx.OFF_CAT.items() if geo == "BE" and unit == "NR" and iccs in OFFENCE
        for year, cell in zip(fx.YEARS, cells))
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        got = con.execute(
            "select ref_area, time_period, indicator_code, sex, age, offence, obs_value, obs_status, obs_conf "
            "from published.observations where ref_area = 'BEL' and indicator_code = 'CJ_OFFENCES_RECORDED' "
            "order by all").fetchall()
    assert got == expected
    assert marts(home, r["sdmx20_bel"]) == expected
    # The value Eurostat withholds (CONF_STATUS C, no value) is there as suppressed, never as missing.
    assert ("BEL", 2022, "CJ_OFFENCES_RECORDED", "_Z", "_Z", "0302", None, "Q", "C") in expected
    assert rows[r["sdmx20_bel"].submission_id]["state"] == "published"
    (other,) = by_rule(home, r["sdmx20_bel"], "OTHER_COUNTRY_ROWS")
    assert "FRA ('FR'): 3 rows, 3 values" in other["message"]


def test_a_value_the_file_marks_confidential_is_published_suppressed_and_not_recomputable(run):
    home, r, _ = run
    key = lambda v: (v[1], v[3])   # noqa: E731  (year, sex)
    # Eurostat TSV, a country's transmission: 2021 F '57 c' (value given, flagged), 2023 M ': c' (withheld).
    spain = {key(v): v[6:] for v in published(home, r["conf_tsv"])}
    assert spain[(2021, "F")] == (None, "Q", "C") and spain[(2023, "M")] == (None, "Q", "C")
    assert {key(v): v[6] for v in marts(home, r["conf_tsv"])}[(2021, "F")] == 57   # kept in the restricted layer
    # F = _T - M would give the 57 back: another cell of the sum is hidden (the receiver's secondary suppression).
    assert sum(spain[(2021, s)][0] is None for s in ("_T", "F", "M")) >= 2
    # What the file withheld itself hides nothing the file gives as free.
    assert (spain[(2023, "_T")], spain[(2023, "F")]) == ((110, "A", "F"), (14, "A", "F"))
    # SDMX-CSV with CONF_STATUS C on a value (F 77) and on a cell without one (_U).
    za = {v[3]: v[6:] for v in published(home, r["conf_sdmx"])}
    assert za["F"] == (None, "Q", "C") and za["_U"] == (None, "Q", "C")
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        cur = con.execute("select * from published.observations where ref_area in ('ESP', 'ZAF')")
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, v)) for v in cur.fetchall()]
    assert leaks(rows, children=set()) == []


def test_open_sdg_financial_years_are_read_as_the_year_they_end(run):
    home, r, _ = run
    assert marts(home, r["fiscal"]) == [
        ("IRL", 2019, "CTX_SDG_16_2_3", "F", "_Z", "_Z", 11.2, "A", "F"),
        ("IRL", 2019, "CTX_SDG_16_2_3", "M", "_Z", "_Z", 3.0, "A", "F"),
        ("IRL", 2019, "CTX_SDG_16_2_3", "_T", "_Z", "_Z", 7.1, "A", "F"),
        ("IRL", 2021, "CTX_SDG_16_2_3", "F", "_Z", "_Z", 10.9, "A", "F"),
        ("IRL", 2021, "CTX_SDG_16_2_3", "_T", "_Z", "_Z", 6.8, "A", "F")]
    spans = {(f["value"], f["expected"], f["severity"]) for f in by_rule(home, r["fiscal"], "TIME_PERIOD_SPAN")}
    assert spans == {("2018/19", "2019", "info"), ("2020-2021", "2021", "info")}
    assert not by_rule(home, r["fiscal"], "BAD_YEAR")
    # A region the catalogue lacks: its blank cell is the total, its Leinster row is left out, and said so.
    (left,) = by_rule(home, r["fiscal"], "MAPPING_LEFT_OUT")
    assert (left["column"], left["value"], left["row"]) == ("Region", "Leinster", 5)


def test_split_makes_one_submission_per_country_with_its_own_id_report_and_rows(run):
    home, r, rows = run
    digest = hashlib.sha256((FILES / "multi_country_split.csv").read_bytes()).hexdigest()[:12]
    lines = r["split"].splitlines()
    assert lines == [f"BDI-{digest}  BDI  2 rows", f"RWA-{digest}  RWA  2 rows"]
    values = {fx_row[0]: fx_row for fx_row in fx.SPLIT}
    expected = {"RWA": {("CJ_PROSECUTIONS", 52.0), ("CJ_CONVICTIONS", 19.0)},
                "BDI": {("CJ_PROSECUTIONS", 31.0), ("CJ_CONVICTIONS", 12.0)}}
    assert values["RWA"][3] == "52" and values["108"][3] == "12"     # the fixture's table, as the file has it
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        for iso3, other in (("RWA", "BDI"), ("BDI", "RWA")):
            sid = f"{iso3}-{digest}"
            got = con.execute("select ref_area, indicator_code, obs_value from published.observations "
                              "where submission_id = ?", [sid]).fetchall()
            assert {(i, v) for a, i, v in got} == expected[iso3] and {a for a, _, _ in got} == {iso3}
            folder = home.feedback_dir(iso3, sid)
            assert (folder / "report.html").is_file()
            doc = json.loads((folder / "findings.json").read_text())
            assert doc["submission_id"] == sid and doc["country"] == iso3
            rules = {f["rule_id"]: f for f in doc["findings"]}
            assert "OTHER_COUNTRY_ROWS" not in rules and "NO_ROWS_FOR_COUNTRY" not in rules
            assert rules["OTHER_COUNTRY_SUBMITTED"]["severity"] == "info"
            assert f"{other} in {other}-{digest}" in rules["OTHER_COUNTRY_SUBMITTED"]["message"]
            assert rules["LEFT_OUT_OF_SCOPE"]["value"] == "EU27_2020"
            assert rows[sid]["verdict"] != "rejected"


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
