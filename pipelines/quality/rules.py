"""Level-1 rules over the mapped cells, each a SQL query run in DuckDB (DESIGN.md section 6).

A rule returns the cells it fails, with where they are in the file. Range and type checks per indicator
are the great-expectations suite's job (expectations/, generated from the catalogue); these rules cover
what the mapping finds: unknown labels and codes, values that are not numbers, years out of range, units
that disagree with the catalogue, breakdowns an indicator does not have, duplicate keys and completeness.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.quality.findings import Finding, message
from pipelines.quality.store import RuleResult
from pipelines.reference import closest_labels, indicators, read_seed
from pipelines.warehouse import Db

FIRST_YEAR = 1990

# The file's column header for a field, as written (raw.columns). A field with no column of its own came
# from the header of the value's column (a year or an indicator in a wide layout).
_COLUMN = """coalesce((select c.header from raw.columns c where c.submission_id = m.submission_id
                      and c.sheet is not distinct from m.sheet and c.field = '{field}' limit 1), m.value_column)"""


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str
    field: str                 # the file column the finding points at
    where: str                 # SQL condition on int_observations_mapped m
    value: str                 # SQL expression: the offending value as written
    expected: str = ""
    label_kind: str | None = None   # suggest the closest known labels of this kind
    level: int = 1
    description: str = ""           # what the rule checks (the report's per-rule table); units are cells


def _unknown(field: str, mapped: str, kind: str, what: str) -> Rule:
    return Rule(
        rule_id=f"UNKNOWN_{field.upper()}", severity="error", field=field,
        where=f"m.{field}_raw is not null and m.{mapped} is null",
        value=f"m.{field}_raw",
        label_kind=kind, description=f"Every {what} in the file is known (a code or label from the template).",
    )


RULES: list[Rule] = [
    _unknown("indicator", "indicator_code", "indicator", "indicator"),
    _unknown("sex", "sex", "sex", "sex code"),
    _unknown("age", "age", "age", "age band"),
    _unknown("offence", "offence", "offence", "offence code"),
    _unknown("obs_status", "obs_status", "obs_status", "observation status"),
    Rule(
        rule_id="UNKNOWN_UNIT", severity="error", field="unit",
        where="m.unit_raw is not null and m.unit_given is null", value="m.unit_raw",
        label_kind="unit", description="Every unit in the file is known.",
    ),
    Rule(
        rule_id="UNKNOWN_REF_AREA", severity="error", field="ref_area",
        where="m.ref_area_raw is not null and m.ref_area is null", value="m.ref_area_raw",
        label_kind="ref_area", description="Every country in the file is known.",
    ),
    Rule(
        rule_id="UNKNOWN_OBS_FLAG", severity="error", field="obs_flag",
        where="m.obs_flag is not null and m.obs_status is null", value="m.obs_flag",
        description="Every observation flag in the file is known.",
    ),
    Rule(
        rule_id="UNKNOWN_OBS_CONF", severity="error", field="obs_conf",
        where="m.obs_conf_raw is not null and m.obs_conf is null", value="m.obs_conf_raw",
        description="Every confidentiality status in the file is known.",
    ),
    Rule(
        rule_id="MISSING_INDICATOR", severity="error", field="indicator",
        where="m.indicator_raw is null and m.value_state <> 'missing'", value="m.value_raw",
        description="Every value has an indicator.",
    ),
    Rule(
        rule_id="BAD_YEAR", severity="error", field="time_period",
        where=f"m.time_period is null or m.time_period < {FIRST_YEAR} or m.time_period > {{this_year}}",
        value="m.time_period_raw",
        expected=f"'{FIRST_YEAR}–' || {{this_year}}", description="Every reference year is a valid year.",
    ),
    Rule(
        rule_id="NON_NUMERIC_VALUE", severity="error", field="value",
        where="m.value_state = 'text' and m.obs_value is null and m.indicator_code is not null", value="m.value_raw",
        description="Every value is a number or a recognised 'no value' marker.",
    ),
    Rule(
        rule_id="UNIT_MISMATCH", severity="error", field="unit",
        where="m.unit_given is not null and m.unit_measure is not null and m.unit_given <> m.unit_measure "
              "and not (m.unit_given in ('NUMBER', 'PERSONS') and m.unit_measure in ('NUMBER', 'PERSONS'))",
        value="m.unit_raw",
        expected="m.unit_measure", description="Every unit given agrees with the indicator's unit.",
    ),
    *[
        Rule(
            rule_id=f"BREAKDOWN_NOT_ALLOWED_{field.upper()}", severity="error", field=field,
            where=f"m.indicator_code is not null and m.{field} is not null and m.{field} not in ('_T', '_Z') "
                  f"and position('{token}' in coalesce(m.disaggregations, '')) = 0",
            value=f"m.{field}_raw",
            description=f"Breakdowns by {field} are used only for indicators that have them.",
        )
        for field, token in (("sex", "SEX"), ("age", "AGE"), ("offence", "OFF"))
    ],
]


def run_rules(
    conn: Db, submission_ids: list[str]
) -> tuple[list[tuple[str, str, Finding]], list[RuleResult]]:
    """Every level-1 finding for these submissions, as (submission_id, country, finding), and how many units
    (cells, keys, indicators) each rule tested and failed per submission. Reads their cells from _mapped
    (gate.run_stages)."""
    if not submission_ids:
        return [], []
    this_year = date.today().year
    out: list[tuple[str, str, Finding]] = []
    cells = dict(conn.execute(
        """select submission_id, count(*) from _mapped
           where submission_id in (select unnest(?::varchar[])) group by submission_id""",
        [submission_ids]).fetchall())
    results: list[RuleResult] = []
    for rule in RULES:
        before = len(out)
        where = rule.where.format(this_year=this_year)
        expected = rule.expected.format(this_year=this_year) if rule.expected else "null"
        sql = f"""
            select m.submission_id, m.country, m.sheet, m.file_row, {rule.value} as value,
                   {expected} as expected, {_COLUMN.format(field=rule.field)} as column_header,
                   m.indicator_code, m.time_period, m.value_column
            from _mapped m
            where m.submission_id in (select unnest(?::varchar[])) and ({where})
            order by m.submission_id, m.sheet, m.file_row, m.value_column
        """
        suggestions: dict[str, str] = {}
        for sid, country, sheet, row, value, exp, column, code, year, value_column in conn.execute(
            sql, [submission_ids]
        ).fetchall():
            if rule.label_kind and value is not None:
                if value not in suggestions:
                    suggestions[value] = "; ".join(closest_labels(rule.label_kind, value))
                exp = suggestions[value] or None
                text = message(rule.rule_id, value=value, closest=exp)
            else:
                text = message(rule.rule_id, value=value)
            out.append((sid, country, Finding(
                rule_id=rule.rule_id, level=rule.level, severity=rule.severity, **text,
                sheet=sheet, row=row, column=value_column if rule.field == "value" else column,
                value=None if value is None else str(value), expected=exp, indicator_code=code, time_period=year,
            )))
        failed = _per_submission(out[before:])
        results.extend(RuleResult(sid, rule.rule_id, rule.level, rule.severity, rule.description,
                                  cells.get(sid, 0), failed.get(sid, 0)) for sid in submission_ids)
    dupes, dupe_results = _duplicates(conn, submission_ids)
    complete, complete_results = _completeness(conn, submission_ids)
    return out + dupes + complete, results + dupe_results + complete_results


# Why cells were left out (int_observations_mapped.out_of_scope), in words, and the severity of saying so.
_LEFT_OUT = {
    "AREA_AGGREGATE": ("info", "field", "ref_area", "areas that are groups of countries, not countries"),
    "AREA_PART": ("info", "field", "ref_area", "areas that are parts of a country, not the country"),
    "PER_INHABITANTS": ("info", "field", "unit",
                        "rates per 100,000 inhabitants: a rate over the whole population is neither a count nor a "
                        "rate per 100,000 children, so it is not published as either"),
    "ADULT_AGE": ("info", "field", "age",
                  "age bands that reach adult ages, on indicators about children (a child indicator takes bands "
                  "within 0-17 years)"),
}


def left_out(conn, submission_ids) -> list[tuple[str, str, Finding]]:
    """One finding per submission and reason for the cells left out of scope (from _mapped_all): never an error
    per cell. Rows of another country are a warning that names each country and how many rows it had, or an error
    when the file holds no row of the submitting country at all (nothing of it can be published under it); rows
    of a country the same bytes were also submitted for (mnr submit --split) are a note naming that submission."""
    rows = conn.execute(
        f"""select submission_id, min(country), out_of_scope, min(sheet), min(file_row), count(*),
                   count(distinct file_row),
                   string_agg(distinct coalesce(ref_area_raw, ''), ', ' order by coalesce(ref_area_raw, '')),
                   string_agg(distinct coalesce(unit_raw, ''), ', ' order by coalesce(unit_raw, '')),
                   string_agg(distinct coalesce(age_raw, ''), ', ' order by coalesce(age_raw, '')),
                   string_agg(distinct coalesce(ref_area, ''), ', ' order by coalesce(ref_area, ''))
            from _mapped_all
            where submission_id in (select unnest(?::varchar[])) and out_of_scope is not null
            group by submission_id, out_of_scope order by submission_id, out_of_scope""",
        [submission_ids]).fetchall()
    kept = dict(conn.execute(
        """select submission_id, count(*) from _mapped where submission_id in (select unnest(?::varchar[]))
           group by submission_id""", [submission_ids]).fetchall())
    others = conn.execute(
        """select submission_id, ref_area, min(ref_area_raw), count(distinct file_row), count(*) from _mapped_all
           where submission_id in (select unnest(?::varchar[])) and out_of_scope = 'OTHER_COUNTRY'
           group by submission_id, ref_area order by submission_id, count(*) desc, ref_area""",
        [submission_ids]).fetchall()
    sha, siblings = _siblings(submission_ids)
    out = []
    for sid, country, reason, sheet, row, cells, n_rows, areas, units, ages, _codes in rows:
        column = conn.execute(
            "select header from raw.columns where submission_id = ? and field = ? limit 1",
            [sid, _LEFT_OUT.get(reason, ("", "", "ref_area"))[2] if reason != "OTHER_COUNTRY" else "ref_area"],
        ).fetchone()
        column = column[0] if column else None
        if reason == "OTHER_COUNTRY":
            mine = [o for o in others if o[0] == sid]
            own = [o for o in mine if (sha.get(sid), o[1]) in siblings]
            rest = [o for o in mine if o not in own]

            def listing(parts):
                return "; ".join(f"{iso3} ('{raw}'): {r} row{'s' if r != 1 else ''}, {c} value{'s' if c != 1 else ''}"
                                 for _, iso3, raw, r, c in parts)
            if kept.get(sid, 0) == 0:
                out.append((sid, country, Finding(
                    rule_id="NO_ROWS_FOR_COUNTRY", level=1, severity="error", sheet=sheet, row=row, column=column,
                    value=areas, expected=country,
                    message=(f"The file was submitted for {country}, but its country column holds only other "
                             f"countries ({listing(mine)}), so nothing of it can be published under {country}. "
                             "Submit it for the country it is about (mnr submit FILE --country ISO3), or make one "
                             "submission per country it holds (mnr submit FILE --split)."),
                )))
                continue
            if own:
                n = sum(r for _, _, _, r, _ in own)
                out.append((sid, country, Finding(
                    rule_id="OTHER_COUNTRY_SUBMITTED", level=1, severity="info", sheet=sheet, row=row, column=column,
                    value=", ".join(iso3 for _, iso3, _, _, _ in own), expected=country,
                    message=(f"Only {country}'s rows were read. {n} row{'s' if n != 1 else ''} of other countries "
                             "are published from those countries' own submissions of the same file (mnr submit "
                             "--split): " + "; ".join(f"{iso3} in {siblings[(sha[sid], iso3)]}"
                                                      for _, iso3, _, _, _ in own) + "."),
                )))
            if rest:
                n = sum(r for _, _, _, r, _ in rest)
                out.append((sid, country, Finding(
                    rule_id="OTHER_COUNTRY_ROWS", level=1, severity="warning", sheet=sheet, row=row, column=column,
                    value=areas if not own else ", ".join(raw for _, _, raw, _, _ in rest), expected=country,
                    message=(f"Only {country}'s rows were read. {n} row{'s' if n != 1 else ''} of other "
                             f"countries were left out, never published under {country}: {listing(rest)}. Each "
                             "country's values are published from its own submission (mnr submit FILE --split "
                             "makes one submission per country of a file)."),
                )))
            continue
        severity, _, fld, why = _LEFT_OUT.get(reason, ("info", "", "ref_area", f"out of scope ({reason})"))
        shown = {"ref_area": areas, "unit": units, "age": ages}.get(fld) or None
        out.append((sid, country, Finding(
            rule_id="LEFT_OUT_OF_SCOPE", level=1, severity=severity, sheet=sheet, row=row, column=column,
            value=shown,
            message=(f"{cells} value{'s' if cells != 1 else ''} in {n_rows} row{'s' if n_rows != 1 else ''} "
                     f"(first at row {row}) were left out: {why}" + (f" ({shown})" if shown else "") + ". This is "
                     "expected and needs nothing from you."),
        )))
    return out


def _siblings(submission_ids) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Each submission's sha256, and the submissions of the same bytes for other countries ((sha256, ISO3) ->
    submission id), from the landing archive: a file split by country (mnr submit --split) is one submission
    per country."""
    from pipelines.ingest.archive import all_receipts
    from pipelines.settings import paths

    receipts = all_receipts(paths())
    sha = {r.submission_id: r.sha256 for r in receipts if r.submission_id in set(submission_ids)}
    return sha, {(r.sha256, r.country): r.submission_id for r in receipts if r.sha256 in set(sha.values())}


