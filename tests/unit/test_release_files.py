"""Releases from a small warehouse built in the test: byte-identical files from the same inputs, CHANGES.md
after a revision, the verifier blocking a leaking release, formula-safe CSV, SDMX-CSV read back by pysdmx,
the Frictionless data package and MANIFEST.sha256."""

import csv
import filecmp
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.publish.exports import csv_cell
from pipelines.publish.publish import COLUMNS, DDL
from pipelines.publish.release import BadTag, ReleaseRefused, cut

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
REFERENCE = {"ref_areas": "ref_areas", "indicators": "indicators", "cl_sex": "cl_sex", "cl_age": "cl_age",
             "cl_offence": "cl_offence", "cl_unit_measure": "cl_unit_measure", "cl_obs_status": "cl_obs_status",
             "cl_obs_conf": "cl_obs_conf", "mnr_capabilities": "mnr_capabilities", "mnr_domains": "mnr_domains"}


def obs(ind, sex, age, value, status="A", conf="F", year=2023, area="KEN", comment=None, unit="PERSONS",
        domain="CRIMINAL_JUSTICE", cap=4):
    return {"ref_area": area, "time_period": year, "indicator_code": ind, "mnr_domain": domain, "mnr_capability": cap,
            "sex": sex, "age": age, "offence": "_T", "obs_value": value, "unit_measure": unit, "obs_status": status,
            "obs_conf": conf, "submission_id": f"{area}-000000000001", "source_ref": "row 2, column value",
            "comment": comment}


ROWS = [
    obs("CJ_VICTIMS_IDENTIFIED", "F", "Y0T17", 167.0),
    obs("CJ_VICTIMS_IDENTIFIED", "M", "Y0T17", None, "Q", "C"),
    obs("CJ_VICTIMS_IDENTIFIED", "_U", "Y0T17", None, "Q", "D"),
    obs("CJ_VICTIMS_IDENTIFIED", "_T", "Y0T17", 190.0),
    obs("CJ_PROSECUTIONS", "_T", "_Z", 118.0, comment="=HYPERLINK(\"http://x\")"),
    obs("CJ_CONVICTIONS", "_T", "_Z", 60.5, "P", comment="-5 from last year; @see note"),
    obs("PG_MNR_MATURITY", "_Z", "_Z", 3.0, unit="CODE", domain="POLICY_GOVERNANCE", cap=2),
]


def warehouse(path: Path, rows=ROWS) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(str(path))
    conn.execute("create schema reference")
    for table, seed in REFERENCE.items():
        conn.execute(f"create table reference.{table} as select * from read_csv('{SEEDS / seed}.csv', "
                     "header = true, all_varchar = true)")
    conn.execute("alter table reference.indicators alter is_restricted type boolean")
    conn.execute(DDL)
    for r in rows:
        conn.execute(f"insert into published.observations values ({', '.join('?' * len(COLUMNS))})",
                     [r[c] for c in COLUMNS])
    return conn


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def released(tmp_path):
    conn = warehouse(tmp_path / "w.duckdb")
    r = cut(conn, tmp_path / "releases", tag="T1")
    conn.close()
    return r


def test_same_inputs_give_byte_identical_files(tmp_path, released):
    conn = warehouse(tmp_path / "other.duckdb")
    again = cut(conn, tmp_path / "elsewhere" / "releases", tag="T1")
    assert again.release_id == released.release_id and again.new
    a, b = files(released.folder), files(again.folder)
    assert a.keys() == b.keys()
    # release.duckdb's header holds a random database id; every other file is the same byte for byte.
    assert [n for n in a if a[n] != b[n]] == ["MANIFEST.sha256", "release.duckdb"]
    for folder in (released.folder, again.folder):
        with duckdb.connect(str(folder / "release.duckdb"), read_only=True) as db:
            rows = db.execute("select * from observations order by all").fetchall()
        assert len(rows) == 6
    assert rows == duckdb.connect(str(again.folder / "release.duckdb"), read_only=True).execute(
        "select * from observations order by all").fetchall()


def test_release_holds_no_restricted_indicator_and_is_complete(released):
    names = set(files(released.folder))
    assert {"observations.parquet", "observations.csv", "observations.sdmx.csv", "datapackage.json", "CHANGES.md",
            "MANIFEST.sha256", "release.duckdb", "codelists/cl_sex.csv", "derived_indicators.csv"} <= names
    for name in ("observations.csv", "observations.sdmx.csv"):
        assert "PG_MNR_MATURITY" not in (released.folder / name).read_text()
    assert "PG_MNR_MATURITY" not in (released.folder / "codelists/cl_indicator.csv").read_text()
    assert released.release_id.startswith("T1-") and len(released.release_id) == 3 + 12


