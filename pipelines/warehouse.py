"""The warehouse lock and connections: DuckDB takes one writing process per file (and no reader while it writes).

An OS file lock beside the database (`<warehouse>.lock`) is held exclusively by a run for its whole length
(pipelines/resources.py) and shared by readers, so that runs take turns and readers wait instead of failing. The
kernel releases it if the process dies. Plain module (no Dagster import) so that `mnr query` starts at once.
"""

from __future__ import annotations

import fcntl
import os
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
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


# DuckDB takes up to 80% of the machine's memory for its buffers by default; bounded, it spills large sorts and
# joins to disk instead, so that a full rebuild stays within a small server's memory (bench/RESULTS.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "1GB"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def duckdb_memory_limit() -> str:
    """MNR_DUCKDB_MEMORY_LIMIT (default 1GB), for the pipeline's DuckDB connections and dbt's."""
    limit = os.environ.get("MNR_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    if not _MEMORY.match(limit):
        raise ValueError(f"MNR_DUCKDB_MEMORY_LIMIT is {limit!r}: write a size such as 1GB or 800MB")
    return limit


def kind() -> str:
    """Where the warehouse lives: `duckdb` (one file under MNR_HOME, the default) or `postgres` (a shared server
    reached with MNR_PG_*). MNR_DBT_TARGET chooses it, so dbt and the Python layers always share one warehouse."""
    target = os.environ.get("MNR_DBT_TARGET", "duckdb") or "duckdb"
    if target not in ("duckdb", "postgres"):
        raise ValueError(f"MNR_DBT_TARGET is {target!r}: use duckdb or postgres")
    return target


def identity() -> str:
    """Which warehouse this is, for markers under MNR_HOME of what has been loaded into it: `duckdb` (the file in
    that MNR_HOME, copied with it) or the Postgres database."""
    if kind() == "postgres":
        s = postgres_settings()
        return f"postgres://{s['host']}:{s['port']}/{s['dbname']}"
    return "duckdb"


def exists(path: str | Path) -> bool:
    """Whether the warehouse has been created (a Postgres warehouse is the operator's and always exists)."""
    return kind() == "postgres" or Path(path).exists()


def postgres_settings() -> dict:
    """Connection settings for the Postgres warehouse, from the same variables as dbt_project/profiles.yml."""
    missing = [v for v in ("MNR_PG_HOST", "MNR_PG_USER", "MNR_PG_DATABASE") if not os.environ.get(v)]
    if missing:
        raise RuntimeError(f"MNR_DBT_TARGET=postgres needs {', '.join(missing)} (see docs/deployment.md)")
    return {"host": os.environ["MNR_PG_HOST"], "port": int(os.environ.get("MNR_PG_PORT", "5432")),
            "user": os.environ["MNR_PG_USER"], "password": os.environ.get("MNR_PG_PASSWORD", ""),
            "dbname": os.environ["MNR_PG_DATABASE"], "sslmode": os.environ.get("MNR_PG_SSLMODE", "prefer")}


# `num(x)`: a number as text in messages, as the rules write it (15 significant digits in DuckDB; Postgres's own
# shortest exact form). A function in the quality schema so that one name works on both.
NUM_FUNCTION = {
    "duckdb": "create schema if not exists quality; "
              "create or replace macro quality.num(x) as printf('%.15g', x::double);",
    "postgres": "create schema if not exists quality; "
                "create or replace function quality.num(x double precision) returns text language sql immutable "
                "as $$ select x::text $$;",
}


def _to_pyformat(sql: str, named: bool) -> str:
    """DuckDB's parameter marks (`?`, `$name`) as psycopg's (`%s`, `%(name)s`), leaving quoted text alone.

    Written here rather than taken from a library: sqlglot would re-write whole statements, and all that differs
    between the two drivers for SQL written in their common subset is this mark."""
    out, i, n = [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":                         # a quoted literal or identifier: copied, with % doubled
            j = i + 1
            while j < n and not (sql[j] == ch and not (j + 1 < n and sql[j + 1] == ch)):
                j += 2 if sql[j] == ch else 1
            out.append(sql[i:j + 1].replace("%", "%%"))
            i = j + 1
        elif sql.startswith("--", i):           # a comment, to the end of its line
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j].replace("%", "%%"))
            i = j
        elif ch == "%":
            out.append("%%")
            i += 1
        elif ch == "?" and not named:
            out.append("%s")
            i += 1
        elif ch == "$" and named and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append(f"%({sql[i + 1:j]})s")
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Db:
    """The warehouse as the Python layers see it, DuckDB or Postgres behind one small surface.

    SQL is written once, in what both engines accept, with DuckDB's parameter marks (`?`, or `$name` with a
    dict); list parameters go in as `unnest(?::varchar[])`. What has no common spelling goes through a method
    here: DataFrames in and out (`frame`, `insert_frame`) and temporary tables (`temp_table`).
    """

    def __init__(self, raw, kind: str):
        self.raw, self.kind = raw, kind

    def execute(self, sql: str, params=None):
        """Run one statement (or, without parameters, several); the cursor (fetchone, fetchall, description)."""
        if self.kind == "duckdb":
            return self.raw.execute(sql, params) if params is not None else self.raw.execute(sql)
        cur = self.raw.cursor()
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(_to_pyformat(sql, isinstance(params, dict)), params)
        return cur

    def executemany(self, sql: str, rows) -> None:
        if self.kind == "duckdb":
            self.raw.executemany(sql, rows)
        else:
            with self.raw.cursor() as cur:
                cur.executemany(_to_pyformat(sql, False), rows)

    def frame(self, sql: str, params=None):
        """A query's result as a pandas DataFrame."""
        if self.kind == "duckdb":
            return self.execute(sql, params).df()
        import pandas as pd

        cur = self.execute(sql, params)
        return pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])

    def insert_frame(self, table: str, data) -> None:
        """Append a pandas DataFrame or an Arrow table to `table`, matching columns by name."""
        if self.kind == "duckdb":
            self.raw.register("_frame", data)
            try:
                self.raw.execute(f"insert into {table} by name select * from _frame")
            finally:
                self.raw.unregister("_frame")
            return
        import pyarrow as pa

        if not isinstance(data, pa.Table):
            data = pa.Table.from_pandas(data, preserve_index=False)
        names = ", ".join(f'"{c}"' for c in data.column_names)
        # Arrow gives plain Python values (None for nulls, int not numpy.int64), which COPY takes as they are.
        columns = [data.column(i).to_pylist() for i in range(data.num_columns)]
        with self.raw.cursor() as cur, cur.copy(f"copy {table} ({names}) from stdin") as copy:
            for row in zip(*columns):
                copy.write_row(row)

    def temp_table(self, name: str, sql: str, params=None) -> None:
        """(Re)create a temporary table from a query."""
        self.execute(f"drop table if exists {name}")
        self.execute(f"create temp table {name} as {sql}", params)

    def ensure_num(self) -> None:
        self.execute(NUM_FUNCTION[self.kind])

    def close(self) -> None:
        self.raw.close()


