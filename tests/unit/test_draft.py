"""mnr map (pipelines/ingest/draft.py): a draft mapping for a file the hub cannot fully read, every column with its
guess and the evidence, every unknown code with its closest catalogue codes, constants where a column is
missing; a draft is refused until someone has checked it; hostile headers and codes stay data."""

import re
import sys

import pytest
import yaml

from conftest import FIXTURES
from pipelines.cli import main
from pipelines.ingest import mappings
from pipelines.ingest.draft import DraftError, draft_file
from pipelines.ingest.layout import extract_records
from pipelines.ingest.readers import read_tables

sys.path.insert(0, str(FIXTURES))
import make_fixtures as fx  # noqa: E402

FILES = FIXTURES / "files"
BOL = FILES / "own_layout_bol.csv"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MNR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def the_draft(path=BOL, country="BOL"):
    (d,), notes = draft_file(path, country)
    return d.text


def line_of(text: str, key: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(f'"{key}":'))


def test_every_column_gets_its_guess_with_the_evidence(home):
    text = the_draft()
    doc = yaml.safe_load(text)
    assert doc["columns"] == {"Gestión": "time_period", "Tipo de delito": "offence", "Sexo de la víctima": "sex",
                              "Número de víctimas": "value"}
    assert "every value is a year (2021, 2022)" in line_of(text, "Gestión")
    assert "the header is a known name of offence" in line_of(text, "Tipo de delito")
    assert "CHECK: 2 of 3 values are sex codes or labels ('Mujer' is F, 'Hombre' is M)" in line_of(text, "Sexo de la víctima")
    # The department tells rows apart: kept to its total, which the draft recognises as one.
    assert doc["keep"] == {"Departamento": {"values": ["Total"], "reason": "'Departamento' is not a breakdown of "
                                                                           "the catalogue: its total is read"}}
    assert doc["match"] == {"columns": list(fx.BOL_HEADER)}
    assert doc["draft"] is True


def test_unknown_codes_get_their_closest_catalogue_codes_in_every_language(home):
    text = the_draft()
    doc = yaml.safe_load(text)
    # Spanish labels near the catalogue's aliases: confident ones are written, still marked CHECK.
    assert doc["codes"]["offence"] == fx.BOL_OFFENCES
    for label in fx.BOL_OFFENCES:
        assert "CHECK: closest catalogue codes: " in line_of(text, label)
    # 'Sin dato' (no data) is close to nothing: left to the user, with every code of the short list.
    assert doc["codes"]["sex"] == {"Sin dato": None}
    assert "the codes are F (Female), M (Male), _T (Total), _U (Unknown), _Z (Not applicable)" in line_of(text, "Sin dato")


def test_constants_where_no_column_holds_the_field(home):
    text = the_draft()
    doc = yaml.safe_load(text)
    assert doc["constants"] == {"ref_area": "BOL", "indicator": None}
    assert "the file has no country column: its rows are BOL's" in line_of(text, "ref_area")
    # The indicator from the title above the header (in Spanish) and the value's header.
    assert re.search(r"CHECK: no column holds the indicator.*Closest .*: CJ_VICTIMS_IDENTIFIED \(",
                     line_of(text, "indicator"))


def test_a_draft_is_refused_until_checked_and_then_reads_the_file(home, tmp_path):
    text = the_draft()
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "draft.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(mappings.MappingError, match=r"draft.yaml, line \d+ \(draft\): the mapping is still a draft"):
        mappings.load(folder / "draft.yaml")
    checked = (text.replace("draft: true", "")
               .replace('"indicator": null', '"indicator": "CJ_VICTIMS_IDENTIFIED"')
               .replace('"Sin dato": null', '"Sin dato": "_U"'))
    (folder / "draft.yaml").write_text(checked, encoding="utf-8")
    m = mappings.load(folder / "draft.yaml")
    (table,), _ = read_tables(BOL)
    assert m.matches(table)
    records, findings, cm = extract_records(table, "BOL", m)
    assert not [f for f in findings if f.severity != "info"]
    got = sorted(zip(records["time_period_raw"], records["offence_raw"], records["sex_raw"], records["value_raw"]))
    assert got == sorted((y, o, s, str(v)) for (y, o, s, d), v in fx.BOL_VICTIMS.items()
                         if d == "Total" and y in ("2021", "2022"))
    assert set(records["indicator_raw"]) == {"CJ_VICTIMS_IDENTIFIED"} and set(records["ref_area_raw"]) == {"BOL"}


