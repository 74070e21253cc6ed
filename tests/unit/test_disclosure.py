"""Disclosure control and its audit (DESIGN.md section 7): primary and secondary suppression over the sex, age and
offence hierarchies together, rates that follow their numerator, earlier published states, and the audit by
linear programming that finds what the old one-relation-at-a-time verifier let through (issue attacks a-d;
the old control and verifier are frozen in tests/unit/old_disclosure.py)."""

import random

import pytest

import old_disclosure as old
from pipelines.publish.disclosure import Thresholds, control, control_rates, thresholds
from pipelines.publish.verify import leaks

CHILD = {"CJ_VICTIMS_IDENTIFIED"}
T = Thresholds(suppress_max=4, reliable_min=20)
WIDE = Thresholds(suppress_max=4, reliable_min=20, protection_width=3)


def row(sex, age, value, ind="CJ_VICTIMS_IDENTIFIED", year=2023, status="A", offence="_T", sid="S1"):
    return {"ref_area": "KEN", "time_period": year, "indicator_code": ind, "sex": sex, "age": age,
            "offence": offence, "obs_value": value, "obs_status": status, "obs_conf": "F", "submission_id": sid}


def by_cell(rows):
    return {(r["sex"], r["age"]): (r["obs_value"], r["obs_status"], r["obs_conf"]) for r in rows}


def audit(rows, **kw):
    return leaks(rows, t=T, children=CHILD, **kw)


def test_primary_suppression_keeps_zero_and_large_counts():
    out = by_cell(control([row("F", "Y0T17", 0), row("M", "Y0T17", 3), row("_U", "Y0T17", 4),
                           row("_T", "Y0T17", 70), row("F", "Y0T4", 70)], CHILD, T))
    assert out[("F", "Y0T17")] == (0, "A", "F")
    assert out[("M", "Y0T17")] == (None, "Q", "C")
    assert out[("_U", "Y0T17")] == (None, "Q", "C")
    assert out[("F", "Y0T4")] == (70, "A", "F")


def test_small_counts_do_not_protect_each_other():
    # F = 0 published, M = 3 and _U = 4 suppressed (C: each 1 to 4): _T = 7 says M + _U = 7, so M is 3 or 4.
    # Two values pass the default width (2), three (MNR_PROTECTION_WIDTH=3) do not: control suppresses the
    # total either way (a relation whose only unknowns are C cells barely hides them).
    rows = [row("F", "Y0T17", 0), row("M", "Y0T17", 3), row("_U", "Y0T17", 4), row("_T", "Y0T17", 7)]
    assert audit(old.control(rows, CHILD)) == []
    assert by_cell(control(rows, CHILD, T))[("_T", "Y0T17")] == (None, "Q", "D")
    out = control(rows, CHILD, WIDE)
    assert by_cell(out)[("_T", "Y0T17")] == (None, "Q", "D")
    assert leaks(out, t=WIDE, children=CHILD) == []
    found = leaks(old.control(rows, CHILD), t=WIDE, children=CHILD)
    assert {f.key[3] for f in found} == {"M", "_U"} and all((f.low, f.high) == (3, 4) for f in found)


def test_other_indicators_are_not_suppressed():
    out = control([row("_T", "_Z", 3, ind="CJ_CASES_OPENED")], CHILD, T)
    assert out[0]["obs_value"] == 3 and out[0]["obs_conf"] == "F"


def test_secondary_suppression_over_sex_picks_the_smallest_sibling():
    rows = [row("F", "Y0T17", 3), row("M", "Y0T17", 40), row("_U", "Y0T17", 12), row("_T", "Y0T17", 55)]
    assert audit(control(rows, set(), T)) == []  # nothing suppressed, nothing to leak
    out = by_cell(control(rows, CHILD, T))
    assert out[("F", "Y0T17")] == (None, "Q", "C")
    assert out[("_U", "Y0T17")] == (None, "Q", "D")  # 12 < 40
    assert out[("M", "Y0T17")] == (40, "A", "F") and out[("_T", "Y0T17")] == (55, "A", "F")


