"""Planted defects of every level (DESIGN.md section 6), each asserted by rule id, row and column, with the
clean twin passing. The rules run as SQL on a small DuckDB built in the test (tests/unit/quality_db.py)."""

import pytest

from pipelines.ingest.layout import extract_records
from pipelines.ingest.readers import read_tables
from pipelines.quality.gate import decide, run_stages
from pipelines.quality.store import findings_for, rule_results_for
from quality_db import add, publish, warehouse


def row(sid, n, indicator, year, value, country="KEN", **kw):
    return {"sid": sid, "country": country, "row": n, "indicator": indicator, "year": year, "value": value, **kw}


def found(conn, sid, severity=None):
    return {(f["rule_id"], f["row"], f["column"]) for f in findings_for(conn, sid)
            if severity is None or f["severity"] == severity}


def rule_ids(conn, sid, severity):
    return {f["rule_id"] for f in findings_for(conn, sid) if f["severity"] == severity}


CLEAN = [
    row("S1", 2, "CJ_REPORTS_RECEIVED", 2021, 1000),
    row("S1", 3, "CJ_CASES_OPENED", 2021, 600),
    row("S1", 4, "CJ_SUSPECTS_ARRESTED", 2021, 200),
    row("S1", 5, "CJ_PROSECUTIONS", 2021, 100),
    row("S1", 6, "CJ_CONVICTIONS", 2021, 40),
    row("S1", 7, "CJ_VICTIMS_IDENTIFIED", 2021, 30, sex="F", age="Y0T17"),
    row("S1", 8, "CJ_VICTIMS_IDENTIFIED", 2021, 20, sex="M", age="Y0T17"),
    row("S1", 9, "CJ_VICTIMS_IDENTIFIED", 2021, 50, sex="_T", age="Y0T17"),
    row("S1", 10, "CJ_SPECIALISED_UNIT", 2021, 1),
    row("S1", 11, "CJ_UNIT_FTE", 2021, 25),
]


def test_clean_submission_has_no_errors_or_warnings():
    conn = warehouse(CLEAN)
    run_stages(conn, ["S1"])
    assert rule_ids(conn, "S1", "error") == set() and rule_ids(conn, "S1", "warning") == set()
    stats = {r["rule_id"]: (r["units"], r["failed"]) for r in rule_results_for(conn, "S1")}
    assert stats["SEX_SUM"] == (1, 0)
    assert stats["FUNNEL_CONVICTIONS_LE_PROSECUTIONS"] == (1, 0)
    assert stats["REQUIRES_CJ_UNIT_FTE_CJ_SPECIALISED_UNIT"] == (1, 0)
    assert stats["REQUIRED_NOT_COVERED"] == (4, 0)   # KEN: 4 required indicators x 1 year


