"""The shared deployment on Postgres: the same dbt project on both adapters gives the same marts, and the Dagster
instance keeps its runs in Postgres when MNR_DAGSTER_PG_URL is set.

Needs a Postgres server: MNR_PG_HOST, MNR_PG_PORT, MNR_PG_USER, MNR_PG_PASSWORD, MNR_PG_DATABASE (.ci/run starts
one with .ci/postgres.sh). The tests work in a database of their own, created and dropped here, so they never
touch the data of the database they are pointed at; the role needs CREATEDB.
"""

import json
import os
import re
import subprocess
import urllib.parse
import uuid
from pathlib import Path

import duckdb
import psycopg
import pytest

from conftest import SAMPLES
from pipelines.reference import alias_rows, normalise_label, read_seed
from pipelines.settings import DBT_PROJECT_DIR, bin_dir

pytestmark = pytest.mark.skipif(
    not os.environ.get("MNR_PG_HOST"),
    reason="no Postgres server: set MNR_PG_HOST, MNR_PG_PORT, MNR_PG_USER, MNR_PG_PASSWORD, MNR_PG_DATABASE "
           "(.ci/run starts one with .ci/postgres.sh)",
)

MARTS = ["fct_observations", "fct_current_observations", "fct_derived_indicators", "fct_capability_coverage",
         "fct_capability_progress"]
# DuckDB column types as Postgres spells them; anything else is carried as text.
PG_TYPES = {"VARCHAR": "varchar", "INTEGER": "integer", "BIGINT": "bigint", "DOUBLE": "double precision",
            "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz"}


def connect(database: str | None = None):
    return psycopg.connect(host=os.environ["MNR_PG_HOST"], port=int(os.environ.get("MNR_PG_PORT", "5432")),
                           user=os.environ["MNR_PG_USER"], password=os.environ.get("MNR_PG_PASSWORD", ""),
                           dbname=database or os.environ["MNR_PG_DATABASE"], autocommit=True)


@pytest.fixture(scope="module")
def pg_database():
    """A fresh database for this module (dropped afterwards), its name."""
    name = f"mnr_test_{uuid.uuid4().hex[:10]}"
    with connect() as con:
        con.execute(f'create database "{name}" template template0 encoding \'UTF8\' locale \'C.UTF-8\'')
    yield name
    with connect() as con:
        con.execute(f'drop database if exists "{name}" with (force)')


def pg_url(database: str) -> str:
    # The driver is named: SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, on which dagster-postgres's
    # NOTIFY with a bound parameter fails.
    q = urllib.parse.quote
    return (f"postgresql+psycopg2://{q(os.environ['MNR_PG_USER'], safe='')}:{q(os.environ.get('MNR_PG_PASSWORD', ''), safe='')}"
            f"@{os.environ['MNR_PG_HOST']}:{os.environ.get('MNR_PG_PORT', '5432')}/{database}")


@pytest.fixture(scope="module")
def processed(tmp_path_factory, pg_database):
    """Every sample through the real pipeline on DuckDB, with the Dagster instance's storage on Postgres; then the
    release marts built on DuckDB. Returns the MNR_HOME."""
    home = tmp_path_factory.mktemp("pg_home")
    saved = {k: os.environ.get(k) for k in ("MNR_HOME", "MNR_DAGSTER_PG_URL", "DAGSTER_HOME", "MNR_DUCKDB_PATH")}
    os.environ["MNR_HOME"] = str(home)
    os.environ["MNR_DAGSTER_PG_URL"] = pg_url(pg_database)
    try:
        from pipelines.cli import run_pipeline
        from pipelines.ingest.archive import submit
        from pipelines.settings import prepare_environment

        p = prepare_environment()
        for f in sorted(SAMPLES.iterdir()):
            if f.is_file() and f.name[:3].isupper() and f.name[3] == "_":
                submit(p, f, f.name[:3])
        rows = run_pipeline()
        assert rows, "the pipeline processed nothing"
        dbt(["build", "--select", "tag:release"], {"MNR_DBT_TARGET": "duckdb", "MNR_DUCKDB_PATH": str(p.warehouse)},
            tmp_path_factory.mktemp("dbt_duckdb"))
        yield home
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def dbt(args: list[str], env: dict[str, str], target_dir: Path) -> dict:
    """One dbt command on the project, in its own target folder (the code location's manifest stays as it is);
    returns run_results.json."""
    done = subprocess.run(
        [str(bin_dir() / "dbt"), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(target_dir), "--log-path", str(target_dir / "logs")],
        env={**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env},
        capture_output=True, text=True)
    assert done.returncode == 0, f"dbt {' '.join(args)} failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return json.loads((target_dir / "run_results.json").read_text())


