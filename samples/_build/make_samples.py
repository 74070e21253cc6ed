"""Write the bundled demo submissions in samples/ (run: python samples/_build/make_samples.py).

Seven countries, in the formats and layouts countries really send: long CSV, French CSV (semicolons, decimal
comma, Windows-1252), a Portuguese JSON export, SDMX-CSV 2.0, an Excel workbook with title rows and years as
columns, a wide CSV with indicators as columns, and an Arabic workbook. UGA and JOR carry planted defects.
Magnitudes follow ../shared research notes (real orders of magnitude, not real country figures).
"""

import csv
import io
import json
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent.parent


def write_csv(name, rows, delimiter=",", encoding="utf-8"):
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if encoding != "utf-8" else "\n").writerows(rows)
    (OUT / name).write_bytes(buf.getvalue().encode(encoding))


# KEN: the canonical long layout, English, clean.
ken = [["indicator", "time_period", "sex", "age", "offence", "value", "unit", "obs_status", "comment"]]
for year, (reports, cases, arrested, prosecuted, convicted) in {
    2021: (14250, 612, 188, 97, 41), 2022: (18933, 704, 221, 118, 52), 2023: (21410, 790, 240, 131, 60),
}.items():
    ken += [
        ["CJ_REPORTS_RECEIVED", year, "", "", "", reports, "NUMBER", "A", ""],
        ["CJ_CASES_OPENED", year, "", "", "", cases, "", "A", ""],
        ["CJ_SUSPECTS_ARRESTED", year, "", "", "", arrested, "PERSONS", "A", ""],
        ["CJ_PROSECUTIONS", year, "", "", "", prosecuted, "PERSONS", "A", ""],
        ["CJ_CONVICTIONS", year, "", "", "", convicted, "PERSONS", "P" if year == 2023 else "A",
         "Provisional: appeals pending" if year == 2023 else ""],
        ["CJ_VICTIMS_IDENTIFIED", year, "F", "Y0T17", "", 140 + year % 10 * 9, "", "A", ""],
        ["CJ_VICTIMS_IDENTIFIED", year, "M", "Y0T17", "", 61 + year % 10 * 4, "", "A", ""],
        ["CJ_VICTIMS_IDENTIFIED", year, "_T", "Y0T17", "", 201 + year % 10 * 13, "", "A", ""],
        ["VS_HELPLINE_CONTACTS_CSEA", year, "", "", "", 3120 + year % 10 * 250, "NUMBER", "A", ""],
        ["PG_LAW_GROOMING", year, "", "", "", 1, "", "A", "Computer Misuse and Cybercrimes Act 2018, s. 16"],
        ["CJ_SPECIALISED_UNIT", year, "", "", "", 1, "", "A", ""],
    ]
write_csv("KEN_police_and_courts_2021-2023.csv", ken)

# FRA: French labels, semicolons, decimal comma, thousands with spaces, Windows-1252.
fra = [["Indicateur", "Année", "Sexe", "Valeur", "Unité", "Commentaire"]]
for year, reports, removed, pros in ((2022, "96 812", "71,5", 1204), (2023, "104 377", "76,2", 1311)):
    fra += [
        ["Signalements reçus", year, "Total", reports, "", ""],
        ["Poursuites", year, "Total", pros, "", "Données du ministère de la Justice"],
        ["% du matériel notifié retiré sous 3 jours", year, "", removed, "%", ""],
        ["Dispositif de signalement (hotline)", year, "", "", "", "non collecté"],
    ]
write_csv("FRA_statistiques_2022-2023.csv", fra, delimiter=";", encoding="cp1252")

# BRA: a JSON export with Portuguese labels.
bra = []
for year, contacts, confirmed in ((2021, 41230, 11206), (2022, 45872, 12904), (2023, 50331, 14417)):
    bra += [
        {"indicador": "Contatos da linha de ajuda sobre abuso sexual", "ano": year, "valor": contacts},
        {"indicador": "SO_HOTLINE_CSAM_CONFIRMED", "ano": year, "valor": confirmed, "unidade": "número"},
        {"indicador": "SO_HOTLINE_STATUS", "ano": year, "valor": "INHOPE_MEMBER"},
    ]
(OUT / "BRA_indicadores_2021-2023.json").write_text(json.dumps(bra, ensure_ascii=False, indent=1) + "\n")

# ZAF: SDMX-CSV 2.0, clean.
zaf = [["STRUCTURE", "STRUCTURE_ID", "ACTION", "REF_AREA", "INDICATOR", "SEX", "AGE", "TIME_PERIOD", "OBS_VALUE",
        "UNIT_MEASURE", "OBS_STATUS"]]