def _per_submission(rows) -> dict[str, int]:
    n: dict[str, int] = {}
    for sid, _, _ in rows:
        n[sid] = n.get(sid, 0) + 1
    return n


def _duplicates(conn, submission_ids):
    """The same key twice with different values is an error; the second row is reported. Units: the keyed cells."""
    keyed = """indicator_code is not null and time_period is not null
              and sex is not null and age is not null and offence is not null"""
    units = dict(conn.execute(
        f"""select submission_id, count(*) from _mapped
            where submission_id in (select unnest(?::varchar[])) and {keyed} group by submission_id""",
        [submission_ids]).fetchall())
    rows = conn.execute(
        f"""
        with k as (
            select m.*, row_number() over (
                partition by submission_id, ref_area, time_period, indicator_code, sex, age, offence
                order by file_row, source_ref) as n,
                first_value(obs_value) over (
                partition by submission_id, ref_area, time_period, indicator_code, sex, age, offence
                order by file_row, source_ref) as first_value,
                first_value(source_ref) over (
                partition by submission_id, ref_area, time_period, indicator_code, sex, age, offence
                order by file_row, source_ref) as first_ref
            from _mapped m
            where submission_id in (select unnest(?::varchar[])) and {keyed}
        )
        select submission_id, country, sheet, file_row, value_column, value_raw, first_value, first_ref,
               indicator_code, time_period, obs_value
        from k where n > 1 order by submission_id, sheet, file_row
        """,
        [submission_ids],
    ).fetchall()
    out = []
    for sid, country, sheet, row, col, raw, first_value, first_ref, code, year, value in rows:
        same = first_value == value or (first_value is None and value is None)
        # The message names the other cell but not its value: values go in value/expected only, which the
        # shared report masks where a small count about children must not be echoed.
        out.append((sid, country, Finding(
            rule_id="DUPLICATE_KEY", level=1, severity="info" if same else "error",
            **message("DUPLICATE_KEY_SAME" if same else "DUPLICATE_KEY", first_ref=first_ref),
            sheet=sheet, row=row, column=col, value=raw,
            expected=None if same else f"{first_value:.15g}" if isinstance(first_value, float) else str(first_value),
            indicator_code=code, time_period=year,
        )))
    failed = _per_submission(out)
    results = [RuleResult(sid, "DUPLICATE_KEY", 1, "error", "One value per indicator, year and breakdown.",
                          units.get(sid, 0), failed.get(sid, 0)) for sid in submission_ids]
    return out, results


