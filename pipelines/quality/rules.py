"""Level-1 rules over the mapped cells, each a SQL query run in DuckDB (DESIGN.md section 6).

A rule returns the cells it fails, with where they are in the file. Range and type checks per indicator
are the great-expectations suite's job (expectations/, generated from the catalogue); these rules cover
what the mapping finds: unknown labels and codes, values that are not numbers, years out of range, units
that disagree with the catalogue, breakdowns an indicator does not have, duplicate keys and completeness.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
from pipelines.quality.findings import Finding
from pipelines.reference import closest_labels, indicators

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
    message: str               # plain language; {value} is filled in
    expected: str = ""
    label_kind: str | None = None   # suggest the closest known labels of this kind
    level: int = 1


def _unknown(field: str, mapped: str, kind: str, what: str, example: str) -> Rule:
    return Rule(
        rule_id=f"UNKNOWN_{field.upper()}", severity="error", field=field,
        where=f"m.{field}_raw is not null and m.{mapped} is null",
        value=f"m.{field}_raw",
        message=f"'{{value}}' is not a known {what}. Use a code or label from the template, e.g. {example}.",
        label_kind=kind,
    )


RULES: list[Rule] = [
    _unknown("indicator", "indicator_code", "indicator", "indicator", "CJ_PROSECUTIONS or 'Persons prosecuted for OCSEA offences'"),
    _unknown("sex", "sex", "sex", "sex code", "F, M, _T (total) or _U (unknown)"),
    _unknown("age", "age", "age", "age band", "Y0T17 (under 18), Y14T15, _T (total)"),
    _unknown("offence", "offence", "offence", "offence code", "030221 (child sexual abuse material), 030223 (grooming), _T"),
    _unknown("obs_status", "obs_status", "obs_status", "observation status", "A (normal), P (provisional), E (estimated)"),
    Rule(
        rule_id="UNKNOWN_UNIT", severity="error", field="unit",
        where="m.unit_raw is not null and m.unit_given is null", value="m.unit_raw",
        message="'{value}' is not a known unit. Leave the unit empty or use the catalogue's unit (NUMBER, PERSONS, PCNT, ...).",
        label_kind="unit",
    ),
    Rule(
        rule_id="UNKNOWN_REF_AREA", severity="error", field="ref_area",
        where="m.ref_area_raw is not null and m.ref_area is null", value="m.ref_area_raw",
        message="'{value}' is not a known country. Use the ISO 3166-1 alpha-3 code (e.g. KEN) or leave the column out.",
        label_kind="ref_area",
    ),
    Rule(
        rule_id="REF_AREA_MISMATCH", severity="error", field="ref_area",
        where="m.ref_area is not null and m.ref_area <> m.country", value="m.ref_area_raw",
        message="This row is about '{value}', but the file was submitted for another country. Send each country's data "
                "in its own submission.",
        expected="m.country",
    ),
    Rule(
        rule_id="MISSING_INDICATOR", severity="error", field="indicator",
        where="m.indicator_raw is null and m.value_state <> 'missing'", value="m.value_raw",
        message="The value '{value}' has no indicator. Fill in the indicator column for this row.",
    ),
    Rule(
        rule_id="BAD_YEAR", severity="error", field="time_period",
        where=f"m.time_period is null or m.time_period < {FIRST_YEAR} or m.time_period > {{this_year}}",
        value="m.time_period_raw",
        message="'{value}' is not a valid reference year. Write the year as four digits between "
                f"{FIRST_YEAR} and the current year (e.g. 2023).",
        expected=f"'{FIRST_YEAR}–' || {{this_year}}",
    ),
    Rule(
        rule_id="NON_NUMERIC_VALUE", severity="error", field="value",
        where="m.value_state = 'text' and m.obs_value is null and m.indicator_code is not null", value="m.value_raw",
        message="'{value}' is not a number. Write the number only (e.g. 1297 or 12.5); leave the cell empty or write "
                "'..' when there is no value, and put remarks in the comment column.",
    ),
    Rule(
        rule_id="UNIT_MISMATCH", severity="error", field="unit",
        where="m.unit_given is not null and m.unit_measure is not null and m.unit_given <> m.unit_measure "
              "and not (m.unit_given in ('NUMBER', 'PERSONS') and m.unit_measure in ('NUMBER', 'PERSONS'))",
        value="m.unit_raw",
        message="The unit '{value}' does not agree with the indicator's unit. Check that the value is the right "
                "measure (a count is not a percentage) and use the catalogue's unit.",
        expected="m.unit_measure",
    ),
    *[
        Rule(
            rule_id=f"BREAKDOWN_NOT_ALLOWED_{field.upper()}", severity="error", field=field,
            where=f"m.indicator_code is not null and m.{field} is not null and m.{field} not in ('_T', '_Z') "
                  f"and not contains(coalesce(m.disaggregations, ''), '{token}')",
            value=f"m.{field}_raw",
            message=f"This indicator is not broken down by {field}: '{{value}}' cannot be used. Give the total only "
                    f"(leave the {field} column empty).",
        )
        for field, token in (("sex", "SEX"), ("age", "AGE"), ("offence", "OFF"))
    ],
]


def run_rules(conn: duckdb.DuckDBPyConnection, submission_ids: list[str]) -> list[tuple[str, str, Finding]]:
    """Every level-1 finding for these submissions, as (submission_id, country, finding)."""
    if not submission_ids:
        return []
    this_year = date.today().year
    out: list[tuple[str, str, Finding]] = []
    for rule in RULES:
        where = rule.where.format(this_year=this_year)
        expected = rule.expected.format(this_year=this_year) if rule.expected else "null"
        sql = f"""
            select m.submission_id, m.country, m.sheet, m.file_row, {rule.value} as value,
                   {expected} as expected, {_COLUMN.format(field=rule.field)} as column_header,
                   m.indicator_code, m.time_period, m.value_column
            from intermediate.int_observations_mapped m
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
                message = rule.message.format(value=value) + (f" Closest known: {exp}." if exp else "")
            else:
                message = rule.message.format(value=value if value is not None else "")
            out.append((sid, country, Finding(
                rule_id=rule.rule_id, level=rule.level, severity=rule.severity, message=message,
                sheet=sheet, row=row, column=value_column if rule.field == "value" else column,
                value=None if value is None else str(value), expected=exp, indicator_code=code, time_period=year,
            )))
    out.extend(_duplicates(conn, submission_ids))
    out.extend(_completeness(conn, submission_ids))
    return out