for year, ref, conv in ((2022, 5310, 88), (2023, 5987, 97)):
    zaf += [
        ["dataflow", "MNR:DF_OCSEA(1.0)", "I", "ZAF", "CJ_REPORTS_RECEIVED", "_T", "_T", year, ref, "NUMBER", "A"],
        ["dataflow", "MNR:DF_OCSEA(1.0)", "I", "ZAF", "CJ_CONVICTIONS", "_T", "_T", year, conv, "PERSONS", "A"],
        ["dataflow", "MNR:DF_OCSEA(1.0)", "I", "ZAF", "PG_LAW_CSAM_SPECIFIC", "_Z", "_Z", year, 1, "BOOL", "A"],
    ]
write_csv("ZAF_sdmx_2022-2023.csv", zaf)

# PHL: Excel with title rows, indicators as rows and years as columns, footnotes and a notes sheet.
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Data"
ws.append(["Department of Justice – Office of Cybercrime"])
ws.append(["OCSEA administrative statistics, 2019–2021"])
ws.append([])
ws.append(["Indicator", "Unit", 2019, 2020, 2021])
ws.append(["CyberTipline referrals received nationally", "number", 418422, 1297474, 2802712])
ws.append(["OCSEA investigations/cases opened", "number", 61, 73, 268])
ws.append(["Persons convicted of OCSEA offences", "persons", 19, 24, 31])
ws.append(["National child helpline status", "", "24_7_FREE", "24_7_FREE", "24_7_FREE"])
ws.append([])
ws.append(["Source: DOJ-OOC. 2021 figures are provisional."])
notes = wb.create_sheet("Notes")
notes.append(["Referrals are reports attributed to the Philippines by NCMEC, not victims or cases."])
wb.save(OUT / "PHL_DOJ_OOC_2019-2021.xlsx")

# UGA (planted defects): indicators as columns, years as rows; a negative count, a percentage over 100,
# an unknown indicator and a value written as text.
uga = [["Year", "Cases opened", "Convictions", "% of notified CSAM removed within 3 days", "Child marriages", "Prosecutions"],
       [2021, 143, 22, 64, 310, 51],
       [2022, 158, -3, 112, 298, "about 60"],
       [2023, 171, 30, 71, 305, 66]]
write_csv("UGA_wide_2021-2023.csv", uga)

# JOR (planted defects): Arabic workbook, long layout; an unknown sex label, a duplicate key with a
# different value and a year out of range.
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "البيانات"
ws.append(["المؤشر", "السنة", "الجنس", "القيمة"])
ws.append(["CJ_REPORTS_RECEIVED", 2022, "", 812])
ws.append(["CJ_REPORTS_RECEIVED", 2023, "", 905])
ws.append(["CJ_VICTIMS_IDENTIFIED", 2023, "أنثى", 37])
ws.append(["CJ_VICTIMS_IDENTIFIED", 2023, "ذكر", 12])
ws.append(["CJ_VICTIMS_IDENTIFIED", 2023, "كلاهما؟", 3])
ws.append(["CJ_REPORTS_RECEIVED", 2023, "", 950])
ws.append(["CJ_PROSECUTIONS", 2203, "", 40])
wb.save(OUT / "JOR_bayanat_2022-2023.xlsx")

manifest = {"samples": [
    {"file": "KEN_police_and_courts_2021-2023.csv", "country": "KEN", "format": "CSV, long layout, English"},
    {"file": "FRA_statistiques_2022-2023.csv", "country": "FRA",
     "format": "CSV, semicolons, decimal comma, Windows-1252, French labels"},
    {"file": "BRA_indicadores_2021-2023.json", "country": "BRA", "format": "JSON records, Portuguese labels"},
    {"file": "ZAF_sdmx_2022-2023.csv", "country": "ZAF", "format": "SDMX-CSV 2.0"},
    {"file": "PHL_DOJ_OOC_2019-2021.xlsx", "country": "PHL",
     "format": "Excel, title rows, years as columns, footnote, notes sheet"},
    {"file": "UGA_wide_2021-2023.csv", "country": "UGA", "format": "CSV, indicators as columns",
     "planted_defects": ["negative count", "percentage over 100", "unknown indicator", "text value"]},
    {"file": "JOR_bayanat_2022-2023.xlsx", "country": "JOR", "format": "Excel, Arabic labels, long layout",
     "planted_defects": ["unknown sex label", "duplicate key with a different value", "year out of range"]},
]}
(OUT / "samples.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
