"""SDMX 2.1 REST requests as SDMX writes them: keys, periods, parameters, flow references, structure paths and
content negotiation; every malformed request is refused with the SDMX error code the standard gives it."""

import pytest

from pipelines.sdmx import query as q
from pipelines.sdmx import structure as st
from pipelines.sdmx.errors import SdmxError


def error(fn, *args, **kw) -> SdmxError:
    with pytest.raises(SdmxError) as e:
        fn(*args, **kw)
    return e.value


def test_keys_as_sdmx_writes_them():
    assert q.key("KEN+UGA.CJ_CONVICTIONS...") == {"REF_AREA": ("KEN", "UGA"), "INDICATOR": ("CJ_CONVICTIONS",)}
    assert q.key("....") == {} and q.key("all") == {} and q.key(None) == {} and q.key("") == {}
    assert q.key(".CJ_PROSECUTIONS.F+M.Y0T17.030221") == {
        "INDICATOR": ("CJ_PROSECUTIONS",), "SEX": ("F", "M"), "AGE": ("Y0T17",), "OFFENCE": ("030221",)}
    assert q.key("KEN+KEN....") == {"REF_AREA": ("KEN",)}


@pytest.mark.parametrize("bad", ["KEN", "KEN...", "KEN.....", "KEN.CJ_CONVICTIONS", "KEN+.....", "K'EN....",
                                 "KEN;DROP....", "KEN.<x>...", "KEN++UGA...."])
def test_a_malformed_key_is_a_syntax_error_that_names_the_positions(bad):
    e = error(q.key, bad)
    assert e.code == 140 and e.status == 400
    assert "REF_AREA.INDICATOR.SEX.AGE.OFFENCE" in e.message or "not an SDMX code" in e.message


def test_flow_references_in_every_form_the_standard_allows():
    for ref in ("DF_MNR_OCSEA", "MNR,DF_MNR_OCSEA", "MNR,DF_MNR_OCSEA,1.0.0", "MNR,DF_MNR_OCSEA,latest",
                "all,DF_MNR_OCSEA,all"):
        q.flow(ref)
    assert error(q.flow, "OTHER").status == 404
    assert error(q.flow, "ECB,DF_MNR_OCSEA,1.0.0").status == 404
    assert error(q.flow, "MNR,DF_MNR_OCSEA,2.0.0").status == 404
    assert error(q.flow, "MNR,,1.0.0").status == 400
    assert error(q.flow, "a,b,c,d").status == 400


@pytest.mark.parametrize("params,start,end", [
    ({"startPeriod": "2020"}, 2020, None),
    ({"endPeriod": "2021"}, None, 2021),
    ({"startPeriod": "2020-01-01", "endPeriod": "2021-12-31"}, 2020, 2021),
    ({"startPeriod": "2020-Q1", "endPeriod": "2022-Q4"}, 2020, 2022),
    ({"startPeriod": "2020-06", "endPeriod": "2022-06"}, 2021, 2021),     # a year within the range, whole
    ({"startPeriod": "2020-A1", "endPeriod": "2020-A1"}, 2020, 2020),
    ({"startPeriod": "2020-S2"}, 2021, None),
    ({"endPeriod": "2020-M12"}, None, 2020),
    ({"startPeriod": "2020-01-01T00:00:00Z"}, 2020, None),
])
def test_periods_select_the_years_that_lie_within_them(params, start, end):
    d = q.data_query(None, None, params)
    assert (d.start_year, d.end_year) == (start, end)


@pytest.mark.parametrize("bad", ["20", "last year", "2020-13", "2020-02-30", "2020-Q5", "2020'--"])
def test_a_malformed_period_is_a_syntax_error(bad):
    e = error(q.data_query, None, None, {"startPeriod": bad})
    assert e.status == 400 and "startPeriod" in e.message


def test_data_parameters_served_and_refused():
    d = q.data_query(None, None, {"dimensionAtObservation": "AllDimensions", "detail": "dataonly",
                                  "firstNObservations": "2", "lastNObservations": "1"})
    assert (d.dimension_at_observation, d.detail, d.first_n, d.last_n) == ("AllDimensions", "dataonly", 2, 1)
    assert q.data_query(None, None, {}).dimension_at_observation == "TIME_PERIOD"
    assert q.data_query(None, None, {"dimensionAtObservation": "SEX"}).dimension_at_observation == "SEX"
    assert error(q.data_query, None, None, {"dimensionAtObservation": "FREQ"}).status == 400
    assert error(q.data_query, None, None, {"detail": "everything"}).status == 400
    assert error(q.data_query, None, None, {"lastNObservations": "0"}).status == 400
    assert error(q.data_query, None, None, {"firstNObservations": "x"}).status == 400
    assert error(q.data_query, None, None, {"updatedAfter": "2024-01-01T00:00:00"}).status == 501
    assert error(q.data_query, None, None, {"includeHistory": "true"}).status == 501
    assert q.data_query(None, None, {"includeHistory": "false", "somethingElse": "x"}).key == {}
    assert error(q.data_query, None, "ECB", {}).status == 404
    assert q.data_query(None, "all", {}).key == {}


