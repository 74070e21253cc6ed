"""Running the SQL rules of levels 2-4 in DuckDB: the tables they read and how their answers become findings.

Every rule is one query that returns the *units* it tested (a total and its parts, a pair of indicators, a
year of a series, ...), each with `failed` true or false, so the report can say how many units a rule
tested, passed and failed. A failed unit becomes a finding that points at the cell the country wrote (sheet,
row and column as in its file), found by joining the unit's source_ref back to the mapped cells.

The rules read three temporary tables prepared once per run, from _mapped (the run's cells of the dbt view
intermediate.int_observations_mapped, taken by gate.run_stages):
  _sub     the harmonised observations of the run's submissions (marts.fct_observations), with catalogue columns
  _pub     the published observations of the run's countries, with the unsuppressed value (from the marts)
  _series  per submission: its own observations plus the country's published ones for keys it does not give,
           i.e. the country's series as it will read once the submission is published
A rule's query selects: submission_id, source_ref, indicator_code, time_period, obs_key, failed, value,
expected, and its message's parameters (SqlCheck.params). Messages never contain an observed value (values go
in value/expected, which the shared report masks where a small count about children must not be echoed).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines import schema
from pipelines.publish.publish import DDL as PUBLISHED_DDL
from pipelines.quality.findings import Finding, message
from pipelines.quality.store import RuleResult
from pipelines.warehouse import Db


@dataclass(frozen=True)
class SqlCheck:
    rule_id: str
    level: int
    severity: str
    description: str   # what the rule checks, in plain words (the report's per-rule table)
    sql: str
    # The message is finding.<rule_id> of pipelines/feedback/messages/, with these columns of the query as its
    # parameters; None: the query gives the text itself in a column `message` (the relations of the seed
    # indicator_relations.csv, whose messages are that seed's).
    params: tuple[str, ...] | None = ()


KEY = ", ".join(schema.KEY)


def obs_key(alias: str) -> str:
    """The observation a finding is about, as text: indicator|year|sex|age|offence."""
    return " || '|' || ".join(f"{alias}.{c}" for c in ("indicator_code", "time_period", "sex", "age", "offence"))


# The temporary tables, in order: (name, query). `?` is the list of the run's submission ids.
PREPARE = [
    ("_run", """
    select submission_id, min(country) as country from _mapped
    where submission_id in (select unnest(?::varchar[])) group by submission_id"""),
    ("_sub", f"""
    select f.*, {obs_key('f')} as obs_key, i.indicator_type, i.unit_measure as catalogue_unit,
           i.yoy_tolerance_pct, coalesce(i.is_child_person_count, false) as is_child_person_count
    from marts.fct_observations f
    join _run r on r.submission_id = f.submission_id and r.country = f.ref_area
    left join reference.indicators i using (indicator_code)
    -- A value outside the catalogue's bounds is already a level-1 error; it is left out of the later levels
    -- rather than reported again as an inconsistency or a jump.
    where f.obs_value is null or ((i.min_value is null or f.obs_value >= i.min_value)
                                  and (i.max_value is null or f.obs_value <= i.max_value))"""),
    ("_pub", f"""
    select p.ref_area, p.time_period, p.indicator_code, p.sex, p.age, p.offence, p.submission_id, p.comment,
           coalesce(m.obs_value, p.obs_value) as obs_value, {obs_key('p')} as obs_key
    from published.observations p
    left join marts.fct_observations m using (submission_id, {KEY})
    where p.ref_area in (select country from _run)"""),
    ("_series", """
    select s.submission_id, s.ref_area, s.time_period, s.indicator_code, s.sex, s.age, s.offence, s.obs_value,
           s.source_ref, 'submission' as origin, s.obs_key
    from _sub s
    union all
    select r.submission_id, p.ref_area, p.time_period, p.indicator_code, p.sex, p.age, p.offence, p.obs_value,
           null as source_ref, 'published' as origin, p.obs_key
    from _run r join _pub p on p.ref_area = r.country
    where p.submission_id <> r.submission_id
      and not exists (select 1 from _sub s where s.submission_id = r.submission_id and s.obs_key = p.obs_key)"""),
]


def prepare(conn: Db, submission_ids: list[str]) -> None:
    conn.execute(PUBLISHED_DDL)
    conn.ensure_num()
    for name, sql in PREPARE:
        conn.temp_table(name, sql, [submission_ids] if "?" in sql else None)


def _fmt(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        return f"{v:.15g}"
    return str(v)


def run_checks(
    conn: Db, checks: list[SqlCheck], submission_ids: list[str]
) -> tuple[list[tuple[str, str, Finding]], list[RuleResult]]:
    """Run these checks on the run's submissions (prepare() first); findings and per-rule statistics."""
    rows: list[tuple[str, str, Finding]] = []
    results: list[RuleResult] = []
    if not submission_ids:
        return rows, results
    countries = dict(conn.execute("select submission_id, country from _run").fetchall())
    for check in checks:
        # Units tested are counted in DuckDB; only the failed ones come to Python (a run can test millions).
        conn.temp_table("_units", check.sql)
        stats: dict[str, list[int]] = {sid: [0, 0] for sid in countries}
        for sid, n, n_failed in conn.execute(
                "select submission_id, count(*), count(*) filter (where failed) from _units group by 1").fetchall():
            stats[sid] = [n, n_failed]
        said = ["message"] if check.params is None else list(check.params)
        units = conn.execute(
            f"""select u.submission_id, u.value, u.expected, u.indicator_code, u.time_period,
                      u.obs_key, u.source_ref, m.sheet, m.file_row, m.value_column{"".join(f", u.{c}" for c in said)}
               from _units u left join _mapped m
                   on m.submission_id = u.submission_id and m.source_ref = u.source_ref
               where u.failed
               order by u.submission_id, m.sheet nulls first, m.file_row nulls first, u.obs_key"""
        ).fetchall()
        for sid, value, expected, code, year, key, ref, sheet, row, column, *said in units:
            text = ({"message": said[0]} if check.params is None
                    else message(check.rule_id, **{p: _fmt(v) for p, v in zip(check.params, said)}))
            rows.append((sid, countries[sid], Finding(
                rule_id=check.rule_id, level=check.level, severity=check.severity, **text,
                sheet=sheet, row=row, column=column, value=_fmt(value), expected=_fmt(expected),
                indicator_code=code, time_period=year, obs_key=key, source_ref=ref,
            )))
        results.extend(RuleResult(sid, check.rule_id, check.level, check.severity, check.description, n, f)
                       for sid, (n, f) in stats.items())
    conn.execute("drop table if exists _units")
    return rows, results
