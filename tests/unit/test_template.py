"""The Excel template: built from the catalogue, drop-down lists, and a filled template reads cleanly."""

import openpyxl
import pytest

from pipelines.cli import main
from pipelines.ingest.archive import submit
from pipelines.ingest.layout import CANONICAL_FIELDS as FIELDS
from pipelines.ingest.load import read_submission
from pipelines.reference import indicators, read_seed
from pipelines.template import CODE_SHEET, INSTRUCTIONS_SHEET, build_template


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("t") / "template.xlsx", "KEN")


def fill(path, out):
    wb = openpyxl.load_workbook(path)
    cj = wb["Criminal Justice"]
    for row, (ind, sex, age, value) in enumerate([("CJ_PROSECUTIONS", None, None, 118),
                                                  ("CJ_CONVICTIONS", None, None, 41)], start=2):
        cj[f"B{row}"], cj[f"C{row}"], cj[f"D{row}"], cj[f"E{row}"], cj[f"G{row}"] = 2023, ind, sex, age, value
    pg = wb["Policy and Governance"]
    pg["B2"], pg["C2"], pg["G2"] = 2023, "PG_LAW_GROOMING", 1
    wb.save(out)
    return out


def test_one_sheet_per_domain_instructions_and_hidden_code_lists(template):
    wb = openpyxl.load_workbook(template)
    domains = [d["domain_name"] for d in sorted(read_seed("mnr_domains"), key=lambda d: int(d["sort_order"]))]
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, CODE_SHEET, *domains]
    assert wb[CODE_SHEET].sheet_state == "hidden"
    ws = wb["Criminal Justice"]
    assert [c.value for c in ws[1]][: len(FIELDS)] == list(FIELDS)
    assert ws["A2"].value == "KEN" and ws["A501"].value == "KEN"        # --country pre-fills ref_area
    assert "VLOOKUP(C2" in ws["K2"].value                                  # the indicator's name, visible
    instructions = " ".join(str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    assert all(code in instructions for code in indicators())             # every indicator listed with its name
    assert "Persons prosecuted" in instructions or indicators()["CJ_PROSECUTIONS"]["indicator_name"] in instructions


def test_drop_down_lists_point_at_the_code_lists(template):
    wb = openpyxl.load_workbook(template)
    ws = wb["Criminal Justice"]
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    assert set(lists) == {"A", "C", "D", "E", "F", "H", "I"}   # ref_area indicator sex age offence unit obs_status
    codes = wb[CODE_SHEET]
    header = {c.value: c.column_letter for c in codes[1]}
    cj_codes = [c.value for c in codes[header["indicator CRIMINAL_JUSTICE"]][1:] if c.value]
    assert cj_codes == sorted(k for k, v in indicators().items() if v["mnr_domain"] == "CRIMINAL_JUSTICE")
    assert lists["C"].endswith(f"${header['indicator CRIMINAL_JUSTICE']}${len(cj_codes) + 1}")
    sexes = [c.value for c in codes[header["sex"]][1:] if c.value]
    assert sexes == [r["code"] for r in read_seed("cl_sex")]
    assert [c.value for c in codes[header["ref_area"]][1:] if c.value] == ["KEN"]


def test_filled_template_reads_cleanly(template, tmp_path, mnr_home):
    receipt, _ = submit(mnr_home, fill(template, tmp_path / "KEN_filled.xlsx"), "KEN")
    result = read_submission(mnr_home, receipt)
    assert result.findings == [] and not result.quarantined
    got = result.records[["source_ref", "ref_area_raw", "indicator_raw", "time_period_raw", "value_num"]]
    assert got.values.tolist() == [
        ["Policy and Governance!G2", "KEN", "PG_LAW_GROOMING", "2023", 1.0],
        ["Criminal Justice!G2", "KEN", "CJ_PROSECUTIONS", "2023", 118.0],
        ["Criminal Justice!G3", "KEN", "CJ_CONVICTIONS", "2023", 41.0],
    ]


def test_empty_template_is_no_data(template, mnr_home):
    receipt, _ = submit(mnr_home, template, "KEN")
    assert [f.rule_id for f in read_submission(mnr_home, receipt).findings] == ["NO_DATA"]


def test_cli_template_exit_codes(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "t.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx")["Code lists"].max_row > 200     # every country listed
    assert main(["template", "--country", "XYZ", "--out", str(tmp_path / "u.xlsx")]) == 2
    assert main(["template", "--out", str(tmp_path / "missing" / "t.xlsx")]) == 2
    assert main(["template", "--out", str(tmp_path / "t.csv")]) == 2
    assert "unknown country 'XYZ'" in capsys.readouterr().err
