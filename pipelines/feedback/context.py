"""What the report shows beside the findings, read from the warehouse: the per-rule statistics, the series of
each warned indicator, completeness against the country's reporting obligations, and what was published."""

from __future__ import annotations

from pipelines.publish.disclosure import thresholds
from pipelines.publish.publish import DDL as PUBLISHED_DDL
from pipelines.quality.rules import reporting_obligations
from pipelines.quality.store import rule_results_for
from pipelines.reference import indicators
from pipelines.warehouse import Db

MAX_SERIES_PER_INDICATOR = 3


def suppression_max() -> int:
    """Person counts about children from 1 to this are suppressed at publication (MNR_SUPPRESS_MAX)."""
    return thresholds().suppress_max


def is_small_child_count(indicator_code: str | None, value: float | None) -> bool:
    """A person count about children from 1 to MNR_SUPPRESS_MAX: never shown in the shared report."""
    if indicator_code is None or value is None:
        return False
    ind = indicators().get(indicator_code)
    return bool(ind and ind.get("is_child_person_count") == "true" and 1 <= value <= suppression_max())


def rule_table(conn: Db, submission_id: str, findings: list[dict]) -> list[dict]:
    """One row per rule: units tested, passed and failed. Rules that report no unit count (level 0, read
    while ingesting the file) show only their findings."""
    rows = rule_results_for(conn, submission_id)
    seen = {r["rule_id"] for r in rows}
    extra: dict[str, dict] = {}
    for f in findings:
        if f["rule_id"] not in seen:
            e = extra.setdefault(f["rule_id"], {"rule_id": f["rule_id"], "level": f["level"],
                                                "severity": f["severity"], "description": "",
                                                "units": None, "failed": 0})
            e["failed"] += 1
    out = rows + list(extra.values())
    for r in out:
        r["passed"] = None if r["units"] is None else r["units"] - r["failed"]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda r: (r["level"], order[r["severity"]], r["rule_id"]))


def _series(conn, submission_id: str, country: str, keys: list[tuple[str, str, str, str]]) -> dict[tuple, list[dict]]:
    """The series of each key (indicator, sex, age, offence), in one query: this file's values, and the
    country's published values for the other years. A point is masked where publication suppresses it (obs_conf
    C or D) or where it is a small count about children, so the shared report shows no value that the published
    data hides."""
    if not keys:
        return {}
    columns = [list(c) for c in zip(*keys)]
    rows = conn.execute(
        """with k as (select unnest(?::varchar[]) as code, unnest(?::varchar[]) as sex, unnest(?::varchar[]) as age,
                             unnest(?::varchar[]) as offence),
           mine as (
               select f.indicator_code, f.sex, f.age, f.offence, f.time_period, f.obs_value, p.obs_conf
               from marts.fct_observations f
               join k on k.code = f.indicator_code and k.sex = f.sex and k.age = f.age and k.offence = f.offence
               left join published.observations p
                   on p.submission_id = f.submission_id and p.ref_area = f.ref_area and p.time_period = f.time_period
                   and p.indicator_code = f.indicator_code and p.sex = f.sex and p.age = f.age and p.offence = f.offence
               where f.submission_id = ?)
           select indicator_code, sex, age, offence, time_period, obs_value, 'submission' as origin,
                  coalesce(obs_conf, 'F') in ('C', 'D') as hidden
           from mine
           union all
           select p.indicator_code, p.sex, p.age, p.offence, p.time_period, p.obs_value, 'published',
                  p.obs_conf in ('C', 'D') or p.obs_value is null
           from published.observations p
           join k on k.code = p.indicator_code and k.sex = p.sex and k.age = p.age and k.offence = p.offence
           where p.ref_area = ? and p.submission_id <> ?
             and not exists (select 1 from mine m where m.indicator_code = p.indicator_code and m.sex = p.sex
                             and m.age = p.age and m.offence = p.offence and m.time_period = p.time_period)
           order by 1, 2, 3, 4, 5""",
        [*columns, submission_id, country, submission_id],
    ).fetchall()
    out: dict[tuple, list[dict]] = {}
    for code, sex, age, offence, year, value, origin, hidden in rows:
        out.setdefault((code, sex, age, offence), []).append(
            {"year": year, "value": value, "origin": origin,
             "masked": bool(hidden) or is_small_child_count(code, value), "flagged": False})
    return out


