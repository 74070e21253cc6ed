"""A small warehouse built directly in DuckDB for the quality rules' unit tests: the tables the rules read,
filled from a few rows, without dbt or Dagster."""

from __future__ import annotations

import duckdb

from pipelines.publish.publish import DDL as PUBLISHED_DDL
from pipelines.schema import COLUMNS
from pipelines.settings import SEEDS_DIR
from pipelines.warehouse import Db

MAPPED = """
create schema if not exists intermediate; create schema if not exists marts; create schema if not exists raw;
create schema if not exists reference;
create table intermediate.int_observations_mapped (
    submission_id varchar, country varchar, sheet varchar, file_row integer, source_ref varchar, value_column varchar,
    ref_area_raw varchar, time_period_raw varchar, indicator_raw varchar, sex_raw varchar, age_raw varchar,
    offence_raw varchar, value_raw varchar, unit_raw varchar, obs_status_raw varchar, comment_raw varchar,
    value_state varchar, ref_area varchar, time_period integer, indicator_code varchar, mnr_domain varchar,
    mnr_capability integer, indicator_type varchar, unit_measure varchar, disaggregations varchar,
    min_value double, max_value double, sex varchar, age varchar, offence varchar, obs_value double,
    unit_given varchar, obs_status varchar, comment varchar, obs_flag varchar, obs_conf_raw varchar,
    obs_conf varchar, out_of_scope varchar);
create table raw.columns (submission_id varchar, sheet varchar, field varchar, header varchar, column_letter varchar);
create table reference.indicators as select * from read_csv('{seeds}/indicators.csv', header=true, all_varchar=true);
create table reference.child_population as select * from read_csv('{seeds}/child_population.csv', header=true);
create table reference.cl_age as select * from read_csv('{seeds}/cl_age.csv', header=true,
    types={{'age_lower': 'integer', 'age_upper': 'integer'}});
"""


def warehouse(rows: list[dict]) -> Db:
    """rows: dicts with sid, country, row, indicator, year, value and optionally sheet, column, sex, age,
    offence, comment. The value's column header is `column` (default 'value')."""
    conn = duckdb.connect()
    for stmt in MAPPED.format(seeds=SEEDS_DIR).split(";\n"):
        if stmt.strip():
            conn.execute(stmt)
    conn.execute("""create or replace table reference.indicators as
        select * replace (try_cast(yoy_tolerance_pct as double) as yoy_tolerance_pct,
                          try_cast(min_value as double) as min_value, try_cast(max_value as double) as max_value,
                          is_child_person_count = 'true' as is_child_person_count)
        from reference.indicators""")
    conn.execute(PUBLISHED_DDL)
    add(conn, rows)
    return Db(conn, "duckdb")


def add(conn: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    """Add submissions' cells to the mapped table and the harmonised observations (marts.fct_observations)."""
    inds = {r[0]: r[1:] for r in conn.execute(
        "select indicator_code, mnr_domain, indicator_type, unit_measure, disaggregations from reference.indicators"
    ).fetchall()}
    for r in rows:
        domain, itype, unit, dis = inds[r["indicator"]]
        dis = dis or ""
        sex = r.get("sex") or ("_T" if "SEX" in dis else "_Z")
        age = r.get("age") or ("_T" if "AGE" in dis else "_Z")
        off = r.get("offence") or ("_T" if "OFF" in dis else "_Z")
        sheet, col = r.get("sheet"), r.get("column", "value")
        ref = f"{sheet + '!' if sheet else ''}row {r['row']}, column {col}"
        value = r["value"]
        text = value if isinstance(value, str) else None   # a value that is not a number, as written
        state = "missing" if value is None else "text" if text is not None else "number"
        conn.execute(
            """insert into intermediate.int_observations_mapped (submission_id, country, sheet, file_row, source_ref,
                   value_column, indicator_raw, time_period_raw, value_raw, comment_raw, value_state, ref_area,
                   time_period, indicator_code, mnr_domain, indicator_type, unit_measure, disaggregations, sex, age,
                   offence, obs_value, obs_status, comment)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'A', ?)""",
            [r["sid"], r["country"], sheet, r["row"], ref, col, r["indicator"], str(r["year"]),
             None if value is None else str(value), r.get("comment"), state,
             r["country"], r["year"], r["indicator"], domain, itype, unit, dis, sex, age, off,
             None if text is not None else value, r.get("comment")],
        )
    # The harmonised columns (pipelines/schema.py) as the model fills them: these tests need no capability or
    # confidentiality, so every row has capability 1 and obs_conf F.
    given = {"mnr_capability": "1 as mnr_capability", "obs_conf": "'F' as obs_conf"}
    conn.execute(f"""create or replace table marts.fct_observations as
        select {', '.join(given.get(c, c) for c in COLUMNS)}
        from intermediate.int_observations_mapped where obs_value is not null or value_state = 'missing'""")


def publish(conn: duckdb.DuckDBPyConnection, submission_id: str) -> None:
    """Publish a submission as the gate would (without suppression, which these tests do not need)."""
    from pipelines.publish.publish import publish as do_publish

    do_publish(conn, [submission_id])
