"""Level-2 consistency rules (DESIGN.md section 6): identities are errors, relations are warnings.

Driven by reference data: additivity follows the breakdown definitions of pipelines/breakdowns.py (sex,
age bands by their years, the ICCS offence tree of seeds/cl_offence.csv), shared with disclosure control;
the relations between indicators come from seeds/indicator_relations.csv (one rule per row: `le` = the left indicator should not exceed the right one in the same year, `requires` = a dependent
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


# The breakdown relations (pipelines/breakdowns.py, the definition disclosure control uses too) of the run's
# counts, found once per run by prepare_breakdowns(): which codes each group gives decides its relations.
#   _bd_groups     one row per group: a submission's indicator and year with two of sex, age and offence
#                  fixed (the third, the dimension `dim`, null) and the codes given for `dim`
#   _bd_relations  per distinct (dim, child universe, codes): each relation's total, completeness and size
#   _bd_members    its members, in the order a reader expects (F, M, _U; age bands by first year)
_GROUP_BY = {"sex": ("age", "offence"), "age": ("sex", "offence"), "offence": ("sex", "age")}


def prepare_breakdowns(conn) -> None:
    import pyarrow as pa

    from pipelines.breakdowns import relations

    parts = []
    for dim, fixed in _GROUP_BY.items():
        cols = ", ".join(f"{c}" if c in fixed else f"cast(null as varchar) as {c}" for c in ("sex", "age", "offence"))
        parts.append(f"""select submission_id, indicator_code, time_period, '{dim}' as dim, {cols},
                                is_child_person_count as child, string_agg(distinct {dim}, '|' order by {dim}) as codes
                         from _sub where indicator_type = 'count'
                         group by submission_id, indicator_code, time_period, {', '.join(fixed)}, is_child_person_count
                         having count(distinct {dim}) > 1""")
    conn.temp_table("_bd_groups", " union all ".join(parts))
    rels, members = [], []
    for dim, child, codes in conn.execute("select distinct dim, child, codes from _bd_groups").fetchall():
        for n, r in enumerate(relations(dim, frozenset(codes.split("|")), bool(child))):
            rels.append({"dim": dim, "child": child, "codes": codes, "rel": n, "total": r.total,
                         "complete": r.complete, "gap_unknown": r.gap_is_unknown, "n_members": len(r.members)})
            members += [{"dim": dim, "child": child, "codes": codes, "rel": n, "member": m, "pos": i}
                        for i, m in enumerate(r.members)]
    conn.execute("drop table if exists _bd_relations; drop table if exists _bd_members")
    conn.execute("create temp table _bd_relations (dim varchar, child boolean, codes varchar, rel integer, "
                 "total varchar, complete boolean, gap_unknown boolean, n_members integer)")
    conn.execute("create temp table _bd_members (dim varchar, child boolean, codes varchar, rel integer, "
                 "member varchar, pos integer)")
    if rels:
        conn.insert_frame("_bd_relations", pa.Table.from_pylist(rels))
        conn.insert_frame("_bd_members", pa.Table.from_pylist(members))


def _cell(group: str, code: str, cell: str) -> str:
    """Join condition: `cell` is the cell of `group` whose varying dimension has the code `code`."""
    return " and ".join(f"{cell}.{c} = coalesce({group}.{c}, {code})" for c in ("sex", "age", "offence"))


_NAMES = {"sex": ("sex", "unknown sex (_U)"), "age": ("age", "unknown age (_U)"), "offence": ("offence", None)}


def _sum_check(dim: str, gap: bool) -> SqlCheck:
    """Members of a breakdown against their total (DESIGN.md section 6): where the members cover the total
    exactly (with _U when given) they must add up to it (an error); where they do not, their sum must not
    exceed it (an error), and (gap=True, the warning) a sum short of the total by what unknown sex or age
    would fill is shown as that gap."""
    what, unknown = _NAMES[dim]
    if gap:
        failed = "p.parts_sum < t.obs_value - 1e-9"
        expected = (f"p.members || ' = ' || quality.num(p.parts_sum) || ', {unknown.split(' (')[0]} ' || "
                    f"quality.num(t.obs_value - p.parts_sum)")
        which = "r.gap_unknown"
        rule_id, severity = f"{dim.upper()}_GAP", "warning"
        description = f"Where no {unknown} is given, the parts of a total given by {what} fall short of it only " \
                      f"by persons of {unknown.split(' (')[0]}."
    else:
        failed = ("case when r.complete then abs(t.obs_value - p.parts_sum) > 1e-9 "
                  "else p.parts_sum > t.obs_value + 1e-9 end")
        expected = "p.members || ' = ' || quality.num(p.parts_sum)"
        which = "true"
        rule_id, severity = f"{dim.upper()}_SUM", "error"
        description = {"sex": "Females + males (+ unknown sex) add up to the total, or do not exceed it where no "
                              "unknown sex is given.",
                       "age": "Age bands that cover the total's ages (with unknown age) add up to it; other bands "
                              "inside it do not exceed it.",
                       "offence": "Offence codes that cover their parent in the ICCS hierarchy add up to it; "
                                  "others do not exceed it."}[dim]
    return SqlCheck(rule_id=rule_id, level=2, severity=severity, description=description, sql=f"""
    with inst as (
        select g.*, r.rel, r.total, r.complete, r.n_members
        from _bd_groups g join _bd_relations r on r.dim = g.dim and r.child = g.child and r.codes = g.codes
        where g.dim = '{dim}' and {which}
    ),
    p as (
        select i.submission_id, i.indicator_code, i.time_period, i.sex, i.age, i.offence, i.rel,
               sum(c.obs_value) as parts_sum, count(c.obs_value) as n_values,
               string_agg(m.member, ' + ' order by m.pos) as members
        from inst i
        join _bd_members m on m.dim = i.dim and m.child = i.child and m.codes = i.codes and m.rel = i.rel
        join _sub c on c.submission_id = i.submission_id and c.indicator_code = i.indicator_code
            and c.time_period = i.time_period and {_cell('i', 'm.member', 'c')}
        group by i.submission_id, i.indicator_code, i.time_period, i.sex, i.age, i.offence, i.rel
    )
    select t.submission_id, t.source_ref, t.indicator_code, t.time_period, t.obs_key,
           {failed} as failed, t.obs_value as value, {expected} as expected
    from inst r
    join p on p.submission_id = r.submission_id and p.indicator_code = r.indicator_code
        and p.time_period = r.time_period and p.rel = r.rel and p.sex is not distinct from r.sex
        and p.age is not distinct from r.age and p.offence is not distinct from r.offence
    join _sub t on t.submission_id = r.submission_id and t.indicator_code = r.indicator_code
        and t.time_period = r.time_period and {_cell('r', 'r.total', 't')}
    where p.n_values = r.n_members and t.obs_value is not null
    """)


SEX_SUM, AGE_SUM, OFFENCE_SUM = (_sum_check(d, gap=False) for d in ("sex", "age", "offence"))
SEX_GAP, AGE_GAP = (_sum_check(d, gap=True) for d in ("sex", "age"))


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
        params=None,
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
        params=None,
    )


RATE_WITHOUT_DENOMINATOR = SqlCheck(
    rule_id="RATE_WITHOUT_DENOMINATOR", level=2, severity="warning",
    description="A rate per 100,000 children comes with the child population (CTX_CHILD_POP) for the same year.",
    sql="""
    select s.submission_id, s.source_ref, s.indicator_code, s.time_period, s.obs_key,
           not exists (select 1 from _series p where p.submission_id = s.submission_id
                       and p.time_period = s.time_period and p.indicator_code = 'CTX_CHILD_POP'
                       and p.obs_value > 0 and p.sex in ('_T', '_Z') and p.age in ('_T', 'Y0T17')) as failed,
           s.obs_value as value, 'CTX_CHILD_POP for ' || s.time_period as expected
    from _sub s
    where s.unit_measure = 'RATE_100000' and s.obs_value is not null
    """,
)


def consistency_checks() -> list[SqlCheck]:
    relations = read_seed("indicator_relations")
    return [
        SEX_SUM, SEX_GAP,
        AGE_SUM, AGE_GAP,
        OFFENCE_SUM,
        *[_le(r) for r in relations if r["relation"] == "le"],
        *[_requires(r) for r in relations if r["relation"] == "requires"],
        RATE_WITHOUT_DENOMINATOR,
    ]
