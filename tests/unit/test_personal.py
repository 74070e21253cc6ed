"""The personal-data guard (pipelines/ingest/personal.py), in both directions: files and comments about people
in English, French, Spanish, Portuguese and Arabic are refused or withheld; real aggregate files in the same
languages (indicator and country names, ministries as sources, footnotes with years, "Age not known") pass.

The files are written here in the shapes agencies use (long and wide CSV, workbooks with title rows, JSON)."""

import json

import openpyxl
import pytest

from conftest import FIXTURES, SAMPLES
from pipelines.ingest.archive import submit
from pipelines.ingest.load import quarantine, read_submission, submitted_file
from pipelines.ingest.personal import header_kind, screen_text
from pipelines.reference import alias_rows, read_seed


# ---------------------------------------------------------------------------------------------- headers
@pytest.mark.parametrize("header", [
    "nom_victime", "Nom de la victime", "Nom des victimes", "Prénom", "Date de naissance de l'enfant",
    "الاسم الكامل", "اسم الطفلة", "تاريخ الميلاد", "رقم الهاتف", "رقم القضية",
    "Name of child", "Birthday", "Victim's name", "Child full name", "details of what happened", "Case ID",
    "Case No.", "E-mail", "Victim e-mail", "Home address", "DOB",
    "Nombre de la víctima", "Nombre completo", "Fecha de nacimiento", "Número de caso", "Relato de los hechos",
    "Nome da criança", "Data de nascimento", "Número do processo", "Endereço", "O que aconteceu",
])
def test_headers_naming_personal_data_in_every_language(header):
    assert header_kind(header), header


@pytest.mark.parametrize("header", [
    "Indicator name", "Country name", "Nombre de victimes", "Nombre d'enfants", "Nombre", "Nom de l'indicateur",
    "nombre del indicador", "Nome do indicador", "اسم المؤشر", "اسم البلد", "Number of cases", "Número de casos",
    "Nombre d'affaires", "Telephone helpline contacts", "E-mail contacts to the helpline", "Age not known",
    "Source", "Ministry of Interior", "Comment", "Observaciones", "Observações", "ملاحظات", "Year", "Unit",
])
def test_aggregate_headers_are_not_personal_data(header):
    assert header_kind(header) is None, header


def test_no_label_of_the_catalogue_or_the_aliases_is_taken_for_personal_data():
    labels = [r["alias"] for r in alias_rows()] + [r["indicator_name"] for r in read_seed("indicators")] \
        + [r["name"] for r in read_seed("ref_areas")]
    assert len(labels) > 3000
    assert [x for x in labels if header_kind(x)] == []


