"""`mnr serve` (pipelines/runserver.py): commands run in a child of the server, in the caller's terminal, with the
caller's exit status; Ctrl-C reaches the run; a server whose code changed on disk steps aside."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from conftest import SAMPLES
from pipelines.ingest.archive import submit

MNR = str(Path(sys.executable).parent / "mnr")
RUNSERVER_PY = Path(__file__).resolve().parents[2] / "pipelines" / "runserver.py"


def _env(home):
    return {**os.environ, "MNR_HOME": str(home.home), "MNR_DEBUG": ""}


@pytest.fixture
def server(warm_home):
    proc = subprocess.Popen([MNR, "serve"], env=_env(warm_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    assert "run server ready" in line, line + proc.stderr.read()
    yield proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _runs_by_worker_pid(home) -> dict[int, str]:
    """Each recorded run: the pid of the process that executed it (its mnr/worker tag) -> its status."""
    os.environ["DAGSTER_HOME"] = str(home.dagster_home)
    with dg.DagsterInstance.get() as instance:
        return {int(r.tags["mnr/worker"].rpartition(":")[2]): r.status.value
                for r in instance.get_runs() if "mnr/worker" in r.tags}


def test_mnr_run_is_served_by_a_child_of_the_server_with_the_callers_output_and_status(warm_home, server):
    receipt, _ = submit(warm_home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
    run = subprocess.Popen([MNR, "run"], env=_env(warm_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, out + err
    # The verdicts are printed in the caller's output, as without a server...
    assert receipt.submission_id in out and "accepted" in out
    assert (warm_home.feedback_dir("KEN", receipt.submission_id) / "report.html").is_file()
    # ...but the run was executed by neither the caller nor the server: by a child the server forked for it.
    runs = _runs_by_worker_pid(warm_home)
    assert runs and run.pid not in runs and server.pid not in runs
    assert set(runs.values()) == {"SUCCESS"}

    # A usage error comes back as the caller's exit status and message.
    bad = subprocess.run([MNR, "run", "--country", "XXX"], env=_env(warm_home), capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "XXX" in bad.stderr
    # Nothing pending: answered by the server's child too, at once.
    idle = subprocess.run([MNR, "run"], env=_env(warm_home), capture_output=True, text=True, timeout=120)
    assert idle.returncode == 0 and "Nothing pending" in idle.stdout

    # One server per home: a second one is refused at once.
    second = subprocess.run([MNR, "serve"], env=_env(warm_home), capture_output=True, text=True, timeout=120)
    assert second.returncode == 2 and "already serves" in second.stderr
    assert server.poll() is None


def test_ctrl_c_reaches_the_served_run_and_nothing_is_half_published(warm_home, server):
    submit(warm_home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
    run = subprocess.Popen([MNR, "run"], env=_env(warm_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    for line in run.stdout:
        if "processing" in line:
            break
    # Interrupt once the run has started executing (its worker recorded on it), not after a fixed pause: on a
    # loaded machine a second after "processing" the run may not exist yet, and there is then nothing to stop.
    deadline = time.monotonic() + 300
    while not _runs_by_worker_pid(warm_home) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.2)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 130, out + err
    assert "interrupted" in err
    # The interrupted run is recorded as ended (not left started), and nothing was published.
    runs = _runs_by_worker_pid(warm_home)
    assert runs and set(runs.values()) <= {"FAILURE", "CANCELED"}
    assert not (warm_home.warehouse.exists() and _published_rows(warm_home))
    assert server.poll() is None


def _published_rows(home) -> int:
    import duckdb

    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        exists = con.execute("select count(*) from information_schema.tables "
                             "where table_schema = 'published' and table_name = 'observations'").fetchone()[0]
        return con.execute("select count(*) from published.observations").fetchone()[0] if exists else 0


def test_a_server_whose_code_changed_steps_aside_and_the_caller_runs_the_command_itself(warm_home, server):
    submit(warm_home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
    before = RUNSERVER_PY.stat()
    try:
        # The module's modification time moves on as an edit would (restored after: its bytecode stays valid).
        os.utime(RUNSERVER_PY, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
        run = subprocess.Popen([MNR, "run"], env=_env(warm_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        out, err = run.communicate(timeout=600)
    finally:
        os.utime(RUNSERVER_PY, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert run.returncode == 0, out + err
    assert "older than what is on disk" in err and "running here instead" in err
    assert list(_runs_by_worker_pid(warm_home)) == [run.pid]   # executed by the caller itself
    assert server.wait(timeout=30) == 0   # and the stale server stopped