@pytest.mark.parametrize("accept,name", [
    (None, "structurespecific"), ("", "structurespecific"), ("*/*", "structurespecific"),
    ("application/xml", "structurespecific"),
    ("application/vnd.sdmx.structurespecificdata+xml;version=2.1", "structurespecific"),
    ("application/vnd.sdmx.genericdata+xml;version=2.1", "generic"),
    ("application/vnd.sdmx.data+csv;version=1.0.0", "csv1"),
    ("application/vnd.sdmx.data+csv; version=1.0.0; labels=both", "csv1"),
    ("application/vnd.sdmx.data+csv;version=2.0.0", "csv2"),
    ("text/csv", "csv1"),
    ("application/vnd.sdmx.data+json;version=1.0.0, text/csv;q=0.5", "csv1"),
    ("text/csv;q=0.4, application/vnd.sdmx.genericdata+xml;version=2.1;q=0.9", "generic"),
])
def test_content_negotiation_for_data(accept, name):
    assert q.data_format(accept).name == name


def test_unsupported_data_formats_are_not_acceptable():
    for accept in ("application/vnd.sdmx.data+json;version=1.0.0", "application/json", "text/html",
                   "application/vnd.sdmx.structurespecificdata+xml;version=3.0.0",
                   "application/vnd.sdmx.data+csv;version=9.9", "text/csv;q=0"):
        assert error(q.data_format, accept).status == 406, accept
    assert error(q.data_format, None, "xlsx").status == 406
    assert q.data_format("text/html", "csvdata").name == "csv1"      # the format parameter wins
    assert q.data_format(None, "genericdata").name == "generic"
    assert q.data_format("text/csv; labels=both").labels == "both"
    assert error(q.structure_format, "application/vnd.sdmx.structure+json;version=1.0.0").status == 406
    assert q.structure_format("application/vnd.sdmx.structure+xml;version=2.1").name == "structure"


def test_structure_queries_and_their_references():
    flow = q.structure_query("dataflow", "MNR", "DF_MNR_OCSEA", "1.0.0")
    assert flow.artefacts == [("dataflow", st.DATAFLOW)]
    full = q.structure_query("dataflow", "MNR", "DF_MNR_OCSEA", "latest", params={"references": "all"})
    assert full.artefacts[:3] == [("dataflow", st.DATAFLOW), ("datastructure", st.DSD),
                                  ("conceptscheme", st.CONCEPT_SCHEME)]
    assert {a for a in full.artefacts if a[0] == "codelist"} == {("codelist", c) for c in st.CODELIST_NAMES}
    assert q.structure_query("dataflow", params={"references": "descendants"}).artefacts == full.artefacts
    assert q.structure_query("dataflow", params={"references": "children"}).artefacts == \
        [("dataflow", st.DATAFLOW), ("datastructure", st.DSD)]
    assert q.structure_query("codelist", "MNR", "CL_SEX", params={"references": "parents"}).artefacts == \
        [("codelist", "CL_SEX"), ("datastructure", st.DSD)]
    dsd = q.structure_query("datastructure", "all", "all", "all", params={"references": "codelist"})
    assert dsd.artefacts[0] == ("datastructure", st.DSD) and all(a[0] == "codelist" for a in dsd.artefacts[1:])
    assert len(q.structure_query("codelist").artefacts) == len(st.CODELIST_NAMES)
    assert q.structure_query("codelist", "MNR", "CL_SEX+CL_AGE").artefacts == [("codelist", "CL_SEX"),
                                                                               ("codelist", "CL_AGE")]
    part = q.structure_query("codelist", "MNR", "CL_SEX", "1.0.0", "F+M")
    assert part.items == {"F", "M"}
    assert q.structure_query("dataflow", params={"detail": "referencepartial"}).artefacts


def test_structure_queries_that_match_nothing_or_are_not_served():
    assert error(q.structure_query, "codelist", "MNR", "CL_FREQ").status == 404
    assert error(q.structure_query, "codelist", "ECB").status == 404
    assert error(q.structure_query, "dataflow", "MNR", "DF_MNR_OCSEA", "2.0").status == 404
    assert error(q.structure_query, "codelist", "MNR", "CL_SEX", "1.0.0", "X").status == 404
    assert error(q.structure_query, "dataflow", "MNR", "DF_MNR_OCSEA", "1.0.0", "X").status == 400
    assert error(q.structure_query, "dataflow", params={"references": "cousins"}).status == 400
    assert error(q.structure_query, "dataflow", params={"detail": "allstubs"}).status == 501
    assert error(q.structure_query, "dataflow", params={"detail": "tiny"}).status == 400
    assert error(q.structure_query, "categoryscheme").status == 501
    assert error(q.structure_query, "codelist", "M<NR").status == 400
    assert error(q.structure_query, "codelist", "MNR+").status == 400
