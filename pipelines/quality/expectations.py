"""great-expectations suite for the harmonised observations, generated from the indicator catalogue.

`python -m pipelines.quality.expectations` writes expectations/fct_observations.json; a test checks that
the committed suite matches the catalogue. great-expectations is imported only inside validate(): its
import costs about 10 s and must not slow down the code location or the command line.
"""

from __future__ import annotations

import json
import os
import re
import sys

import pandas as pd

from pipelines.reference import indicators, read_seed
from pipelines.settings import EXPECTATIONS_DIR

SUITE_NAME = "fct_observations"
SUITE_PATH = EXPECTATIONS_DIR / f"{SUITE_NAME}.json"
INDEX_COLUMNS = ["submission_id", "source_ref", "indicator_code"]

_TYPE_WORDS = {
    "count": "a count", "pct": "a percentage", "binary": "a yes/no value (1 = yes, 0 = no)",
    "categorical": "a category number", "ordinal": "a phase from 1 to 4", "year": "a year",
    "rate": "a rate", "duration": "a duration", "amount": "an amount",
}


def _num(text: str) -> float | int | None:
    if text in ("", None):
        return None
    v = float(text)
    return int(v) if v.is_integer() else v


def build_suite() -> dict:
    """The suite: one range expectation per set of indicators sharing bounds and kind (a few, not one per
    indicator: great-expectations' cost is mostly per expectation), code lists, and the country code's form."""
    groups: dict[tuple, list[str]] = {}
    for code, ind in sorted(indicators().items()):
        lo, hi = _num(ind["min_value"]), _num(ind["max_value"])
        if lo is not None or hi is not None:
            groups.setdefault((lo, hi, _TYPE_WORDS.get(ind["indicator_type"], "a value")), []).append(code)
    exps: list[dict] = []
    for (lo, hi, what), codes in groups.items():
        if lo is not None and hi is not None:
            bounds, rule = f"between {lo} and {hi}", "OUT_OF_RANGE"
        elif lo is not None:
            bounds, rule = f"at least {lo}", "NEGATIVE_VALUE" if lo == 0 else "OUT_OF_RANGE"
        else:
            bounds, rule = f"at most {hi}", "OUT_OF_RANGE"
        kwargs = {"column": "obs_value", "row_condition": f"indicator_code in {json.dumps(codes)}",
                  "condition_parser": "pandas"}
        if lo is not None:
            kwargs["min_value"] = lo
        if hi is not None:
            kwargs["max_value"] = hi
        exps.append({
            "type": "expect_column_values_to_be_between",
            "kwargs": kwargs,
            "meta": {
                "rule_id": rule, "level": 1, "severity": "error", "indicator_codes": codes, "expected": bounds,
                # {indicator_code}: the failing row's indicator, filled in per finding (finding_meta).
                "message": f"{{indicator_code}} is {what}: its value must be {bounds}. Check the number and the unit.",
            },
        })
    for column, seed in (("sex", "cl_sex"), ("age", "cl_age"), ("offence", "cl_offence"),
                         ("obs_status", "cl_obs_status"), ("obs_conf", "cl_obs_conf")):
        codes = sorted(r["code"] for r in read_seed(seed))
        exps.append({
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": column, "value_set": codes},
            "meta": {"rule_id": f"CODE_NOT_IN_LIST_{column.upper()}", "level": 1, "severity": "error",
                     "expected": ", ".join(codes),
                     "message": f"The {column} code is not in the code list."},
        })
    exps.append({
        "type": "expect_column_values_to_match_regex",
        "kwargs": {"column": "ref_area", "regex": "^[A-Z]{3}$"},
        "meta": {"rule_id": "BAD_REF_AREA_CODE", "level": 1, "severity": "error", "expected": "ISO 3166-1 alpha-3",
                 "message": "The country code must be an ISO 3166-1 alpha-3 code."},
    })
    return {"name": SUITE_NAME, "expectations": exps,
            "meta": {"generated_from": "seeds/indicators.csv and the code lists; regenerate with "
                                       "python -m pipelines.quality.expectations"}}


def load_suite() -> dict:
    return json.loads(SUITE_PATH.read_text())