def test_csv_is_formula_safe_and_numbers_untouched(released):
    with open(released.folder / "observations.csv", newline="", encoding="utf-8") as f:
        rows = {r["indicator_code"] + r["sex"]: r for r in csv.DictReader(f)}
    assert rows["CJ_PROSECUTIONS_T"]["comment"] == "'=HYPERLINK(\"http://x\")"
    assert rows["CJ_CONVICTIONS_T"]["comment"] == "'-5 from last year; @see note"
    assert rows["CJ_PROSECUTIONS_T"]["obs_value"] == "118" and rows["CJ_CONVICTIONS_T"]["obs_value"] == "60.5"
    assert rows["CJ_VICTIMS_IDENTIFIEDM"]["obs_value"] == "" and rows["CJ_VICTIMS_IDENTIFIEDM"]["obs_status"] == "Q"
    assert [csv_cell(v) for v in ("-12.5", "+3", "@x", "=1+1", "plain", None)] == ["-12.5", "+3", "'@x", "'=1+1",
                                                                                  "plain", ""]


def test_sdmx_csv_reads_back_with_pysdmx_with_the_same_values(released):
    from pysdmx.io import read_sdmx

    msg = read_sdmx(released.folder / "observations.sdmx.csv")
    [ds] = msg.data
    assert ds.short_urn == "Dataflow=MNR:DF_MNR_OCSEA(1.0.0)"
    got = {(r.REF_AREA, r.INDICATOR, r.SEX, r.AGE, r.OFFENCE, int(r.TIME_PERIOD)):
           (float(r.OBS_VALUE) if r.OBS_VALUE else None, r.OBS_STATUS, r.OBS_CONF) for r in ds.data.itertuples()}
    want = {(r["ref_area"], r["indicator_code"], r["sex"], r["age"], r["offence"], r["time_period"]):
            (r["obs_value"], r["obs_status"], r["obs_conf"]) for r in ROWS if r["indicator_code"] != "PG_MNR_MATURITY"}
    assert got == want
    assert (released.folder / "observations.sdmx.csv").read_text().startswith("STRUCTURE,STRUCTURE_ID,ACTION,")


