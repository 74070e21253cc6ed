"""great-expectations suite for the harmonised observations, generated from the indicator catalogue.

`python -m pipelines.quality.expectations` writes expectations/fct_observations.json; a test checks that
the committed suite matches the catalogue. great-expectations is imported only inside validate(): its
import costs about 10 s and must not slow down the code location or the command line.
"""

from __future__ import annotations

import json
import sys

import pandas as pd

from pipelines.reference import indicators, read_seed
from pipelines.settings import EXPECTATIONS_DIR

SUITE_NAME = "fct_observations"
SUITE_PATH = EXPECTATIONS_DIR / f"{SUITE_NAME}.json"
INDEX_COLUMNS = ["submission_id", "source_ref"]

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
    exps: list[dict] = []
    for code, ind in sorted(indicators().items()):
        lo, hi = _num(ind["min_value"]), _num(ind["max_value"])
        if lo is None and hi is None:
            continue
        what = _TYPE_WORDS.get(ind["indicator_type"], "a value")
        if lo is not None and hi is not None:
            bounds, rule = f"between {lo} and {hi}", "OUT_OF_RANGE"
        elif lo is not None:
            bounds, rule = f"at least {lo}", "NEGATIVE_VALUE" if lo == 0 else "OUT_OF_RANGE"
        else:
            bounds, rule = f"at most {hi}", "OUT_OF_RANGE"
        kwargs = {"column": "obs_value", "row_condition": f'indicator_code=="{code}"', "condition_parser": "pandas"}
        if lo is not None:
            kwargs["min_value"] = lo
        if hi is not None:
            kwargs["max_value"] = hi
        exps.append({
            "type": "expect_column_values_to_be_between",
            "kwargs": kwargs,
            "meta": {
                "rule_id": rule, "level": 1, "severity": "error", "indicator_code": code, "expected": bounds,
                "message": f"{code} is {what}: its value must be {bounds}. Check the number and the unit.",
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
            failures.append({**meta, "submission_id": row["submission_id"], "source_ref": row["source_ref"],
                             "column": column, "value": row.get(column)})
    return failures


if __name__ == "__main__":
    SUITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    SUITE_PATH.write_text(json.dumps(build_suite(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {SUITE_PATH}", file=sys.stderr)
