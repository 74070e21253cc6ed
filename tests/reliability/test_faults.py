"""Faults: a run or a release killed with SIGKILL at a given point (pipelines/faults.py, MNR_FAULT), then run
again without the fault, recovers by itself. After every kill the published state is the old one (or, once the
publication has committed, the new one), never a mix; no archived file changes; no row is duplicated; and the
final state equals the one a clean run produces from the same submissions (a control MNR_HOME).

One MNR_HOME with the reference data and an earlier KEN submission is prepared once and copied, so the seeds
load once. The same home then goes through every fault in turn (each killed run leaves its debris to the next),
which is harsher than starting each fault from a clean copy and costs one run less per fault.
"""

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import warm_copy
from pipelines.ingest.archive import all_receipts

MNR = str(Path(sys.executable).parent / "mnr")
KEY = "ref_area, time_period, indicator_code, sex, age, offence"
OLD = "indicator,time_period,value\nCJ_PROSECUTIONS,2021,40\nCJ_PROSECUTIONS,2022,41\nCJ_CONVICTIONS,2022,12\n"
NEW = {  # two accepted submissions in one run: the KEN one revises 2022 and adds 2023
    "KEN": "indicator,time_period,value\nCJ_PROSECUTIONS,2022,45\nCJ_PROSECUTIONS,2023,50\nCJ_CONVICTIONS,2023,20\n",
    "UGA": "indicator,time_period,value\nCJ_PROSECUTIONS,2022,30\nCJ_CONVICTIONS,2022,9\n",
}
TAG = "fault-test"