def test_datapackage_passes_frictionless_validate(released):
    from frictionless import Package

    report = Package(str(released.folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    schema = Package(str(released.folder / "datapackage.json")).get_resource("observations").schema
    assert schema.primary_key == ["ref_area", "time_period", "indicator_code", "sex", "age", "offence"]
    assert any(fk["reference"]["resource"] == "cl_sex" for fk in schema.foreign_keys)


def test_datapackage_fields_are_the_declared_schema_with_its_column_texts(released):
    """The observations' Frictionless fields (name, type, description) come from the dbt contract and docs."""
    import json

    from pipelines.schema import OBSERVATIONS

    package = json.loads((released.folder / "datapackage.json").read_text())
    fields = next(r for r in package["resources"] if r["name"] == "observations")["schema"]["fields"]
    assert fields == OBSERVATIONS.frictionless_fields()
    assert next(f for f in fields if f["name"] == "source_ref")["description"].startswith(
        "Where in the submitted file the value was read")


def test_frictionless_catches_an_unknown_code(tmp_path, released):
    from frictionless import Package

    copy = tmp_path / "copy"
    shutil.copytree(released.folder, copy)
    path = copy / "observations.csv"
    path.chmod(0o644)
    path.write_text(path.read_text().replace(",F,Y0T17,", ",X,Y0T17,"))
    report = Package(str(copy / "datapackage.json")).validate()
    assert not report.valid
    assert "foreign-key" in {e.type for e in report.tasks[0].errors} | {e.type for t in report.tasks for e in t.errors}


def test_manifest_checks_with_sha256sum(released):
    done = subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=released.folder,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    listed = {line.split("  ", 1)[1] for line in (released.folder / "MANIFEST.sha256").read_text().splitlines()}
    assert listed == set(files(released.folder)) - {"MANIFEST.sha256"}


def test_changes_after_a_revision(tmp_path):
    conn = warehouse(tmp_path / "w.duckdb")
    first = cut(conn, tmp_path / "releases", today="2025-01-01")
    assert "First release: every value is new (6 observations)" in (first.folder / "CHANGES.md").read_text()
    # Nothing changed: no new release.
    assert cut(conn, tmp_path / "releases", today="2025-02-01").release_id == first.release_id
    conn.execute("update published.observations set obs_value = 120 where indicator_code = 'CJ_PROSECUTIONS'")
    conn.execute("delete from published.observations where indicator_code = 'CJ_CONVICTIONS'")
    conn.execute("insert into published.observations select * replace (2024 as time_period) "
                 "from published.observations where indicator_code = 'CJ_PROSECUTIONS'")
    second = cut(conn, tmp_path / "releases", today="2025-04-01")
    assert second.new and second.previous == first.release_id and second.release_id.startswith("2025-04-01-")
    text = (second.folder / "CHANGES.md").read_text()
    assert f"Compared with release {first.release_id}: 1 added, 1 revised, 1 withdrawn." in text
    assert "- KEN | 2024 | CJ_PROSECUTIONS | _T | _Z | _T: 120 A/F" in text
    assert "- KEN | 2023 | CJ_PROSECUTIONS | _T | _Z | _T: 118 A/F → 120 A/F" in text
    assert "- KEN | 2023 | CJ_CONVICTIONS | _T | _Z | _T: was 60.5 P/F" in text
    assert first.folder.is_dir() and (first.folder / "observations.csv").read_text().count("\n") == 7  # untouched


def test_a_leaking_table_is_refused_and_nothing_is_written(tmp_path):
    # M (suppressed, 3 in the restricted layer) = _T - F once _U is not there: F + M adds up to _T.
    leaky = [dict(r, obs_value=170.0) if r["sex"] == "_T" else r for r in ROWS if r["sex"] != "_U"]
    conn = warehouse(tmp_path / "w.duckdb", leaky)
    conn.execute("create schema marts")
    conn.execute("create table marts.fct_observations as select * replace (case when sex = 'M' then 3.0 "
                 "else obs_value end as obs_value) from published.observations")
    with pytest.raises(ReleaseRefused, match=r"(?s)1 suppressed value\(s\) could be recomputed.*sex=M age=Y0T17"
                                             r".*it can only be 3"):
        cut(conn, tmp_path / "releases")
    assert not (tmp_path / "releases").exists() or not any((tmp_path / "releases").iterdir())


def test_changes_never_print_a_value_of_a_cell_suppressed_in_either_release(tmp_path):
    # The attack: release 1 publishes M = 20 and _T = 30; a correction suppresses F (3) and M. Printing
    # "M 20 -> (none)" beside "_T 30 -> 23" gave F = 23 - 20 - 0.
    rows = [obs("CJ_VICTIMS_IDENTIFIED", s, "Y0T17", v) for s, v in (("F", 10.0), ("M", 20.0), ("_U", 0.0),
                                                                      ("_T", 30.0))]
    conn = warehouse(tmp_path / "w.duckdb", rows)
    first = cut(conn, tmp_path / "releases", today="2025-01-01")
    conn.execute("update published.observations set obs_value = null, obs_status = 'Q', "
                 "obs_conf = case sex when 'F' then 'C' else 'D' end where sex in ('F', 'M')")
    conn.execute("update published.observations set obs_value = 23 where sex = '_T'")
    second = cut(conn, tmp_path / "releases", today="2025-02-01")
    text = (second.folder / "CHANGES.md").read_text()
    assert f"Compared with release {first.release_id}: 0 added, 3 revised" in text
    assert "- KEN | 2023 | CJ_VICTIMS_IDENTIFIED | M | Y0T17 | _T: (withheld) A/F → (withheld) Q/D" in text
    assert "- KEN | 2023 | CJ_VICTIMS_IDENTIFIED | F | Y0T17 | _T: (withheld) A/F → (withheld) Q/C" in text
    assert "20" not in text.split("## Revised")[1].replace("2023", "")


def test_a_bad_tag_is_refused(tmp_path):
    conn = warehouse(tmp_path / "w.duckdb")
    with pytest.raises(BadTag):
        cut(conn, tmp_path / "releases", tag="../x")


def test_sdmx_csv_columns_are_components_of_the_dataflow_the_api_serves(released):
    """The release's SDMX-CSV names dataflow MNR:DF_MNR_OCSEA(1.0.0): its columns are components of that
    dataflow's data structure as the SDMX REST API serves it (the comment is COMMENT there, not OBS_FOOTNOTE)."""
    from pipelines.sdmx.structure import CONCEPTS

    header = (released.folder / "observations.sdmx.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["STRUCTURE", "STRUCTURE_ID", "ACTION"]
    assert set(header[3:]) <= {c.id for c in CONCEPTS} and "COMMENT" in header


def test_the_release_check_audits_the_written_release_again(tmp_path, monkeypatch):
    """The blocking asset check reads the release's own files and the restricted layer: the release passes; the
    same release with the rate of its suppressed count added (100,000 x 3 / 1,000 = 300) does not."""
    from pipelines.assets.release import release_leaks_nothing
    from pipelines.resources import Warehouse

    conn = warehouse(tmp_path / "warehouse.duckdb")     # the warehouse of MNR_HOME=tmp_path
    conn.execute("create schema marts")
    conn.execute("create table marts.fct_observations as select * replace (case sex when 'M' then 3.0 "
                 "when '_U' then 20.0 else obs_value end as obs_value) from published.observations")
    r = cut(conn, tmp_path / "releases", tag="T1")
    conn.close()
    monkeypatch.setenv("MNR_HOME", str(tmp_path))
    check = Warehouse()
    assert release_leaks_nothing(warehouse=check).passed
    (r.folder / "release.duckdb").chmod(0o644)
    with duckdb.connect(str(r.folder / "release.duckdb")) as db:
        db.execute("""insert into derived_indicators (ref_area, time_period, indicator_code, sex, age, offence,
                      obs_value, unit_measure, obs_status, obs_conf, numerator_code, denominator_code,
                      denominator_value) values ('KEN', 2023, 'CJ_VICTIMS_IDENTIFIED_PER_100K', 'M', 'Y0T17', '_T',
                      300.0, 'RATE_100000', 'A', 'F', 'CJ_VICTIMS_IDENTIFIED', 'CTX_CHILD_POP', 1000)""")
    result = release_leaks_nothing(warehouse=check)
    assert not result.passed and result.metadata["leaks"].value == 1
    assert "sex=M" in result.metadata["first"].value and "can only be 3" in result.metadata["first"].value