def warned_series(conn, submission_id: str, country: str, findings: list[dict]) -> list[dict]:
    """For each indicator with a warning on a value (levels 2-4), its series (this file + published) with the
    flagged years marked."""
    by_indicator: dict[str, dict[tuple, set[int]]] = {}
    for f in findings:
        if f["severity"] != "warning" or f["level"] < 2 or not f.get("obs_key"):
            continue
        code, year, sex, age, offence = f["obs_key"].split("|")
        by_indicator.setdefault(code, {}).setdefault((code, sex, age, offence), set()).add(int(year))
    shown = {code: list(by_indicator[code].items())[:MAX_SERIES_PER_INDICATOR] for code in sorted(by_indicator)}
    series = _series(conn, submission_id, country, [key for keys in shown.values() for key, _ in keys])
    charts = []
    for code, keys in shown.items():
        for key, years in keys:
            points = series.get(key, [])
            have = {p["year"] for p in points}
            for p in points:
                p["flagged"] = p["year"] in years
            if not points:
                continue
            dims = [[d, v] for d, v in zip(("sex", "age", "offence"), key[1:]) if v not in ("_Z",)]
            charts.append({"indicator_code": code, "name": indicators().get(code, {}).get("indicator_name", code),
                           "breakdown": ", ".join(f"{d} {v}" for d, v in dims), "dims": dims, "points": points,
                           "flagged_years": sorted(years), "missing_years": sorted(years - have)})
    return charts


def completeness(conn, submission_id: str, country: str) -> list[dict]:
    """The indicators expected of the country (seeds/reporting_obligations.csv) and whether this file or the
    country's published data give them."""
    conn.execute(PUBLISHED_DDL)
    mine = dict(conn.execute(
        """select indicator_code, array_agg(distinct time_period order by time_period) from marts.fct_observations
           where submission_id = ? group by indicator_code""", [submission_id]).fetchall())
    published = dict(conn.execute(
        """select indicator_code, array_agg(distinct time_period order by time_period) from published.observations
           where ref_area = ? group by indicator_code""", [country]).fetchall())
    out = []
    for code, required in sorted(reporting_obligations(country).items(), key=lambda kv: (not kv[1], kv[0])):
        in_file, in_pub = mine.get(code) or [], published.get(code) or []
        out.append({"indicator_code": code, "name": indicators().get(code, {}).get("indicator_name", code),
                    "required": required, "file_years": in_file, "published_years": in_pub,
                    "status": "given" if in_file else ("published earlier" if in_pub else "missing")})
    return out


def published_summary(conn, submission_id: str) -> list[dict]:
    """What this submission put into published.observations, per indicator: values, years, suppressed cells
    (a cell that disclosure control withheld, not published at all, counts as suppressed)."""
    conn.execute(PUBLISHED_DDL)
    keys = "ref_area, time_period, indicator_code, sex, age, offence"
    rows = conn.execute(
        # A row whose suppression changed later is in history once per state: counted once, as it is now.
        f"""with h as (
               select * from (
                   select *, row_number() over (partition by {keys} order by published_at desc) as _n
                   from published.observation_history where submission_id = ?) ranked
               where _n = 1)
           select f.indicator_code, count(*), array_agg(distinct f.time_period order by f.time_period),
                  count(*) filter (where h.submission_id is null or h.obs_status = 'Q'
                                   or h.obs_conf in ('C', 'D'))
           from marts.fct_observations f left join h using (submission_id, {keys})
           where f.submission_id = ? and exists (select 1 from h)
           group by f.indicator_code order by 1""",
        [submission_id, submission_id],
    ).fetchall()
    return [{"indicator_code": c, "name": indicators().get(c, {}).get("indicator_name", c), "values": n,
             "years": years, "suppressed": s} for c, n, years, s in rows]


def withheld_tables(conn: Db, country: str) -> list[list]:
    """(indicator, year) of the country's tables that hold a cell suppressed at publication, now or in any
    earlier state: the shared report prints none of their values (a total or a sum beside the published cells
    would give the suppressed one back)."""
    conn.execute(PUBLISHED_DDL)
    return sorted([code, year] for code, year in conn.execute(
        """select distinct indicator_code, time_period from published.observation_history
           where ref_area = ? and obs_value is null and obs_conf in ('C', 'D')""", [country]).fetchall()
        if indicators().get(code, {}).get("is_child_person_count") == "true")


def gather(conn: Db, submission_id: str, country: str, findings: list[dict]) -> dict:
    return {
        # each finding's message id and parameters, in the findings' order: the report says it in its language
        "messages": [[f.get("message_id"), f.get("message_params")] for f in findings],
        "withheld": withheld_tables(conn, country),
        "rules": rule_table(conn, submission_id, findings),
        "charts": warned_series(conn, submission_id, country, findings),
        "completeness": completeness(conn, submission_id, country),
        "published": published_summary(conn, submission_id),
    }