def test_a_zero_is_never_a_secondary_suppression():
    out = by_cell(control([row("F", "Y0T17", 2), row("M", "Y0T17", 0), row("_U", "Y0T17", 9),
                           row("_T", "Y0T17", 11)], CHILD, T))
    assert out[("_U", "Y0T17")][2] == "D" and out[("M", "Y0T17")] == (0, "A", "F")
    out = by_cell(control([row("F", "Y0T17", 2), row("_T", "Y0T17", 9)], CHILD, T))
    assert out[("_T", "Y0T17")] == (None, "Q", "D")


def test_secondary_suppression_reaches_a_protected_pattern_across_both_hierarchies():
    cells = {("F", "Y0T12"): 3, ("M", "Y0T12"): 20, ("_T", "Y0T12"): 23,
             ("F", "Y13T17"): 10, ("M", "Y13T17"): 30, ("_T", "Y13T17"): 40,
             ("F", "Y0T17"): 13, ("M", "Y0T17"): 50, ("_T", "Y0T17"): 63}
    out = control([row(s, a, v) for (s, a), v in cells.items()], CHILD, T)
    assert audit(out) == []
    suppressed = {(r["sex"], r["age"]): r["obs_conf"] for r in out if r["obs_value"] is None}
    assert suppressed[("F", "Y0T12")] == "C"
    assert len(suppressed) >= 4  # a rectangle at least: one suppression per row and column is never enough


def test_attack_b_the_offence_hierarchy_is_protected():
    # _T = 43 with ICCS children 40, 0, 0 published gave the suppressed 030221 = 3.
    rows = [row("_T", "Y0T17", v, offence=o) for o, v in
            (("030221", 3), ("030222", 40), ("030223", 0), ("OTHER_ONLINE", 0), ("_T", 43))]
    leaky = old.control(rows, CHILD)
    assert old.leaks(leaky) == []            # the old verifier saw nothing
    (found,) = audit(leaky)
    assert found.key[5] == "030221" and (found.low, found.high) == (3, 3)
    out = control(rows, CHILD, T)
    assert audit(out) == []
    assert {r["offence"]: r["obs_conf"] for r in out}["030221"] == "C"


def test_attack_c_a_revision_never_reopens_a_suppressed_cell():
    # Release 1: F = 10, M = 20, _U = 0, _T = 30, all published. A correction says F = 3 and _T = 23.
    first = [dict(r, true_value=r["obs_value"], published_at="t1", superseded_at="t2")
             for r in (row("F", "Y0T17", 10), row("M", "Y0T17", 20), row("_U", "Y0T17", 0), row("_T", "Y0T17", 30))]
    revised = [row("F", "Y0T17", 3, sid="S2"), row("M", "Y0T17", 20, sid="S2"), row("_U", "Y0T17", 0, sid="S2"),
               row("_T", "Y0T17", 23, sid="S2")]
    leaky = old.control(revised, CHILD)      # F (C) and M (D) suppressed: but M = 20 was published before
    assert old.leaks(leaky) == []
    (found,) = audit(leaky, history=first)
    assert found.key[3] == "F" and (found.low, found.high) == (3, 3)
    out = control(revised, CHILD, T, history=first)
    assert audit(out, history=first) == []
    assert by_cell(out)[("_T", "Y0T17")][0] is None    # the total went, not (only) the M already known


def test_attack_c_a_cell_suppressed_once_stays_suppressed():
    first = [dict(r, published_at="t1", superseded_at="t2") for r in
             control([row("F", "Y0T17", 3), row("M", "Y0T17", 40), row("_T", "Y0T17", 43)], CHILD, T)]
    assert {r["sex"] for r in first if r["obs_value"] is None} == {"F", "M"}
    # F is corrected to 30: publishing F and M now would give M = 40 back, and with it F = 3 of the first state.
    revised = [row("F", "Y0T17", 30, sid="S2"), row("M", "Y0T17", 40, sid="S2"), row("_T", "Y0T17", 70, sid="S2")]
    out = control(revised, CHILD, T, history=first)
    assert by_cell(out)[("F", "Y0T17")] == (None, "Q", "D") and by_cell(out)[("M", "Y0T17")][0] is None
    assert audit(out, history=first) == []
    published_plainly = [dict(r, true_value=r["obs_value"]) for r in revised]
    assert [f.key[3] for f in audit(published_plainly, history=first)] == ["F"]


