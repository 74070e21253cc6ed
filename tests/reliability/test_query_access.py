"""Restricted layers stay restricted: `mnr query` sees the published layer only (without restricted indicators)
unless an operator asks for --restricted, whatever SQL it is given; the database enforces it (the query runs on
a file that holds nothing else), and the warehouse file is the service's own."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.query import PUBLIC_FILE, PUBLIC_TABLES, QueryRefused, run
from pipelines.warehouse import connect

MNR = str(Path(sys.executable).parent / "mnr")
SECRET_VALUE = 3.0   # CJ_VICTIMS_IDENTIFIED 2024 in marts; published as Q (suppressed)


@pytest.fixture
def home(mnr_home):
    with connect(mnr_home.warehouse) as conn:
        conn.execute("""
            create schema published; create schema marts; create schema quality; create schema raw;
            create schema reference;
            create table published.observations as
                select * from (values ('KEN', 2024, 'CJ_VICTIMS_IDENTIFIED', cast(null as double), 'Q', 'C'),
                                      ('KEN', 2024, 'CJ_PROSECUTIONS', 118.0, 'A', 'F'),
                                      ('KEN', 2024, 'PG_MNR_MATURITY', 2.0, 'A', 'F'))
                    t(ref_area, time_period, indicator_code, obs_value, obs_status, obs_conf);
            create table marts.fct_observations as
                select 'KEN' as ref_area, 2024 as time_period, 'CJ_VICTIMS_IDENTIFIED' as indicator_code,
                       3.0 as obs_value;
            create table quality.findings as select 'KEN-1' as submission_id, 'value 3 for KEN' as message;
            create table raw.observations as select 'KEN-1' as submission_id, '3' as value_raw;
            create table reference.cl_sex as select 'F' as code, 'Female' as label;
            create table reference.aliases as select 'x' as alias;
        """)
    return mnr_home


def mnr_query(home, sql, *flags):
    return subprocess.run([MNR, "query", sql, "--format", "csv", *flags], capture_output=True, text=True,
                          env={**os.environ, "MNR_HOME": str(home.home)}, timeout=120)


def test_the_published_layer_is_what_a_query_sees(home):
    p = mnr_query(home, "select indicator_code, obs_value, obs_status from published.observations order by 1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["indicator_code,obs_value,obs_status", "CJ_PROSECUTIONS,118.0,A",
                                     "CJ_VICTIMS_IDENTIFIED,,Q"]   # no restricted indicator
    tables = mnr_query(home, "select schema_name || '.' || table_name from duckdb_tables() order by 1")
    assert tables.stdout.splitlines()[1:] == ["published.observations", "reference.cl_sex"]
    assert set(tables.stdout.splitlines()[1:]) <= set(PUBLIC_TABLES)


WAREHOUSE = "{warehouse}"
ATTACKS = [
    "select obs_value from marts.fct_observations",
    "select * from quality.findings",
    "select * from raw.observations",
    "with m as (select * from marts.fct_observations) select p.*, m.obs_value from published.observations p, m",
    "select * from published.observations p join marts.fct_observations f using (indicator_code)",
    f"attach '{WAREHOUSE}' as w (read_only)",
    f"attach '{WAREHOUSE}' as w (read_only); select obs_value from w.marts.fct_observations",
    f"select * from read_csv('{WAREHOUSE}')",
    f"select * from read_blob('{WAREHOUSE}')",
    f"select * from read_text('{WAREHOUSE}')",
    f"select * from read_parquet('{WAREHOUSE}')",
    "select * from glob('/etc/*')",
    "copy (select 1) to '/tmp/mnr-query-leak.csv'",
    "export database '/tmp/mnr-query-leak'",
    "set enable_external_access = true; select 1",
    "pragma enable_external_access",
    "reset enable_external_access",
    "set lock_configuration = false",
    "install httpfs",
    "load httpfs",
    "delete from published.observations",
    "create table published.x as select 1",
    "select * from information_schema.tables where table_schema in ('marts', 'quality', 'raw')",
    "select * from duckdb_tables() where schema_name in ('marts', 'quality', 'raw')",
    "select * from published.observations where indicator_code = 'PG_MNR_MATURITY'",
    "select * from reference.aliases",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attackers_sql_gets_nothing_restricted(home, attack):
    """Through the query path itself (the command adds only its output formats: tested above and below)."""
    try:
        cols, rows = run(home, attack.replace(WAREHOUSE, str(home.warehouse)))
    except QueryRefused as e:
        assert str(e)   # refused, with a message
    else:
        assert rows == [], rows   # or an answer without a single restricted row
    assert not Path("/tmp/mnr-query-leak.csv").exists() and not Path("/tmp/mnr-query-leak").exists()


def test_the_command_refuses_with_exit_2(home):
    p = mnr_query(home, "with m as (select * from marts.fct_observations) select * from m")
    assert p.returncode == 2 and p.stderr.startswith("mnr query: ") and "3.0" not in p.stdout


def test_operators_read_the_restricted_layers_with_a_flag(home):
    p = mnr_query(home, "select obs_value from marts.fct_observations", "--restricted")
    assert p.returncode == 0 and p.stdout.splitlines() == ["obs_value", "3.0"], p.stderr
    # Still read-only and locked down.
    assert mnr_query(home, f"select * from read_text('{home.warehouse}')", "--restricted").returncode == 2
    assert mnr_query(home, "delete from marts.fct_observations", "--restricted").returncode == 2


def test_file_permissions_match(home):
    assert mnr_query(home, "select 1").returncode == 0
    assert stat.S_IMODE(home.warehouse.stat().st_mode) == 0o600     # the service's own
    assert stat.S_IMODE((home.home / PUBLIC_FILE).stat().st_mode) == 0o640
    if os.geteuid() == 0:   # another local user cannot open the warehouse, even given its path
        other = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                sys.executable, "-c", "import sys\ntry:\n    open(sys.argv[1], 'rb')\n"
                                "    print('read')\nexcept PermissionError:\n    print('refused')",
                                str(home.warehouse)], capture_output=True, text=True)
        assert other.stdout.split() == ["refused"], other.stderr


def test_the_published_copy_follows_the_warehouse(home):
    assert mnr_query(home, "select count(*) from published.observations").stdout.splitlines()[1] == "2"
    with connect(home.warehouse) as conn:
        conn.execute("insert into published.observations values ('UGA', 2024, 'CJ_PROSECUTIONS', 7.0, 'A', 'F')")
    assert mnr_query(home, "select count(*) from published.observations").stdout.splitlines()[1] == "3"
