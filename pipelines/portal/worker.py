"""The portal's pipeline worker: files sent through the portal are processed with no operator.

`mnr portal` runs it in its main process beside the web server. It imports the pipeline once (the run server's
preload: dagster, dbt, pandas, great-expectations) and then waits for uploads; each run is a forked child that
starts from the loaded modules and calls the same entry point as `mnr run` (pipelines.cli.run_pipeline), so a
submission sent here is processed exactly as one sent with `mnr submit` and `mnr run`. A child that crashes
marks its uploads failed and the worker goes on; runs take turns (the warehouse takes one writer).

A check ("check only") is archived in a home of its own (pipelines/portal/feedback.py) and run there, on a copy of
the warehouse taken under the readers' lock: every rule runs, with the country's published history, and nothing
can reach the published data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

POLL_SECONDS = 0.3
_stopping = False
_child_pid: int | None = None


def stop(*_args) -> None:
    """A run in progress is interrupted (nothing half-published: the run's own rule) and the worker stops when
    it has ended; with no run, at once (even while the pipeline is still loading)."""
    global _stopping
    _stopping = True
    if _child_pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(_child_pid, signal.SIGINT)
    else:
        raise SystemExit(0)


def run_forever(ready=lambda: None) -> None:
    from django.db import connections

    from pipelines.runserver import preload

    from pipelines.portal.models import Upload

    preload()
    # Uploads a stopped portal left half-way are taken again: a run that had finished finds nothing pending and
    # only marks them done; one that had not is run again (a run publishes all or nothing).
    Upload.objects.filter(state="running").update(state="queued", step="")
    ready()
    while not _stopping:
        job = next_job()
        connections.close_all()   # never carry a database connection across fork
        if job is None:
            time.sleep(POLL_SECONDS)
            continue
        run_in_child(job)


def next_job():
    """The oldest queued upload: (check upload,) or (country, [uploads of that country])."""
    from pipelines.portal.models import Upload

    first = Upload.objects.filter(state="queued").order_by("created_at", "id").first()
    if first is None:
        return None
    if first.check_only:
        return ("check", [first])
    return ("submit", list(Upload.objects.filter(state="queued", check_only=False, country=first.country)))


def run_in_child(job) -> None:
    global _child_pid
    kind, uploads = job
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = _child(kind, uploads)
        except BaseException:
            traceback.print_exc()
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    _child_pid = pid
    try:
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
    finally:
        _child_pid = None
    if os.waitstatus_to_exitcode(status) != 0:
        # The child could not say so itself (killed, crashed): whatever it left running is failed.
        from pipelines.portal.models import Upload

        Upload.objects.filter(pk__in=[u.pk for u in uploads], state__in=("queued", "running")).update(
            state="failed", error="the run stopped unexpectedly; an operator can see it in the Dagster UI")


def _child(kind: str, uploads) -> int:
    from django.db import connections
    from django.utils import timezone

    from pipelines.portal.models import Upload

    connections.close_all()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ids = [u.pk for u in uploads]
    Upload.objects.filter(pk__in=ids).update(state="running", step="starting")
    progress = StepRecorder(ids)
    try:
        if kind == "check":
            run_check(uploads[0], progress)
        else:
            from pipelines.cli import run_pipeline

            run_pipeline([uploads[0].country], progress=progress)
    except BaseException as e:   # the run's failure is the upload's state, and the worker goes on
        Upload.objects.filter(pk__in=ids).update(state="failed", error=str(e)[:2000] or type(e).__name__,
                                                 finished_at=timezone.now())
        return 0 if not isinstance(e, KeyboardInterrupt) else 130
    Upload.objects.filter(pk__in=ids).update(state="done", step="", finished_at=timezone.now())
    from pipelines.portal.notify import feedback_ready

    for u in Upload.objects.filter(pk__in=ids).select_related("user"):
        feedback_ready(u)
    return 0


class StepRecorder:
    """What the run is doing, for the upload's page: the same step names as `mnr run` prints."""

    def __init__(self, upload_ids):
        self.ids = upload_ids
        self.last = ""

    def __call__(self, text: str) -> None:
        self._set(text)

    def on_event(self, entry) -> None:
        from pipelines.progress import step_label

        event = entry.dagster_event
        if event is not None and event.step_key and event.event_type_value == "STEP_START":
            self._set(step_label(event.step_key))

    def _set(self, text: str) -> None:
        from pipelines.portal.models import Upload

        if text and text != self.last:
            self.last = text
            Upload.objects.filter(pk__in=self.ids).update(step=text[:200])


def run_check(upload, progress) -> None:
    """Run the pipeline in the check's own home on a copy of the warehouse; keep only its feedback."""
    from pipelines.settings import paths
    from pipelines.warehouse import kind, warehouse_lock

    if kind() != "duckdb":
        raise RuntimeError("a check-only upload needs the embedded warehouse; on this deployment, send the file "
                           "(it is published only if it is accepted)")
    main = paths()
    home = Path(upload.check_home)
    progress("copying the published data for the check")
    with warehouse_lock(main.warehouse, exclusive=False):
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal"):
            if (main.home / name).exists():
                shutil.copy2(main.home / name, home / name)
        (home / "state").mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            shutil.copy2(main.state / "reference.sha256", home / "state" / "reference.sha256")
    os.environ["MNR_HOME"] = str(home)
    try:
        from pipelines.cli import run_pipeline

        run_pipeline([upload.country], progress=progress)
    finally:
        os.environ["MNR_HOME"] = str(main.home)
        # The copy and the check's own pipeline state go; its archived file and feedback stay.
        for name in ("warehouse.duckdb", "warehouse.duckdb.wal", "warehouse.duckdb.lock"):
            with contextlib.suppress(FileNotFoundError):
                (home / name).unlink()
        shutil.rmtree(home / "dagster", ignore_errors=True)
