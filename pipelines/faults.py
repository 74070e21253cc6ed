"""Faults: deterministic fault injection for the reliability tests (tests/reliability/test_faults.py), and
the clean-up of runs that a killed process left marked as started.

`fault_point(name)` kills the process on the spot with SIGKILL when the environment variable MNR_FAULT names
that point, as a power cut or the kernel's out-of-memory killer would: no exception handler, `finally` block
or atexit hook runs. When the process leads its own process group (the tests start runs with
start_new_session), the whole group dies, so a dbt subprocess goes down with the run. Without MNR_FAULT the
call is one dictionary lookup.

Points: ingest (raw rows of the run's first submission written), dbt (the dbt build has started and finished
its first node), publish (inside the publication transaction, after the first submission), published (the
publication committed, the feedback not yet written), release (some release files written, not the rest).
"""

from __future__ import annotations

import os
import signal

POINTS = ("ingest", "dbt", "publish", "published", "release")


def fault_point(name: str) -> None:
    if os.environ.get("MNR_FAULT") != name:
        return
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


# Set on a run when it takes the warehouse (pipelines/resources.py): the machine and process that run it.
WORKER_TAG = "mnr/worker"


def worker_tag() -> dict[str, str]:
    import socket

    return {WORKER_TAG: f"{socket.gethostname()}:{os.getpid()}"}


def _gone(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE   # killed, not yet reaped by its parent
    except psutil.NoSuchProcess:
        return True


def fail_dead_runs(instance, trigger: str | None = None) -> list[str]:
    """Mark failed the runs left 'started' by a process that died; their ids.

    Left as they are, they would stay 'started' in the UI for ever, and the nightly schedule, which skips
    countries with a run in flight, would never take those submissions again. Two ways to know a run is dead:

    - its worker (WORKER_TAG, recorded when the run takes the warehouse) was a process on this machine that no
      longer exists. This covers runs launched by the daemon (sensor, schedules, the UI) in processes of their
      own, whose death the default run launcher cannot report. Runs of another machine are left alone.
    - `trigger` given: the caller (`mnr run`, `mnr release`) holds the warehouse lock and executes its runs in
      its own process, holding the lock from before each run starts until after it ends; the kernel releases the
      lock when a process dies. So a run with that trigger tag still marked started belongs to a dead process,
      even one killed before it recorded its worker.
    """
    import socket

    import dagster as dg

    host = socket.gethostname()
    dead = []
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTING,
                                                         dg.DagsterRunStatus.STARTED])):
        worker_host, _, pid = run.tags.get(WORKER_TAG, "").rpartition(":")
        ours = trigger is not None and run.tags.get("mnr/trigger") == trigger
        if ours or (worker_host == host and pid.isdigit() and _gone(int(pid))):
            instance.report_run_failed(run, message="The process running this run stopped before it ended (killed "
                                                    "or a power cut). Nothing it did was half-published; the next "
                                                    "run takes its submissions again.")
            dead.append(run.run_id)
    return dead
