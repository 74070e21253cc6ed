"""Every kind of fixture file (tests/fixtures/make_fixtures.py), clean and dirty: exact rule ids, rows, columns
and values."""

import math

import pytest

from conftest import FIXTURES
from pipelines.ingest.layout import extract_records, structure_ids
from pipelines.ingest.load import read_submission
from pipelines.ingest.readers import read_tables
from pipelines.reference import aliases, closest_labels, normalise_label

FILES = FIXTURES / "files"


def read(name, country="KEN"):
    tables, findings = read_tables(FILES / name)
    found = [(f.rule_id, f.sheet, f.row, f.column) for f in findings]
    recs = []
    for t in tables:
        df, fs, _ = extract_records(t, country)
        found += [(f.rule_id, f.sheet, f.row, f.column) for f in fs]
        for r in df.to_dict("records"):
            v = r["value_num"]
            recs.append((r["source_ref"], r["indicator_raw"], r["sex_raw"], r["time_period_raw"],
                         None if v is None or (isinstance(v, float) and math.isnan(v)) else v))
    return tables, found, recs


ENCODED = ["csv_utf8.csv", "csv_utf8_bom.csv", "csv_utf16le_bom.csv", "csv_utf16be_bom.csv", "csv_cp1252.csv",
           "csv_latin1.csv"]


@pytest.mark.parametrize("name", ENCODED)
def test_encoding_matrix(name):
    tables, found, recs = read(name, "FRA")
    assert found == []
    assert tables[0].rows[0] == ["Année", "Indicateur", "Sexe", "Valeur"]
    assert recs == [("row 2, column Valeur", "Poursuites", "Féminin", "2023", 1297474.0),
                    ("row 3, column Valeur", "Condamnations", "Masculin", "2023", 12.0)]


def test_thousands_separators_where_unambiguous():
    _, found, recs = read("thousands_clean.csv")
    assert found == [] and [r[4] for r in recs] == [1297474.0, 1297475.0, 76.2]
    _, found, recs = read("thousands_comma_clean.csv")
    assert found == [] and [r[4] for r in recs] == [1297474.0, 76.2]


def test_ambiguous_and_non_numeric_values():
    tables, found, recs = read("number_dirty.csv")
    assert found == [("AMBIGUOUS_NUMBER", None, 3, "value")]
    assert recs == [("row 2, column value", "CJ_PROSECUTIONS", None, "2022", None),
                    ("row 3, column value", "CJ_CONVICTIONS", None, "2022", 1297.0)]
    df, _, _ = extract_records(tables[0], "KEN")
    assert list(df["value_state"]) == ["text", "number"]


def test_malformed_csv_names_the_row():
    _, found, _ = read("malformed.csv")
    assert found[0][:3] == ("FILE_MALFORMED_CSV", None, 2)


def test_tab_separated_long_table():
    _, found, recs = read("long_tab_clean.tsv")
    assert found == [] and recs == [("row 2, column value", "CJ_CONVICTIONS", "F", "2021", 12.0)]


def test_wide_by_indicator_clean_and_dirty():
    _, found, recs = read("wide_indicators_clean.csv")
    assert found == [] and [r[0] for r in recs] == [
        "row 2, column Convictions", "row 2, column Prosecutions", "row 3, column Convictions",
        "row 3, column Prosecutions"]
    _, found, recs = read("wide_indicators_dirty.csv")
    assert found == [("UNKNOWN_INDICATOR", None, 1, "Child marriages")]
    assert recs == [("row 2, column Convictions", "Convictions", None, "2022", 4.0)]


@pytest.mark.parametrize("name,country,expected", [
    ("labels_es.csv", "ESP", {"indicator": "CJ_PROSECUTIONS", "sex": "F", "age": "Y0T17"}),
    ("labels_pt.csv", "BRA", {"indicator": "CJ_PROSECUTIONS", "sex": "F"}),
    ("labels_ar.csv", "EGY", {"indicator": "CJ_PROSECUTIONS", "sex": "F"}),
    ("labels_fr_offence.csv", "FRA", {"indicator": "CJ_PROSECUTIONS", "offence": "03011"}),
])
def test_labels_in_other_languages_map_to_codes(name, country, expected):
    tables, found, _ = read(name, country)
    assert found == []
    df, _, _ = extract_records(tables[0], country)
    row = df.iloc[0]
    for kind, code in expected.items():
        assert aliases(kind, country)[normalise_label(row[f"{kind}_raw"])] == code, kind


def test_unknown_labels_get_the_closest_known_ones():
    tables, found, recs = read("labels_unknown.csv")
    assert found == [] and recs[0][1:3] == ("Prosecutoins", "Femail")
    assert "Prosecutions (CJ_PROSECUTIONS)" in closest_labels("indicator", "Prosecutoins")
    assert any(s.endswith("(F)") for s in closest_labels("sex", "Femail"))


def test_sdmx_csv_1_0():
    tables, found, recs = read("sdmx_v1_clean.csv")
    assert found == [] and tables[0].kind == "sdmx-csv" and tables[0].sdmx_version == "1.0"
    assert recs == [("row 2, column OBS_VALUE", "CJ_PROSECUTIONS", "_T", "2022", 118.0),
                    ("row 3, column OBS_VALUE", "CJ_CONVICTIONS", "_T", "2022", 41.0)]
    _, _, cm = extract_records(tables[0], "KEN")
    assert structure_ids(tables[0], cm) == ["MNR:DF_OCSEA(1.0)"]


