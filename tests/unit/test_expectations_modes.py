"""The expectations check gives the same findings whether great-expectations validates every row or the suite
runs as SQL (with great-expectations on a stratified sample), on a run with planted failures."""

from __future__ import annotations

import random

import duckdb
import pytest

from pipelines.publish.publish import COLUMNS, DDL
from pipelines.quality.expectations import evaluate, expectation_sql, load_suite, sample
from pipelines.warehouse import Db


@pytest.fixture(scope="module")
def conn():
    suite = load_suite()
    ranged = [e for e in suite["expectations"] if e["type"] == "expect_column_values_to_be_between"]
    rng = random.Random(5)
    rows = []
    for sid in ("KEN-1", "UGA-2"):
        for i in range(3000):
            e = rng.choice(ranged)
            lo, hi = e["kwargs"].get("min_value"), e["kwargs"].get("max_value")
            value = rng.uniform(lo if lo is not None else -10, hi if hi is not None else (lo or 0) + 100)
            sex, off, area = "_T", "_T", sid[:3]
            roll = rng.random()
            if roll < 0.01:
                value = (lo - 1) if lo is not None else hi + 1                 # out of range
            elif roll < 0.015:
                sex = "W"                                                      # not in the code list
            elif roll < 0.02:
                area = "ke"                                                    # not an ISO3 code
            elif roll < 0.05:
                value = None                                                   # nulls are not evaluated
            rows.append((area, 2020 + i % 5, rng.choice(e["meta"]["indicator_codes"]), "D1", 1, sex, "_T", off, value,
                         "PERSONS", "A", "F", sid, f"row {i + 2}, column value", None))
    c = duckdb.connect()
    c.execute(DDL)
    c.execute("create schema marts")
    c.execute("create table marts.fct_observations as select * from published.observations where false")
    c.executemany(f"insert into marts.fct_observations values ({', '.join('?' * len(COLUMNS))})", rows)
    return Db(c, "duckdb")


def key(f):
    return (f["submission_id"], f["source_ref"], f["rule_id"], f["column"], f["value"], f["message"])


def test_sql_and_full_great_expectations_agree(conn):
    ids = ["KEN-1", "UGA-2"]
    full, full_units, full_how = evaluate(conn, ids, full_max_rows=10**9)
    sql, sql_units, sql_how = evaluate(conn, ids, full_max_rows=1000, per_indicator=20)
    assert full_how["mode"] == "great_expectations_full" and full_how["gx_rows"] == 6000
    assert sql_how["mode"] == "sql_with_great_expectations_sample" and 0 < sql_how["gx_rows"] < 6000
    assert {r for r in (f["rule_id"] for f in full)} >= {"CODE_NOT_IN_LIST_SEX", "BAD_REF_AREA_CODE"}
    assert len(full) > 60
    # One expectation covers several indicators; each finding names the indicator of its own row.
    ranged = [f for f in full if f["rule_id"] in ("OUT_OF_RANGE", "NEGATIVE_VALUE")]
    assert len({f["indicator_code"] for f in ranged}) > 5
    assert all(f["message"].startswith(f["indicator_code"] + " is ") for f in ranged)
    assert sorted(map(key, sql)) == sorted(map(key, full))
    assert sql_units == full_units


def test_sample_is_stratified_and_deterministic(conn):
    a = sample(conn, ["KEN-1", "UGA-2"], per_indicator=5)
    b = sample(conn, ["KEN-1", "UGA-2"], per_indicator=5)
    assert a.equals(b)
    assert a.groupby("indicator_code").size().max() == 5
    assert a["indicator_code"].nunique() == conn.execute(
        "select count(distinct indicator_code) from marts.fct_observations").fetchone()[0]


def test_an_untranslatable_expectation_is_refused():
    with pytest.raises(ValueError):
        expectation_sql({"type": "expect_column_values_to_be_between",
                         "kwargs": {"column": "obs_value", "row_condition": "obs_value > 3",
                                    "condition_parser": "pandas", "min_value": 0}})


def test_committed_suite_is_the_one_the_catalogue_gives():
    """expectations/fct_observations.json is generated (python -m pipelines.quality.expectations): it must match
    the catalogue, and each indicator with bounds is in exactly one range expectation, with its own bounds."""
    import json

    from pipelines.quality.expectations import build_suite
    from pipelines.reference import indicators

    assert load_suite() == json.loads(json.dumps(build_suite()))
    covered = [code for e in load_suite()["expectations"] for code in e["meta"].get("indicator_codes", [])]
    bounded = {c: i for c, i in indicators().items() if i["min_value"] or i["max_value"]}
    assert sorted(covered) == sorted(bounded)
    for e in load_suite()["expectations"]:
        for code in e["meta"].get("indicator_codes", []):
            lo, hi = bounded[code]["min_value"], bounded[code]["max_value"]
            assert e["kwargs"].get("min_value") == (float(lo) if lo else None)
            assert e["kwargs"].get("max_value") == (float(hi) if hi else None)