def reporting_obligations(country: str) -> dict[str, bool]:
    """Indicators expected of a country (seeds/reporting_obligations.csv: blank country = every country; the
    country's own rows win) -> whether they are required."""
    out: dict[str, bool] = {}
    for r in sorted(read_seed("reporting_obligations"), key=lambda r: bool(r["country"])):
        if r["country"] in ("", country):
            out[r["indicator_code"]] = r["required"].strip().lower() == "true"
    return out


def _completeness(conn, submission_ids):
    """Catalogue indicators a submission does not cover (info: not every country reports everything), and
    indicators the country's reporting obligations require that neither the file nor the country's published
    data give for a year the file covers (warning, DESIGN.md section 6)."""
    from pipelines.publish.publish import DDL as PUBLISHED_DDL

    conn.execute(PUBLISHED_DDL)
    core = sorted(c for c, i in indicators().items()
                  if i.get("is_extension") != "true" and i.get("is_restricted") != "true")
    have = conn.execute(
        """select submission_id, min(country),
                  array_agg(distinct indicator_code) filter (where indicator_code is not null),
                  array_agg(distinct time_period) filter (where time_period is not null and indicator_code is not null)
           from _mapped
           where submission_id in (select unnest(?::varchar[])) group by submission_id""",
        [submission_ids],
    ).fetchall()
    pairs = conn.execute(
        """select submission_id, indicator_code, time_period from _mapped
           where submission_id in (select unnest($ids::varchar[])) and indicator_code is not null
           union
           select m.submission_id, p.indicator_code, p.time_period
           from (select distinct submission_id, country from _mapped
                 where submission_id in (select unnest($ids::varchar[]))) m
           join published.observations p on p.ref_area = m.country""",
        {"ids": submission_ids},
    ).fetchall()
    given = {(sid, code, year) for sid, code, year in pairs}
    out, results = [], []
    for sid, country, codes, years in have:
        codes, years = set(codes or []), sorted(years or [])
        required = sorted(c for c, req in reporting_obligations(country).items() if req)
        for year in years:
            for code in required:
                if (sid, code, year) not in given:
                    out.append((sid, country, Finding(
                        rule_id="REQUIRED_NOT_COVERED", level=1, severity="warning", indicator_code=code,
                        time_period=year,
                        **message("REQUIRED_NOT_COVERED", code=code, name=indicators()[code]["indicator_name"],
                                  year=year),
                    )))
        missing = [c for c in core if c not in codes]
        for code in missing:
            out.append((sid, country, Finding(
                rule_id="NOT_COVERED", level=1, severity="info", indicator_code=code,
                **message("NOT_COVERED", code=code, name=indicators()[code]["indicator_name"]),
            )))
        failed_required = sum(1 for s, _, f in out if s == sid and f.rule_id == "REQUIRED_NOT_COVERED")
        results += [
            RuleResult(sid, "REQUIRED_NOT_COVERED", 1, "warning",
                       "Every indicator the country's reporting obligations require has a value for each year "
                       "the file covers.", len(required) * len(years), failed_required),
            RuleResult(sid, "NOT_COVERED", 1, "info", "The file covers the indicators of the catalogue.",
                       len(core), len(missing)),
        ]
    return out, results
