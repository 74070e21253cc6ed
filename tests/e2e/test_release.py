"""End to end: submissions through the pipeline, `mnr release` through the Dagster job cut_release, the
release files, the country profiles in headless Chromium, and `mnr query` refusing writes."""

import contextlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLES, warm_copy
from pipelines.cli import main, run_pipeline
from pipelines.ingest.archive import submit
from pipelines.settings import prepare_environment

CHROMIUM = shutil.which("chromium") or (Path("/usr/bin/chromium") if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def released(reference_home, tmp_path_factory):
    """One pipeline run and one `mnr release` on a home of their own, shared by the tests:
    (home, exit code, stdout, stderr)."""
    old = os.environ.get("MNR_HOME")
    os.environ["MNR_HOME"] = str(warm_copy(reference_home, tmp_path_factory.mktemp("release_home")))
    try:
        home = prepare_environment()
        submit(home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
        submit(home, SAMPLES / "BRA_indicadores_2021-2023.json", "BRA")
        run_pipeline()
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["release", "--tag", "e2e"])
        yield home, code, out.getvalue(), err.getvalue()
    finally:
        if old is None:
            os.environ.pop("MNR_HOME", None)
        else:
            os.environ["MNR_HOME"] = old


def cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_mnr_release_cuts_a_verified_release_with_derived_indicators(released, capsys):
    home, code, out, err = released
    assert code == 0, err
    release_id, folder = out.strip().splitlines()[-1].split(" ", 1)
    folder = Path(folder)
    assert release_id.startswith("e2e-") and folder == home.releases / release_id
    assert subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=folder).returncode == 0
    with duckdb.connect(str(folder / "release.duckdb"), read_only=True) as db:
        assert db.execute("select count(*) from observations where indicator_code = 'PG_MNR_MATURITY'").fetchone()[0] == 0
        rates = db.execute("select indicator_code, denominator_source from derived_indicators "
                           "where unit_measure = 'RATE_100000' and ref_area = 'KEN'").fetchall()
        assert rates and all(src.startswith(("seeds/child_population.csv", "CTX_CHILD_POP from")) for _, src in rates)
        assert db.execute("select count(*) from capability_coverage where ref_area = 'KEN'").fetchone()[0] == 3 * 21
    from frictionless import Package

    report = Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert cli(capsys, "release", "--tag", "../bad")[0] == 2


def test_country_profile_renders_in_headless_chromium(released, tmp_path):
    home = released[0]
    page = home.home / "profiles" / "KEN.html"
    html = page.read_text()
    assert "Kenya" in html and "CJ_VICTIMS_IDENTIFIED" in html and "<svg" in html and "observations.csv" in html
    assert "http://" not in html.split("<body>")[1].replace('href="../releases', "")
    assert (home.home / "profiles" / "BRA.html").exists()
    if CHROMIUM is None:
        pytest.skip("no chromium binary on this machine (apt-get install chromium)")
    shot = tmp_path / "profile.png"
    done = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}", f"--screenshot={shot}",
                           "--window-size=1200,1600", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.stat().st_size > 10_000  # a rendered page, not an empty canvas
    dom = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--no-first-run", f"--user-data-dir={tmp_path / 'chrome2'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert 'class="card indicator"' in dom.stdout and 'id="coverage"' in dom.stdout


def test_mnr_query_is_read_only_and_speaks_three_formats(released, capsys):
    code, _, err = cli(capsys, "query", "delete from published.observations")
    assert code == 2 and "read-only" in err
    code, _, err = cli(capsys, "query", "create table x as select 1")
    assert code == 2 and "read-only" in err
    sql = "select ref_area, count(*) as n from published.observations group by 1 order by 1"
    code, out, _ = cli(capsys, "query", sql, "--format", "json")
    assert code == 0 and [r["ref_area"] for r in json.loads(out)] == ["BRA", "KEN"]
    code, out, _ = cli(capsys, "query", sql, "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "ref_area,n" and out.splitlines()[1].startswith("BRA,")
    code, out, _ = cli(capsys, "query", sql, "--format", "table")
    assert code == 0 and "KEN" in out
