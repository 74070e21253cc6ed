"""Level-3 history rules and level-4 external rules (DESIGN.md section 6), all warnings or notes.

They compare a submission with the country's own series: its values plus the country's published ones
(_series in checks.py, with the unsuppressed published values from the restricted marts layer). A warning
here never blocks publication; the country confirms a value by resubmitting it with a comment, which
acknowledges the warning.
"""

from __future__ import annotations

from pipelines.quality.checks import SqlCheck

# Small counts move a lot in relative terms: a count must also change by at least this many units before
# its year-on-year change is flagged (e.g. 2 -> 5 is +150% but not worth a question).
MIN_COUNT_CHANGE = 10
# Level 4: a value is "far" from the country's published series when it is more than this factor above or
# below the median of at least FAR_MIN_YEARS published years of the same series.
FAR_FACTOR = 3
FAR_MIN_YEARS = 3

YOY_CHANGE = SqlCheck(
    rule_id="YOY_CHANGE", level=3, severity="warning",
    description="The change from the previous year stays within the indicator's tolerance (yoy_tolerance_pct).",
    sql=f"""
    with s as (select * from _series where obs_value is not null),
    pairs as (
        select c.submission_id, c.indicator_code, c.time_period, i.yoy_tolerance_pct as tol, i.indicator_type,
               c.obs_value as cur, p.obs_value as prev, c.origin = 'submission' as current_is_new,
               c.source_ref as c_ref, p.source_ref as p_ref, c.obs_key as c_key, p.obs_key as p_key
        from s c
        join s p on p.submission_id = c.submission_id and p.indicator_code = c.indicator_code and p.sex = c.sex
            and p.age = c.age and p.offence = c.offence and p.time_period = c.time_period - 1
        join reference.indicators i on i.indicator_code = c.indicator_code
        where (c.origin = 'submission' or p.origin = 'submission') and i.yoy_tolerance_pct is not null
          and p.obs_value > 0
    )
    select submission_id,
           case when current_is_new then c_ref else p_ref end as source_ref, indicator_code,
           case when current_is_new then time_period else time_period - 1 end as time_period,
           case when current_is_new then c_key else p_key end as obs_key,
           abs(cur - prev) / prev * 100 > tol
               and not (indicator_type = 'count' and abs(cur - prev) < {MIN_COUNT_CHANGE}) as failed,
           case when current_is_new then cur else prev end as value,
           'within ±' || quality.num(tol) || '% of ' || case when current_is_new then quality.num(prev) || ' (' || (time_period - 1)
                                                     else quality.num(cur) || ' (' || time_period end || ')' as expected,
           quality.num(tol) as tolerance, (time_period - 1) as previous_year, time_period as year
    from pairs
    """,
    params=("tolerance", "previous_year", "year"),
)

# Years a series can span (the rules refuse years before 1990 or after this year): a fixed range joined to each
# series, which both engines accept, rather than a set-returning function per row.
YEARS = (1900, 2200)

SERIES_HOLE = SqlCheck(
    rule_id="SERIES_HOLE", level=3, severity="warning",
    description="Each series has a value for every year between its first and last year.",
    sql=f"""
    with spans as (
        select submission_id, indicator_code, sex, age, offence, min(time_period) as first, max(time_period) as last
        from _series group by submission_id, indicator_code, sex, age, offence having bool_or(origin = 'submission')
    ),
    years as (select s.*, g.year from spans s
              join generate_series({YEARS[0]}, {YEARS[1]}) as g(year) on g.year between s.first and s.last)
    select y.submission_id, null::varchar as source_ref, y.indicator_code, y.year::integer as time_period,
           y.indicator_code || '|' || y.year || '|' || y.sex || '|' || y.age || '|' || y.offence as obs_key,
           not exists (select 1 from _series s where s.submission_id = y.submission_id
                       and s.indicator_code = y.indicator_code and s.sex = y.sex and s.age = y.age
                       and s.offence = y.offence and s.time_period = y.year)
           -- a cell the file gives but that failed an earlier check is reported there, not as a gap
           and not exists (select 1 from _mapped m where m.submission_id = y.submission_id
                           and m.indicator_code = y.indicator_code and m.time_period = y.year and m.sex = y.sex
                           and m.age = y.age and m.offence = y.offence) as failed,
           cast(null as double precision) as value, 'a value for every year ' || y.first || '–' || y.last as expected,
           y.year, y.sex, y.age, y.offence, y.first, y.last
    from years y
    """,
    params=("year", "indicator_code", "sex", "age", "offence", "first", "last"),
)