# ---------------------------------------------------------------------------------------------- free text
PERSONAL_TEXT = [
    ("KE", "Victim Amina Wanjiru, born 04/03/2011, lives in Kisumu; mother's phone 0712 345 678"),
    ("KE", "The girl was 12 years old when she was abused on 3 March 2023"),
    ("KE", "Contact the family at wanjiru.family@gmail.com"),
    ("KE", "Child named John lives at 14 Moi Avenue"),
    ("KE", "Mr. Otieno reported the case; the boy is 9 years old"),
    ("FR", "La victime, Marie Dupont, née le 12/05/2010, domiciliée 5 rue des Lilas, tél. 06 12 34 56 78"),
    ("FR", "L'enfant s'appelle Lucas et a 9 ans"),
    ("FR", "Fillette de 8 ans, abusée le 2 février 2023 par son oncle"),
    ("ES", "La víctima María López, nacida el 3 de marzo de 2011, teléfono 612 345 678"),
    ("MX", "Niña de 13 años, domicilio Calle Hidalgo 15, Puebla"),
    ("BR", "A vítima Ana Souza, nascida em 12/03/2012, mora na Rua das Flores, 120; telefone (11) 98765-4321"),
    ("BR", "Menino chamado Pedro, 10 anos"),
    ("JO", "الطفلة اسمها فاطمة، مواليد 12/03/2011، هاتف 0791234567"),
    ("JO", "المدعو أحمد علي، شارع الملك حسين"),
]
AGGREGATE_TEXT = [
    ("KE", "Provisional figures; final data expected in 2025."),
    ("KE", "Break in series in 2022: new case management system."),
    ("KE", "Source: Ministry of Interior, National Police Service"),
    ("KE", "Includes attempted offences. Age not known for 12 victims."),
    ("KE", "Data extracted on 15 January 2024 from the police database."),
    ("KE", "Reported by the Child Protection Unit and the Directorate of Criminal Investigations"),
    ("KE", "Victims aged 12 to 17; 2019-2023 data revised"),
    ("KE", "Convictions under the Sexual Offences Act 2006, sections 8-11"),
    ("KE", "1 297 474 reports were received in 2023 by the hotline"),
    ("KE", "Child population 2023: 24 456 789 (census projection)"),
    ("PH", "Cases filed with the Department of Justice Office of Cybercrime, 2019-2021"),
    ("PH", "Includes 2,345 reports forwarded by NCMEC (CyberTipline)"),
    ("UG", "Victims are girls and boys under 18; counts revised in March 2024"),
    ("FR", "Chiffres provisoires. Source : Ministère de l'Intérieur, Direction centrale de la police judiciaire"),
    ("FR", "Rupture de série en 2021 (nouveau logiciel de la gendarmerie)"),
    ("FR", "Victimes âgées de 15 à 17 ans ; données révisées en 2023"),
    ("FR", "Données au 31/12/2023, France métropolitaine et DROM"),
    ("ES", "Cifras preliminares. Fuente: Fiscalía General del Estado, 2023"),
    ("MX", "Incluye tentativas. Edad no especificada para 4 víctimas."),
    ("AR", "Datos del Ministerio de Justicia y Derechos Humanos, Línea 102"),
    ("BR", "Dados preliminares. Fonte: Ministério dos Direitos Humanos e da Cidadania, Disque 100"),
    ("BR", "Inclui denúncias do Conselho Tutelar e da Polícia Civil de São Paulo"),
    ("PT", "Vítimas com idade entre 14 e 17 anos; dados de 2022 revistos"),
    ("JO", "أرقام أولية. المصدر: وزارة الداخلية، مديرية الأمن العام 2023"),
    ("JO", "بيانات منقحة لعام 2022"),
    ("MA", "الضحايا من الأطفال دون 18 سنة، حسب المديرية العامة للأمن الوطني"),
]


@pytest.mark.parametrize("region,text", PERSONAL_TEXT)
def test_free_text_about_a_person_fails_the_screen(region, text):
    assert screen_text(text, region).personal, text


@pytest.mark.parametrize("region,text", AGGREGATE_TEXT)
def test_footnotes_of_aggregate_statistics_pass_the_screen(region, text):
    s = screen_text(text, region)
    assert not s.personal, (text, s)


# ---------------------------------------------------------------------------------------------- files
def _read(home, tmp_path, name, content, country):
    f = tmp_path / name
    if isinstance(content, list):   # rows of a workbook
        wb = openpyxl.Workbook()
        for row in content:
            wb.active.append(row)
        wb.save(f)
    else:
        f.write_text(content, encoding="utf-8")
    receipt, _ = submit(home, f, country)
    return receipt, read_submission(home, receipt)


CASE_ROWS = "".join(f"KE/{2023}/{n:04d},CJ_VICTIMS_IDENTIFIED,2023,{'F' if n % 2 else 'M'},Y0T17,1\n"
                    for n in range(1, 9))
PERSONAL_FILES = {
    "nom_victime.csv": ("FRA", "nom_victime;indicateur;annee;valeur\nMarie D.;CJ_VICTIMS_IDENTIFIED;2023;1\n"),
    "arabic_names.csv": ("JOR", "الاسم الكامل,المؤشر,السنة,القيمة\nفاطمة علي,الملاحقات القضائية,2022,1\n"),
    "name_birthday.xlsx": ("KEN", [["Police victims register 2023"], [],
                                   ["Name of child", "Birthday", "indicator", "time_period", "value"],
                                   ["A. W.", "2011-03-04", "CJ_VICTIMS_IDENTIFIED", 2023, 1]]),
    "narrative_header.csv": ("UGA", "indicator,time_period,value,details of what happened\n"
                                    "CJ_VICTIMS_IDENTIFIED,2023,1,abused by a neighbour\n"),
    "case_level_with_id.csv": ("KEN", "case_id,indicator,time_period,sex,age,value\n" + CASE_ROWS),
    "case_level_unnamed_id.csv": ("KEN", "Ref,indicator,time_period,sex,age,value\n" + CASE_ROWS),
    "case_level_single_ages.csv": ("UGA", "indicator,time_period,sex,age,value\n" + "".join(
        f"CJ_VICTIMS_IDENTIFIED,2023,F,{a},1\n" for a in (12, 14, 9, 15, 13, 16))),
    "dates_of_birth_unnamed.csv": ("PHL", "indicator,time_period,sex,value,Date\n" + "".join(
        f"CJ_VICTIMS_IDENTIFIED,2021,F,{v},{d}\n" for v, d in ((3, "2010-04-02"), (2, "2011-07-19"), (5, "2009-01-30"),
                                                               (1, "2012-11-05"), (4, "2008-06-14"), (2, "2010-02-27")))),
    "narrative_in_notes.csv": ("UGA", "indicator,time_period,value,Officer\nCJ_VICTIMS_IDENTIFIED,2023,7,\n"
                                      "CJ_PROSECUTIONS,2023,4,The victim Grace Atim lives near Gulu market\n"),
    "names_as_values.csv": ("MEX", "Indicador,Año,Nombre\nCJ_VICTIMS_IDENTIFIED,2023,María López\n"
                                   "CJ_VICTIMS_IDENTIFIED,2023,Ana Pérez\n"),
    "phone_in_indicator.json": ("BRA", json.dumps([{"indicator": "ligar para 11 98765-4321", "time_period": 2022,
                                                    "value": 3}])),
}