def test_sdmx_csv_2_0_semicolon_and_decimal_comma():
    tables, found, recs = read("sdmx_v2_clean.csv")
    assert tables[0].sdmx_version == "2.0"
    assert found == [("UNREAD_COLUMN", None, 1, "UNIT_MULT")]   # an info: SDMX bookkeeping columns are not
    assert [r[4] for r in recs] == [167.0, 52.5]
    _, _, cm = extract_records(tables[0], "KEN")
    assert structure_ids(tables[0], cm) == ["XX:DF_CP_ADMIN(1.0.0)"]   # an unknown dataflow is not a defect


def test_sdmx_delete_rows_are_reported_not_dropped():
    _, found, recs = read("sdmx_v2_delete_dirty.csv")
    assert found == [("SDMX_DELETE_NOT_APPLIED", None, 3, "ACTION")]
    assert [r[1] for r in recs] == ["CJ_PROSECUTIONS"]


def test_xlsx_title_rows_footnote_and_notes_sheet():
    tables, found, recs = read("xlsx_title_footnote_clean.xlsx")
    assert found == [("NO_HEADER", "Notes", None, None)]          # the loader skips notes sheets
    assert recs == [("Data!B5", "Convictions", None, "2021", 12.0), ("Data!C5", "Convictions", None, "2022", 15.0),
                    ("Data!B6", "Prosecutions", None, "2021", 30.0), ("Data!C6", "Prosecutions", None, "2022", 41.0)]


def test_xlsx_merged_header_cells():
    _, found, recs = read("xlsx_merged_header_clean.xlsx")
    assert found == []
    assert recs == [("Victims!B4", "Victims identified", "Girls", "2023", 167.0),
                    ("Victims!C4", "Victims identified", "Boys", "2023", 52.0),
                    ("Victims!D4", "Victims identified", "Total", "2023", 219.0)]


def test_xlsx_every_data_sheet_hidden_and_notes_sheets_ignored(mnr_home):
    from pipelines.ingest.archive import submit

    receipt, _ = submit(mnr_home, FILES / "xlsx_multi_sheet_clean.xlsx", "KEN")
    result = read_submission(mnr_home, receipt)
    assert [f.rule_id for f in result.findings] == []
    assert list(result.records["source_ref"]) == ["Police!C2", "Courts!B2"]
    assert sorted(result.layouts) == ["long", "wide_years"]


def test_xlsx_rows_cut_off_by_an_empty_row_are_reported():
    _, found, recs = read("xlsx_gap_dirty.xlsx")
    assert found == [("ROWS_BELOW_TABLE", "Data", 4, None)]
    assert [r[0] for r in recs] == ["Data!C2"]


def test_json_records():
    _, found, recs = read("json_records_clean.json", "BRA")
    assert found == []
    assert recs == [("record 1, field valor", "CJ_PROSECUTIONS", None, "2022", 7.0),
                    ("record 2, field valor", "CJ_CONVICTIONS", None, "2022", None)]
    _, found, _ = read("json_dirty.json")
    assert found == [("FILE_MALFORMED_JSON", None, 1, None)]


@pytest.mark.parametrize("name,rule,words", [
    ("xlsx_truncated_dirty.xlsx", "FILE_TRUNCATED", "damaged or incomplete"),
    ("xlsx_encrypted_dirty.xlsx", "FILE_ENCRYPTED_OR_LEGACY", "password"),
    ("not_tabular.pdf", "FILE_NOT_TABULAR", "PDF document"),
    ("not_tabular.png", "FILE_NOT_TABULAR", "PNG image"),
    ("not_tabular.html", "FILE_NOT_TABULAR", "web page"),
    ("not_tabular.zip", "FILE_NOT_TABULAR", "zip archive"),
    ("personal_data.csv", "PERSONAL_DATA", "quarantined"),
])
def test_refusals_that_help(name, rule, words):
    tables, findings = read_tables(FILES / name)
    for t in tables:
        findings += extract_records(t, "KEN")[1]
    assert [f.rule_id for f in findings] == [rule]
    assert findings[0].level == 0 and findings[0].severity == "error" and words in findings[0].message


def test_size_limit_is_configurable(tmp_path, monkeypatch):
    p = tmp_path / "big.csv"
    p.write_text("indicator,time_period,value\n" + "CJ_PROSECUTIONS,2022,1\n" * 60_000)
    monkeypatch.setenv("MNR_MAX_FILE_MB", "1")
    assert [f.rule_id for f in read_tables(p)[1]] == ["FILE_TOO_LARGE"]
    monkeypatch.setenv("MNR_MAX_FILE_MB", "2")
    assert read_tables(p)[1] == []


def test_fixtures_are_reproducible(tmp_path, monkeypatch):
    """The committed fixture files are what the script writes (workbooks compared cell by cell)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setattr(mod, "OUT", tmp_path)
    mod.main()
    for f in sorted(FILES.iterdir()):
        new = tmp_path / f.name
        if f.suffix == ".xlsx" and "dirty" not in f.name:
            assert read_tables(f)[0] == read_tables(new)[0], f.name
        elif f.suffix != ".xlsx":
            assert f.read_bytes() == new.read_bytes(), f.name