def fetch_dicts(conn, sql: str, params=None) -> list[dict]:
    """A query's rows as dicts, from a `Db` or a plain DuckDB connection (a release's own file)."""
    cur = conn.execute(sql, params) if params is not None else conn.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _open_postgres(read_only: bool):
    import psycopg

    options = "-c default_transaction_read_only=on" if read_only else None
    return psycopg.connect(**postgres_settings(), autocommit=True, options=options,
                           application_name="mnr")


def _open_duckdb(path: str | Path, read_only: bool, attempts: int):
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
    conn.execute(f"set memory_limit = '{duckdb_memory_limit()}'")
    if not read_only:
        _owner_only(Path(path))
    return conn


def _owner_only(path: Path) -> None:
    """The warehouse holds the unsuppressed values: readable by the service alone (SECURITY.md); readers of the
    published layer get their own file (pipelines/query.py)."""
    for f in (path, path.with_name(path.name + ".wal")):
        try:
            if f.exists() and f.stat().st_uid == os.geteuid():
                f.chmod(0o600)
        except OSError:
            pass


@contextmanager
def connect(path: str | Path, read_only: bool = False, attempts: int = 60,
            on_wait: Callable[[], None] | None = _say_waiting_on_stderr, timeout: float | None = None):
    """Open the warehouse: a `Db` over DuckDB (the file at `path`) or Postgres (see `kind`).

    Writers hold the warehouse lock exclusively, readers of the DuckDB file share it and wait while a run holds
    it. DuckDB's own lock is retried too (with jitter), for processes outside this system that may hold the
    file, such as a DuckDB shell left open. Postgres readers take no lock: the server isolates them. `timeout`
    bounds the wait for the lock (default MNR_LOCK_TIMEOUT_S), then WarehouseBusy.
    """
    on_postgres = kind() == "postgres"
    with ExitStack() as held:
        if not (on_postgres and read_only):
            held.enter_context(warehouse_lock(path, exclusive=not read_only, on_wait=on_wait, timeout=timeout))
        db = (Db(_open_postgres(read_only), "postgres") if on_postgres
              else Db(_open_duckdb(path, read_only, attempts), "duckdb"))
        try:
            yield db
        finally:
            db.close()