def _duplicates(conn, submission_ids):
    """The same key twice with different values is an error; the second row is reported."""
    rows = conn.execute(
        """
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
            from intermediate.int_observations_mapped m
            where submission_id in (select unnest(?::varchar[]))
              and indicator_code is not null and time_period is not null
              and sex is not null and age is not null and offence is not null
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
        out.append((sid, country, Finding(
            rule_id="DUPLICATE_KEY", level=1, severity="info" if same else "error",
            message=(f"This value repeats the one at {first_ref} (same indicator, year and breakdown)"
                     + (" with the same value; it was counted once." if same else
                        f" with a different value ({first_value}). Keep one row per indicator, year and breakdown.")),
            sheet=sheet, row=row, column=col, value=raw,
            expected=None if same else str(first_value), indicator_code=code, time_period=year,
        )))
    return out


def _completeness(conn, submission_ids):
    """Catalogue indicators a submission does not cover (info: not every country reports everything)."""
    core = sorted(c for c, i in indicators().items()
                  if i.get("is_extension") != "true" and i.get("is_restricted") != "true")
    have = conn.execute(
        """select submission_id, country, list(distinct indicator_code) from intermediate.int_observations_mapped
           where submission_id in (select unnest(?::varchar[])) group by all""",
        [submission_ids],
    ).fetchall()
    seen = {sid: (country, set(codes or [])) for sid, country, codes in have}
    out = []
    for sid in submission_ids:
        if sid not in seen:
            continue
        country, codes = seen[sid]
        for code in core:
            if code not in codes:
                out.append((sid, country, Finding(
                    rule_id="NOT_COVERED", level=1, severity="info", indicator_code=code,
                    message=f"The file has no value for {code} ({indicators()[code]['indicator_name']}). "
                            "Add it if your country collects it.",
                )))
    return out