@pytest.mark.parametrize("name", sorted(PERSONAL_FILES))
def test_files_that_are_personal_data_are_refused_without_quoting_them(mnr_home, tmp_path, name):
    country, content = PERSONAL_FILES[name]
    receipt, result = _read(mnr_home, tmp_path, name, content, country)
    assert result.quarantined and len(result.records) == 0
    assert [(f.rule_id, f.level, f.severity) for f in result.findings] == [("PERSONAL_DATA", 0, "error")]
    f = result.findings[0]
    assert f.value is None and f.expected is None
    text = json.dumps(f.__dict__, ensure_ascii=False, default=str)
    for planted in ("Marie D.", "فاطمة", "A. W.", "2011-03-04", "neighbour", "KE/2023/0001", "2010-04-02",
                    "Grace", "María", "98765"):
        assert planted not in text
    quarantine(mnr_home, receipt)
    kept = mnr_home.quarantine / country / receipt.submission_id / receipt.file_name
    assert kept.read_bytes() == (tmp_path / name).read_bytes()
    # Only the quarantined original is kept: the landing archive holds the receipt, not the file.
    assert not receipt.path(mnr_home).exists() and submitted_file(mnr_home, receipt) == kept
    assert read_submission(mnr_home, receipt).quarantined   # a re-run reads the quarantined original


AGGREGATE_FILES = {
    "en_long.csv": ("KEN", "ref_area,time_period,indicator,sex,age,value,source,comment\n"
                           "KEN,2023,CJ_VICTIMS_IDENTIFIED,F,Y0T17,167,Ministry of Interior,Provisional figures\n"
                           "KEN,2023,CJ_VICTIMS_IDENTIFIED,M,Y0T17,52,Ministry of Interior,Provisional figures\n"
                           "KEN,2023,CJ_VICTIMS_IDENTIFIED,_U,Y0T17,3,Ministry of Interior,Age not known for 3\n"
                           "KEN,2023,CJ_PROSECUTIONS,_T,_T,118,Office of the Director of Public Prosecutions,"
                           "Break in series in 2022: new case management system\n"
                           "KEN,2022,CJ_PROSECUTIONS,_T,_T,97,Office of the Director of Public Prosecutions,\n"),
    "fr_wide.csv": ("FRA", "Indicateur;Pays;2021;2022;2023;Source\n"
                           "Poursuites;France;1 204;1 310;1 402;Ministère de la Justice\n"
                           "Victimes identifiées;France;3 500;3 700;3 950;Ministère de l'Intérieur (SSMSI)\n"),
    "es_title_rows.xlsx": ("MEX", [["Secretaría de Seguridad y Protección Ciudadana"],
                                   ["Delitos contra menores, 2021-2023"], [],
                                   ["Indicador", "Año", "Sexo", "Edad", "Valor", "Observaciones"],
                                   ["Procesamientos", 2022, "Mujeres", "Menores de 18", 7, "Cifras preliminares"],
                                   ["Procesamientos", 2023, "Mujeres", "Edad no especificada", 2, "Revisado en 2024"],
                                   [], ["Fuente: Fiscalía General de la República, 2024"]]),
    "pt_semicolon.csv": ("BRA", "Ano;Indicador;Sexo;Valor;Observações\n"
                                "2022;Pessoas acusadas;Meninas;3;Dados preliminares do Disque 100\n"
                                "2023;Pessoas acusadas;Meninas;5;Fonte: Ministério dos Direitos Humanos\n"),
    "ar_long.csv": ("JOR", "السنة,المؤشر,الجنس,القيمة,ملاحظات\n2022,الملاحقات القضائية,إناث,9,أرقام أولية\n"
                           "2023,الملاحقات القضائية,إناث,11,المصدر: وزارة الداخلية 2023\n"),
    # Laws in force are 1 (yes): a column of ones is not a case-level file.
    "laws_all_ones.csv": ("GHA", "indicator,time_period,value\n" + "".join(
        f"{c},2023,1\n" for c in ("PG_LAW_GROOMING", "PG_LAW_CSAM_POSSESSION", "PG_LAW_LIVESTREAMING",
                                  "PG_LAW_SEXTORTION", "PG_LAW_CSAM_REPORTING_DUTY", "PG_NATIONAL_STRATEGY"))),
    # A small country's counts can all be 1 across distinct breakdowns.
    "small_counts_all_ones.csv": ("TUV", "indicator,time_period,sex,age,value\n" + "".join(
        f"CJ_VICTIMS_IDENTIFIED,{y},{s},Y0T17,1\n" for y in (2022, 2023) for s in ("F", "M", "_U"))),
    # A reference date repeated on every row is not a date about a person.
    "extraction_date.csv": ("UGA", "indicator,time_period,value,extracted\n" + "".join(
        f"CJ_PROSECUTIONS,{y},{10 + y % 7},2024-01-15\n" for y in range(2015, 2024))),
}