def mnr(home: Path, *args: str, fault: str | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "MNR_HOME": str(home), "MNR_DEBUG": ""}
    env.pop("MNR_FAULT", None)
    if fault:
        env["MNR_FAULT"] = fault
    # Its own process group, so that a fault kills the run and its dbt subprocess and nothing else.
    return subprocess.run([MNR, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          start_new_session=True)


def submit_new(home: Path, files: Path) -> list[str]:
    ids = []
    for country, text in NEW.items():
        f = files / f"{country}_new.csv"
        f.write_text(text)
        p = mnr(home, "submit", str(f), "--country", country)
        assert p.returncode == 0, p.stderr
        ids.append(p.stdout.split()[0])
    return ids


def tree_hashes(folder: Path) -> dict[str, str]:
    return {f.relative_to(folder).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file()}


def snapshot(home: Path) -> dict:
    """What a fault must not break: the published table, duplicates, history, feedback and the archive."""
    from pipelines.settings import Paths

    out = {"landing": tree_hashes(home / "landing"),
           "receipts_match": all(hashlib.sha256(r.path(Paths(home)).read_bytes()).hexdigest() == r.sha256
                                 for r in all_receipts(Paths(home))),
           "feedback": {}}
    for f in sorted((home / "feedback").glob("*/*/findings.json")):
        doc = json.loads(f.read_text())
        out["feedback"][doc["submission_id"]] = (doc["verdict"], doc["published_values"])
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        out["published"] = con.execute(f"select * from published.observations order by {KEY}").fetchall()
        out["dupes"] = {t: con.execute(
            f"select count(*) from (select submission_id, source_ref from {t} group by all having count(*) > 1)"
        ).fetchone()[0] for t in ("published.observations", "marts.fct_observations", "raw.observations")}
        out["dupes"]["published key"] = con.execute(
            f"select count(*) from (select {KEY} from published.observations group by all having count(*) > 1)"
        ).fetchone()[0]
        out["history"] = dict(con.execute(
            "select submission_id, count(*) from published.observation_history group by 1").fetchall())
        out["current_history"] = con.execute(
            "select count(*) from published.observation_history where superseded_at is null").fetchone()[0]
    runs = home / "dagster" / "history" / "runs.db"
    with sqlite3.connect(runs) as db:
        out["runs_in_flight"] = db.execute(
            "select count(*) from runs where status in ('STARTING', 'STARTED')").fetchone()[0]
    return out


@pytest.fixture(scope="module")
def prepared(tmp_path_factory, reference_home):
    """An MNR_HOME with the reference data loaded and one KEN submission published (the 'old' state)."""
    home = warm_copy(reference_home, tmp_path_factory.mktemp("prepared") / "home")
    f = home.parent / "KEN_old.csv"
    f.write_text(OLD)
    assert mnr(home, "submit", str(f), "--country", "KEN").returncode == 0
    p = mnr(home, "run")
    assert p.returncode == 0, p.stdout + p.stderr
    return home


@pytest.fixture(scope="module")
def control(prepared, tmp_path_factory):
    """The 'new' state: the new submissions processed and released by clean runs."""
    home = tmp_path_factory.mktemp("control") / "home"
    shutil.copytree(prepared, home)
    ids = submit_new(home, home.parent)
    p = mnr(home, "run")
    assert p.returncode == 0, p.stdout + p.stderr
    r = mnr(home, "release", "--tag", TAG)
    assert r.returncode == 0, r.stdout + r.stderr
    return {"home": home, "ids": ids, "state": snapshot(home), "release": r.stdout.splitlines()[-1].split()}


@pytest.fixture(scope="module")
def faulted(prepared, control, tmp_path_factory):
    """The same submissions through a run killed at each point in turn, then a clean run; then a release killed
    part-way and a clean one. Returns the snapshot after each step."""
    home = tmp_path_factory.mktemp("faulted") / "home"
    shutil.copytree(prepared, home)
    before = snapshot(home)
    assert submit_new(home, home.parent) == control["ids"]
    steps = {"before": before, "submitted": snapshot(home)}
    for point in ("ingest", "dbt", "publish", "published"):
        p = mnr(home, "run", fault=point)
        assert p.returncode == -signal.SIGKILL, f"{point}: the fault did not fire\n{p.stdout}{p.stderr}"
        steps[point] = snapshot(home)
    p = mnr(home, "run")
    assert p.returncode == 0, p.stdout + p.stderr
    steps["recovered"] = snapshot(home)
    p = mnr(home, "release", "--tag", TAG, fault="release")
    assert p.returncode == -signal.SIGKILL, p.stdout + p.stderr
    steps["release_killed"] = sorted(x.name for x in (home / "releases").iterdir())
    p = mnr(home, "release", "--tag", TAG)
    assert p.returncode == 0, p.stdout + p.stderr
    steps["release"] = p.stdout.splitlines()[-1].split()
    steps["release_dir"] = sorted(x.name for x in (home / "releases").iterdir())
    steps["released"] = snapshot(home)
    return {"home": home, "steps": steps}


def _same_archive_no_dupes(state: dict, submitted: dict) -> None:
    assert state["landing"] == submitted["landing"]   # no archived byte changed, nothing added or removed
    assert state["receipts_match"]
    assert set(state["dupes"].values()) == {0}, state["dupes"]


@pytest.mark.parametrize("point", ["ingest", "dbt", "publish"])
def test_a_run_killed_before_publication_commits_leaves_the_old_published_state(faulted, point):
    steps = faulted["steps"]
    state = steps[point]
    _same_archive_no_dupes(state, steps["submitted"])
    assert state["published"] == steps["before"]["published"]
    assert state["history"] == steps["before"]["history"]
    assert state["feedback"] == steps["before"]["feedback"]   # the new submissions are still pending


def test_a_run_killed_after_publication_commits_leaves_the_new_state_and_stays_pending(faulted, control):
    state = faulted["steps"]["published"]
    _same_archive_no_dupes(state, faulted["steps"]["submitted"])
    assert state["published"] == control["state"]["published"]
    assert not set(control["ids"]) & set(state["feedback"])   # feedback not written yet: the next run redoes it


def test_the_run_after_the_faults_equals_a_clean_run_and_publishes_each_submission_once(faulted, control):
    state, clean = faulted["steps"]["recovered"], control["state"]
    _same_archive_no_dupes(state, faulted["steps"]["submitted"])
    assert state["published"] == clean["published"]
    assert state["history"] == clean["history"]       # a submission published before the crash is not published again
    assert state["current_history"] == clean["current_history"]
    assert state["feedback"] == clean["feedback"]     # every submission has its feedback, with the same counts
    assert all(state["feedback"][sid][1] > 0 for sid in control["ids"])
    assert state["published"] != faulted["steps"]["before"]["published"]
    # The killed runs are marked failed, not left 'started' (the nightly schedule skips countries in flight).
    # (Each run marks the one killed before it; the last killed one is marked by the recovering run.)
    assert faulted["steps"]["published"]["runs_in_flight"] == 1 and state["runs_in_flight"] == 0


def test_a_release_killed_part_way_leaves_no_release_and_the_next_cut_is_identical(faulted, control):
    steps = faulted["steps"]
    release_id, folder = steps["release"]
    # Killed: only the temporary folder exists, no release folder and no index line.
    assert all(name.startswith(".cutting-") for name in steps["release_killed"]), steps["release_killed"]
    # The next cut removed it and wrote the same release as the control home.
    assert steps["release_dir"] == sorted([release_id, "index.txt"])
    assert release_id == control["release"][0]
    ours = tree_hashes(Path(folder))
    theirs = tree_hashes(Path(control["release"][1]))
    for f in ("release.duckdb", "MANIFEST.sha256"):   # DuckDB writes a random database id (and the manifest lists it)
        ours.pop(f), theirs.pop(f)
    assert ours == theirs
    manifest = (Path(folder) / "MANIFEST.sha256").read_text()
    check = subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=folder, capture_output=True)
    assert check.returncode == 0, manifest
    assert steps["released"]["runs_in_flight"] == 0


