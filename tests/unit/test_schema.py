"""The harmonised schema has one declaration, the dbt contract of marts.fct_observations: pipelines/schema.py reads
it as dbt does, and the published tables, the Arrow, Frictionless and SDMX schemas follow an edit of it."""

import json
import shutil

import duckdb
import pyarrow as pa
import pytest

from pipelines import schema
from pipelines.publish import publish, release
from pipelines.sdmx import structure as st
from pipelines.settings import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


def test_the_schema_is_the_contract_as_dbt_parses_it():
    node = json.loads(MANIFEST.read_text())["nodes"]["model.mnr.fct_observations"]
    assert node["contract"]["enforced"]
    dbt_columns = [(c["name"], c["data_type"], c["description"], any(k["type"] == "not_null" for k in c["constraints"]))
                   for c in node["columns"].values()]
    assert [(c.name, c.data_type, c.description, c.not_null) for c in schema.OBSERVATIONS.columns] == dbt_columns
    assert schema.COLUMNS == ("ref_area", "time_period", "indicator_code", "mnr_domain", "mnr_capability", "sex",
                              "age", "offence", "obs_value", "unit_measure", "obs_status", "obs_conf",
                              "submission_id", "source_ref", "comment")    # DESIGN.md section 4
    assert schema.KEY == ("ref_area", "time_period", "indicator_code", "sex", "age", "offence")


def test_the_marts_uniqueness_test_is_the_published_key_per_submission():
    manifest = json.loads(MANIFEST.read_text())
    tested = [t["test_metadata"]["kwargs"]["columns"] for t in manifest["nodes"].values()
              if t.get("test_metadata", {}).get("name") == "unique_combination"
              and t["attached_node"] == "model.mnr.fct_observations"]
    assert tested == [["submission_id", *schema.KEY]]


def test_published_tables_have_the_contract_columns_types_and_nulls():
    con = duckdb.connect()
    con.execute(publish.DDL)
    info = {t: con.execute("select column_name, data_type, is_nullable from information_schema.columns "
                           "where table_schema = 'published' and table_name = ? order by ordinal_position",
                           [t]).fetchall() for t in ("observations", "observation_history")}
    duck = {"varchar": "VARCHAR", "integer": "INTEGER", "double precision": "DOUBLE"}
    want = [(c.name, duck[c.data_type], "NO" if c.not_null else "YES") for c in schema.OBSERVATIONS.columns]
    assert info["observations"] == want
    assert [c[:2] for c in info["observation_history"]] == [c[:2] for c in want] + [
        ("published_at", "VARCHAR"), ("superseded_at", "VARCHAR")]
    read = con.sql("select * from published.observations").to_arrow_table().schema
    assert [(f.name, f.type) for f in publish.ARROW_SCHEMA] == [(f.name, f.type) for f in read]


@pytest.fixture
def edited(tmp_path):
    """A copy of the declaration with one column's text and another's type changed and a column made nullable."""
    marts = tmp_path / "_marts.yml"
    docs = tmp_path / "_observations_columns.md"
    shutil.copy(schema.COLUMN_DOCS, docs)
    docs.write_text(docs.read_text().replace("Where in the submitted file the value was read",
                                             "Where in the file the value came from"))
    text = schema.MARTS_YML.read_text()
    text = text.replace("      - name: time_period\n        data_type: integer",
                        "      - name: time_period\n        data_type: varchar")
    text = text.replace("description: \"{{ doc('observations__obs_status') }}\"\n        constraints: [{type: not_null}]",
                        "description: \"{{ doc('observations__obs_status') }}\"")
    assert text != schema.MARTS_YML.read_text()
    marts.write_text(text)
    return schema.load(marts, docs)


def test_an_edit_of_the_declaration_flows_to_every_schema(edited, monkeypatch):
    assert edited.column("source_ref").description.startswith("Where in the file the value came from")
    # DDL and Arrow
    assert "time_period varchar not null" in edited.ddl("t") and "obs_status varchar," in edited.ddl("t")
    assert edited.arrow().field("time_period").type == pa.string()
    # Frictionless
    fields = {f["name"]: f for f in edited.frictionless_fields()}
    assert fields["time_period"]["type"] == "string"
    assert fields["source_ref"]["description"].startswith("Where in the file the value came from")
    # SDMX: the concept's description and whether the attribute is mandatory
    monkeypatch.setattr(st, "OBSERVATIONS", edited)
    scheme = st._pysdmx_concept_scheme()
    assert str(scheme["SOURCE_REF"].description).startswith("Where in the file the value came from")
    assert st.BY_ID["OBS_STATUS"].mandatory is False and st.BY_ID["OBS_CONF"].mandatory is True


def test_the_release_files_use_the_declared_types():
    assert {k: release.FIELD_TYPES[k] for k in schema.COLUMNS} == {
        f["name"]: f["type"] for f in schema.OBSERVATIONS.frictionless_fields()}
    assert all(release.ARROW_TYPES[c] == schema.OBSERVATIONS.arrow().field(c).type for c in schema.COLUMNS)


def test_a_declaration_with_an_unknown_type_or_key_is_refused(tmp_path):
    marts = tmp_path / "_marts.yml"
    marts.write_text(schema.MARTS_YML.read_text().replace("published_key: [ref_area,", "published_key: [country,"))
    with pytest.raises(ValueError, match="country"):
        schema.load(marts)
    marts.write_text(schema.MARTS_YML.read_text().replace("data_type: double precision", "data_type: float8"))
    with pytest.raises(ValueError, match="data type"):
        schema.load(marts)
