"""Nobody runs a program through the Dagster UI: no run config can name an executable, a path or a database
(checked on every job, and through the real webserver's GraphQL launch, as the launchpad sends it); the UI is
served on a Unix socket that only its owner (and the operators' group) may connect to; `mnr ui` on a busy port
or a non-loopback host stops with a message instead of starting anything."""

import http.client
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import pytest

from conftest import REPO

MNR = str(Path(sys.executable).parent / "mnr")
# What an attacker sets in the launchpad: a program, a folder to write to or load pickles from, a database.
HOSTILE = [
    {"resources": {"dbt": {"config": {"dbt_executable": "{evil}"}}}},
    {"resources": {"dbt": {"config": {"project_dir": "/tmp", "profiles_dir": "/tmp"}}}},
    {"resources": {"warehouse": {"config": {"path": "/tmp/other.duckdb"}}}},
    {"resources": {"io_manager": {"config": {"base_dir": "/etc"}}}},
    {"execution": {"config": {"marker_to_close": "/tmp/marker"}}},
    {"execution": {"in_process": {"config": {"retries": {"enabled": {}}}}}},
]
JOBS = ("cut_release", "process_submissions", "load_reference_data")


def _configs(evil: str) -> list[dict]:
    return [json.loads(json.dumps(c).replace("{evil}", evil)) for c in HOSTILE]


@pytest.mark.parametrize("job", JOBS)
def test_no_run_config_names_a_program_a_path_or_a_database(mnr_home, job):
    from pipelines.definitions import defs

    definition = defs.resolve_job_def(job)
    for config in _configs("/tmp/evil.sh"):
        with pytest.raises(dg.DagsterInvalidConfigError):
            dg.validate_run_config(definition, config)
    # What mnr itself sends still passes: the console's log level and the release's tag.
    ok = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    if job == "cut_release":
        ok["ops"] = {"release": {"config": {"tag": "2025-Q4"}}}
    dg.validate_run_config(definition, ok)


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=60)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(self.socket_path)


def graphql(path: str, query: str, variables: dict | None = None) -> dict:
    conn = UnixConnection(path)
    try:
        conn.request("POST", "/graphql", body=json.dumps({"query": query, "variables": variables or {}}),
                     headers={"Content-Type": "application/json"})
        doc = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    assert "errors" not in doc, doc["errors"]
    return doc["data"]


LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) { __typename
  ... on LaunchRunSuccess { run { runId status } }
  ... on RunConfigValidationInvalid { errors { message } }
  ... on PythonError { message } } }"""
REPOSITORIES = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"""


@pytest.fixture(scope="module")
def ui_on_socket(tmp_path_factory):
    """`mnr ui --socket` on a fresh MNR_HOME; the socket sits in a folder others may pass through, so that only
    the socket's own mode stands between them and the UI."""
    home = tmp_path_factory.mktemp("ui_home")
    folder = Path(tempfile.mkdtemp(prefix="mnr-ui-", dir="/tmp"))
    folder.chmod(0o711)
    path = folder / "ui.sock"
    log = open(home / "ui.log", "w")
    env = {**os.environ, "MNR_HOME": str(home)}
    proc = subprocess.Popen([MNR, "ui", "--socket", str(path)], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, f"mnr ui exited: see {log.name}"
            assert time.monotonic() < deadline, f"the UI did not answer: see {log.name}"
            try:
                graphql(str(path), "{ version }")
                break
            except (OSError, http.client.HTTPException):
                time.sleep(1)
        yield path, home
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def test_the_socket_is_closed_to_other_users(ui_on_socket):
    path, _ = ui_on_socket
    mode = stat.S_IMODE(path.stat().st_mode)
    assert stat.S_ISSOCK(path.stat().st_mode) and mode & 0o007 == 0, oct(mode)
    if os.geteuid() != 0:
        return   # becoming another user needs root; the mode above is what the kernel checks
    other = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", sys.executable, "-c",
         "import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
         "try:\n    s.connect(sys.argv[1]); print('connected')\nexcept PermissionError:\n    print('refused')\n",
         str(path)], capture_output=True, text=True, timeout=60)
    assert other.stdout.split() == ["refused"], other.stderr


def test_a_launch_that_names_a_program_is_refused_by_the_webserver(ui_on_socket, tmp_path):
    path, home = ui_on_socket
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\nid > {marker}\n")
    evil.chmod(0o755)
    (repo,) = graphql(str(path), REPOSITORIES)["repositoriesOrError"]["nodes"]
    selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"]}
    answers = []
    for job in JOBS:
        for config in _configs(str(evil)):
            out = graphql(str(path), LAUNCH, {"params": {"selector": {**selector, "jobName": job},
                                                         "runConfigData": config}})["launchRun"]
            answers.append(out["__typename"])
            assert out["__typename"] == "RunConfigValidationInvalid", (job, config, out)
    assert len(answers) == len(JOBS) * len(HOSTILE)
    # The control: the same launch without the hostile config is taken (so the refusals above are the config's).
    out = graphql(str(path), LAUNCH, {"params": {"selector": {**selector, "jobName": "load_reference_data"},
                                                 "runConfigData": {}}})["launchRun"]
    assert out["__typename"] == "LaunchRunSuccess", out
    time.sleep(2)
    assert not marker.exists()


def test_mnr_ui_on_a_busy_port_stops_with_a_message(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        env = {**os.environ, "MNR_HOME": str(tmp_path / "home")}
        started = time.monotonic()
        p = subprocess.run([MNR, "ui", "--port", str(port)], capture_output=True, text=True, env=env, timeout=120,
                           start_new_session=True)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in p.stderr
    # It stopped before starting anything (dagster dev went on with its daemon and no webserver).
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_mnr_ui_refuses_to_open_the_ui_to_the_network(tmp_path, host):
    p = subprocess.run([MNR, "ui", "--host", host], capture_output=True, text=True,
                       env={**os.environ, "MNR_HOME": str(tmp_path / "home")}, timeout=120)
    assert p.returncode == 2 and "no sign-in" in p.stderr, p.stderr