def validate(df: pd.DataFrame, suite: dict | None = None) -> list[dict]:
    """Run the suite on a frame of observations; return one failure per unexpected row, with its meta."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    suite = suite or load_suite()
    if df.empty:
        return []
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas("warehouse").add_dataframe_asset(SUITE_NAME)
             .add_batch_definition_whole_dataframe("submission"))
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite["name"], expectations=suite["expectations"]))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=SUITE_NAME, data=batch, suite=gx_suite))
    result = definition.run(
        batch_parameters={"dataframe": df},
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS},
    )
    failures: list[dict] = []
    for r in result.results:
        if r.success:
            continue
        meta = dict(r.expectation_config.meta or {})
        if r.exception_info and r.exception_info.get("raised_exception"):
            raise RuntimeError(f"expectation {r.expectation_config.type} could not run: "
                               f"{r.exception_info.get('exception_message')}")
        for row in r.result.get("unexpected_index_list") or []:
            column = r.expectation_config.kwargs["column"]
            failures.append({**finding_meta(meta, row["indicator_code"]), "submission_id": row["submission_id"],
                             "source_ref": row["source_ref"], "column": column, "value": row.get(column)})
    return failures


def finding_meta(meta: dict, indicator_code: str | None) -> dict:
    """An expectation's meta for one failing row: its indicator, and the message about that indicator."""
    out = {k: v for k, v in meta.items() if k != "indicator_codes"}
    out["indicator_code"] = indicator_code
    out["message"] = meta["message"].replace("{indicator_code}", indicator_code or "")
    return out


# ------------------------------------------------------------------------------------------ at scale
# Up to this many rows the whole run goes through great-expectations. Above it, the suite's expectations are
# evaluated as SQL in DuckDB (exact findings, no pandas copy of the data) and great-expectations still runs, on a
# deterministic sample of at most SAMPLE_PER_INDICATOR rows per indicator, so that it is never skipped.
FULL_GX_MAX_ROWS = 50_000
SAMPLE_PER_INDICATOR = 2_000
_ROW_CONDITION = re.compile(r'^\s*(\w+)\s+in\s+(\[.*\])\s*$')


def _row_condition_sql(kwargs: dict) -> str:
    """The suite's row conditions (`column in ["a", "b"]`, pandas syntax) as SQL."""
    m = _ROW_CONDITION.match(kwargs["row_condition"])
    if kwargs.get("condition_parser") != "pandas" or not m:
        raise ValueError(f"row_condition {kwargs['row_condition']!r} has no SQL translation "
                         '(only column in ["value", ...])')
    return f"{m.group(1)} in ({', '.join(_literal(v) for v in json.loads(m.group(2)))})"


