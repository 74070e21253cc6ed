"""Every path the system reads or writes, in one place.

MNR_HOME (default ./data) holds everything the system writes. The repository paths (dbt project, seeds,
expectations, samples) are found relative to this package so that commands work when started by path.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SAMPLES_DIR = REPO_ROOT / "samples"

# Default size limit of a submitted file; MNR_MAX_FILE_MB overrides it.
DEFAULT_MAX_FILE_MB = 100


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def landing(self) -> Path:
        """Immutable archive: landing/<ISO3>/<submission_id>/<file>, plus receipt.json."""
        return self.home / "landing"

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def feedback(self) -> Path:
        return self.home / "feedback"

    @property
    def releases(self) -> Path:
        return self.home / "releases"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def state(self) -> Path:
        return self.home / "state"

    def submission_dir(self, country: str, submission_id: str) -> Path:
        return self.landing / country / submission_id

    def feedback_dir(self, country: str, submission_id: str) -> Path:
        return self.feedback / country / submission_id


def mnr_home() -> Path:
    return Path(os.environ.get("MNR_HOME", "data")).resolve()


def paths() -> Paths:
    return Paths(mnr_home())


def max_file_bytes() -> int:
    return int(float(os.environ.get("MNR_MAX_FILE_MB", DEFAULT_MAX_FILE_MB)) * 1024 * 1024)


def bin_dir() -> Path:
    """The directory of the running interpreter: tools such as dbt are found here, not on PATH."""
    return Path(sys.executable).parent


def prepare_environment() -> Paths:
    """Create MNR_HOME and point Dagster and dbt at it. Called by the CLI and the code location."""
    p = paths()
    for d in (p.home, p.landing, p.feedback, p.dagster_home, p.state, p.quarantine):
        d.mkdir(parents=True, exist_ok=True)
    dagster_yaml = p.dagster_home / "dagster.yaml"
    if not dagster_yaml.exists():
        dagster_yaml.write_text(
            "# Dagster instance of MNR Data Hub (one machine, embedded). See README for Postgres.\n"
            "telemetry:\n  enabled: false\n"
            "run_queue:\n  max_concurrent_runs: 1\n"
        )
    os.environ["DAGSTER_HOME"] = str(p.dagster_home)
    os.environ["MNR_HOME"] = str(p.home)
    os.environ["MNR_DUCKDB_PATH"] = str(p.warehouse)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return p