def test_runs_left_started_by_a_dead_process_are_marked_failed():
    import dagster as dg

    from pipelines.faults import fail_dead_runs

    with dg.instance_for_test() as instance:
        for run_id, trigger in (("a" * 36, "mnr run"), ("b" * 36, "landing_sensor")):
            instance.add_run(dg.DagsterRun(job_name="process_submissions", run_id=run_id,
                                           status=dg.DagsterRunStatus.STARTED, tags={"mnr/trigger": trigger}))
        assert fail_dead_runs(instance, "mnr run") == ["a" * 36]
        assert instance.get_run_by_id("a" * 36).status == dg.DagsterRunStatus.FAILURE
        # A run the daemon launched may be started and waiting for the warehouse: not ours to judge.
        assert instance.get_run_by_id("b" * 36).status == dg.DagsterRunStatus.STARTED


def test_runs_whose_worker_process_died_are_marked_failed_by_the_sensor_check():
    """Runs launched by the daemon record their worker process; once it is gone (here: a process that has
    exited) the run is closed. A live worker, and a worker on another machine, are left alone."""
    import socket

    import dagster as dg

    from pipelines.faults import WORKER_TAG, fail_dead_runs

    finished = subprocess.Popen(["true"])
    finished.wait()
    host = socket.gethostname()
    workers = {"c" * 36: f"{host}:{finished.pid}", "d" * 36: f"{host}:{os.getpid()}",
               "e" * 36: f"another-machine:{finished.pid}"}
    with dg.instance_for_test() as instance:
        for run_id, worker in workers.items():
            instance.add_run(dg.DagsterRun(job_name="process_submissions", run_id=run_id,
                                           status=dg.DagsterRunStatus.STARTED,
                                           tags={"mnr/trigger": "landing_sensor", WORKER_TAG: worker}))
        assert fail_dead_runs(instance) == ["c" * 36]
        assert instance.get_run_by_id("c" * 36).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("d" * 36).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id("e" * 36).status == dg.DagsterRunStatus.STARTED
