"""Findings and verdicts kept in the warehouse's quality schema, one stage of checks at a time."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from pipelines.quality.findings import FINDING_FIELDS, Finding

DDL = """
create schema if not exists quality;
create table if not exists quality.findings (
    submission_id varchar not null, country varchar not null, stage varchar not null,
    rule_id varchar not null, level integer not null, severity varchar not null, message varchar not null,
    sheet varchar, "row" integer, "column" varchar, value varchar, expected varchar,
    indicator_code varchar, time_period integer
);
create table if not exists quality.verdicts (
    submission_id varchar primary key, country varchar not null, verdict varchar not null,
    errors integer not null, warnings integer not null, infos integer not null, decided_at varchar not null
);
"""


def ensure(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(DDL)


def replace_findings(
    conn: duckdb.DuckDBPyConnection, stage: str, submission_ids: list[str], rows: list[tuple[str, str, Finding]]
) -> None:
    """Replace one stage's findings for these submissions (rows: submission_id, country, finding)."""
    ensure(conn)
    if not submission_ids:
        return
    conn.execute(
        "delete from quality.findings where stage = ? and submission_id in (select unnest(?::varchar[]))",
        [stage, submission_ids],
    )
    if not rows:
        return
    df = pd.DataFrame(
        [{"submission_id": sid, "country": c, "stage": stage, **f.as_dict()} for sid, c, f in rows],
        columns=["submission_id", "country", "stage", *FINDING_FIELDS],
    )
    df["row"] = pd.to_numeric(df["row"], errors="coerce").astype("Int64")
    df["time_period"] = pd.to_numeric(df["time_period"], errors="coerce").astype("Int64")
    for c in ("value", "expected", "column", "sheet", "indicator_code"):
        df[c] = df[c].astype("object").where(df[c].notna(), None)
        df[c] = df[c].map(lambda v: None if v is None else str(v))
    conn.register("_findings", df)
    conn.execute("insert into quality.findings by name select * from _findings")
    conn.unregister("_findings")


def findings_for(conn: duckdb.DuckDBPyConnection, submission_id: str) -> list[dict]:
    ensure(conn)
    cur = conn.execute(
        f"""select {', '.join('"' + f + '"' for f in FINDING_FIELDS)} from quality.findings
            where submission_id = ?
            order by case severity when 'error' then 0 when 'warning' then 1 else 2 end,
                     level, sheet nulls first, "row" nulls first, rule_id, "column", indicator_code""",
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
