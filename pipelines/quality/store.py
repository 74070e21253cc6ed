"""Findings, rule statistics and verdicts kept in the warehouse's quality schema, one stage of checks at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pyarrow as pa

from pipelines.quality.findings import STORED_FIELDS, Finding
from pipelines.warehouse import Db, fetch_dicts

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
alter table quality.findings add column if not exists message_id varchar;
alter table quality.findings add column if not exists message_params varchar;
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
        conn.insert_frame("quality.rule_results", pa.table({
            "submission_id": [r.submission_id for r in results], "stage": [stage] * len(results),
            "rule_id": [r.rule_id for r in results], "level": pa.array([r.level for r in results], pa.int32()),
            "severity": [r.severity for r in results], "description": [r.description for r in results],
            "units": pa.array([r.units for r in results], pa.int32()),
            "failed": pa.array([r.failed for r in results], pa.int32())}))
    if not rows:
        return
    conn.insert_frame("quality.findings", findings_table(stage, rows))


# quality.findings as Arrow: the text columns carry text whatever a rule put in them (a number, a code).
_FINDINGS_SCHEMA = pa.schema(
    [("submission_id", pa.string()), ("country", pa.string()), ("stage", pa.string())]
    + [(f, {"level": pa.int32(), "row": pa.int32(), "time_period": pa.int32(), "acknowledged": pa.bool_()}
        .get(f, pa.string())) for f in STORED_FIELDS])


def _int(v) -> int | None:
    try:
        return None if v is None else int(v)
    except (TypeError, ValueError):
        return None


def findings_table(stage: str, rows: list[tuple[str, str, Finding]]) -> pa.Table:
    """Rows of (submission_id, country, finding) as a table of quality.findings' columns, built column by
    column (a run can carry hundreds of thousands of findings)."""
    columns: dict[str, list] = {"submission_id": [sid for sid, _, _ in rows], "country": [c for _, c, _ in rows],
                                "stage": [stage] * len(rows)}
    for name in STORED_FIELDS:
        values = [getattr(f, name) for _, _, f in rows]
        kind = _FINDINGS_SCHEMA.field(name).type
        if kind == pa.int32():
            values = [_int(v) for v in values]
        elif kind == pa.bool_():
            values = [bool(v) for v in values]
        else:
            values = [None if v is None else str(v) for v in values]
        columns[name] = values
    return pa.table(columns, schema=_FINDINGS_SCHEMA)


def acknowledge(conn: Db, submission_ids: list[str]) -> int:
    """Mark as acknowledged every warning that points at a cell whose row carries the country's comment.

    A country explains a warned value by resubmitting it with a comment (UN-CTS practice: explain large
    changes in the comments). The warning stays a warning; the report shows the comment beside it."""
    ensure(conn)
    if not submission_ids:
        return 0
    conn.execute(
        """update quality.findings q set acknowledged = true, acknowledgement = trim(m.comment_raw)
           from _mapped m
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
    return fetch_dicts(
        conn,
        f"""select {', '.join('"' + f + '"' for f in STORED_FIELDS)} from quality.findings
            where submission_id = ?
            order by case severity when 'error' then 0 when 'warning' then 1 else 2 end,
                     level, sheet nulls first, "row" nulls first, rule_id, "column", indicator_code, time_period""",
        [submission_id],
    )


def rule_results_for(conn: Db, submission_id: str) -> list[dict]:
    ensure(conn)
    return fetch_dicts(
        conn,
        """select rule_id, level, severity, description, sum(units)::integer as units, sum(failed)::integer as failed
           from quality.rule_results where submission_id = ?
           group by rule_id, level, severity, description order by level, rule_id""",
        [submission_id],
    )


def record_verdict(conn, submission_id: str, country: str, verdict: str, c: dict[str, int]) -> None:
    ensure(conn)
    conn.execute("delete from quality.verdicts where submission_id = ?", [submission_id])
    conn.execute(
        "insert into quality.verdicts values (?, ?, ?, ?, ?, ?, ?)",
        [submission_id, country, verdict, c["error"], c["warning"], c["info"],
         datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")],
    )
