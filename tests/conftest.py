import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture
def mnr_home(tmp_path, monkeypatch):
    """A fresh MNR_HOME for one test."""
    home = tmp_path / "mnr_home"
    monkeypatch.setenv("MNR_HOME", str(home))
    from pipelines.settings import prepare_environment

    return prepare_environment()


@pytest.fixture(scope="session")
def session_home(tmp_path_factory):
    """An MNR_HOME shared by the slow end-to-end tests of a session (the reference data loads once)."""
    home = tmp_path_factory.mktemp("session_home")
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