def test_files_read_fully_need_no_draft(home):
    for name, country in (("eurostat_crim_off_cat.tsv", "BEL"), ("unicef_dw_sdmx10_labels_both.csv", "KEN"),
                          ("csv_utf8.csv", "FRA"), ("xlsx_multi_sheet_clean.xlsx", "KEN")):
        drafts, notes = draft_file(FILES / name, country)
        assert drafts == [] and any("nothing to map" in n for n in notes), name


def test_a_column_of_the_catalogue_that_varies_without_a_total_is_for_the_user_to_settle(home):
    doc = yaml.safe_load(the_draft(FILES / "unread_region.csv", "UGA"))
    assert doc["keep"]["region"]["values"] == []
    with pytest.raises(DraftError, match="personal data"):
        draft_file(FILES / "personal_data.csv", "KEN")
    with pytest.raises(DraftError, match="PDF document"):
        draft_file(FILES / "not_tabular.pdf", "KEN")


def test_hostile_headers_and_codes_stay_data_in_the_yaml(home, tmp_path):
    hostile = tmp_path / "hostile.csv"
    # A header with a line break and YAML syntax, codes with '#', quotes, ': ' and a YAML document marker.
    hostile.write_text('Año,"Sexo\ndraft: false\nid: x",Número\n'
                       '2022,"F # not a comment",5\n2022,"M"": x",6\n2022,"---\n...",7\n', encoding="utf-8")
    (d,), _ = draft_file(hostile, "KEN")
    docs = list(yaml.safe_load_all(d.text))
    assert len(docs) == 1
    doc = docs[0]
    assert doc["draft"] is True and doc["id"] == "ken_hostile"
    assert "Sexo\ndraft: false\nid: x" in doc["columns"]
    assert set(doc["codes"]["sex"]) == {"F # not a comment", 'M": x', "---\n..."}
    assert all(not line.startswith(("id: x", "draft: false")) for line in d.text.splitlines())


def test_mnr_map_prints_or_writes_the_draft_and_refuses_bad_input(home, tmp_path, capsys):
    assert main(["map", str(BOL), "--country", "bol"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["id"] == "bol_own_layout_bol"
    out = tmp_path / "draft.yaml"
    assert main(["map", str(BOL), "--country", "BOL", "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["constants"]["ref_area"] == "BOL"
    assert f"mappings/BOL" in capsys.readouterr().err
    assert main(["map", str(FILES / "csv_utf8.csv"), "--country", "FRA", "--out", str(tmp_path / "x.yaml")]) == 0
    assert not (tmp_path / "x.yaml").exists() and "read fully" in capsys.readouterr().err
    for argv, said in ((["map", str(tmp_path / "none.csv"), "--country", "BOL"], "file not found"),
                       (["map", str(BOL), "--country", "XXX"], "unknown country 'XXX'"),
                       (["map", str(FILES / "not_tabular.png"), "--country", "BOL"], "PNG image"),
                       (["map", str(BOL), "--country", "BOL", "--out", str(tmp_path / "no" / "d.yaml")], "not a folder")):
        assert main(argv) == 2, argv
        assert said in capsys.readouterr().err
    assert not home.exists()   # drafting writes nothing in the home


def test_a_shipped_layout_with_a_new_breakdown_is_drafted_from_its_mapping_and_then_read_fully(home, tmp_path):
    # crim_just by age (juveniles, adults): the shipped crim_just mapping reads the layout but not the age.
    ages = {("NR", "PER_SUSP", "TOTAL", "ICCS030221", "BE"): ("310 ", "342 ", "351 p"),
            ("NR", "PER_SUSP", "Y_LT18", "ICCS030221", "BE"): ("41 ", "39 ", "44 p"),
            ("NR", "PER_SUSP", "Y_GE18", "ICCS030221", "BE"): ("269 ", "303 ", "307 p")}
    path = tmp_path / "crim_just_age.tsv"
    path.write_text(fx._tsv("freq,unit,leg_stat,age,iccs,geo", ages), encoding="utf-8")
    (d,), _ = draft_file(path, "BEL")
    assert d.mapping == "eurostat_crim_just"
    doc = yaml.safe_load(d.text)
    assert doc["id"] == "bel_eurostat_crim_just" and doc["columns"]["age"] == "age"
    assert doc["codes"]["indicator"]["PER_SUSP"] == "CJ_SUSPECTS_ARRESTED"      # the shipped mapping's codes
    assert "ignore" not in doc and "303" not in d.text                          # years are years; no counts echoed
    folder = home / "mappings" / "BEL"
    folder.mkdir(parents=True)
    (folder / "crim_just_age.yaml").write_text(d.text.replace("draft: true", ""), encoding="utf-8")
    drafts, notes = draft_file(path, "BEL")
    assert drafts == [] and "with the mapping 'bel_eurostat_crim_just'" in notes[0]
