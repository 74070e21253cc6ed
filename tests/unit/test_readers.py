"""Readers and layout detection, each with a clean and a dirty input."""

import json

import openpyxl
import pytest

from pipelines.ingest.layout import detect_decimal_comma, extract_records, parse_number
from pipelines.ingest.readers import read_tables


def records(path, country="KEN"):
    tables, findings = read_tables(path)
    frames = []
    for t in tables:
        df, f, _ = extract_records(t, country)
        findings += f
        frames.append(df)
    return frames, findings


def test_long_csv_clean(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("indicator,time_period,sex,value\nCJ_PROSECUTIONS,2022,F,41\nCJ_PROSECUTIONS,2022,M,..\n")
    (df,), findings = records(p)
    assert findings == []
    assert list(df["value_num"].astype(object).where(df["value_num"].notna(), None)) == [41.0, None]
    assert list(df["value_state"]) == ["number", "missing"]
    assert list(df["source_ref"]) == ["row 2, column value", "row 3, column value"]


def test_french_csv_semicolon_decimal_comma_cp1252(tmp_path):
    p = tmp_path / "fr.csv"
    p.write_bytes("Indicateur;Année;Valeur\nPoursuites;2023;1 311\n% du matériel notifié retiré sous 3 jours;2023;76,2\n"
                  .encode("cp1252"))
    (df,), findings = records(p, "FRA")
    assert findings == []
    assert list(df["value_num"]) == [1311.0, 76.2]
    assert list(df["indicator_raw"]) == ["Poursuites", "% du matériel notifié retiré sous 3 jours"]


def test_utf16_with_bom_and_tabs(tmp_path):
    p = tmp_path / "u16.csv"
    p.write_bytes("indicator\ttime_period\tvalue\nCJ_CONVICTIONS\t2021\t12\n".encode("utf-16"))
    (df,), findings = records(p)
    assert findings == [] and list(df["value_num"]) == [12.0]


def test_xlsx_title_rows_wide_years_and_footnotes(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Ministry of Justice"])
    ws.append([])
    ws.append(["Indicator", 2021, 2022])
    ws.append(["Convictions", 12, 15])
    ws.append([])
    ws.append(["Source: courts. Note 2022 provisional"])
    wb.create_sheet("Notes").append(["free text"])
    p = tmp_path / "w.xlsx"
    wb.save(p)
    (df, notes), findings = records(p)
    assert [f.rule_id for f in findings] == ["NO_HEADER"]  # the notes sheet: dropped by the loader
    assert list(df["time_period_raw"]) == ["2021", "2022"]
    assert list(df["source_ref"]) == ["Data!B4", "Data!C4"]
    assert list(df["value_num"]) == [12.0, 15.0]


def test_json_records(tmp_path):
    p = tmp_path / "r.json"
    p.write_text(json.dumps({"data": [{"indicador": "CJ_PROSECUTIONS", "ano": 2022, "valor": 7}]}))
    (df,), findings = records(p, "BRA")
    assert findings == [] and list(df["indicator_raw"]) == ["CJ_PROSECUTIONS"]
    assert list(df["source_ref"]) == ["record 1, field valor"]


@pytest.mark.parametrize("content,rule", [
    (b"", "FILE_EMPTY"),
    (b"   \n\n", "FILE_EMPTY"),
    (b"%PDF-1.7 something", "FILE_NOT_TABULAR"),
    (b"PK\x03\x04truncated", "FILE_TRUNCATED"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "FILE_ENCRYPTED_OR_LEGACY"),
    (b"{not json", "FILE_MALFORMED_JSON"),
    (b"hello,world\n1,2\n", "NO_HEADER"),
])
def test_bad_files_give_level0_findings(tmp_path, content, rule):
    p = tmp_path / "bad.bin"
    p.write_bytes(content)
    _, findings = records(p)
    assert [f.rule_id for f in findings] == [rule]
    assert findings[0].level == 0 and findings[0].severity == "error"
    assert "send" in findings[0].message.lower() or "header" in findings[0].message.lower()


def test_personal_data_columns_are_refused(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("Victim name,Date of birth,indicator,time_period,value\nA B,2010-01-01,CJ_PROSECUTIONS,2022,1\n")
    (df,), findings = records(p)
    assert [f.rule_id for f in findings] == ["PERSONAL_DATA"]
    assert "Date of birth" in findings[0].column and len(df) == 0


def test_indicator_name_column_is_not_personal_data(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("Indicator name,time_period,value\nConvictions,2022,1\n")
    (df,), findings = records(p)
    assert findings == [] and len(df) == 1


def test_unknown_indicator_column_in_wide_layout_is_an_error(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("Year,Convictions,Child marriages\n2022,4,300\n")
    (df,), findings = records(p, "UGA")
    assert [(f.rule_id, f.column, f.row) for f in findings] == [("UNKNOWN_INDICATOR", "Child marriages", 1)]
    assert list(df["indicator_raw"]) == ["Convictions"]


@pytest.mark.parametrize("text,comma,expected", [
    ("1 297 474", False, 1297474.0),
    ("1.297.474", True, 1297474.0),
    ("1,297,474", False, 1297474.0),
    ("12,5", True, 12.5),
    ("12.5", False, 12.5),
    ("76%", False, 76.0),
    ("-3", False, -3.0),
    ("about 60", False, None),
    ("1,2,3", False, None),
])
def test_parse_number(text, comma, expected):
    assert parse_number(text, comma) == expected


def test_decimal_comma_detection():
    assert detect_decimal_comma(["12,5", "3", "1.297.474"]) is True
    assert detect_decimal_comma(["12.5", "1,297,474"]) is False
