import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
FIXTURES = REPO / "tests" / "fixtures"
# Screenshots and other artefacts of the browser tests, kept after the run.
ARTIFACTS = Path(os.environ.get("MNR_TEST_ARTIFACTS", REPO / "test-artifacts"))


def pytest_terminal_summary(terminalreporter):
    shots = sorted((ARTIFACTS / "portal").glob("*.png")) if (ARTIFACTS / "portal").is_dir() else []
    if shots:
        terminalreporter.write_sep("-", f"portal screenshots ({len(shots)}) in {ARTIFACTS / 'portal'}")


@pytest.fixture
def mnr_home(tmp_path, monkeypatch):
    """A fresh MNR_HOME for one test."""
    home = tmp_path / "mnr_home"
    monkeypatch.setenv("MNR_HOME", str(home))
    from pipelines.settings import prepare_environment

    return prepare_environment()


_LOAD_REFERENCE = """
from pipelines.settings import prepare_environment
prepare_environment()
import dagster as dg
from pipelines.definitions import defs
result = defs.resolve_job_def("load_reference_data").execute_in_process(instance=dg.DagsterInstance.get())
assert result.success
"""


@pytest.fixture(scope="session")
def reference_home(tmp_path_factory) -> Path:
    """An MNR_HOME whose warehouse holds the reference data, loaded once per session (dbt seed is slow);
    tests that run the pipeline start from a copy of it (warm_home)."""
    home = tmp_path_factory.mktemp("reference_home")
    subprocess.run([sys.executable, "-c", _LOAD_REFERENCE], env={**os.environ, "MNR_HOME": str(home)},
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return home


def warm_copy(reference: Path, home: Path) -> Path:
    """Start an MNR_HOME from the reference warehouse (its own Dagster instance, archive and feedback)."""
    (home / "state").mkdir(parents=True, exist_ok=True)
    for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
        if (reference / name).exists():
            shutil.copy2(reference / name, home / name)
    shutil.copy2(reference / "state" / "reference.sha256", home / "state" / "reference.sha256")
    return home


@pytest.fixture
def warm_home(reference_home, tmp_path, monkeypatch):
    """A fresh MNR_HOME for one test, with the reference data already loaded."""
    home = warm_copy(reference_home, tmp_path / "mnr_home")
    monkeypatch.setenv("MNR_HOME", str(home))
    from pipelines.settings import prepare_environment

    return prepare_environment()


@pytest.fixture(scope="session")
def session_home(tmp_path_factory, reference_home):
    """An MNR_HOME shared by the slow end-to-end tests of a session."""
    home = warm_copy(reference_home, tmp_path_factory.mktemp("session_home"))
    old = os.environ.get("MNR_HOME")
    os.environ["MNR_HOME"] = str(home)
    from pipelines.settings import prepare_environment

    yield prepare_environment()
    if old is None:
        os.environ.pop("MNR_HOME", None)
    else:
        os.environ["MNR_HOME"] = old


def copy_sample(name: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(SAMPLES / name, dest / name))
