"""The shared deployment on Postgres: every sample through the whole pipeline (landing, dbt, the quality gate,
publication, feedback, a release) with the warehouse and the Dagster instance on a real Postgres server, and the
same samples through the embedded DuckDB warehouse: the published values, verdicts, findings, marts and release
files must be the same.

Needs a Postgres server: MNR_PG_HOST, MNR_PG_PORT, MNR_PG_USER, MNR_PG_PASSWORD, MNR_PG_DATABASE (.ci/run starts
one with .ci/postgres.sh). The tests work in a database of their own, created and dropped here, so they never
touch the data of the database they are pointed at; the role needs CREATEDB.
"""

import contextlib
import io
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

from conftest import FIXTURES, SAMPLES, warm_copy
from labels import hostile_labels, macro_sql, seed_labels
from pipelines.faults import WORKER_TAG
from pipelines.reference import alias_rows, normalise_label, read_seed
from pipelines.settings import DBT_PROJECT_DIR, bin_dir
from pipelines.warehouse import postgres_settings

pytestmark = pytest.mark.skipif(
    not os.environ.get("MNR_PG_HOST"),
    reason="no Postgres server: set MNR_PG_HOST, MNR_PG_PORT, MNR_PG_USER, MNR_PG_PASSWORD, MNR_PG_DATABASE "
           "(.ci/run starts one with .ci/postgres.sh)",
)

MARTS = ["fct_observations", "fct_current_observations", "fct_derived_indicators", "fct_capability_coverage",
         "fct_capability_progress"]
RELEASE_FILES = ["observations.csv", "observations.sdmx.csv", "derived_indicators.csv", "capability_coverage.csv",
                 "capability_progress.csv", "datapackage.json", "codelists/cl_indicator.csv"]
# Files as agencies publish them (tests/fixtures/make_fixtures.py), so that the scope of every cell
# (int_observations_mapped's out_of_scope: another country, an aggregate, a rate per inhabitants, an adult band),
# the codes read at ingest (raw.codes) and the years written as spans go through Postgres too.
AGENCY_FILES = [("eurostat_crim_off_cat.tsv", "BEL"), ("eurostat_crim_just_sex.tsv", "BEL"),
                ("uncts_age_bands.csv", "PHL"), ("multi_country.csv", "UGA"), ("open_sdg_fiscal_years.csv", "IRL"),
                ("eurostat_confidential.tsv", "ESP"), ("unicef_dw_sdmx10_labels_both.csv", "KEN")]
ENV = ("MNR_HOME", "MNR_DAGSTER_PG_URL", "DAGSTER_HOME", "MNR_DUCKDB_PATH", "MNR_DBT_TARGET", "MNR_PG_DATABASE",
       "MNR_PG_QUERY_USER", "MNR_PG_QUERY_PASSWORD")


def connect(database: str | None = None):
    """The server of MNR_PG_*, in its own database or another."""
    settings = postgres_settings()
    return psycopg.connect(**{**settings, "dbname": database or settings["dbname"]}, autocommit=True)


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


@contextlib.contextmanager
def environment(**values: str):
    saved = {k: os.environ.get(k) for k in ENV}
    for k in ENV:
        if k != "MNR_PG_DATABASE":   # the server's own database stays unless a test names another
            os.environ.pop(k, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def every_sample_and_a_release() -> tuple[Path, str]:
    """Submit every sample, run the pipeline and cut a release in the current environment; (home, release id)."""
    from pipelines.cli import main, run_pipeline
    from pipelines.ingest.archive import submit
    from pipelines.settings import prepare_environment

    p = prepare_environment()
    for f in sorted(SAMPLES.iterdir()):
        if f.is_file() and f.name[:3].isupper() and f.name[3] == "_":
            submit(p, f, f.name[:3])
    for name, country in AGENCY_FILES:
        submit(p, FIXTURES / "files" / name, country)
    assert run_pipeline(), "the pipeline processed nothing"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["release", "--tag", "parity"]) == 0
    release_id = out.getvalue().strip().splitlines()[-1].split(" ", 1)[0]
    return p.home, release_id


def shared_deployment(home: Path, database: str):
    """The environment of every process of a shared deployment (docs/deployment.md) on this database."""
    return environment(MNR_HOME=str(home), MNR_DBT_TARGET="postgres", MNR_PG_DATABASE=database,
                       MNR_DAGSTER_PG_URL=pg_url(database))


@pytest.fixture(scope="module")
def on_duckdb(reference_home, tmp_path_factory):
    with environment(MNR_HOME=str(warm_copy(reference_home, tmp_path_factory.mktemp("duckdb_home")))):
        return every_sample_and_a_release()


@pytest.fixture(scope="module")
def on_postgres(pg_database, tmp_path_factory):
    """The shared deployment: warehouse (dbt and the Python layers) and Dagster instance both in Postgres, starting
    from an empty database (the reference data are loaded by the run)."""
    with shared_deployment(tmp_path_factory.mktemp("postgres_home"), pg_database):
        return every_sample_and_a_release()


