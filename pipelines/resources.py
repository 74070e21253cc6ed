"""Resources: the DuckDB warehouse and the dbt command line."""

from __future__ import annotations

import os
import random
import time
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.settings import DBT_PROJECT_DIR, bin_dir


@contextmanager
def connect(path: str | Path, read_only: bool = False, attempts: int = 60):
    """Open the warehouse, waiting (with jitter) while another process holds DuckDB's single-writer lock,
    instead of failing with a lock error."""
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


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file that holds raw, staging, marts, quality and published schemas."""

    path: str

    @contextmanager
    def connect(self, read_only: bool = False):
        with connect(self.path, read_only=read_only) as conn:
            yield conn


def dbt_executable() -> str:
    found = bin_dir() / "dbt"
    return str(found) if found.exists() else "dbt"


def dbt_resource():
    from dagster_dbt import DbtCliResource

    return DbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=dbt_executable(),
        target=os.environ.get("MNR_DBT_TARGET", "duckdb"),
    )
