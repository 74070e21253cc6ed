"""Mappings as data (pipelines/ingest/mappings.py): a mapping file is checked when it is loaded, and a message says
where in the YAML the problem is; a country's mapping that does not fit a file says which column is missing."""

import pytest

from pipelines.ingest.mappings import MappingError, find, load, shared_mappings
from pipelines.ingest.readers import Table

GOOD = """\
id: bol_police
match:
  columns: [Gestión, Tipo de delito]
columns:
  Gestión: time_period
  Tipo de delito: offence
  Casos: value
constants:
  indicator: CJ_VICTIMS_IDENTIFIED
codes:
  offence:
    "Pornografía infantil": "030221"
    Otros: null
"""


def write(tmp_path, text, name="m.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def error(tmp_path, text) -> str:
    with pytest.raises(MappingError) as e:
        load(write(tmp_path, text))
    return str(e.value)


def test_every_shipped_mapping_loads():
    assert {m.id for m in shared_mappings()} >= {"eurostat_crim_off_cat", "eurostat_crim_just", "open_sdg_16_2",
                                                  "un_sdg_database_16_2", "unicef_dw_child_protection"}


def test_a_valid_mapping_loads_with_its_codes(tmp_path):
    m = load(write(tmp_path, GOOD))
    assert m.columns == {"gestion": "time_period", "tipo de delito": "offence", "casos": "value"}
    assert m.code_for("offence", "pornografia infantil") == (True, "030221")
    assert m.code_for("offence", "Otros") == (True, None)


@pytest.mark.parametrize("text, where, what", [
    (GOOD + "colums: {}\n", "line 14 (colums)", "unknown key colums"),
    (GOOD.replace("Casos: value", "Casos: valor"), "line 7 (columns.Casos)", "valor is not a field"),
    (GOOD.replace("CJ_VICTIMS_IDENTIFIED", "CJ_VICTIMS"), "line 9 (constants.indicator)",
     "CJ_VICTIMS is not a code the catalogue has for indicator (closest: "),
    (GOOD.replace('"030221"', '"0302211"'), "line 12 (codes.offence.Pornografía infantil)",
     "0302211 is not a code the catalogue has for offence"),
    (GOOD.replace("match:\n  columns:", "match:\n  column:"), "line 3 (match.column)", "unknown key column"),
    (GOOD.replace("indicator: CJ_VICTIMS_IDENTIFIED", "indicator: null"), "line 9 (constants.indicator)",
     "give the value of indicator"),
    ("draft: true\n" + GOOD, "line 1 (draft)", "still a draft"),
    (GOOD + "keep:\n  Departamento: Total\n", "line 15 (keep.Departamento)", "needs 'values'"),
    (GOOD + "only_listed:\n  sex: other sexes\n", "line 15 (only_listed.sex)", "needs the list of codes"),
    (GOOD.replace("  Tipo de delito: offence\n", "  Tipo de delito: [offence\n"), "line 7", "not valid YAML"),
])
def test_a_mapping_that_cannot_be_used_says_where(tmp_path, text, where, what):
    msg = error(tmp_path, text)
    assert msg.startswith(f"m.yaml, {where}") and what in msg, msg


def test_age_codes_are_any_band(tmp_path):
    m = load(write(tmp_path, GOOD.replace("  offence:\n", "  age:\n    \"0 a 13\": Y0T13\n    adultos: Y_GE18\n  offence:\n")))
    assert m.code_for("age", "0 a 13") == (True, "Y0T13")
    assert "Y20T10 is not a code the catalogue has for age" in error(tmp_path, GOOD.replace("  offence:\n", "  age:\n    x: Y20T10\n  offence:\n"))


def table(*rows):
    return Table(sheet=None, rows=[list(r) for r in rows])


def own(tmp_path, monkeypatch, text):
    monkeypatch.setenv("MNR_HOME", str(tmp_path))
    folder = tmp_path / "mappings" / "BOL"
    folder.mkdir(parents=True)
    write(folder, text, "police.yaml")


def test_a_country_mapping_that_misses_a_renamed_column_says_which(tmp_path, monkeypatch):
    own(tmp_path, monkeypatch, GOOD.replace("match:\n  columns: [Gestión, Tipo de delito]\n", ""))
    mapping, findings = find(table(("Gestión", "Delito", "Casos"), ("2022", "Pornografía infantil", "4")), "BOL")
    assert mapping is None
    (f,) = findings
    assert f.rule_id == "MAPPING_NOT_MATCHED" and f.column == "Tipo de delito"
    assert "police.yaml, line 4 (columns.Tipo de delito)" in f.message


def test_an_invalid_country_mapping_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    own(tmp_path, monkeypatch, GOOD.replace("Casos: value", "Casos: valor"))
    mapping, findings = find(table(("Gestión", "Tipo de delito", "Casos"), ("2022", "x", "4")), "BOL")
    assert mapping is None
    (f,) = findings
    assert f.rule_id == "MAPPING_INVALID" and f.severity == "warning" and "police.yaml, line 7" in f.message


def test_a_country_mapping_that_reads_a_file_without_one_of_its_columns_says_so(tmp_path, monkeypatch):
    own(tmp_path, monkeypatch, GOOD.replace("  Casos: value\n", "  Casos: value\n  Sexo: sex\n"))
    mapping, findings = find(table(("Gestión", "Tipo de delito", "Casos"), ("2022", "x", "4")), "BOL")
    assert mapping is not None and mapping.id == "bol_police"
    (f,) = findings
    assert f.rule_id == "MAPPING_COLUMN_ABSENT" and f.column == "Sexo" and "line 8 (columns.Sexo)" in f.message
