"""End to end through the Dagster asset graph on a temporary MNR_HOME: a clean and a defective submission,
the gate per country, supersession, and the feedback documents."""

import json
import subprocess

import dagster as dg
import duckdb
import pytest

from conftest import REPO, SAMPLES
from pipelines.cli import run_pipeline
from pipelines.ingest.archive import submit
from pipelines.submissions import status_rows


def published(home, where="true"):
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(
            f"select ref_area, time_period, indicator_code, sex, age, offence, obs_value, obs_status, submission_id "
            f"from published.observations where {where} order by all").fetchall()


def findings(home, receipt):
    doc = json.loads((home.feedback_dir(receipt.country, receipt.submission_id) / "findings.json").read_text())
    return doc


@pytest.fixture(scope="module")
def first_run(session_home):
    ken, _ = submit(session_home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
    uga, _ = submit(session_home, SAMPLES / "UGA_wide_2021-2023.csv", "UGA")
    rows = run_pipeline()
    return session_home, ken, uga, rows


def test_clean_submission_is_published_and_defective_one_is_not(first_run):
    home, ken, uga, rows = first_run
    verdicts = {r["submission_id"]: r["verdict"] for r in rows}
    assert verdicts == {ken.submission_id: "accepted", uga.submission_id: "rejected"}
    assert ("KEN", 2022, "CJ_PROSECUTIONS", "_T", "_Z", "_T", 118.0, "A", ken.submission_id) in published(home)
    assert ("KEN", 2023, "CJ_VICTIMS_IDENTIFIED", "F", "Y0T17", "_T", 167.0, "A", ken.submission_id) in published(home)
    assert ("KEN", 2023, "CJ_CONVICTIONS", "_T", "_Z", "_T", 60.0, "P", ken.submission_id) in published(home)
    assert published(home, "ref_area = 'UGA'") == []


def test_defects_are_reported_where_the_country_sees_them(first_run):
    home, _, uga, _ = first_run
    doc = findings(home, uga)
    assert doc["verdict"] == "rejected" and doc["counts"]["error"] == 4
    errors = {(f["rule_id"], f["row"], f["column"], f["value"]) for f in doc["findings"] if f["severity"] == "error"}
    assert errors == {
        ("NEGATIVE_VALUE", 3, "Convictions", "-3"),
        ("OUT_OF_RANGE", 3, "% of notified CSAM removed within 3 days", "112"),
        ("NON_NUMERIC_VALUE", 3, "Prosecutions", "about 60"),
        ("UNKNOWN_INDICATOR", 1, "Child marriages", "Child marriages"),
    }
    for f in doc["findings"]:
        # The contract's fields, plus the optional acknowledgement fields (an allowed extension).
        assert set(f) == {"rule_id", "level", "severity", "message", "sheet", "row", "column", "value", "expected",
                          "indicator_code", "time_period", "acknowledged", "acknowledgement"}
        assert f["message"]
    folder = home.feedback_dir("UGA", uga.submission_id)
    assert (folder / "findings.csv").read_text().count("\n") == len(doc["findings"]) + 1
    html = (folder / "report.html").read_text()
    assert "Rejected" in html and "Child marriages" in html and "http" not in html.split("<body>")[1]


def test_status_reports_every_submission(first_run):
    home, ken, uga, _ = first_run
    rows = {r["submission_id"]: r for r in status_rows(home)}
    assert rows[ken.submission_id]["state"] == "published" and rows[ken.submission_id]["errors"] == 0
    assert rows[uga.submission_id]["state"] == "processed" and rows[uga.submission_id]["verdict"] == "rejected"
    assert set(rows[ken.submission_id]) == {"submission_id", "country", "file_name", "sha256", "received_at", "state",
                                            "verdict", "errors", "warnings"}


def test_resubmitting_the_same_bytes_changes_nothing(first_run):
    home, ken, _, _ = first_run
    before = published(home)
    again, new = submit(home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
    assert (again, new) == (ken, False)
    assert run_pipeline() == []
    assert published(home) == before


def test_rejected_country_keeps_its_values_while_another_publishes_in_the_same_run(first_run, tmp_path):
    home, ken, uga, _ = first_run
    before_ken = published(home, "ref_area = 'KEN'")
    bad = tmp_path / "KEN_revision.csv"
    bad.write_text("indicator,time_period,value\nCJ_PROSECUTIONS,2022,120\nCJ_CONVICTIONS,2022,-1\n")
    fixed = tmp_path / "UGA_fixed.csv"
    fixed.write_text("Year,Cases opened,Convictions,Prosecutions\n2021,143,22,51\n2022,158,3,60\n")
    ken2, _ = submit(home, bad, "KEN")
    uga2, _ = submit(home, fixed, "UGA")
    rows = {r["submission_id"]: r for r in run_pipeline()}
    assert rows[ken2.submission_id]["verdict"] == "rejected"
    # Convictions fall from 22 to 3: a level-3 warning, which does not stop publication.
    assert rows[uga2.submission_id]["verdict"] == "accepted_with_warnings"
    doc = findings(home, uga2)
    assert {(f["rule_id"], f["level"], f["row"], f["column"]) for f in doc["findings"] if f["severity"] == "warning"} \
        == {("YOY_CHANGE", 3, 3, "Convictions")}
    html = (home.feedback_dir("UGA", uga2.submission_id) / "report.html").read_text()
    assert 'class="flagged"' in html and '<td>CJ_CONVICTIONS</td><td>2022</td><td><bdi dir="ltr">3</bdi></td>' in html
    assert published(home, "ref_area = 'KEN'") == before_ken
    uga_rows = published(home, "ref_area = 'UGA'")
    assert ("UGA", 2022, "CJ_PROSECUTIONS", "_T", "_Z", "_T", 60.0, "A", uga2.submission_id) in uga_rows
    assert ("UGA", 2022, "CJ_CONVICTIONS", "_T", "_Z", "_T", 3.0, "A", uga2.submission_id) in uga_rows


def test_later_accepted_submission_supersedes_key_by_key(first_run, tmp_path):
    home, ken, _, _ = first_run
    rev = tmp_path / "KEN_rev2.csv"
    rev.write_text("indicator,time_period,value,comment\nCJ_PROSECUTIONS,2022,121,revised by the prosecution service\n")
    ken3, _ = submit(home, rev, "KEN")
    run_pipeline(["KEN"])
    rows = published(home, "ref_area = 'KEN' and time_period = 2022 and indicator_code in ('CJ_PROSECUTIONS', 'CJ_CONVICTIONS')")
    assert rows == [
        ("KEN", 2022, "CJ_CONVICTIONS", "_T", "_Z", "_T", 52.0, "A", ken.submission_id),
        ("KEN", 2022, "CJ_PROSECUTIONS", "_T", "_Z", "_T", 121.0, "A", ken3.submission_id),
    ]
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        history = con.execute(
            "select obs_value, superseded_at is not null from published.observation_history "
            "where ref_area = 'KEN' and time_period = 2022 and indicator_code = 'CJ_PROSECUTIONS' order by published_at, obs_value"
        ).fetchall()
    assert history == [(118.0, True), (121.0, False)]
    # The revision is a level-3 warning, acknowledged by the comment on its row.
    (rev,) = [f for f in findings(home, ken3)["findings"] if f["rule_id"] == "REVISED_VALUE"]
    assert (rev["row"], rev["column"], rev["value"], rev["severity"]) == (2, "value", "121", "warning")
    assert (rev["acknowledged"], rev["acknowledgement"]) == (True, "revised by the prosecution service")


def test_small_counts_about_children_are_suppressed(first_run, tmp_path):
    home, *_ = first_run
    f = tmp_path / "ZAF_small.csv"
    f.write_text("indicator,time_period,sex,age,value\nCJ_VICTIMS_IDENTIFIED,2023,F,Y0T17,3\n"
                 "CJ_VICTIMS_IDENTIFIED,2023,M,Y0T17,0\nCJ_PROSECUTIONS,2023,_T,,2\n")
    r, _ = submit(home, f, "ZAF")
    run_pipeline(["ZAF"])
    rows = published(home, f"submission_id = '{r.submission_id}'")
    assert ("ZAF", 2023, "CJ_VICTIMS_IDENTIFIED", "F", "Y0T17", "_T", None, "Q", r.submission_id) in rows
    assert ("ZAF", 2023, "CJ_VICTIMS_IDENTIFIED", "M", "Y0T17", "_T", 0.0, "A", r.submission_id) in rows
    assert ("ZAF", 2023, "CJ_PROSECUTIONS", "_T", "_Z", "_T", 2.0, "A", r.submission_id) in rows  # adults: not suppressed
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        assert con.execute("select obs_value from marts.fct_observations where submission_id = ? and sex = 'F'",
                           [r.submission_id]).fetchone() == (3.0,)


def test_materialize_one_country_through_dagster(first_run):
    """dg.materialize over the asset graph itself, as the Dagster UI would run it, for one partition."""
    home, *_ = first_run
    from pipelines.assets.feedback import feedback_reports
    from pipelines.assets.landing import raw_observations
    from pipelines.assets.publish import published_key_is_unique, published_observations
    from pipelines.assets.quality import (
        every_submission_has_a_verdict,
        fct_observations_expectations,
        submission_verdicts,
    )
    from pipelines.assets.standardise import standardised
    from pipelines.resources import Warehouse, dbt_resource

    r, _ = submit(home, SAMPLES / "ZAF_sdmx_2022-2023.csv", "ZAF")
    instance = dg.DagsterInstance.get()
    if "ZAF" not in instance.get_dynamic_partitions("country"):
        instance.add_dynamic_partitions("country", ["ZAF"])
    result = dg.materialize(
        [raw_observations, standardised, fct_observations_expectations, submission_verdicts,
         every_submission_has_a_verdict, published_observations, published_key_is_unique, feedback_reports],
        partition_key="ZAF", instance=instance,
        resources={"warehouse": Warehouse(), "dbt": dbt_resource()},
    )
    assert result.success
    mats = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"raw_observations", "marts/fct_observations", "submission_verdicts", "published_observations",
            "feedback_reports"} <= mats
    checks = {e.asset_check_key.name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["fct_observations_expectations"] is True
    assert checks["every_submission_has_a_verdict"] is True
    assert all(checks.values())
    assert ("ZAF", 2023, "CJ_CONVICTIONS", "_T", "_T", "_T", 97.0, "A", r.submission_id) in published(home)


def test_dbt_unit_tests_pass(first_run, tmp_path):
    home, *_ = first_run
    from pipelines.resources import dbt_executable

    # Its own target and log folders: nothing is written inside the checkout.
    out = subprocess.run(
        [dbt_executable(), "test", "--select", "test_type:unit", "--project-dir", str(REPO / "dbt_project"),
         "--profiles-dir", str(REPO / "dbt_project"), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "PASS=3" in out.stdout
