"""The gate's output: published.observations, superseded key by key by each accepted submission.

Only accepted submissions (with or without warnings) reach it; a rejected submission publishes nothing and
the country's earlier values stay. Every published row is also kept in published.observation_history with
when it was published and when (if ever) it was superseded, so nothing published is silently lost.
Small counts about children are suppressed here (primary suppression): the unsuppressed values stay in
the restricted marts layer.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import duckdb

KEY = ("ref_area", "time_period", "indicator_code", "sex", "age", "offence")
COLUMNS = (
    "ref_area", "time_period", "indicator_code", "mnr_domain", "mnr_capability", "sex", "age", "offence",
    "obs_value", "unit_measure", "obs_status", "obs_conf", "submission_id", "source_ref", "comment",
)

DDL = f"""
create schema if not exists published;
create table if not exists published.observations (
    ref_area varchar not null, time_period integer not null, indicator_code varchar not null,
    mnr_domain varchar, mnr_capability integer, sex varchar not null, age varchar not null,
    offence varchar not null, obs_value double, unit_measure varchar, obs_status varchar not null,
    obs_conf varchar not null, submission_id varchar not null, source_ref varchar not null, comment varchar
);
create table if not exists published.observation_history as
    select *, null::varchar as published_at, null::varchar as superseded_at
    from published.observations where false;
"""


def match(alias: str) -> str:
    return " and ".join(f"{alias}.{c} = i.{c}" for c in KEY)


def suppression_max() -> int:
    """Person counts about children from 1 to this value are suppressed (DESIGN.md section 7)."""
    return int(os.environ.get("MNR_SUPPRESS_MAX", "4"))


def publish(conn: duckdb.DuckDBPyConnection, submission_ids: list[str]) -> dict[str, int]:
    """Publish these accepted submissions, in the order given (oldest first), in one transaction."""
    conn.execute(DDL)
    published: dict[str, int] = {}
    if not submission_ids:
        return published
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    cols = ", ".join(COLUMNS)
    k = suppression_max()
    conn.execute("begin transaction")
    try:
        for sid in submission_ids:
            conn.execute(
                f"""create or replace temp table _incoming as
                select f.ref_area, f.time_period, f.indicator_code, f.mnr_domain, f.mnr_capability,
                       f.sex, f.age, f.offence,
                       case when small then null else f.obs_value end as obs_value,
                       f.unit_measure,
                       case when small then 'Q' else f.obs_status end as obs_status,
                       case when small then 'C' else f.obs_conf end as obs_conf,
                       f.submission_id, f.source_ref, f.comment
                from (
                    select f.*, (coalesce(i.is_child_person_count, false)
                                 and f.obs_value >= 1 and f.obs_value <= {k}) as small
                    from marts.fct_observations f
                    left join reference.indicators i using (indicator_code)
                    where f.submission_id = ?
                ) f""",
                [sid],
            )
            conn.execute(
                f"""update published.observation_history h set superseded_at = ? from _incoming i
                    where h.superseded_at is null and {match('h')}""",
                [now],
            )
            conn.execute(f"delete from published.observations p using _incoming i where {match('p')}")
            conn.execute(f"insert into published.observations ({cols}) select {cols} from _incoming")
            conn.execute(
                f"insert into published.observation_history ({cols}, published_at) select {cols}, ? from _incoming",
                [now],
            )
            published[sid] = conn.execute("select count(*) from _incoming").fetchone()[0]
        conn.execute("drop table if exists _incoming")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return published
