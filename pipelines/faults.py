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


def fail_runs_of_dead_processes(instance, trigger: str) -> list[str]:
    """Mark failed the runs left 'started' by a process that died. Call it while holding the warehouse lock.

    `mnr run` and `mnr release` execute their runs in their own process and hold the warehouse lock
    (pipelines/warehouse.py) from before each run starts until after it ends, and the kernel releases that lock
    when the process dies. So while the caller holds the lock, a run with the same trigger tag still marked as
    started belongs to a dead process. Left as it is, it would stay 'started' in the UI for ever, and the
    nightly schedule, which skips countries with a run in flight, would never take those submissions again.
    """
    import dagster as dg

    stale = instance.get_runs(dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED], tags={"mnr/trigger": trigger}))
    for run in stale:
        instance.report_run_failed(run, message="The process running this run stopped before it ended (killed or "
                                                "a power cut). Nothing it did was half-published; the next run "
                                                "takes its submissions again.")
    return [r.run_id for r in stale]