def test_level0_file_without_a_year_column(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("Annual statistics\nindicator,value\nCJ_PROSECUTIONS,5\n")
    (table,), _ = read_tables(p)
    _, findings, _ = extract_records(table, "KEN")
    assert [(f.rule_id, f.level, f.severity, f.row) for f in findings] == [("MISSING_COLUMN", 0, "error", 2)]
    assert findings[0].expected == "time_period"
    p.write_text("Annual statistics\nindicator,time_period,value\nCJ_PROSECUTIONS,2022,5\n")
    (table,), _ = read_tables(p)
    assert extract_records(table, "KEN")[1] == []


def test_level1_non_numeric_value_and_required_indicator_missing():
    rows = [r for r in CLEAN if r["indicator"] != "CJ_CONVICTIONS"]
    rows.append(row("S1", 6, "CJ_PROSECUTIONS", 2022, "about 60", column="Prosecutions"))
    conn = warehouse(rows)
    run_stages(conn, ["S1"])
    assert ("NON_NUMERIC_VALUE", 6, "Prosecutions") in found(conn, "S1", "error")
    missing = [(f["indicator_code"], f["time_period"]) for f in findings_for(conn, "S1")
               if f["rule_id"] == "REQUIRED_NOT_COVERED"]
    assert ("CJ_CONVICTIONS", 2021) in missing
    assert all(f["severity"] == "warning" for f in findings_for(conn, "S1") if f["rule_id"] == "REQUIRED_NOT_COVERED")


def test_level2_sex_total_under_the_parts_is_an_error_at_the_total_cell():
    rows = [dict(r, value=45) if r["row"] == 9 else r for r in CLEAN]
    conn = warehouse(rows)
    run_stages(conn, ["S1"])
    assert found(conn, "S1", "error") == {("SEX_SUM", 9, "value")}
    (f,) = [f for f in findings_for(conn, "S1") if f["rule_id"] == "SEX_SUM"]
    assert (f["value"], f["expected"], f["level"]) == ("45", "F + M = 50", 2)


def test_level2_sex_total_over_the_parts_without_unknown_sex_is_a_warning_showing_the_gap():
    """DESIGN.md section 6: without a _U row, F + M < _T is the unrecorded sex of police data, not an error."""
    rows = [dict(r, value=55) if r["row"] == 9 else r for r in CLEAN]
    conn = warehouse(rows)
    run_stages(conn, ["S1"])
    assert found(conn, "S1", "error") == set()
    (f,) = [f for f in findings_for(conn, "S1") if f["rule_id"] == "SEX_GAP"]
    assert (f["severity"], f["row"], f["value"], f["expected"]) == ("warning", 9, "55", "F + M = 50, unknown sex 5")


def test_level2_sex_total_with_unknown_sex_given_is_an_identity():
    rows = [dict(r, value=55) if r["row"] == 9 else r for r in CLEAN]
    conn = warehouse([*rows, row("S1", 12, "CJ_VICTIMS_IDENTIFIED", 2021, 4, sex="_U", age="Y0T17")])
    run_stages(conn, ["S1"])
    assert found(conn, "S1", "error") == {("SEX_SUM", 9, "value")}
    (f,) = [f for f in findings_for(conn, "S1") if f["rule_id"] == "SEX_SUM"]
    assert f["expected"] == "F + M + _U = 54"


def test_level2_age_bands_forming_a_partition_must_sum_to_the_total():
    # Y0T4 + Y5T9 + Y10T14 + Y15T17 is a complete partition of 0-17 (bounds from seeds/cl_age.csv); the total
    # says 83 where the bands add up to 82.
    bands = [("Y0T4", 2, 3), ("Y5T9", 10, 4), ("Y10T14", 30, 5), ("Y15T17", 40, 6), ("Y0T17", 83, 7)]
    rows = [row("S1", n, "CJ_SUSPECTS_ARRESTED", 2021, v, age=a, sex="_T") for a, v, n in bands]
    conn = warehouse(rows)
    run_stages(conn, ["S1"])
    assert ("AGE_SUM", 7, "value") in found(conn, "S1", "error")
    (f,) = [f for f in findings_for(conn, "S1") if f["rule_id"] == "AGE_SUM"]
    assert f["expected"] == "Y0T4 + Y5T9 + Y10T14 + Y15T17 = 82"

    good = warehouse([dict(r, value=82) if r["row"] == 7 else r for r in rows])
    run_stages(good, ["S1"])
    assert "AGE_SUM" not in rule_ids(good, "S1", "error")
    # A second, overlapping scheme beside the partition: the partition is still summed, and the bands of the
    # other scheme that fit beside it are checked not to exceed the total (the hierarchy comes from the bands'
    # years, seeds/cl_age.csv, not from a fixed list).
    overlap = warehouse([*rows, row("S1", 8, "CJ_SUSPECTS_ARRESTED", 2021, 5, age="Y12T17", sex="_T")])
    run_stages(overlap, ["S1"])
    assert ("AGE_SUM", 7, "value") in found(overlap, "S1", "error")
    stats = {r["rule_id"]: r["units"] for r in rule_results_for(overlap, "S1")}
    # Y0T4 + ... + Y15T17 = Y0T17, Y0T4 + Y5T9 + Y12T17 <= Y0T17 and the nested Y15T17 <= Y12T17
    assert stats["AGE_SUM"] == 3


def test_level2_age_bands_of_children_sum_with_unknown_age_to_the_under_18_total():
    # The rule and disclosure control read one definition: for a count of children, bands + _U = Y0T17.
    bands = [("Y0T4", 10, 2), ("Y5T9", 12, 3), ("Y10T14", 15, 4), ("Y15T17", 3, 5), ("_U", 0, 6), ("Y0T17", 40, 7)]
    rows = [row("S1", n, "CJ_VICTIMS_IDENTIFIED", 2021, v, age=a, sex="_T") for a, v, n in bands]
    conn = warehouse(rows)
    run_stages(conn, ["S1"])
    assert found(conn, "S1", "error") == set()
    conn = warehouse([dict(r, value=3) if r["row"] == 6 else r for r in rows])   # 3 children of unknown age
    run_stages(conn, ["S1"])
    assert ("AGE_SUM", 7, "value") in found(conn, "S1", "error")
    # Without the _U row, a shortfall is unknown age (a warning), an excess an error.
    no_u = [r for r in rows if r["row"] != 6]
    conn = warehouse([dict(r, value=43) if r["row"] == 7 else r for r in no_u])
    run_stages(conn, ["S1"])
    assert found(conn, "S1", "error") == set() and ("AGE_GAP", 7, "value") in found(conn, "S1", "warning")
    conn = warehouse([dict(r, value=37) if r["row"] == 7 else r for r in no_u])
    run_stages(conn, ["S1"])
    assert ("AGE_SUM", 7, "value") in found(conn, "S1", "error")


def test_level2_offence_children_against_their_parent():
    # 030221 + 030222 + 030223 + 030229 cover 03022 exactly (030229 is ICCS's residual "other"); the four
    # listed here do not cover _T (sexual violence 0301 is missing), so they only must not exceed it.
    codes = [("030221", 20, 2), ("030222", 5, 3), ("030223", 10, 4), ("030229", 1, 5), ("03022", 36, 6),
             ("_T", 50, 7)]
    rows = [row("S1", n, "CJ_VICTIMS_IDENTIFIED", 2021, v, offence=o, sex="_T", age="Y0T17") for o, v, n in codes]
    conn = warehouse(rows)
    run_stages(conn, ["S1"])
    assert found(conn, "S1", "error") == set()
    conn = warehouse([dict(r, value=35) if r["row"] == 6 else r for r in rows])
    run_stages(conn, ["S1"])
    assert ("OFFENCE_SUM", 6, "value") in found(conn, "S1", "error")
    conn = warehouse([dict(r, value=30) if r["row"] == 7 else r for r in rows])   # parts 36 > _T 30
    run_stages(conn, ["S1"])
    assert ("OFFENCE_SUM", 7, "value") in found(conn, "S1", "error")


def test_level2_funnel_requires_and_rate_without_denominator_are_warnings():
    rows = [dict(r, value=120) if r["indicator"] == "CJ_CONVICTIONS" else r for r in CLEAN]
    rows = [r for r in rows if r["indicator"] != "CJ_SPECIALISED_UNIT"]
    rows.append(row("S1", 12, "VS_CP_WORKFORCE_RATE", 2021, 35.5))
    conn = warehouse(rows)
    run_stages(conn, ["S1"])
    assert found(conn, "S1", "warning") >= {
        ("FUNNEL_CONVICTIONS_LE_PROSECUTIONS", 6, "value"),
        ("REQUIRES_CJ_UNIT_FTE_CJ_SPECIALISED_UNIT", 11, "value"),
        ("RATE_WITHOUT_DENOMINATOR", 12, "value"),
    }
    assert rule_ids(conn, "S1", "error") == set()
    # The child population in the country's published data is a denominator too.
    add(conn, [row("P0", 2, "CTX_CHILD_POP", 2021, 24_000_000, sex="_T", age="Y0T17")])
    publish(conn, "P0")
    run_stages(conn, ["S1"])
    assert "RATE_WITHOUT_DENOMINATOR" not in rule_ids(conn, "S1", "warning")


def test_level3_year_on_year_change_hole_and_revision_against_published_values():
    conn = warehouse([row("P1", 2, "CJ_PROSECUTIONS", 2019, 100), row("P1", 3, "CJ_PROSECUTIONS", 2020, 110),
                      row("P1", 4, "CJ_CONVICTIONS", 2020, 40)])
    publish(conn, "P1")
    add(conn, [row("S2", 2, "CJ_PROSECUTIONS", 2021, 300, column="Prosecutions"),   # +173% > 50%
               row("S2", 3, "CJ_PROSECUTIONS", 2023, 310, column="Prosecutions"),   # 2022 missing
               row("S2", 4, "CJ_CONVICTIONS", 2020, 45, column="Convictions"),      # revises 40
               row("S2", 5, "CJ_CONVICTIONS", 2021, 47, column="Convictions")])     # +4%: fine
    run_stages(conn, ["S2"])
    fs = findings_for(conn, "S2")
    assert found(conn, "S2", "warning") >= {("YOY_CHANGE", 2, "Prosecutions"), ("REVISED_VALUE", 4, "Convictions")}
    assert ("YOY_CHANGE", 5, "Convictions") not in found(conn, "S2")
    (hole,) = [f for f in fs if f["rule_id"] == "SERIES_HOLE"]
    assert (hole["indicator_code"], hole["time_period"], hole["row"], hole["severity"]) == \
        ("CJ_PROSECUTIONS", 2022, None, "warning")
    (rev,) = [f for f in fs if f["rule_id"] == "REVISED_VALUE"]
    assert rev["value"] == "45" and rev["expected"].startswith("40 (published from P1)")
    assert all(f["level"] == 3 for f in fs if f["rule_id"] in ("YOY_CHANGE", "SERIES_HOLE", "REVISED_VALUE"))


def test_small_counts_do_not_raise_year_on_year_warnings():
    conn = warehouse([row("P1", 2, "CJ_PROSECUTIONS", 2020, 2)])
    publish(conn, "P1")
    add(conn, [row("S2", 2, "CJ_PROSECUTIONS", 2021, 6)])   # +200% but only 4 more persons
    run_stages(conn, ["S2"])
    assert "YOY_CHANGE" not in rule_ids(conn, "S2", "warning")


def test_level4_far_from_published_series_and_implausible_rate():
    conn = warehouse([row("P1", n, "CJ_REPORTS_RECEIVED", y, v) for n, y, v in
                      ((2, 2018, 1000), (3, 2019, 1100), (4, 2020, 1050))]
                     + [row("P1", 5, "CTX_CHILD_POP", 2021, 2000, sex="_T", age="Y0T17")])
    publish(conn, "P1")
    add(conn, [row("S3", 2, "CJ_REPORTS_RECEIVED", 2021, 9000, column="Reports"),
               row("S3", 3, "VS_CP_WORKFORCE_RATE", 2021, 20, column="Workers per 100k"),
               row("S3", 4, "CJ_VICTIMS_IDENTIFIED", 2021, 2500, sex="_T", age="Y0T17", column="Victims")])
    run_stages(conn, ["S3"])
    assert ("FAR_FROM_PUBLISHED", 2, "Reports") in found(conn, "S3", "info")
    assert found(conn, "S3", "warning") >= {("RATE_IMPLAUSIBLE", 3, "Workers per 100k"),
                                              ("CHILD_COUNT_ABOVE_POPULATION", 4, "Victims")}
    assert {f["level"] for f in findings_for(conn, "S3")
            if f["rule_id"] in ("FAR_FROM_PUBLISHED", "RATE_IMPLAUSIBLE", "CHILD_COUNT_ABOVE_POPULATION")} == {4}


def test_level4_uses_the_reference_child_population_where_the_country_gives_none():
    # KEN's 2021 child population in seeds/child_population.csv is in the millions: 0.001 per 100,000 children
    # would be a fraction of one person, while 35 is plausible.
    conn = warehouse([row("S6", 2, "VS_CP_WORKFORCE_RATE", 2021, 0.001, column="Workers per 100k"),
                      row("S6", 3, "VS_CP_WORKFORCE_RATE", 2022, 35, column="Workers per 100k")])
    run_stages(conn, ["S6"])
    assert ("RATE_IMPLAUSIBLE", 2, "Workers per 100k") in found(conn, "S6", "warning")
    assert ("RATE_IMPLAUSIBLE", 3, "Workers per 100k") not in found(conn, "S6")


def test_a_comment_on_the_warned_row_in_a_later_submission_acknowledges_the_warning():
    conn = warehouse([row("P1", 2, "CJ_PROSECUTIONS", 2020, 100)])
    publish(conn, "P1")
    add(conn, [row("S4", 2, "CJ_PROSECUTIONS", 2021, 300)])
    (first,) = decide(conn, [("S4", "KEN")])
    assert first["verdict"] == "accepted_with_warnings"
    (w,) = [f for f in findings_for(conn, "S4") if f["rule_id"] == "YOY_CHANGE"]
    assert w["acknowledged"] is False and w["acknowledgement"] is None

    add(conn, [row("S5", 2, "CJ_PROSECUTIONS", 2021, 300, comment="New cybercrime unit from 2021")])
    (second,) = decide(conn, [("S5", "KEN")])
    (w,) = [f for f in findings_for(conn, "S5") if f["rule_id"] == "YOY_CHANGE"]
    assert (w["acknowledged"], w["acknowledgement"]) == (True, "New cybercrime unit from 2021")
    # Still a warning: counted, and the verdict stays accepted_with_warnings (the contract's rule).
    assert second["verdict"] == "accepted_with_warnings" and second["warning"] >= 1


@pytest.mark.parametrize("defect, rule", [
    (dict(row=9, value=49), "SEX_SUM"),
    (dict(row=6, value=101), "FUNNEL_CONVICTIONS_LE_PROSECUTIONS"),
])
def test_verdicts_follow_the_severity_of_the_planted_defect(defect, rule):
    rows = [dict(r, value=defect["value"]) if r["row"] == defect["row"] else r for r in CLEAN]
    conn = warehouse(rows)
    (v,) = decide(conn, [("S1", "KEN")])
    expected = "rejected" if rule == "SEX_SUM" else "accepted_with_warnings"
    assert v["verdict"] == expected
    assert (rule, defect["row"], "value") in found(conn, "S1")


def test_a_value_outside_its_bounds_is_not_reported_again_by_later_levels():
    conn = warehouse([row("P1", 2, "CJ_CONVICTIONS", 2020, 40)])
    publish(conn, "P1")
    add(conn, [row("S7", 2, "CJ_CONVICTIONS", 2021, -3), row("S7", 3, "CJ_PROSECUTIONS", 2021, 50)])
    run_stages(conn, ["S7"])
    later = {f["rule_id"] for f in findings_for(conn, "S7") if f["level"] >= 2}
    assert later == set()   # no YOY_CHANGE for 40 -> -3, no gap in 2021: the negative count is a level-1 error
