"""Level-2 consistency rules (DESIGN.md section 6): identities are errors, relations are warnings.

Driven by reference data: additivity follows the catalogue's breakdowns and the age code list's bounds
(seeds/cl_age.csv), the relations between indicators come from seeds/indicator_relations.csv (one rule per
row: `le` = the left indicator should not exceed the right one in the same year, `requires` = a dependent
indicator above 0 needs its "exists" flag at 1). Every rule is SQL over the run's tables (checks.py).
"""

from __future__ import annotations

from pipelines.quality.checks import SqlCheck
from pipelines.reference import read_seed


def _sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _total(x: str) -> str:
    """A breakdown's total: _T and _Z (not applicable) both mean 'all', so they match each other."""
    return f"(case when {x} in ('_T', '_Z') then '_T' else {x} end)"


_SEX_PARTS = """
    from _sub t
    join _sub f on f.submission_id = t.submission_id and f.indicator_code = t.indicator_code
        and f.time_period = t.time_period and f.age = t.age and f.offence = t.offence and f.sex = 'F'
    join _sub m on m.submission_id = t.submission_id and m.indicator_code = t.indicator_code
        and m.time_period = t.time_period and m.age = t.age and m.offence = t.offence and m.sex = 'M'
    left join _sub u on u.submission_id = t.submission_id and u.indicator_code = t.indicator_code
        and u.time_period = t.time_period and u.age = t.age and u.offence = t.offence and u.sex = '_U'
    where t.sex = '_T' and t.indicator_type = 'count'
      and t.obs_value is not null and f.obs_value is not null and m.obs_value is not null
"""

# DESIGN.md section 6: the identity is an error only where the file completes it (F, M, _U and _T all given);
# without _U, F + M over the total is an error, F + M under it a warning (police data often leave sex unrecorded).
SEX_SUM = SqlCheck(
    rule_id="SEX_SUM", level=2, severity="error",
    description="Females + males + unknown sex add up to the total (counts, same year and breakdown); without "
                "unknown sex, females + males do not exceed the total.",
    sql="""
    select t.submission_id, t.source_ref, t.indicator_code, t.time_period, t.obs_key,
           case when u.obs_value is null then f.obs_value + m.obs_value - t.obs_value > 1e-9
                else abs(t.obs_value - (f.obs_value + m.obs_value + u.obs_value)) > 1e-9 end as failed,
           t.obs_value as value,
           'F + M' || case when u.obs_value is not null then ' + _U' else '' end || ' = '
               || quality.num(f.obs_value + m.obs_value + coalesce(u.obs_value, 0)) as expected,
           'The total for both sexes (sex _T) is not the sum of the values for females (F), males (M) and unknown '
           || 'sex (_U) of the same year and breakdown. Correct the total or the parts; if some persons are of '
           || 'unknown sex, add a row with sex _U for them.' as message
    """ + _SEX_PARTS,
)

SEX_GAP = SqlCheck(
    rule_id="SEX_GAP", level=2, severity="warning",
    description="Where the file gives no unknown sex, the gap between females + males and the total is shown.",
    sql="""
    select t.submission_id, t.source_ref, t.indicator_code, t.time_period, t.obs_key,
           t.obs_value - (f.obs_value + m.obs_value) > 1e-9 and u.obs_value is null as failed,
           t.obs_value as value,
           'F + M = ' || quality.num(f.obs_value + m.obs_value) || ', unknown sex ' ||
               quality.num(t.obs_value - f.obs_value - m.obs_value) as expected,
           'Females and males add up to less than the total for both sexes (sex _T): the difference is read as '
           || 'persons whose sex was not recorded. If so, nothing needs to be done (or send it as a row with sex _U); '
           || 'otherwise correct the total or the parts.' as message
    """ + _SEX_PARTS,
)

