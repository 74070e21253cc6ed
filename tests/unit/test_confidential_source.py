"""A value the file itself marks confidential (SDMX CONF_STATUS C, N or S; Eurostat's flag c on a country's
transmission) is never published with its value, whatever the indicator, and cannot be recomputed from the
total and its other parts (pipelines/publish/disclosure.py). Fails on the old control: it published 57 as it
was, with obs_conf C beside it."""

from pipelines.publish.disclosure import Thresholds, control
from pipelines.publish.verify import leaks

T = Thresholds(suppress_max=4, reliable_min=20)


def row(sex, value, conf="F", ind="CJ_PROSECUTIONS", offence="_T"):
    return {"ref_area": "KEN", "time_period": 2023, "indicator_code": ind, "sex": sex, "age": "_Z",
            "offence": offence, "obs_value": value, "obs_status": "A", "obs_conf": conf, "submission_id": "S1"}


def cells(rows):
    return {r["sex"]: (r["obs_value"], r["obs_status"], r["obs_conf"]) for r in rows}


def published(rows):
    """The rows as the published layer holds them (no working keys of control)."""
    return [{k: v for k, v in r.items() if k not in ("source_confidential",)} for r in rows]


def test_a_confidential_value_of_any_size_and_indicator_is_suppressed_with_its_relation():
    rows = [row("F", 57, "C"), row("M", 40), row("_T", 97)]
    out = control(rows, set(), T)
    got = cells(out)
    assert got["F"] == (None, "Q", "C")
    # F = _T - M would give it back: one more cell of the relation is hidden.
    assert sum(v[0] is None for v in got.values()) == 2 and all(v[2] in ("C", "D") for v in got.values() if v[0] is None)
    assert leaks(published(out), t=T, children=set()) == []


def test_not_for_publication_and_secondary_marks_are_suppressed_too():
    for conf in ("N", "S", "D"):
        out = cells(control([row("_T", 12, conf)], set(), T))
        assert out["_T"] == (None, "Q", "C"), conf


def test_a_child_count_marked_confidential_is_protected_like_a_small_count():
    rows = [row("F", 30, "C", ind="CJ_VICTIMS_IDENTIFIED"), row("M", 25, ind="CJ_VICTIMS_IDENTIFIED"),
            row("_T", 55, ind="CJ_VICTIMS_IDENTIFIED")]
    out = control(rows, {"CJ_VICTIMS_IDENTIFIED"}, T)
    got = cells(out)
    assert got["F"] == (None, "Q", "C") and sum(v[0] is None for v in got.values()) >= 2
    assert leaks(published(out), t=T, children={"CJ_VICTIMS_IDENTIFIED"}) == []


def test_free_values_of_other_indicators_stay_as_they_are():
    out = cells(control([row("F", 3), row("M", 40), row("_T", 43)], set(), T))
    assert out == {"F": (3, "A", "F"), "M": (40, "A", "F"), "_T": (43, "A", "F")}


def test_a_cell_the_file_withholds_hides_none_of_the_values_it_gives_as_free():
    # Eurostat's ': c': no value reached the hub, so there is nothing of it to protect; the values the file
    # publishes as free (the sender's secondary confidentiality is its own) are published as they are.
    rows = [row("_T", 110), row("F", 14), {**row("M", None, "C"), "obs_status": "Q"}]
    assert cells(control(rows, set(), T)) == {"_T": (110, "A", "F"), "F": (14, "A", "F"), "M": (None, "Q", "C")}


def test_the_audit_does_not_take_a_cell_the_file_withheld_for_a_small_count():
    # Eurostat's ': c' on sexual exploitation (0302) above 904 CSAM offences (030221): a small-count C would be
    # 1 to 4, which no value of 0302 can be, and the release was refused as "could not be audited". The
    # restricted layer holds no value of it (true_value None): nothing to protect.
    rows = [{**row("_Z", None, "C", ind="CJ_OFFENCES_RECORDED", offence="0302"), "obs_status": "Q",
             "true_value": None},
            row("_Z", 904, ind="CJ_OFFENCES_RECORDED", offence="030221")]
    assert leaks(rows, t=T, children=set()) == []
    published = {r["offence"]: r["obs_value"] for r in control(rows, set(), T)}
    assert published == {"0302": None, "030221": 904}