def _literal(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(float(value))
    return "'" + str(value).replace("'", "''") + "'"


def expectation_sql(e: dict, kind: str = "duckdb") -> str:
    """The rows an expectation finds unexpected, as a SQL condition (nulls are not evaluated, as in GX)."""
    kw = e["kwargs"]
    col = kw["column"]
    conds = [f"{col} is not null"]
    if kw.get("row_condition"):
        conds.append(_row_condition_sql(kw))
    if e["type"] == "expect_column_values_to_be_between":
        bad = []
        if kw.get("min_value") is not None:
            bad.append(f"{col} {'<=' if kw.get('strict_min') else '<'} {_literal(kw['min_value'])}")
        if kw.get("max_value") is not None:
            bad.append(f"{col} {'>=' if kw.get('strict_max') else '>'} {_literal(kw['max_value'])}")
        conds.append("(" + " or ".join(bad or ["false"]) + ")")
    elif e["type"] == "expect_column_values_to_be_in_set":
        conds.append(f"{col} not in ({', '.join(_literal(v) for v in kw['value_set'])})")
    elif e["type"] == "expect_column_values_to_match_regex":
        # GX (pandas) searches the regex in the text, as DuckDB's regexp_matches and Postgres's ~ do.
        search = "regexp_matches({}, {})" if kind == "duckdb" else "({} ~ {})"
        conds.append("not " + search.format(f"cast({col} as varchar)", _literal(kw["regex"])))
    else:
        raise ValueError(f"{e['type']} has no SQL translation")
    return " and ".join(conds)


def _run_rows(ids_param: str = "?") -> str:
    return f"select * from marts.fct_observations where submission_id in (select unnest({ids_param}::varchar[]))"


def sql_failures(conn, ids: list[str], suite: dict) -> list[dict]:
    """validate()'s failures, computed in DuckDB over the run's rows."""
    conn.temp_table("_expect_rows", _run_rows(), [ids])
    failures: list[dict] = []
    for e in suite["expectations"]:
        col = e["kwargs"]["column"]
        for sid, ref, code, value in conn.execute(
                f"select submission_id, source_ref, indicator_code, {col} from _expect_rows "
                f"where {expectation_sql(e, conn.kind)} order by submission_id, source_ref").fetchall():
            failures.append({**finding_meta(e.get("meta", {}), code), "submission_id": sid, "source_ref": ref,
                             "column": col, "value": value})
    conn.execute("drop table if exists _expect_rows")
    return failures


def sql_units_tested(conn, ids: list[str], suite: dict) -> dict[tuple[str, str], tuple[int, str]]:
    """units_tested() computed in DuckDB."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for e in suite["expectations"]:
        kw, meta = e["kwargs"], e["meta"]
        where = f"{kw['column']} is not null"
        if "row_condition" in kw:
            where += f" and {_row_condition_sql(kw)}"
        desc = _RULE_DESCRIPTIONS.get(meta["rule_id"], f"Every {kw['column']} code is in its code list.")
        for sid, n in conn.execute(f"select submission_id, count(*) from ({_run_rows()}) r where {where} "
                                   "group by 1 order by 1", [ids]).fetchall():
            before = out.get((sid, meta["rule_id"]), (0, desc))[0]
            out[(sid, meta["rule_id"])] = (before + int(n), desc)
    return out


def sample(conn, ids: list[str], per_indicator: int = SAMPLE_PER_INDICATOR) -> pd.DataFrame:
    """A deterministic stratified sample of the run's rows: at most per_indicator rows of each indicator, chosen
    by a hash of the row's lineage (the same rows on every run of the same data)."""
    return conn.frame(f"""
        select * from (
            select *, row_number() over (partition by indicator_code
                                         order by md5(submission_id || '|' || source_ref), source_ref) as _n
            from ({_run_rows()}) r) ranked
        where _n <= {int(per_indicator)} order by indicator_code, _n""", [ids]).drop(columns="_n")


def evaluate(conn, ids: list[str], suite: dict | None = None, full_max_rows: int | None = None,
             per_indicator: int = SAMPLE_PER_INDICATOR):
    """The suite on the run's rows: (failures, units tested, how it ran).

    At or below full_max_rows rows (default FULL_GX_MAX_ROWS, or MNR_GX_FULL_MAX_ROWS) great-expectations
    validates every row; above, the expectations run as SQL for exact findings and great-expectations validates a
    stratified sample (its failures, a subset of the SQL ones, are merged in so nothing it finds is lost)."""
    suite = suite or load_suite()
    limit = full_max_rows if full_max_rows is not None else int(os.environ.get("MNR_GX_FULL_MAX_ROWS", FULL_GX_MAX_ROWS))
    n = conn.execute(f"select count(*) from ({_run_rows()}) r", [ids]).fetchone()[0] if ids else 0
    if n <= limit:
        df = conn.frame(_run_rows(), [ids]) if ids else None
        failures = validate(df, suite) if df is not None else []
        units = units_tested(df, suite) if df is not None else {}
        return failures, units, {"mode": "great_expectations_full", "rows": n, "gx_rows": n}
    failures = sql_failures(conn, ids, suite)
    seen = {(f["submission_id"], f["source_ref"], f["rule_id"], f["column"]) for f in failures}
    part = sample(conn, ids, per_indicator)
    for f in validate(part, suite):
        if (f["submission_id"], f["source_ref"], f["rule_id"], f["column"]) not in seen:
            failures.append(f)
    return failures, sql_units_tested(conn, ids, suite), {
        "mode": "sql_with_great_expectations_sample", "rows": n, "gx_rows": len(part)}


_RULE_DESCRIPTIONS = {
    "OUT_OF_RANGE": "Every value is within its indicator's bounds from the catalogue.",
    "NEGATIVE_VALUE": "Counts, durations and amounts are not negative.",
    "BAD_REF_AREA_CODE": "Every country code is an ISO 3166-1 alpha-3 code.",
}


def units_tested(df: pd.DataFrame, suite: dict | None = None) -> dict[tuple[str, str], tuple[int, str]]:
    """(submission_id, rule_id) -> (rows the suite's expectations of that rule apply to, description): the
    'units tested' of the report's per-rule table, counted with each expectation's own row condition."""
    suite = suite or load_suite()
    out: dict[tuple[str, str], tuple[int, str]] = {}
    if df is None or df.empty:
        return out
    for e in suite["expectations"]:
        kw, meta = e["kwargs"], e["meta"]
        rows = df
        if "row_condition" in kw:
            rows = df[df["indicator_code"].isin(meta["indicator_codes"])]
        rows = rows[rows[kw["column"]].notna()]
        desc = _RULE_DESCRIPTIONS.get(meta["rule_id"], f"Every {kw['column']} code is in its code list.")
        for sid, n in rows.groupby("submission_id").size().items():
            before = out.get((sid, meta["rule_id"]), (0, desc))[0]
            out[(sid, meta["rule_id"])] = (before + int(n), desc)
    return out


if __name__ == "__main__":
    SUITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    SUITE_PATH.write_text(json.dumps(build_suite(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {SUITE_PATH}", file=sys.stderr)