# Age bands are summed only where the bands given form a complete partition of 0-17 (no gap, no overlap,
# lower and upper bounds from the age code list); overlapping schemes (e.g. 10-14 and 12-17) are not summed.
AGE_SUM = SqlCheck(
    rule_id="AGE_SUM", level=2, severity="error",
    description="Age bands that cover 0-17 without gap or overlap add up to the under-18 total (Y0T17, or _T).",
    sql="""
    with parts as (
        select s.*, a.age_lower, a.age_upper
        from _sub s join reference.cl_age a on a.code = s.age
        where s.indicator_type = 'count' and s.age <> 'Y0T17' and a.age_lower is not null and a.age_upper <= 17
    ),
    groups as (
        select submission_id, indicator_code, time_period, sex, offence, min(age_lower) as lo, max(age_upper) as hi,
               sum(age_upper - age_lower + 1) as width, count(*) as n, count(obs_value) as n_values,
               sum(obs_value) as parts_sum, string_agg(age, ' + ' order by age_lower) as bands
        from parts group by submission_id, indicator_code, time_period, sex, offence
    ),
    overlapping as (
        select distinct a.submission_id, a.indicator_code, a.time_period, a.sex, a.offence
        from parts a join parts b using (submission_id, indicator_code, time_period, sex, offence)
        where a.age < b.age and a.age_lower <= b.age_upper and b.age_lower <= a.age_upper
    ),
    totals as (
        select * from (
            select *, row_number() over (partition by submission_id, indicator_code, time_period, sex, offence
                                         order by case age when 'Y0T17' then 0 else 1 end) as _n
            from _sub where age in ('Y0T17', '_T') and obs_value is not null) ranked
        where _n = 1
    )
    select t.submission_id, t.source_ref, t.indicator_code, t.time_period, t.obs_key,
           abs(t.obs_value - (g.parts_sum + coalesce(u.obs_value, 0) + coalesce(a.obs_value, 0))) > 1e-9 as failed,
           t.obs_value as value,
           g.bands || case when u.obs_value is not null then ' + _U' else '' end
               || case when a.obs_value is not null then ' + Y_GE18' else '' end
               || ' = ' || quality.num(g.parts_sum + coalesce(u.obs_value, 0) + coalesce(a.obs_value, 0)) as expected,
           'The total for all ages (age ' || t.age || ') is not the sum of the age bands given for the same year '
           || 'and breakdown. Correct the total or the bands; persons of unknown age go in a row with age _U.'
               as message
    from totals t
    join groups g using (submission_id, indicator_code, time_period, sex, offence)
    left join _sub u on t.age = '_T' and u.submission_id = t.submission_id and u.indicator_code = t.indicator_code
        and u.time_period = t.time_period and u.sex = t.sex and u.offence = t.offence and u.age = '_U'
    left join _sub a on t.age = '_T' and a.submission_id = t.submission_id and a.indicator_code = t.indicator_code
        and a.time_period = t.time_period and a.sex = t.sex and a.offence = t.offence and a.age = 'Y_GE18'
    where g.lo = 0 and g.hi = 17 and g.width = 18 and g.n = g.n_values
      and not exists (select 1 from overlapping o where o.submission_id = t.submission_id
                      and o.indicator_code = t.indicator_code and o.time_period = t.time_period
                      and o.sex = t.sex and o.offence = t.offence)
    """,
)