def test_a_count_an_earlier_state_already_gave_away_does_not_hold_up_every_later_release():
    # A state published before this audit existed gave 030221 = 3 away (attack b). Nothing published now can
    # hide it again: control protects the rest, and the audit of later states does not refuse for it.
    rows = [row("_T", "Y0T17", v, offence=o) for o, v in
            (("030221", 3), ("030222", 40), ("030223", 0), ("OTHER_ONLINE", 0), ("_T", 43))]
    before = [dict(r, published_at="t1", superseded_at="t2") for r in old.control(rows, CHILD)]
    assert len(audit([dict(r) for r in before])) == 1
    now = control([dict(r, submission_id="S2") for r in rows], CHILD, T, history=before)
    assert audit(now, history=before) == []
    # A cell the earlier state still protected must stay protected: M below was hidden and is not given back.
    first = [dict(r, published_at="t1", superseded_at="t2") for r in
             control([row("F", "Y0T17", 3), row("M", "Y0T17", 40), row("_T", "Y0T17", 43)], CHILD, T)]
    plain = [dict(r, true_value=r["obs_value"]) for r in
             (row("F", "Y0T17", 30, sid="S2"), row("M", "Y0T17", 40, sid="S2"), row("_T", "Y0T17", 70, sid="S2"))]
    assert [f.key[3] for f in audit(plain, history=first)] == ["F"]


def sex_age_table(rng: random.Random, offences=("_T",)) -> list[dict]:
    """A random additive sex x age (x offence) table of small counts, with zeros and missing margins."""
    sexes, bands = ("F", "M", "_U"), ("Y0T4", "Y5T9", "Y10T14", "Y15T17", "_U")
    fine = {(s, a, o): rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 20]) for s in sexes for a in bands
            for o in offences if o != "_T" or len(offences) == 1}
    out = []
    for s in (*sexes, "_T"):
        for a in (*bands, "Y0T17"):
            for o in offences:
                v = sum(x for (fs, fa, fo), x in fine.items()
                        if s in (fs, "_T") and a in (fa, "Y0T17") and o in (fo, "_T"))
                out.append(row(s, a, v, offence=o))
    drop = rng.random()
    return [r for r in out if not (r["sex"] == "_U" and drop < 0.3)]   # some tables give no _U row


def test_attack_d_the_audit_solves_every_relation_at_once():
    # Tables that the old control and verifier passed, one relation at a time, yet that give a suppressed
    # count back (or narrow it below the width) when the sex and age relations are solved together.
    rng = random.Random(2024)
    caught = 0
    for _ in range(120):
        table = sex_age_table(rng)
        leaky = old.control(table, CHILD)
        if old.leaks(leaky):
            continue
        found = audit(leaky)
        caught += bool(found)
        assert audit(control(table, CHILD, T)) == []
    assert caught >= 10


def test_parts_that_do_not_cover_their_total_bound_it_and_add_up_where_they_do():
    # No _U row: F + M <= _T. With a gap (persons of unknown sex) F is only bounded: at most 50 - 40 = 10.
    gap = [dict(r, obs_conf="C" if r["sex"] == "F" else "F", obs_value=None if r["sex"] == "F" else r["obs_value"],
                true_value=r["obs_value"]) for r in (row("F", "Y0T17", 3), row("M", "Y0T17", 40), row("_T", "Y0T17", 50))]
    assert audit(gap) == []
    # Where F + M happens to equal _T, a reader takes the breakdown as complete: F = 43 - 40.
    tight = [dict(r, obs_value=43, true_value=43) if r["sex"] == "_T" else r for r in gap]
    (found,) = audit(tight)
    assert (found.low, found.high) == (3, 3)


