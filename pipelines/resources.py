"""Resources: the DuckDB warehouse and the dbt command line, and the lock that lets one run write at a time.

DuckDB allows one writing process per database file (and no reader while it writes). Runs started by
`mnr run`, by the landing sensor through the Dagster daemon, or by hand in the UI must therefore take turns,
and readers (`mnr query`) must wait for them rather than fail. One mechanism does this on one machine: an OS
file lock beside the database (`<warehouse>.lock`), held exclusively for the whole of a run (acquired when the
run's resources are set up, released at teardown, and by the kernel if the process dies) and shared by readers.
The Dagster run queue (dagster.yaml, `concurrency: runs: max_concurrent_runs: 1`) keeps the daemon's runs in
line as well, so they wait in the queue where the UI shows them instead of holding a process open.

Nothing here can be set when a run is launched (SECURITY.md, "Nobody runs a program through the Dagster UI"):
a ConfigurableResource's fields are run config that the launchpad or GraphQL may override, and the dbt
resource's `dbt_executable`, `project_dir` or `profiles_dir` set there ran a program of the launcher's choosing
as the service user. The warehouse has no fields (its location follows MNR_HOME and MNR_DBT_TARGET, read from
the service's environment), and dbt is a resource without config whose values are fixed in code.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cached_property
from importlib import metadata

from packaging import version

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.faults import worker_tag
from pipelines.settings import DBT_PROJECT_DIR, bin_dir, paths
from pipelines.warehouse import acquire, connect, release, warehouse_lock  # noqa: F401 (connect: re-exported)


def _hold_for_run(context: dg.InitResourceContext, warehouse: str) -> str:
    log = context.log

    def waiting() -> None:
        if log is not None:
            log.info("waiting for the run holding the warehouse to finish (one writer at a time)")

    key = acquire(warehouse, exclusive=True, on_wait=waiting, timeout=None)
    if context.instance is not None and context.dagster_run is not None:
        # Which process runs this run, so that a run whose process is killed can be closed (faults.py).
        context.instance.add_run_tags(context.dagster_run.run_id, worker_tag())
    return key


class Warehouse(dg.ConfigurableResource):
    """The warehouse that holds raw, staging, marts, quality and published schemas: the DuckDB file, or the
    Postgres database when MNR_DBT_TARGET=postgres (pipelines/warehouse.py). A run that uses it holds
    the warehouse lock from set-up to teardown, so two runs never interleave their writes."""

    # No fields, so no run config: the warehouse of the current MNR_HOME, looked up when used (not when the code
    # location loads).
    @property
    def location(self) -> str:
        return str(paths().warehouse)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        _runs_holding[id(self)] = _hold_for_run(context, self.location)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        key = _runs_holding.pop(id(self), None)
        if key is not None:
            release(key)

    @contextmanager
    def connect(self, read_only: bool = False):
        with connect(self.location, read_only=read_only) as conn:
            yield conn


class WarehouseDbt(DbtCliResource):
    """dbt as this project runs it. Served by dbt_resource(), never bound as a configurable resource."""

    # Two costs of dagster-dbt that buy this project nothing, on every run (together about half of the dbt step
    # of a one-country run): it starts `dbt --version` in a subprocess to learn the version of dbt, and it loads
    # dbt, its database adapter and every macro into this process for row counts and column metadata, which the
    # assets here never fetch.
    @cached_property
    def _cli_version(self) -> version.Version:
        if self.dbt_executable == str(bin_dir() / "dbt"):   # the dbt of this environment: its package says it
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None

    # dagster-dbt reads dbt's events as JSON on stdout and sets the file log (its target folder's dbt.log, at
    # debug level) to JSON as well; written as text instead, the log reads better and a one-country dbt build
    # takes about a second less (formatting every debug event as JSON).
    def cli(self, args, **kwargs):
        return super().cli([*args, "--log-format-file", "text"], **kwargs)


# Resource objects are frozen pydantic models: the lock each one holds for its run is kept here.
_runs_holding: dict[int, str] = {}


def dbt_executable() -> str:
    found = bin_dir() / "dbt"
    return str(found) if found.exists() else "dbt"


@dg.resource(config_schema={}, description=(
    "dbt beside this Python (fixed in code; nothing of it can be set at launch), holding the warehouse lock for the "
    "run like the warehouse does (a seeds-only run uses dbt alone): on Postgres too, since two builds of the same "
    "models at once would replace each other's tables."))
def _dbt_for_run(context: dg.InitResourceContext):
    # No target here: profiles.yml reads MNR_DBT_TARGET when dbt runs, so the code location (loaded once) follows
    # the warehouse of the process that runs it, as Warehouse does.
    dbt = WarehouseDbt(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                       dbt_executable=dbt_executable())
    key = _hold_for_run(context, str(paths().warehouse))
    try:
        yield dbt
    finally:
        release(key)


def dbt_resource() -> dg.ResourceDefinition:
    """The dbt resource: its config schema is empty (not absent, which would take any config), so a run launched
    with config for it is refused."""
    return _dbt_for_run


def io_manager() -> dg.ResourceDefinition:
    """Dagster's file system IO manager with its folder fixed (its `base_dir` is otherwise run config: a path to
    write pickles to, and to load them from)."""
    return dg.fs_io_manager.configured(lambda _: {"base_dir": str(paths().dagster_home / "storage")},
                                       config_schema={})


# The in-process executor, its config fixed too (nothing under `execution:` can be set at launch). An empty
# schema, not none: none would take any config.
executor = dg.in_process_executor.configured(lambda _: {}, config_schema={}, name="in_process")
