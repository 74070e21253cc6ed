"""Disclosure control: primary and secondary suppression over the sex and age hierarchies, rates that follow
their numerator, and the verifier that proves no suppressed value can be recomputed."""

import pytest

from pipelines.publish.disclosure import Thresholds, control, control_rates, thresholds
from pipelines.publish.verify import leaks

CHILD = {"CJ_VICTIMS_IDENTIFIED"}
T = Thresholds(suppress_max=4, reliable_min=20)


def row(sex, age, value, ind="CJ_VICTIMS_IDENTIFIED", year=2023, status="A"):
    return {"ref_area": "KEN", "time_period": year, "indicator_code": ind, "sex": sex, "age": age, "offence": "_T",
            "obs_value": value, "obs_status": status, "obs_conf": "F"}


def by_cell(rows):
    return {(r["sex"], r["age"]): (r["obs_value"], r["obs_status"], r["obs_conf"]) for r in rows}


def test_primary_suppression_keeps_zero_and_large_counts():
    out = by_cell(control([row("F", "Y0T17", 0), row("M", "Y0T17", 3), row("_U", "Y0T17", 4),
                           row("_T", "Y0T17", 7)], CHILD, T))
    assert out[("F", "Y0T17")] == (0, "A", "F")
    assert out[("M", "Y0T17")] == (None, "Q", "C")
    assert out[("_U", "Y0T17")] == (None, "Q", "C")
    assert out[("_T", "Y0T17")] == (7, "A", "F")


def test_other_indicators_are_not_suppressed():
    out = control([row("_T", "_Z", 3, ind="CJ_CASES_OPENED")], CHILD, T)
    assert out[0]["obs_value"] == 3 and out[0]["obs_conf"] == "F"


def test_secondary_suppression_over_sex_picks_the_smallest_sibling():
    rows = [row("F", "Y0T17", 3), row("M", "Y0T17", 40), row("_U", "Y0T17", 12), row("_T", "Y0T17", 55)]
    assert leaks(control(rows, set(), T)) == []  # nothing suppressed, nothing to leak
    out = by_cell(control(rows, CHILD, T))
    assert out[("F", "Y0T17")] == (None, "Q", "C")
    assert out[("_U", "Y0T17")] == (None, "Q", "D")  # 12 < 40
    assert out[("M", "Y0T17")] == (40, "A", "F") and out[("_T", "Y0T17")] == (55, "A", "F")


def test_secondary_suppression_prefers_a_non_zero_sibling_and_falls_back_to_the_total():
    out = by_cell(control([row("F", "Y0T17", 2), row("M", "Y0T17", 0), row("_U", "Y0T17", 9),
                           row("_T", "Y0T17", 11)], CHILD, T))
    assert out[("_U", "Y0T17")][2] == "D" and out[("M", "Y0T17")] == (0, "A", "F")
    # F is the only member given: F = _T, so the total itself has to go.
    out = by_cell(control([row("F", "Y0T17", 2), row("_T", "Y0T17", 2)], CHILD, T))
    assert out[("_T", "Y0T17")] == (None, "Q", "C")  # 2 is itself a small count
    out = by_cell(control([row("F", "Y0T17", 2), row("_T", "Y0T17", 9)], CHILD, T))
    assert out[("_T", "Y0T17")] == (None, "Q", "D")


def test_secondary_suppression_over_age_bands():
    rows = [row("_T", "Y0T12", 30), row("_T", "Y13T17", 2), row("_T", "_U", 8), row("_T", "Y0T17", 40)]
    out = by_cell(control(rows, CHILD, T))
    assert out[("_T", "Y13T17")][2] == "C" and out[("_T", "_U")][2] == "D"
    assert out[("_T", "Y0T12")][0] == 30 and out[("_T", "Y0T17")][0] == 40


def test_secondary_suppression_reaches_a_fixed_point_across_both_hierarchies():
    # A sex x age table: F/Y0T12 = 3 is small. Protecting it in its sex relation suppresses a cell that then
    # becomes the only unknown of its age relation, and so on until nothing can be recomputed.
    cells = {("F", "Y0T12"): 3, ("M", "Y0T12"): 20, ("_T", "Y0T12"): 23,
             ("F", "Y13T17"): 10, ("M", "Y13T17"): 30, ("_T", "Y13T17"): 40,
             ("F", "Y0T17"): 13, ("M", "Y0T17"): 50, ("_T", "Y0T17"): 63}
    rows = [row(s, a, v) for (s, a), v in cells.items()]
    out = control(rows, CHILD, T)
    assert leaks(out) == []
    suppressed = {(r["sex"], r["age"]): r["obs_conf"] for r in out if r["obs_value"] is None}
    assert suppressed[("F", "Y0T12")] == "C"
    assert len(suppressed) >= 4  # a rectangle at least: one suppression per row and column is never enough


def test_verifier_catches_a_hand_made_leaky_table_and_passes_the_controlled_one():
    leaky = [row("F", "Y0T17", None, status="Q"), row("M", "Y0T17", 40), row("_T", "Y0T17", 43)]
    leaky[0]["obs_conf"] = "C"
    found = leaks(leaky)
    assert [str(f) for f in found] == [
        "KEN 2023 CJ_VICTIMS_IDENTIFIED sex=F age=Y0T17 offence=_T: suppressed but recomputable: "
        "it equals _T/Y0T17 minus M/Y0T17"]
    leaky_total = [row("F", "Y0T17", 10), row("M", "Y0T17", 40), row("_T", "Y0T17", None, status="Q")]
    assert len(leaks(leaky_total)) == 1
    controlled = control([row("F", "Y0T17", 3), row("M", "Y0T17", 40), row("_T", "Y0T17", 43)], CHILD, T)
    assert leaks(controlled) == []


def test_a_missing_value_is_not_a_disclosure():
    assert leaks([row("F", "Y0T17", None, status="O"), row("M", "Y0T17", 40), row("_T", "Y0T17", 43)]) == []


def rate(value, numerator_value):
    r = row("_T", "Y0T17", value, ind="CJ_VICTIMS_IDENTIFIED_RATE")
    r.update(numerator_key=("KEN", 2023, "CJ_VICTIMS_IDENTIFIED", "_T", "Y0T17", "_T"),
             numerator_value=numerator_value)
    return r


def test_rates_follow_their_numerator():
    numerators = {("KEN", 2023, "CJ_VICTIMS_IDENTIFIED", "_T", "Y0T17", "_T"): row("_T", "Y0T17", None, status="Q")}
    [suppressed] = control_rates([rate(0.02, 3)], numerators, T)
    assert (suppressed["obs_value"], suppressed["obs_status"], suppressed["obs_conf"]) == (None, "Q", "D")
    numerators = {k: row("_T", "Y0T17", 12) for k in numerators}
    [low] = control_rates([rate(0.1, 12)], numerators, T)
    assert (low["obs_value"], low["obs_status"]) == (0.1, "U")
    [fine] = control_rates([rate(2.5, 250)], numerators, T)
    assert fine["obs_status"] == "A"
    # A rate published beside its suppressed numerator gives the numerator back.
    numerator = row("_T", "Y0T17", None, status="Q")
    assert len(leaks([numerator], [rate(0.02, 3)])) == 1


def test_thresholds_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MNR_SUPPRESS_MAX", "9")
    monkeypatch.setenv("MNR_RELIABLE_MIN", "16")
    assert thresholds() == Thresholds(suppress_max=9, reliable_min=16)
    monkeypatch.setenv("MNR_SUPPRESS_MAX", "-1")
    with pytest.raises(ValueError):
        thresholds()