def _law_codes():
    return {r["indicator_code"] for r in read_seed("indicators") if r["unit_measure"] == "BOOL"}


@pytest.mark.parametrize("name", sorted(AGGREGATE_FILES))
def test_aggregate_files_in_five_languages_pass(mnr_home, tmp_path, name):
    country, content = AGGREGATE_FILES[name]
    if name == "laws_all_ones.csv":
        laws = sorted(_law_codes())
        assert len(laws) >= 5
        content = "indicator,time_period,value\n" + "".join(f"{c},2023,1\n" for c in laws)
    _, result = _read(mnr_home, tmp_path, name, content, country)
    assert not result.quarantined, result.findings
    assert [f for f in result.findings if f.rule_id in ("PERSONAL_DATA", "COMMENT_WITHHELD")] == []
    assert len(result.records) > 0


SUBMISSIONS = [p for p in sorted(SAMPLES.glob("*.*")) if p.name != "samples.json"]


@pytest.mark.parametrize("path", [*SUBMISSIONS, *sorted((FIXTURES / "files").glob("*clean*"))], ids=lambda p: p.name)
def test_bundled_samples_and_clean_fixtures_pass(mnr_home, path):
    receipt, _ = submit(mnr_home, path, "KEN")
    result = read_submission(mnr_home, receipt)
    assert not result.quarantined
    assert [f for f in result.findings if f.rule_id in ("PERSONAL_DATA", "COMMENT_WITHHELD")] == []


def test_a_comment_about_a_child_is_withheld_and_the_value_kept(mnr_home, tmp_path):
    narrative = "Victim Amina Wanjiru, born 04/03/2011, Kisumu; mother's phone 0712 345 678"
    receipt, result = _read(mnr_home, tmp_path, "comments.csv",
                            "indicator,time_period,sex,age,value,comment\n"
                            f"CJ_VICTIMS_IDENTIFIED,2023,F,Y0T17,41,\"{narrative}\"\n"
                            "CJ_VICTIMS_IDENTIFIED,2023,M,Y0T17,12,Provisional figures (revised in 2024)\n", "KEN")
    assert not result.quarantined
    assert list(result.records["value_num"]) == [41.0, 12.0]
    comments = [c if isinstance(c, str) else None for c in result.records["comment_raw"]]
    assert comments == [None, "Provisional figures (revised in 2024)"]
    (f,) = [f for f in result.findings if f.rule_id == "COMMENT_WITHHELD"]
    assert (f.severity, f.row, f.column, f.value) == ("warning", 2, "comment", None)
    assert "phone number" in f.message and "name" in f.message
    assert "Amina" not in f.message and "0712" not in f.message
