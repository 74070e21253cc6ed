"""The gate's output: published.observations, superseded key by key by each accepted submission.

Only accepted submissions (with or without warnings) reach it; a rejected submission publishes nothing and
the country's earlier values stay. Every published row is also kept in published.observation_history with
when it was published and when (if ever) it was superseded, so nothing published is silently lost.
The published layer is disclosure-controlled (pipelines/publish/disclosure.py: primary and secondary
suppression, audited against every earlier state in history); the unsuppressed values stay in the restricted
marts layer. History keeps every state as it was served: a row whose suppression changes is closed and added
again as it is published now.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa

from pipelines.faults import fault_point
from pipelines.publish.disclosure import control, thresholds
from pipelines.schema import KEY, OBSERVATIONS
from pipelines.warehouse import Db, fetch_dicts

# The harmonised schema (pipelines/schema.py, from the dbt contract of marts.fct_observations).
COLUMNS = OBSERVATIONS.names
DDL = f"""
create schema if not exists published;
{OBSERVATIONS.ddl("published.observations")};
create table if not exists published.observation_history as
    select *, cast(null as varchar) as published_at, cast(null as varchar) as superseded_at
    from published.observations where false;
"""
ARROW_SCHEMA = OBSERVATIONS.arrow()


def match(alias: str, other: str = "i", columns=KEY) -> str:
    return " and ".join(f"{alias}.{c} = {other}.{c}" for c in columns)


def child_person_counts(conn: Db) -> set[str]:
    return {r[0] for r in conn.execute(
        "select indicator_code from reference.indicators where is_child_person_count").fetchall()}


def to_arrow(rows: list[dict]) -> pa.Table:
    """Rows as an Arrow table with the published column types (nulls stay nulls, never NaN)."""
    return pa.Table.from_pylist([{c: r[c] for c in COLUMNS} for r in rows], schema=ARROW_SCHEMA)


def unsuppressed_sql(area_param: str = "?") -> str:
    """The current published rows of these countries with their values from the restricted marts layer."""
    cols = ", ".join(f"p.{c}" for c in COLUMNS if c not in ("obs_value", "obs_status", "obs_conf"))
    return f"""
        select {cols},
               coalesce(f.obs_value, p.obs_value) as obs_value,
               coalesce(f.obs_status, p.obs_status) as obs_status,
               coalesce(f.obs_conf, p.obs_conf) as obs_conf
        from published.observations p
        left join marts.fct_observations f on f.submission_id = p.submission_id and {match('f', 'p')}
        where p.ref_area in (select unnest({area_param}::varchar[]))"""


# The tables whose rows disclosure control can change: one country, year and indicator (no published relation
# links two of them), of a child person count holding a count from 1 to suppress_max or a cell suppressed in an
# earlier published state (it stays suppressed), and any table holding a value its file marks confidential.
# control() runs on these tables alone, each with its earlier states; every other row is published as it is,
# without leaving DuckDB.
GROUP = ("ref_area", "time_period", "indicator_code")
CHILD_COUNTS = "select indicator_code from reference.indicators where is_child_person_count"


def controlled_groups_sql(suppress_max: int) -> str:
    return f"""
        select distinct {', '.join(GROUP)} from _unsuppressed
        where indicator_code in ({CHILD_COUNTS})
          and ((obs_value is null and obs_status = 'Q') or obs_value between 1 and {int(suppress_max)})
        union
        select distinct {', '.join(GROUP)} from _unsuppressed where obs_value is not null and obs_conf <> 'F'
        union
        select distinct {', '.join('h.' + c for c in GROUP)} from published.observation_history h
        where h.ref_area in (select distinct ref_area from _unsuppressed) and h.obs_value is null
          and h.obs_conf in ('C', 'D') and h.indicator_code in ({CHILD_COUNTS})"""


def earlier_states_sql(area_param: str = "?") -> str:
    """The history rows of the controlled tables of a country that were ever superseded (with their unsuppressed
    values): the earlier states control must keep closed. A table never revised has no earlier state."""
    cols = ", ".join(f"h.{c}" for c in COLUMNS)
    return f"""
        select {cols}, h.published_at, h.superseded_at, coalesce(f.obs_value, h.obs_value) as true_value
        from published.observation_history h
        left join marts.fct_observations f on f.submission_id = h.submission_id and {match('f', 'h')}
        where h.ref_area = {area_param}
          and exists (select 1 from published.observation_history s where s.superseded_at is not null
                      and {match('s', 'h', GROUP)})
          and exists (select 1 from _groups g where {match('h', 'g', GROUP)})"""


def control_in_place(conn: Db, limits) -> int:
    """Disclosure control of the temp table _unsuppressed, changing only the rows of the tables it can affect."""
    conn.temp_table("_groups", controlled_groups_sql(limits.suppress_max))
    children = child_person_counts(conn)
    n = 0
    # Country by country (no relation spans two countries), so that one country's rows at most are in Python.
    for (area,) in conn.execute("select distinct ref_area from _groups order by 1").fetchall():
        rows = fetch_dicts(conn, f"""select u.* from _unsuppressed u
                               where u.ref_area = ? and exists (select 1 from _groups g where {match('u', 'g', GROUP)})
                               order by {', '.join('u.' + c for c in COLUMNS)}""", [area])
        history = fetch_dicts(conn, earlier_states_sql(), [area])
        controlled = control(rows, children, limits, history)
        withheld = [r for r in controlled if r.get("withheld")]
        if withheld:   # not published at all (disclosure.py): the restricted layer keeps them
            conn.temp_table("_withheld", f"select {', '.join(COLUMNS)} from _unsuppressed where false")
            conn.insert_frame("_withheld", to_arrow(withheld))
            conn.execute(f"delete from _unsuppressed u using _withheld w "
                         f"where w.submission_id = u.submission_id and {match('u', 'w')}")
        changed = [r for r, before in zip(controlled, rows) if not r.get("withheld")
                   and (r["obs_value"], r["obs_status"], r["obs_conf"])
                   != (before["obs_value"], before["obs_status"], before["obs_conf"])]
        n += len(withheld)
        if changed:
            conn.temp_table("_controlled", f"select {', '.join(COLUMNS)} from _unsuppressed where false")
            conn.insert_frame("_controlled", to_arrow(changed))
            conn.execute(f"""update _unsuppressed u
                             set obs_value = c.obs_value, obs_status = c.obs_status, obs_conf = c.obs_conf
                             from _controlled c where c.submission_id = u.submission_id and {match('u', 'c')}""")
        n += len(changed)
    return n


def rounds(conn: Db, submission_ids: list[str]) -> list[list[str]]:
    """The submissions in publication order, grouped so that each group can be published in one pass: no two
    submissions of a group share a country (keys begin with ref_area, so they cannot supersede each other), and
    of two submissions that do, the earlier is in an earlier group. A rebuild (one submission per country) is
    one group: one scan of the marts instead of one per submission."""
    areas: dict[str, set[str]] = {sid: set() for sid in submission_ids}
    for sid, area in conn.execute("select distinct submission_id, ref_area from marts.fct_observations "
                                  "where submission_id in (select unnest(?::varchar[]))", [submission_ids]).fetchall():
        areas[sid].add(area)
    last: dict[str, int] = {}
    out: list[list[str]] = []
    for sid in submission_ids:
        r = max((last[a] + 1 for a in areas[sid] if a in last), default=0)
        for a in areas[sid]:
            last[a] = r
        if r == len(out):
            out.append([])
        out[r].append(sid)
    return out


def publish(conn: Db, submission_ids: list[str]) -> dict[str, int]:
    """Publish these accepted submissions, in the order given (oldest first), in one transaction.

    Idempotent: a submission already in published.observation_history is not published again (a run that died
    after publishing but before writing the feedback is re-run; publishing twice would double its history and,
    if a later submission superseded some of its keys meanwhile, bring back the older values).
    """
    conn.execute(DDL)
    published: dict[str, int] = {}
    if not submission_ids:
        return published
    done = {r[0] for r in conn.execute(
        "select distinct submission_id from published.observation_history "
        "where submission_id in (select unnest(?::varchar[]))", [submission_ids]).fetchall()}
    submission_ids = [sid for sid in submission_ids if sid not in done]
    if not submission_ids:
        return published
    # To the microsecond: states of history are told apart by these (pipelines/publish/verify.py: states_of).
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cols = ", ".join(COLUMNS)
    limits = thresholds()
    conn.execute("begin transaction")
    try:
        conn.temp_table("_arrived", f"select {cols} from published.observations where false")
        for batch in rounds(conn, submission_ids):
            conn.temp_table("_incoming", f"select {cols} from marts.fct_observations "
                                         "where submission_id in (select unnest(?::varchar[]))", [batch])
            conn.execute(
                f"""update published.observation_history h set superseded_at = ? from _incoming i
                    where h.superseded_at is null and {match('h')}""",
                [now],
            )
            conn.execute(f"delete from published.observations p using _incoming i where {match('p')}")
            conn.execute(f"delete from _arrived p using _incoming i where {match('p')}")
            conn.execute(f"insert into published.observations ({cols}) select {cols} from _incoming")
            conn.execute(f"insert into _arrived ({cols}) select {cols} from _incoming")
            counts = dict(conn.execute("select submission_id, count(*) from _incoming group by submission_id").fetchall())
            published.update({sid: counts.get(sid, 0) for sid in batch})
            fault_point("publish")
        # Disclosure control over each affected country's whole published table: a new value can make an
        # older one recomputable, so the secondary suppression is redone country by country.
        areas = [r[0] for r in conn.execute("select distinct ref_area from _arrived order by 1").fetchall()]
        conn.temp_table("_unsuppressed", unsuppressed_sql(), [areas])
        control_in_place(conn, limits)
        conn.execute("delete from published.observations where ref_area in (select unnest(?::varchar[]))", [areas])
        conn.execute(f"insert into published.observations ({cols}) select {cols} from _unsuppressed")
        # Earlier rows whose suppression changed: their state until now stays in history as it was served,
        # and the row as published now is added (history is the record of every state, which the disclosure
        # control of later publications and the release's audit read).
        conn.temp_table("_recontrolled", f"""
            select {', '.join('p.' + c for c in COLUMNS)} from published.observations p
            join published.observation_history h
                on h.superseded_at is null and h.submission_id = p.submission_id and {match('h', 'p')}
            where p.ref_area in (select unnest(?::varchar[]))   -- only these countries were re-controlled
              and (h.obs_status <> p.obs_status or h.obs_conf <> p.obs_conf
                   or h.obs_value is distinct from p.obs_value)""", [areas])
        conn.execute(f"""update published.observation_history h set superseded_at = ? from _recontrolled c
                         where h.superseded_at is null and h.submission_id = c.submission_id and {match('h', 'c')}""",
                     [now])
        conn.execute(f"insert into published.observation_history ({cols}, published_at) "
                     f"select {cols}, ? from _recontrolled", [now])
        conn.execute(
            f"""insert into published.observation_history ({cols}, published_at)
                select {', '.join('p.' + c for c in COLUMNS)}, ? from published.observations p
                join _arrived i on i.submission_id = p.submission_id and {match('p')}""",
            [now],
        )
        conn.execute("drop table if exists _incoming")
        conn.execute("drop table if exists _arrived")
        conn.execute("drop table if exists _unsuppressed")
        conn.execute("drop table if exists _groups")
        conn.execute("drop table if exists _controlled")
        conn.execute("drop table if exists _recontrolled")
        conn.execute("drop table if exists _withheld")
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    return published