REVISED_VALUE = SqlCheck(
    rule_id="REVISED_VALUE", level=3, severity="warning",
    description="A value already published for the same indicator, year and breakdown is not changed.",
    sql="""
    select s.submission_id, s.source_ref, s.indicator_code, s.time_period, s.obs_key,
           abs(s.obs_value - p.obs_value) > 1e-9 as failed, s.obs_value as value,
           quality.num(p.obs_value) || ' (published from ' || p.submission_id || ')' as expected
    from _sub s join _pub p on p.ref_area = s.ref_area and p.obs_key = s.obs_key and p.submission_id <> s.submission_id
    where s.obs_value is not null and p.obs_value is not null
    """,
)

FAR_FROM_PUBLISHED = SqlCheck(
    rule_id="FAR_FROM_PUBLISHED", level=4, severity="info",
    description=f"A value is within a factor {FAR_FACTOR} of the median of the country's published values of "
                f"the same series (at least {FAR_MIN_YEARS} other years).",
    sql=f"""
    with hist as (
        select s.submission_id, s.obs_key, percentile_cont(0.5) within group (order by p.obs_value) as med,
               count(*) as n
        from _sub s join _pub p on p.ref_area = s.ref_area and p.indicator_code = s.indicator_code
            and p.sex = s.sex and p.age = s.age and p.offence = s.offence and p.time_period <> s.time_period
        where p.obs_value is not null group by s.submission_id, s.obs_key
    )
    select s.submission_id, s.source_ref, s.indicator_code, s.time_period, s.obs_key,
           h.med > 0 and (s.obs_value > {FAR_FACTOR} * h.med or s.obs_value < h.med / {FAR_FACTOR})
               and not (s.indicator_type = 'count' and abs(s.obs_value - h.med) < {MIN_COUNT_CHANGE}) as failed,
           s.obs_value as value,
           'near ' || quality.num(h.med) || ' (median of ' || h.n || ' published years)' as expected
    from _sub s join hist h using (submission_id, obs_key)
    where s.obs_value is not null and h.n >= {FAR_MIN_YEARS}
      and s.indicator_type in ('count', 'rate', 'duration', 'amount')
    """,
)

# The child population 0-17 of a submission's country and year: the country's own CTX_CHILD_POP (this file or
# published), else the reference estimate (seeds/child_population.csv, UN WPP order of magnitude).
_POP = """
    with own as (
        select submission_id, time_period, max(obs_value) as pop from _series
        where indicator_code = 'CTX_CHILD_POP' and obs_value > 0 and sex in ('_T', '_Z') and age in ('_T', 'Y0T17')
        group by submission_id, time_period
    ),
    ref as (
        select r.submission_id, c.time_period, c.obs_value as pop
        from _run r join reference.child_population c on c.ref_area = r.country and c.sex = '_T'
        where c.obs_value > 0
    )
    select coalesce(o.submission_id, f.submission_id) as submission_id,
           coalesce(o.time_period, f.time_period) as time_period, coalesce(o.pop, f.pop) as pop
    from own o full join ref f on f.submission_id = o.submission_id and f.time_period = o.time_period
"""

RATE_IMPLAUSIBLE = SqlCheck(
    rule_id="RATE_IMPLAUSIBLE", level=4, severity="warning",
    description="A rate per 100,000 children is possible for the country's child population: at most 100,000 "
                "and, when above 0, at least one person.",
    sql=f"""
    with pop as ({_POP})
    select s.submission_id, s.source_ref, s.indicator_code, s.time_period, s.obs_key,
           s.obs_value > 100000 or (s.obs_value > 0 and s.obs_value * p.pop / 100000 < 1) as failed,
           s.obs_value as value,
           'between ' || quality.num(100000 / p.pop) || ' and 100000 for a child population of ' || quality.num(p.pop) as expected
    from _sub s join pop p using (submission_id, time_period)
    where s.unit_measure = 'RATE_100000' and s.obs_value is not null
    """,
)

CHILD_COUNT_ABOVE_POPULATION = SqlCheck(
    rule_id="CHILD_COUNT_ABOVE_POPULATION", level=4, severity="warning",
    description="A count of children does not exceed the country's child population that year (CTX_CHILD_POP, "
                "else the reference estimate).",
    sql=f"""
    with pop as ({_POP})
    select s.submission_id, s.source_ref, s.indicator_code, s.time_period, s.obs_key,
           s.obs_value > p.pop as failed, s.obs_value as value, 'at most ' || quality.num(p.pop) as expected
    from _sub s join pop p using (submission_id, time_period)
    where s.is_child_person_count and s.obs_value is not null
    """,
)


def history_checks() -> list[SqlCheck]:
    return [YOY_CHANGE, SERIES_HOLE, REVISED_VALUE]


def external_checks() -> list[SqlCheck]:
    return [FAR_FROM_PUBLISHED, RATE_IMPLAUSIBLE, CHILD_COUNT_ABOVE_POPULATION]
