"""Access: the read-only query path cannot write (nor read files), the UI binds to loopback by default, and in a
shared deployment a country's feedback and quarantine are readable by that country's group only (SECURITY.md).
tests/e2e/test_release.py::test_mnr_query_is_read_only_and_speaks_three_formats covers DELETE and CREATE through
`mnr query` on a real pipeline's warehouse; this adds what a read-only DuckDB connection alone would allow."""

import grp
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.feedback.report import write_feedback
from pipelines.ingest.archive import read_receipt, submit
from pipelines.ingest.load import quarantine
from pipelines.settings import COUNTRY_DIR_MODE, COUNTRY_FILE_MODE, prepare_environment

MNR = str(Path(sys.executable).parent / "mnr")


@pytest.fixture
def warehouse(mnr_home):
    with duckdb.connect(str(mnr_home.warehouse)) as con:
        con.execute("create schema published; create table published.observations as select 'KEN' as ref_area, "
                    "'CJ_PROSECUTIONS' as indicator_code, 41.0 as obs_value")
    return mnr_home


@pytest.mark.parametrize("sql", [
    "copy published.observations to '{out}'",
    "export database '{out}'",
    "select * from read_text('{secret}')",
    "select * from read_csv('{secret}')",
    "install httpfs",
    "set enable_external_access = true",
    "attach '{out}' as other",
    "delete from published.observations",
    "create table published.x as select 1",
])
def test_mnr_query_cannot_write_or_reach_files(warehouse, tmp_path, sql):
    out, secret = tmp_path / "leak", tmp_path / "secret.txt"
    secret.write_text("not for query users\n")
    before = warehouse.warehouse.read_bytes()
    p = subprocess.run([MNR, "query", sql.format(out=out, secret=secret)], capture_output=True, text=True,
                       env={**os.environ, "MNR_HOME": str(warehouse.home)}, timeout=120)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "read-only" in p.stderr or "failed" in p.stderr
    assert "not for query users" not in p.stdout
    assert not out.exists()
    assert warehouse.warehouse.read_bytes() == before
    ok = subprocess.run([MNR, "query", "select ref_area, obs_value from published.observations", "--format", "csv"],
                        capture_output=True, text=True, env={**os.environ, "MNR_HOME": str(warehouse.home)})
    assert ok.returncode == 0 and ok.stdout.splitlines() == ["ref_area,obs_value", "KEN,41.0"]


def test_the_ui_binds_to_loopback_by_default(monkeypatch, tmp_path):
    assert cli.build_parser().parse_args(["ui"]).host == "127.0.0.1"
    import socket

    with socket.socket() as s:   # a free port: mnr ui refuses a busy one (tests/e2e/test_ui_access.py)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = cli.build_parser().parse_args(["ui", "--port", str(port)])
    execed = []

    class Exec(Exception):
        pass

    def fake_exec(path, argv):
        execed.append(argv)
        raise Exec

    monkeypatch.setenv("MNR_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "execv", fake_exec)
    monkeypatch.setattr(os, "execvp", fake_exec)
    with pytest.raises(Exec):
        cli.cmd_ui(args)
    argv = execed[0]
    assert argv[argv.index("-h") + 1] == "127.0.0.1" and "0.0.0.0" not in argv


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _feedback_and_quarantine(home, tmp_path, country):
    tmp_path.mkdir(parents=True, exist_ok=True)
    f = tmp_path / "people.csv"
    f.write_text("name,date of birth,value\nA,2010-01-01,1\n")
    receipt, _ = submit(home, f, country)
    quarantine(home, receipt)
    folder = home.feedback_dir(country, receipt.submission_id)
    write_feedback(folder, {"submission_id": receipt.submission_id, "country": country, "file_name": f.name,
                            "verdict": "rejected", "counts": {"error": 1, "warning": 0, "info": 0}, "findings": []})
    return receipt, folder, home.quarantine / country / receipt.submission_id


def test_nothing_under_mnr_home_is_readable_by_others_and_country_folders_are_0750(mnr_home, tmp_path):
    receipt, feedback, quarantined = _feedback_and_quarantine(mnr_home, tmp_path, "KEN")
    with duckdb.connect(str(mnr_home.warehouse)) as con:
        con.execute("create table t as select 1")
    for d in (feedback.parent, feedback, quarantined.parent, quarantined):
        assert _mode(d) == COUNTRY_DIR_MODE, d
    for f in [*feedback.iterdir(), *quarantined.iterdir()]:
        assert _mode(f) == COUNTRY_FILE_MODE, f
    # MNR_HOME, feedback/ and quarantine/ can be passed through but not listed by others; nothing else is open.
    for d in (mnr_home.home, mnr_home.feedback, mnr_home.quarantine):
        assert _mode(d) & 0o007 == 0o001, d
    others = [p for p in mnr_home.home.rglob("*")
              if p not in (mnr_home.feedback, mnr_home.quarantine) and _mode(p) & 0o006]
    assert others == [], others
    assert read_receipt(receipt.path(mnr_home).parent) == receipt


def test_a_country_group_owns_its_feedback_and_quarantine_only(tmp_path, monkeypatch):
    if os.geteuid() != 0 or subprocess.run(["which", "groupadd"], capture_output=True).returncode != 0:
        pytest.skip("creating a group needs root and groupadd (shared deployments: docs/deployment.md)")
    group = "mnr-tuv"
    created = subprocess.run(["groupadd", group], capture_output=True).returncode == 0
    # pytest's own temporary folder is closed to other users: this MNR_HOME sits where they can reach it.
    base = Path(tempfile.mkdtemp(prefix="mnr-access-", dir="/tmp"))
    base.chmod(0o711)
    monkeypatch.setenv("MNR_HOME", str(base / "home"))
    mnr_home = prepare_environment()
    try:
        gid = grp.getgrnam(group).gr_gid
        _, tuv_feedback, tuv_quarantine = _feedback_and_quarantine(mnr_home, tmp_path / "tuv", "TUV")
        _, ken_feedback, _ = _feedback_and_quarantine(mnr_home, tmp_path / "ken", "KEN")
        for p in (tuv_feedback.parent, tuv_feedback, *tuv_feedback.iterdir(), tuv_quarantine.parent,
                  tuv_quarantine, *tuv_quarantine.iterdir()):
            assert p.stat().st_gid == gid, p
        assert all(p.stat().st_gid != gid for p in (ken_feedback.parent, ken_feedback, *ken_feedback.iterdir()))
        # A member of mnr-tuv who is not the service user reads TUV's findings and cannot open KEN's folder.
        member = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", f"--groups={gid}", "--", sys.executable, "-c",
             "import sys, os\n"
             "print(open(sys.argv[1]).read()[:1])\n"
             "try:\n    os.listdir(sys.argv[2]); print('listed')\nexcept PermissionError:\n    print('refused')\n",
             str(tuv_feedback / "findings.json"), str(ken_feedback)],
            capture_output=True, text=True)
        assert member.returncode == 0, member.stderr
        assert member.stdout.split() == ["{", "refused"]
    finally:
        if created:
            subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_prepare_environment_keeps_new_files_private(mnr_home):
    prepare_environment()
    probe = mnr_home.state / "probe"
    probe.write_text("x")
    assert _mode(probe) & 0o007 == 0