def copy_schema(duck: duckdb.DuckDBPyConnection, pg, schema: str) -> int:
    """Copy every table of a DuckDB schema into Postgres (same names and types) with COPY; rows copied."""
    copied = 0
    pg.execute(f"create schema if not exists {schema}")
    tables = [t for (t,) in duck.execute("select table_name from information_schema.tables where table_schema = ? "
                                         "and table_type = 'BASE TABLE' order by 1", [schema]).fetchall()]
    for table in tables:
        cols = duck.execute("select column_name, data_type from information_schema.columns where table_schema = ? "
                            "and table_name = ? order by ordinal_position", [schema, table]).fetchall()
        pg.execute(f"create table {schema}.{table} ("
                   + ", ".join(f'"{c}" {PG_TYPES.get(t, "text")}' for c, t in cols) + ")")
        names = ", ".join(f'"{c}"' for c, _ in cols)
        rows = duck.execute(f'select {names} from "{schema}"."{table}"').fetchall()
        with pg.cursor() as cur, cur.copy(f"copy {schema}.{table} ({names}) from stdin") as copy:
            for row in rows:
                copy.write_row([v if t in PG_TYPES else (None if v is None else str(v)) for v, (_, t) in
                                zip(row, cols)])
        copied += len(rows)
    return copied


@pytest.fixture(scope="module")
def built_on_postgres(processed, pg_database, tmp_path_factory):
    """The raw and published tables of the processed DuckDB warehouse copied into Postgres, then `dbt seed` and
    `dbt build` with --target postgres. Returns the build's run_results."""
    warehouse = processed / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as duck, connect(pg_database) as pg:
        assert copy_schema(duck, pg, "raw") > 0
        assert copy_schema(duck, pg, "published") > 0
    env = {"MNR_DBT_TARGET": "postgres", "MNR_PG_DATABASE": pg_database}
    target = tmp_path_factory.mktemp("dbt_postgres")
    dbt(["seed"], env, target)
    return dbt(["build"], env, target)


def sorted_rows(fetched) -> list[tuple]:
    return sorted((tuple(r) for r in fetched), key=lambda row: [(v is None, v if v is not None else 0) for v in row])


def test_dbt_builds_and_unit_tests_pass_on_postgres(built_on_postgres):
    results = built_on_postgres["results"]
    units = [r for r in results if r["unique_id"].startswith("unit_test.")]
    models = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert len(units) >= 3 and all(r["status"] == "pass" for r in units)
    assert set(MARTS) <= models
    assert all(r["status"] in ("success", "pass") for r in results), [
        (r["unique_id"], r["status"]) for r in results if r["status"] not in ("success", "pass")]


@pytest.mark.parametrize("mart", MARTS)
def test_marts_on_postgres_equal_duckdb_row_for_row(built_on_postgres, processed, pg_database, mart):
    with duckdb.connect(str(processed / "warehouse.duckdb"), read_only=True) as duck:
        cur = duck.execute(f"select * from marts.{mart}")
        duck_cols = [d[0] for d in cur.description]
        duck_rows = sorted_rows(cur.fetchall())
    with connect(pg_database) as pg, pg.cursor() as cur:
        cur.execute(f"select * from marts.{mart}")
        pg_cols = [d.name for d in cur.description]
        pg_rows = sorted_rows(cur.fetchall())
    assert pg_cols == duck_cols
    assert len(duck_rows) > 0
    assert pg_rows == duck_rows


def test_postgres_norm_label_matches_python_on_every_seed_label(pg_database):
    """The postgres__ variant of norm_label against pipelines.reference.normalise_label (the DuckDB variant has its
    own parity test in tests/unit/test_reference.py)."""
    macro = (DBT_PROJECT_DIR / "macros" / "norm_label.sql").read_text()
    body = macro.split("macro postgres__norm_label(col) -%}")[1].split("{%- endmacro")[0].strip()
    labels = {r["alias"] for r in alias_rows()} | {r["indicator_name"] for r in read_seed("indicators")}
    labels |= {"Année", "  CJ_Prosecutions ", "ذَكَر", "% du matériel", "Âge (ans)", "niño/niña", "ﬁn", "Straße",
               "ÆØÅ", "İstanbul", "مـــــدينة"}
    with connect(pg_database) as pg:
        for label in sorted(labels):
            sql = body.replace("%", "%%").replace("{{ col }}", "%s::text")  # the macro's own '%' is not a parameter
            got = pg.execute(f"select {sql}", [label]).fetchone()[0]
            assert got == normalise_label(label), label


def test_dagster_instance_keeps_runs_and_partitions_in_postgres(processed, pg_database):
    import dagster as dg

    yaml_text = (processed / "dagster" / "dagster.yaml").read_text()
    assert re.search(r"storage:\s+postgres:\s+postgres_url:\s+env: MNR_DAGSTER_PG_URL", yaml_text)
    assert "password" not in yaml_text and os.environ["MNR_PG_HOST"] not in yaml_text
    with dg.DagsterInstance.from_config(str(processed / "dagster")) as instance:
        jobs = {r.job_name: r.status for r in instance.get_runs()}
        assert jobs.get("process_submissions") == dg.DagsterRunStatus.SUCCESS
        assert jobs.get("load_reference_data") == dg.DagsterRunStatus.SUCCESS
        assert set(instance.get_dynamic_partitions("country")) >= {"BRA", "FRA", "JOR", "KEN", "PHL", "UGA", "ZAF"}
    # In Postgres itself, and not in SQLite files beside dagster.yaml.
    with connect(pg_database) as pg:
        names = {n for (n,) in pg.execute("select pipeline_name from runs").fetchall()}
        partitions = {k for (k,) in pg.execute("select partition from dynamic_partitions").fetchall()}
    assert {"process_submissions", "load_reference_data"} <= names and "KEN" in partitions
    assert not list((processed / "dagster").rglob("*.db"))