def test_counts_the_flags_alone_pin_down_are_withheld():
    # Four bands of 1 and their total of 4: every cell is a C, and four counts of at least 1 adding up to at
    # most 4 are all 1. Suppressing cannot hide that; the bands are not published at all.
    rows = [row("_T", a, 1) for a in ("Y0T4", "Y5T9", "Y10T14", "Y15T17")] + [row("_T", "Y0T17", 4)]
    leaky = old.control(rows, CHILD)
    assert old.leaks(leaky) == [] and {(f.low, f.high) for f in audit(leaky)} == {(1, 1), (4, 4)}
    out = control(rows, CHILD, T)
    withheld = {r["age"] for r in out if r.get("withheld")}
    assert withheld and audit(out) == []
    published = [r for r in out if not r.get("withheld")]
    assert audit(published) == [] and all(r["obs_value"] is None for r in published)


def rate(value, numerator_value, denominator=200_000):
    r = row("_T", "Y0T17", value, ind="CJ_VICTIMS_IDENTIFIED_PER_100K")
    r.update(numerator_key=("KEN", 2023, "CJ_VICTIMS_IDENTIFIED", "_T", "Y0T17", "_T"),
             numerator_value=numerator_value, unit_measure="RATE_100000", denominator_value=denominator)
    return r


def test_rates_follow_their_numerator_and_a_published_rate_gives_it_back():
    numerators = {("KEN", 2023, "CJ_VICTIMS_IDENTIFIED", "_T", "Y0T17", "_T"): row("_T", "Y0T17", None, status="Q")}
    [suppressed] = control_rates([rate(1.5, 3)], numerators, T)
    assert (suppressed["obs_value"], suppressed["obs_status"], suppressed["obs_conf"]) == (None, "Q", "D")
    numerators = {k: row("_T", "Y0T17", 12) for k in numerators}
    [low] = control_rates([rate(6.0, 12)], numerators, T)
    assert (low["obs_value"], low["obs_status"]) == (6.0, "U")
    [fine] = control_rates([rate(125.0, 250)], numerators, T)
    assert fine["obs_status"] == "A"
    # A rate published beside its suppressed numerator: 1.5 per 100,000 of 200,000 children is 3.
    numerator = dict(row("_T", "Y0T17", None, status="Q"), obs_conf="C", true_value=3)
    (found,) = audit([numerator], rates=[rate(1.5, 3)])
    assert (found.low, found.high) == (3, 3)
    assert audit([numerator], rates=[dict(rate(1.5, 3), obs_value=None)]) == []


def test_a_ratio_with_a_suppressed_denominator_is_suppressed_and_its_denominator_not_printed():
    den = dict(row("_T", "Y0T17", None, status="Q"), obs_conf="C")
    num = row("_T", "Y0T17", 40, ind="CJ_CASES_OPENED")
    ratio = dict(rate(10.0, 40), denominator_key=tuple(den[c] for c in ("ref_area", "time_period",
                                                                        "indicator_code", "sex", "age", "offence")),
                 numerator_key=tuple(num[c] for c in ("ref_area", "time_period", "indicator_code", "sex",
                                                      "age", "offence")))
    index = {tuple(r[c] for c in ("ref_area", "time_period", "indicator_code", "sex", "age", "offence")): r
             for r in (den, num)}
    [out] = control_rates([ratio], index, T)
    assert (out["obs_value"], out["obs_conf"], out["denominator_value"]) == (None, "D", None)


def test_thresholds_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MNR_SUPPRESS_MAX", "9")
    monkeypatch.setenv("MNR_RELIABLE_MIN", "16")
    monkeypatch.setenv("MNR_PROTECTION_WIDTH", "4")
    assert thresholds() == Thresholds(suppress_max=9, reliable_min=16, protection_width=4)
    monkeypatch.delenv("MNR_PROTECTION_WIDTH")
    assert thresholds().protection_width == 2
    for name, bad in (("MNR_SUPPRESS_MAX", "-1"), ("MNR_SUPPRESS_MAX", "1"), ("MNR_PROTECTION_WIDTH", "1")):
        with monkeypatch.context() as m:
            m.setenv(name, bad)
            with pytest.raises(ValueError):
                thresholds()
