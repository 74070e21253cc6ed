"""The warehouse lock and connections: DuckDB takes one writing process per file (and no reader while it writes).

An OS file lock beside the database (`<warehouse>.lock`) is held exclusively by a run for its whole length
(pipelines/resources.py) and shared by readers, so that runs take turns and readers wait instead of failing. The
kernel releases it if the process dies. Plain module (no Dagster import) so that `mnr query` starts at once.
"""

from __future__ import annotations

import fcntl
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import duckdb

# How long a run or a reader waits for the warehouse before giving up (a long multi-country run is minutes).
DEFAULT_LOCK_TIMEOUT_S = 3600
READER_WAIT_MESSAGE = "waiting for the running pipeline to finish (the warehouse takes one writer at a time)…"


def lock_timeout() -> float:
    return float(os.environ.get("MNR_LOCK_TIMEOUT_S", DEFAULT_LOCK_TIMEOUT_S))


class WarehouseBusy(RuntimeError):
    """The warehouse stayed locked for longer than MNR_LOCK_TIMEOUT_S."""


def lock_path(warehouse: str | Path) -> Path:
    return Path(f"{warehouse}.lock")


class _Held:
    def __init__(self, fd: int, exclusive: bool):
        self.fd, self.exclusive, self.count = fd, exclusive, 0


# flock() locks belong to an open file, so a second open() in the same process would wait for itself: the
# process keeps one lock per warehouse and counts nested holders (the run, then each asset's connection).
_held: dict[str, _Held] = {}
_guard = threading.RLock()


def _flock_waiting(fd: int, mode: int, on_wait: Callable[[], None] | None, timeout: float) -> None:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        pass
    if on_wait is not None:
        on_wait()
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.2 + random.random() * 0.3)
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise WarehouseBusy(
                    f"the warehouse has been busy for {timeout / 60:.0f} minutes: a pipeline run is still going "
                    "(see it in `mnr ui`). Try again when it has finished, or raise MNR_LOCK_TIMEOUT_S."
                ) from None


def acquire(warehouse: str | Path, exclusive: bool, on_wait: Callable[[], None] | None,
             timeout: float | None) -> str:
    key = str(Path(warehouse).resolve())
    wait = lock_timeout() if timeout is None else timeout
    with _guard:
        held = _held.get(key)
        if held is None:
            path = lock_path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _flock_waiting(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH, on_wait, wait)
            except BaseException:
                os.close(fd)
                raise
            held = _held[key] = _Held(fd, exclusive)
        elif exclusive and not held.exclusive:
            # A reader in this process now wants to write: upgrade (nothing else in this process holds it).
            _flock_waiting(held.fd, fcntl.LOCK_EX, on_wait, wait)
            held.exclusive = True
        held.count += 1
    return key


def release(key: str) -> None:
    with _guard:
        held = _held[key]
        held.count -= 1
        if held.count == 0:
            del _held[key]
            os.close(held.fd)  # closing the file releases the lock


@contextmanager
def warehouse_lock(warehouse: str | Path, exclusive: bool = True, on_wait: Callable[[], None] | None = None,
                   timeout: float | None = None):
    """Hold the warehouse: exclusively (a run, a writer) or shared (readers). Re-entrant within a process.

    `on_wait` is called once if the lock is not free at once, before waiting; the wait is bounded by
    MNR_LOCK_TIMEOUT_S (default one hour).
    """
    key = acquire(warehouse, exclusive, on_wait, timeout)
    try:
        yield
    finally:
        release(key)


def _say_waiting_on_stderr() -> None:
    print(READER_WAIT_MESSAGE, file=sys.stderr, flush=True)


@contextmanager
def connect(path: str | Path, read_only: bool = False, attempts: int = 60,
            on_wait: Callable[[], None] | None = _say_waiting_on_stderr):
    """Open the warehouse under its lock (shared to read, exclusive to write; waits while a run holds it).

    DuckDB's own lock is retried too (with jitter), for processes outside this system that may hold the
    file, such as a DuckDB shell left open.
    """
    with warehouse_lock(path, exclusive=not read_only, on_wait=on_wait):
        delay = 0.1
        for attempt in range(attempts):
            try:
                conn = duckdb.connect(str(path), read_only=read_only)
                break
            except duckdb.IOException as e:
                if "lock" not in str(e).lower() or attempt == attempts - 1:
                    raise
                time.sleep(delay + random.random() * delay)
                delay = min(delay * 1.5, 2.0)
        try:
            yield conn
        finally:
            conn.close()