def sorted_rows(fetched) -> list[tuple]:
    return sorted((tuple(r) for r in fetched), key=lambda row: [(v is None, v if v is not None else 0) for v in row])


def both(on_duckdb, pg_database, sql: str) -> tuple[list, list]:
    """The same query on the DuckDB warehouse and on Postgres: (duckdb rows, postgres rows), sorted."""
    with duckdb.connect(str(on_duckdb[0] / "warehouse.duckdb"), read_only=True) as duck:
        duck_rows = sorted_rows(duck.execute(sql).fetchall())
    with connect(pg_database) as pg:
        pg_rows = sorted_rows(pg.execute(sql).fetchall())
    return duck_rows, pg_rows


def test_published_values_are_the_same_on_postgres_and_duckdb(on_duckdb, on_postgres, pg_database):
    duck, pg = both(on_duckdb, pg_database, "select * from published.observations")
    assert len(duck) >= 50
    assert pg == duck
    duck, pg = both(on_duckdb, pg_database, "select ref_area, time_period, indicator_code, sex, age, offence, "
                    "obs_value, obs_status, obs_conf, submission_id, published_at is not null, "
                    "superseded_at is not null from published.observation_history")
    assert pg == duck and len(pg) >= 50


def test_verdicts_and_findings_are_the_same_on_postgres_and_duckdb(on_duckdb, on_postgres, pg_database):
    duck, pg = both(on_duckdb, pg_database,
                    "select submission_id, country, verdict, errors, warnings, infos from quality.verdicts")
    assert pg == duck
    assert {r[2] for r in pg} == {"accepted", "accepted_with_warnings", "rejected"}
    duck, pg = both(on_duckdb, pg_database, """
        select submission_id, stage, rule_id, level, severity, sheet, "row", "column", value, indicator_code,
               time_period, acknowledged, obs_key, source_ref from quality.findings""")
    assert len(pg) > 50 and pg == duck
    duck, pg = both(on_duckdb, pg_database, "select * from quality.rule_results")
    assert pg == duck


def test_mapped_cells_and_their_scope_are_the_same_on_postgres_and_duckdb(on_duckdb, on_postgres, pg_database):
    """int_observations_mapped on Postgres: every cell's codes, year and out_of_scope as on DuckDB."""
    duck, pg = both(on_duckdb, pg_database, """
        select submission_id, file_row, value_column, out_of_scope, ref_area, time_period, indicator_code, sex,
               age, offence, obs_value, obs_status, obs_conf from intermediate.int_observations_mapped""")
    assert pg == duck
    assert {r[3] for r in pg} >= {None, "OTHER_COUNTRY", "AREA_AGGREGATE", "ADULT_AGE"}
    assert {r[5] for r in pg if r[4] == "IRL"} == {2019, 2021}          # 2018/19 and 2020-2021
    assert ("ESP", 2021, "F", 57.0, "Q", "C") in {(r[4], r[5], r[7], r[10], r[11], r[12]) for r in pg}


@pytest.mark.parametrize("mart", MARTS)
def test_marts_on_postgres_equal_duckdb_row_for_row(on_duckdb, on_postgres, pg_database, mart):
    with duckdb.connect(str(on_duckdb[0] / "warehouse.duckdb"), read_only=True) as duck:
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


def test_release_and_feedback_files_are_the_same(on_duckdb, on_postgres):
    (duck_home, duck_id), (pg_home, pg_id) = on_duckdb, on_postgres
    assert pg_id == duck_id   # the id ends with the hash of the release's content
    for name in RELEASE_FILES:
        assert (pg_home / "releases" / pg_id / name).read_bytes() == \
            (duck_home / "releases" / duck_id / name).read_bytes(), name
    reports = sorted((duck_home / "feedback").glob("*/*/findings.json"))
    assert len(reports) == 7 + len(AGENCY_FILES)
    for duck_file in reports:
        pg_file = pg_home / duck_file.relative_to(duck_home)
        duck_doc, pg_doc = json.loads(duck_file.read_text()), json.loads(pg_file.read_text())
        for doc in (duck_doc, pg_doc):
            doc.pop("received_at")   # when each home received the file
        assert pg_doc == duck_doc, duck_file.parent.name


