"""Findings, rule statistics and verdicts kept in the warehouse's quality schema, one stage of checks at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd

from pipelines.quality.findings import STORED_FIELDS, Finding
from pipelines.warehouse import Db

DDL = """
create schema if not exists quality;
create table if not exists quality.findings (
    submission_id varchar not null, country varchar not null, stage varchar not null,
    rule_id varchar not null, level integer not null, severity varchar not null, message varchar not null,
    sheet varchar, "row" integer, "column" varchar, value varchar, expected varchar,
    indicator_code varchar, time_period integer
);
alter table quality.findings add column if not exists acknowledged boolean default false;
alter table quality.findings add column if not exists acknowledgement varchar;
alter table quality.findings add column if not exists obs_key varchar;
alter table quality.findings add column if not exists source_ref varchar;
create table if not exists quality.rule_results (
    submission_id varchar not null, stage varchar not null, rule_id varchar not null, level integer not null,
    severity varchar not null, description varchar not null, units integer not null, failed integer not null
);
create table if not exists quality.verdicts (
    submission_id varchar primary key, country varchar not null, verdict varchar not null,
    errors integer not null, warnings integer not null, infos integer not null, decided_at varchar not null
);
"""


@dataclass(frozen=True)
class RuleResult:
    """How many units (cells, pairs, series, ...) one rule tested in one submission, and how many failed."""
    submission_id: str
    rule_id: str
    level: int
    severity: str
    description: str
    units: int
    failed: int


def ensure(conn: Db) -> None:
    conn.execute(DDL)


def replace_findings(
    conn: Db, stage: str, submission_ids: list[str], rows: list[tuple[str, str, Finding]],
    results: list[RuleResult] | None = None,
) -> None:
    """Replace one stage's findings (rows: submission_id, country, finding) and rule statistics for these
    submissions."""
    ensure(conn)
    if not submission_ids:
        return
    for table in ("quality.findings", "quality.rule_results"):
        conn.execute(
            f"delete from {table} where stage = ? and submission_id in (select unnest(?::varchar[]))",
            [stage, submission_ids],
        )
    if results:
        conn.executemany(
            "insert into quality.rule_results values (?, ?, ?, ?, ?, ?, ?, ?)",
            [[r.submission_id, stage, r.rule_id, r.level, r.severity, r.description, r.units, r.failed]
             for r in results],
        )
    if not rows:
        return
    df = pd.DataFrame(
        [{"submission_id": sid, "country": c, "stage": stage, **f.as_dict()} for sid, c, f in rows],
        columns=["submission_id", "country", "stage", *STORED_FIELDS],
    )
    df["row"] = pd.to_numeric(df["row"], errors="coerce").astype("Int64")
    df["time_period"] = pd.to_numeric(df["time_period"], errors="coerce").astype("Int64")
    df["acknowledged"] = df["acknowledged"].astype(bool)
    for c in ("value", "expected", "column", "sheet", "indicator_code", "acknowledgement", "obs_key", "source_ref"):
        df[c] = df[c].astype("object").where(df[c].notna(), None)
        df[c] = df[c].map(lambda v: None if v is None else str(v))
    conn.insert_frame("quality.findings", df)


def acknowledge(conn: Db, submission_ids: list[str]) -> int:
    """Mark as acknowledged every warning that points at a cell whose row carries the country's comment.

    A country explains a warned value by resubmitting it with a comment (UN-CTS practice: explain large
    changes in the comments). The warning stays a warning; the report shows the comment beside it."""
    ensure(conn)
    if not submission_ids:
        return 0
    conn.execute(
        """update quality.findings q set acknowledged = true, acknowledgement = trim(m.comment_raw)
           from intermediate.int_observations_mapped m
           where q.submission_id in (select unnest(?::varchar[])) and q.severity = 'warning'
             and q.source_ref is not null and m.submission_id = q.submission_id and m.source_ref = q.source_ref
             and nullif(trim(m.comment_raw), '') is not null""",
        [submission_ids],
    )
    return conn.execute(
        "select count(*) from quality.findings where acknowledged and submission_id in (select unnest(?::varchar[]))",
        [submission_ids],
    ).fetchone()[0]


def findings_for(conn: Db, submission_id: str) -> list[dict]:
    ensure(conn)
    cur = conn.execute(
        f"""select {', '.join('"' + f + '"' for f in STORED_FIELDS)} from quality.findings
            where submission_id = ?
            order by case severity when 'error' then 0 when 'warning' then 1 else 2 end,
                     level, sheet nulls first, "row" nulls first, rule_id, "column", indicator_code, time_period""",
        [submission_id],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def rule_results_for(conn: Db, submission_id: str) -> list[dict]:
    ensure(conn)
    cur = conn.execute(
        """select rule_id, level, severity, description, sum(units)::integer as units, sum(failed)::integer as failed
           from quality.rule_results where submission_id = ?
           group by rule_id, level, severity, description order by level, rule_id""",
        [submission_id],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def record_verdict(conn, submission_id: str, country: str, verdict: str, c: dict[str, int]) -> None:
    ensure(conn)
    conn.execute("delete from quality.verdicts where submission_id = ?", [submission_id])
    conn.execute(
        "insert into quality.verdicts values (?, ?, ?, ?, ?, ?, ?)",
        [submission_id, country, verdict, c["error"], c["warning"], c["info"],
         datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")],
    )
