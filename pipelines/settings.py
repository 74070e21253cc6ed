"""Every path the system reads or writes, in one place.

MNR_HOME (default ./data) holds everything the system writes. The repository paths (dbt project, seeds,
expectations, samples) are found relative to this package so that commands work when started by path.
"""

from __future__ import annotations

import grp
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


# The Dagster instance of one machine (docs/deployment.md shows the shared-server version). The run queue lets one
# run go at a time: DuckDB takes one writer, so the daemon's runs wait in the queue (visible in the UI) rather
# than beside each other; runs started outside the daemon (`mnr run`) wait on the warehouse lock instead
# (pipelines/resources.py).
DAGSTER_YAML = """\
# Dagster instance of MNR Data Hub: one machine, embedded (SQLite storage in this folder).
# For a shared server (Postgres storage, webserver and daemon as services) see docs/deployment.md.
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
"""

# Shared server: with MNR_DAGSTER_PG_URL set (postgresql+psycopg2://user:password@host:port/db), the instance keeps
# its runs, event logs and schedules in Postgres (dagster-postgres). The file names the variable, never the URL.
DAGSTER_YAML_POSTGRES = DAGSTER_YAML.replace("(SQLite storage in this folder)", "(storage in Postgres)") + """\
storage:
  postgres:
    postgres_url:
      env: MNR_DAGSTER_PG_URL
"""


def dagster_yaml_text() -> str:
    """The dagster.yaml mnr writes: SQLite storage in MNR_HOME/dagster, or Postgres when MNR_DAGSTER_PG_URL is set."""
    return DAGSTER_YAML_POSTGRES if os.environ.get("MNR_DAGSTER_PG_URL") else DAGSTER_YAML


# Access model (SECURITY.md): nothing under MNR_HOME is readable by other users. Whatever the system writes is
# created without permissions for others (umask 027: files 0o640, folders 0o750); MNR_HOME, feedback/ and
# quarantine/ may be traversed (0o711) but not listed, so that a country's group reaches its own folder
# feedback/<ISO3>/ or quarantine/<ISO3>/ (0o750, group mnr-<iso3> when that group exists) and no other.
PRIVATE_UMASK = 0o027
TRAVERSE_ONLY = 0o711
COUNTRY_DIR_MODE = 0o750
COUNTRY_FILE_MODE = 0o640


def country_group(country: str) -> int | None:
    """The gid of the group `mnr-<iso3>` that may read a country's feedback and quarantine, if it exists."""
    try:
        return grp.getgrnam(f"mnr-{country.lower()}").gr_gid
    except KeyError:
        return None


def _give_to(path: Path, gid: int | None) -> None:
    if gid is None:
        return
    try:
        os.chown(path, -1, gid)
    except PermissionError:
        # The service user is not in that group: the folder stays the service's own (closed, not open).
        pass


def country_folder(folder: Path) -> Path:
    """Create <feedback|quarantine>/<ISO3>/<submission_id>/ for that country's group only: folders 0o750 with
    group mnr-<iso3> when it exists. Files written inside take the folder's group (country_file)."""
    country = folder.parent.name
    gid = country_group(country)
    for d in (folder.parent, folder):
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(COUNTRY_DIR_MODE)
        _give_to(d, gid)
    return folder


def country_file(path: Path) -> None:
    """A file in a country folder: 0o640, the folder's group."""
    path.chmod(COUNTRY_FILE_MODE)
    _give_to(path, path.parent.stat().st_gid)


def prepare_environment() -> Paths:
    """Create MNR_HOME and point Dagster and dbt at it. Called by the CLI and the code location."""
    os.umask(PRIVATE_UMASK)
    p = paths()
    for d in (p.home, p.landing, p.feedback, p.dagster_home, p.state, p.quarantine):
        d.mkdir(parents=True, exist_ok=True)
    for d in (p.home, p.feedback, p.quarantine):
        d.chmod(TRAVERSE_ONLY)
    dagster_yaml = p.dagster_home / "dagster.yaml"
    # Written on first use and again when the storage choice changes; a file edited by hand is left alone.
    wanted = dagster_yaml_text()
    if not dagster_yaml.exists() or dagster_yaml.read_text() in {DAGSTER_YAML, DAGSTER_YAML_POSTGRES} - {wanted}:
        dagster_yaml.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(p.dagster_home)
    os.environ["MNR_HOME"] = str(p.home)
    os.environ["MNR_DUCKDB_PATH"] = str(p.warehouse)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    return p