def test_mnr_query_reads_postgres_and_refuses_writes(on_postgres, pg_database, capsys):
    from pipelines.cli import main
    from pipelines.query import reader_grants

    role = f"mnr_reader_{uuid.uuid4().hex[:8]}"
    with connect(pg_database) as pg:
        pg.execute(f"create role {role} login password 'reader-secret'")
        for statement in reader_grants(role):
            pg.execute(statement)
    try:
        with environment(MNR_HOME=str(on_postgres[0]), MNR_DBT_TARGET="postgres", MNR_PG_DATABASE=pg_database,
                         MNR_DAGSTER_PG_URL=pg_url(pg_database), MNR_PG_QUERY_USER=role,
                         MNR_PG_QUERY_PASSWORD="reader-secret"):
            assert main(["query", "select count(*) as n from published.observations", "--format", "json"]) == 0
            assert json.loads(capsys.readouterr().out)[0]["n"] >= 50
            for sql in ("delete from published.observations",
                        "set default_transaction_read_only = off; delete from published.observations",
                        "create table published.x (a int)",
                        # The restricted layers: the role has no grant on them, whatever the SQL says.
                        "select * from marts.fct_observations",
                        "select * from quality.findings",
                        "with m as (select * from marts.fct_observations) select count(*) from m",
                        "select * from raw.observations",
                        "select pg_read_file('/etc/passwd')",
                        "copy published.observations to '/tmp/mnr-pg-leak'",
                        "set role postgres"):
                assert main(["query", sql]) == 2, sql
                assert "read-only" in capsys.readouterr().err
            # Restricted indicators are left out by the row policy.
            assert main(["query", "select count(*) as n from published.observations "
                                  "where indicator_code = 'PG_MNR_MATURITY'", "--format", "json"]) == 0
            assert json.loads(capsys.readouterr().out)[0]["n"] == 0
            # The operator reads the restricted layers, still read-only.
            assert main(["query", "select count(*) as n from marts.fct_observations", "--format", "json",
                         "--restricted"]) == 0
            assert json.loads(capsys.readouterr().out)[0]["n"] >= 50
            assert main(["query", "delete from marts.fct_observations", "--restricted"]) == 2
        with shared_deployment(on_postgres[0], pg_database):   # without the reader role: refused, with what to do
            assert main(["query", "select 1"]) == 2
            assert "MNR_PG_QUERY_USER" in capsys.readouterr().err
    finally:
        with connect(pg_database) as pg:
            for statement in ("drop policy if exists public_rows on published.observations",
                              f"revoke all on published.observations from {role}",
                              f"revoke all on schema published from {role}", f"drop role {role}"):
                pg.execute(statement)
    with connect(pg_database) as pg:
        assert pg.execute("select count(*) from published.observations").fetchone()[0] >= 50


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


def test_dbt_unit_tests_pass_on_postgres(on_postgres, pg_database, tmp_path):
    results = dbt(["test", "--select", "test_type:unit"], {"MNR_DBT_TARGET": "postgres", "MNR_PG_DATABASE": pg_database},
                  tmp_path)["results"]
    assert len(results) >= 3 and all(r["status"] == "pass" for r in results)


def test_postgres_norm_label_matches_python_on_every_seed_label(pg_database):
    """The postgres__ variant of norm_label against pipelines.reference.normalise_label (the DuckDB variant has its
    own parity test in tests/unit/test_reference.py)."""
    labels = {r["alias"] for r in alias_rows()} | {r["indicator_name"] for r in read_seed("indicators")}
    labels |= {"Année", "  CJ_Prosecutions ", "ذَكَر", "% du matériel", "Âge (ans)", "niño/niña", "ﬁn", "Straße",
               "ÆØÅ", "İstanbul", "مـــــدينة"}
    # and every text of every seed, every character of the Basic Multilingual Plane alone and between letters,
    # and the strings that trip normalisers (tests/labels.py), in one query
    texts = sorted(labels | seed_labels()) + hostile_labels()
    sql = macro_sql("postgres", "s").replace("%", "%%")   # the macro's own '%' is not a parameter
    with connect(pg_database) as pg:
        got = [r[0] for r in pg.execute(f"select {sql} from unnest(%s::text[]) with ordinality as t(s, i) order by i",
                                        [texts]).fetchall()]
    assert [(t, k) for t, k in zip(texts, got) if k != normalise_label(t)] == []


def test_dagster_instance_keeps_runs_and_partitions_in_postgres(on_postgres, pg_database):
    import dagster as dg

    home = on_postgres[0]
    yaml_text = (home / "dagster" / "dagster.yaml").read_text()
    assert re.search(r"storage:\s+postgres:\s+postgres_url:\s+env: MNR_DAGSTER_PG_URL", yaml_text)
    assert "password" not in yaml_text and os.environ["MNR_PG_HOST"] not in yaml_text
    with environment(MNR_DAGSTER_PG_URL=pg_url(pg_database)), \
            dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        jobs = {r.job_name: r.status for r in runs}
        # Every run recorded the process that ran it (how a run whose process dies is found: pipelines/faults.py).
        assert all(WORKER_TAG in r.tags for r in runs)
        assert jobs.get("process_submissions") == dg.DagsterRunStatus.SUCCESS
        assert jobs.get("load_reference_data") == dg.DagsterRunStatus.SUCCESS
        assert jobs.get("cut_release") == dg.DagsterRunStatus.SUCCESS
        assert set(instance.get_dynamic_partitions("country")) >= {"BRA", "FRA", "JOR", "KEN", "PHL", "UGA", "ZAF"}
    # In Postgres itself, and not in SQLite files beside dagster.yaml.
    with connect(pg_database) as pg:
        names = {n for (n,) in pg.execute("select pipeline_name from runs").fetchall()}
        partitions = {k for (k,) in pg.execute("select partition from dynamic_partitions").fetchall()}
    assert {"process_submissions", "load_reference_data"} <= names and "KEN" in partitions
    assert not list((home / "dagster").rglob("*.db"))
    assert not (home / "warehouse.duckdb").exists()   # the warehouse is in Postgres, not in a file