def _le(rel: dict) -> SqlCheck:
    """lhs <= rhs in the same year and breakdown, over the country's series (this submission + published)."""
    lhs, rhs = rel["lhs_indicator"], rel["rhs_indicator"]
    return SqlCheck(
        rule_id=rel["rule_id"], level=2, severity=rel["severity"] or "warning",
        description=f"{lhs} does not exceed {rhs} in the same year.",
        sql=f"""
        select l.submission_id,
               case when l.origin = 'submission' then l.source_ref else r.source_ref end as source_ref,
               case when l.origin = 'submission' then l.indicator_code else r.indicator_code end as indicator_code,
               l.time_period,
               case when l.origin = 'submission' then l.obs_key else r.obs_key end as obs_key,
               l.obs_value > r.obs_value as failed,
               case when l.origin = 'submission' then l.obs_value else r.obs_value end as value,
               case when l.origin = 'submission' then 'at most ' || quality.num(r.obs_value) || ' ({rhs})'
                    else 'at least ' || quality.num(l.obs_value) || ' ({lhs})' end as expected,
               {_sql_text(rel["message"])} as message
        from _series l
        join _series r on r.submission_id = l.submission_id and r.time_period = l.time_period
            and r.indicator_code = '{rhs}' and {_total('r.sex')} = {_total('l.sex')}
            and {_total('r.age')} = {_total('l.age')} and {_total('r.offence')} = {_total('l.offence')}
        where l.indicator_code = '{lhs}' and l.obs_value is not null and r.obs_value is not null
          and (l.origin = 'submission' or r.origin = 'submission')
        """,
    )


def _requires(rel: dict) -> SqlCheck:
    """A dependent indicator above 0 needs its flag at 1 for the same year (this submission or published)."""
    dep, flag = rel["lhs_indicator"], rel["rhs_indicator"]
    return SqlCheck(
        rule_id=rel["rule_id"], level=2, severity=rel["severity"] or "warning",
        description=f"{dep} above 0 comes with {flag} = 1 for the same year.",
        sql=f"""
        with dep as (
            select * from (
                select *, row_number() over (
                    partition by submission_id, time_period
                    order by (sex in ('_T', '_Z') and age in ('_T', '_Z') and offence in ('_T', '_Z')) desc,
                             source_ref) as _n
                from _series where indicator_code = '{dep}' and origin = 'submission' and obs_value > 0) ranked
            where _n = 1
        )
        select d.submission_id, d.source_ref, d.indicator_code, d.time_period, d.obs_key,
               coalesce(f.obs_value, -1) <> 1 as failed, d.obs_value as value,
               '{flag} = 1 for ' || d.time_period as expected,
               {_sql_text(rel["message"])} as message
        from dep d
        left join _series f on f.submission_id = d.submission_id and f.time_period = d.time_period
            and f.indicator_code = '{flag}' and f.sex in ('_T', '_Z') and f.age in ('_T', '_Z')
            and f.offence in ('_T', '_Z')
        """,
    )


RATE_WITHOUT_DENOMINATOR = SqlCheck(
    rule_id="RATE_WITHOUT_DENOMINATOR", level=2, severity="warning",
    description="A rate per 100,000 children comes with the child population (CTX_CHILD_POP) for the same year.",
    sql="""
    select s.submission_id, s.source_ref, s.indicator_code, s.time_period, s.obs_key,
           not exists (select 1 from _series p where p.submission_id = s.submission_id
                       and p.time_period = s.time_period and p.indicator_code = 'CTX_CHILD_POP'
                       and p.obs_value > 0 and p.sex in ('_T', '_Z') and p.age in ('_T', 'Y0T17')) as failed,
           s.obs_value as value, 'CTX_CHILD_POP for ' || s.time_period as expected,
           'This rate per 100,000 children has no child population (CTX_CHILD_POP) for the same year, in this file '
           || 'or in your published data, so it cannot be checked or recomputed. Add a row with CTX_CHILD_POP for '
           || 'this year (the population aged 0-17 used to compute the rate).' as message
    from _sub s
    where s.unit_measure = 'RATE_100000' and s.obs_value is not null
    """,
)


def consistency_checks() -> list[SqlCheck]:
    relations = read_seed("indicator_relations")
    return [
        SEX_SUM,
        SEX_GAP,
        AGE_SUM,
        *[_le(r) for r in relations if r["relation"] == "le"],
        *[_requires(r) for r in relations if r["relation"] == "requires"],
        RATE_WITHOUT_DENOMINATOR,
    ]
