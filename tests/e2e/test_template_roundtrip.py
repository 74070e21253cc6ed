"""End to end on a fresh MNR_HOME: a filled Excel template is accepted and published; a file with personal data
is rejected at level 0, kept in quarantine, and no value from it is in any table of the warehouse."""

import json
import os

import duckdb
import pytest

from conftest import FIXTURES, warm_copy
from pipelines.cli import run_pipeline
from pipelines.ingest.archive import submit
from pipelines.template import build_template
import openpyxl

PLANTED = "Amina Wanjiru"     # a victim's name in tests/fixtures/files/personal_data.csv


def fill(path, out):
    """What a country team does: pick codes, type years and values."""
    wb = openpyxl.load_workbook(path)
    cj, pg = wb["Criminal Justice"], wb["Policy and Governance"]
    cj["B2"], cj["C2"], cj["G2"] = 2023, "CJ_PROSECUTIONS", 118
    cj["B3"], cj["C3"], cj["G3"] = 2023, "CJ_CONVICTIONS", 41
    pg["B2"], pg["C2"], pg["G2"] = 2023, "PG_LAW_GROOMING", 1
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory, reference_home):
    home_dir = warm_copy(reference_home, tmp_path_factory.mktemp("template_home"))
    old = os.environ.get("MNR_HOME")
    os.environ["MNR_HOME"] = str(home_dir)
    try:
        from pipelines.settings import prepare_environment

        home = prepare_environment()
        work = tmp_path_factory.mktemp("files")
        filled = fill(build_template(work / "template.xlsx", "GHA"), work / "GHA_template_filled.xlsx")
        template, _ = submit(home, filled, "GHA")
        personal, _ = submit(home, FIXTURES / "files" / "personal_data.csv", "UGA")
        rows = {r["submission_id"]: r for r in run_pipeline()}
        yield home, template, personal, rows
    finally:
        if old is None:
            os.environ.pop("MNR_HOME", None)
        else:
            os.environ["MNR_HOME"] = old


def test_filled_template_is_accepted_and_published(run):
    home, template, _, rows = run
    assert rows[template.submission_id]["verdict"] == "accepted"
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        got = con.execute("select indicator_code, time_period, obs_value, source_ref from published.observations "
                          "where submission_id = ? order by all", [template.submission_id]).fetchall()
    assert got == [("CJ_CONVICTIONS", 2023, 41.0, "Criminal Justice!G3"),
                   ("CJ_PROSECUTIONS", 2023, 118.0, "Criminal Justice!G2"),
                   ("PG_LAW_GROOMING", 2023, 1.0, "Policy and Governance!G2")]


def test_personal_data_is_rejected_quarantined_and_never_loaded(run):
    home, _, personal, rows = run
    assert rows[personal.submission_id]["verdict"] == "rejected"
    doc = json.loads((home.feedback_dir("UGA", personal.submission_id) / "findings.json").read_text())
    assert [(f["rule_id"], f["level"], f["severity"]) for f in doc["findings"]] == [("PERSONAL_DATA", 0, "error")]
    kept = home.quarantine / "UGA" / personal.submission_id / personal.file_name
    assert kept.read_bytes() == (FIXTURES / "files" / "personal_data.csv").read_bytes()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "where table_type = 'BASE TABLE'").fetchall()
        assert len(tables) > 5
        for schema, table in tables:
            hits = con.execute(f'select count(*) from "{schema}"."{table}" t '
                               f"where contains(lower(cast(t as varchar)), lower(?)) "
                               f"or contains(cast(t as varchar), '2011-03-04')", [PLANTED]).fetchone()[0]
            assert hits == 0, f"{schema}.{table} holds a value from the refused file"
        assert con.execute("select records from raw.submissions where submission_id = ?",
                           [personal.submission_id]).fetchone() == (0,)
