"""The Excel submission template (`mnr template`), built from the catalogue in seeds/.

One sheet per MNR domain in the canonical long layout (DESIGN.md section 5), drop-down lists for every coded
column (the lists live on a hidden "Code lists" sheet), the indicator's name and unit shown beside each row, and
an Instructions sheet with the indicators of each domain. A filled template is read like any other workbook: the
Instructions sheet and the hidden code lists are skipped, and the two helper columns, whose headers end in
"(not read)", are for people only.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.layout import CANONICAL_FIELDS as FIELDS
from pipelines.ingest.layout import HELPER_COLUMN_SUFFIX
from pipelines.reference import indicators, read_seed

DATA_ROWS = 500                 # rows prepared with drop-down lists and helper formulas on each domain sheet
CODE_SHEET = "Code lists"
INSTRUCTIONS_SHEET = "Instructions"
HEADER_NOTES = {
    "ref_area": "Country, ISO 3166-1 alpha-3 (e.g. KEN). May stay empty: the country is given when submitting.",
    "time_period": "Reference year, e.g. 2023. Required.",
    "indicator": "Indicator code, from the drop-down list. Required.",
    "sex": "F, M, _T total, _U unknown. Empty means total (or not applicable).",
    "age": "Age band, e.g. Y0T17. Empty means total (or not applicable).",
    "offence": "Offence code (ICCS based), e.g. 030221 child sexual abuse material. Empty means all offences.",
    "value": "The number. Leave empty if there is no value and say why in obs_status (O = missing).",
    "unit": "Optional; if given it must be the indicator's unit (shown in the grey column).",
    "obs_status": "A normal (default), E estimated, P provisional, O missing, ...",
    "comment": "Your footnote for this value, if any.",
}


def _sheet_title(name: str) -> str:
    for c in '[]:*?/\\':
        name = name.replace(c, " ")
    return name[:31]


def build_template(out: Path, country: str | None = None) -> Path:
    """Write the template workbook to `out` (an .xlsx path) and return it."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    catalogue = sorted(indicators().values(), key=lambda r: (r["mnr_domain"], r["indicator_code"]))
    domains = read_seed("mnr_domains")
    wb = Workbook()
    bold = Font(bold=True)
    grey = PatternFill("solid", fgColor="EEEEEE")
    head = PatternFill("solid", fgColor="DDEBF7")

    # Instructions first: it is the sheet Excel opens on.
    ins = wb.active
    ins.title = INSTRUCTIONS_SHEET
    lines = [
        ("MNR Data Hub: submission template" + (f" for {country}" if country else ""), True),
        ("", False),
        ("How to fill it in", True),
        ("1. Each coloured sheet is one domain of the Model National Response. Write one value per row.", False),
        ("2. Required in every row: time_period (year), indicator (pick the code from the list) and value.", False),
        ("3. Leave sex, age and offence empty for totals. Use the drop-down lists for every code.", False),
        ("4. The grey columns show the indicator's name and unit; they are not read.", False),
        ("5. No value? Leave value empty and put O in obs_status. Never write text such as 'about 60' as a value.", False),
        ("6. Only aggregate counts: never a row or a column about an individual child or person.", False),
        ("7. Do not leave empty rows between your rows: the table ends at the first empty row.", False),
        ("8. Save as .xlsx and submit the file: mnr submit FILE --country ISO3.", False),
        ("", False),
        ("Columns", True),
    ]
    lines += [(f"{f}: {HEADER_NOTES[f]}", False) for f in FIELDS]
    lines += [("", False), ("Indicators", True)]
    for text, strong in lines:
        ins.append([text])
        if strong:
            ins.cell(ins.max_row, 1).font = bold
    ins.append(["indicator_code", "indicator_name", "domain", "unit", "unit_measure", "breakdowns", "description"])
    for c in ins[ins.max_row]:
        c.font = bold
    for r in catalogue:
        ins.append([r["indicator_code"], r["indicator_name"], r["mnr_domain"], r["unit"], r["unit_measure"],
                    r["disaggregations"].replace("|", ", ") or "none", r["description"]])
    for col, width in zip("ABCDEFG", (34, 60, 22, 12, 14, 16, 80)):
        ins.column_dimensions[col].width = width

    # Code lists: one column per list, on a hidden sheet the drop-downs refer to.
    codes = wb.create_sheet(CODE_SHEET)
    countries = [country] if country else [r["ref_area"] for r in read_seed("ref_areas")]
    lists = {
        "indicator": [r["indicator_code"] for r in catalogue],
        "indicator_name": [r["indicator_name"] for r in catalogue],
        "indicator_unit": [f"{r['unit_measure']} ({r['unit']})" for r in catalogue],
        "ref_area": countries,
        "sex": [r["code"] for r in read_seed("cl_sex")],
        "age": [r["code"] for r in read_seed("cl_age")],
        "offence": [r["code"] for r in read_seed("cl_offence")],
        "unit": [r["code"] for r in read_seed("cl_unit_measure")],
        "obs_status": [r["code"] for r in read_seed("cl_obs_status")],
    }
    ranges: dict[str, str] = {}
    for j, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(j)
        codes.cell(1, j, name).font = bold
        for i, v in enumerate(values, start=2):
            codes.cell(i, j, v)
        ranges[name] = f"{quote_sheetname(CODE_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
    codes.sheet_state = "hidden"

    last = DATA_ROWS + 1
    for d in sorted(domains, key=lambda r: int(r["sort_order"])):
        ws = wb.create_sheet(_sheet_title(d["domain_name"]))
        ws.sheet_properties.tabColor = "5B9BD5"
        own = [r for r in catalogue if r["mnr_domain"] == d["domain_code"]]
        headers = [*FIELDS, f"indicator name {HELPER_COLUMN_SUFFIX}", f"unit {HELPER_COLUMN_SUFFIX}"]
        ws.append(headers)
        for j, h in enumerate(headers, start=1):
            cell = ws.cell(1, j)
            cell.font, cell.fill = bold, (grey if j > len(FIELDS) else head)
            if h in HEADER_NOTES:
                cell.comment = Comment(HEADER_NOTES[h], "MNR Data Hub")
        col = {f: get_column_letter(i) for i, f in enumerate(FIELDS, start=1)}
        name_col, unit_col = get_column_letter(len(FIELDS) + 1), get_column_letter(len(FIELDS) + 2)
        # The domain's own indicators go first in its drop-down: a list on the code sheet per domain.
        j = codes.max_column + 1
        codes.cell(1, j, f"indicator {d['domain_code']}").font = bold
        for i, r in enumerate(own, start=2):
            codes.cell(i, j, r["indicator_code"])
        letter = get_column_letter(j)
        domain_range = f"{quote_sheetname(CODE_SHEET)}!${letter}$2:${letter}${max(len(own), 1) + 1}"
        lookup = f"{quote_sheetname(CODE_SHEET)}!$A$2:$C${len(catalogue) + 1}"
        for row in range(2, last + 1):
            if country:
                ws[f"{col['ref_area']}{row}"] = country
            ind = f"{col['indicator']}{row}"
            ws[f"{name_col}{row}"] = f'=IF({ind}="","",IFERROR(VLOOKUP({ind},{lookup},2,FALSE),"unknown code"))'
            ws[f"{unit_col}{row}"] = f'=IF({ind}="","",IFERROR(VLOOKUP({ind},{lookup},3,FALSE),""))'
            ws[f"{name_col}{row}"].fill = grey
            ws[f"{unit_col}{row}"].fill = grey
        for field, source in (("ref_area", ranges["ref_area"]), ("indicator", domain_range),
                              ("sex", ranges["sex"]), ("age", ranges["age"]), ("offence", ranges["offence"]),
                              ("unit", ranges["unit"]), ("obs_status", ranges["obs_status"])):
            dv = DataValidation(type="list", formula1=f"={source}", allow_blank=True, showErrorMessage=True,
                                errorTitle=f"Unknown {field}", error=f"Pick a {field} code from the list.")
            dv.add(f"{col[field]}2:{col[field]}{last}")
            ws.add_data_validation(dv)
        year = DataValidation(type="whole", operator="between", formula1="1990", formula2="2100", allow_blank=True,
                              showErrorMessage=True, error="A year such as 2023.")
        year.add(f"{col['time_period']}2:{col['time_period']}{last}")
        ws.add_data_validation(year)
        value = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="-1000000000000",
                               allow_blank=True, showErrorMessage=True, errorTitle="Not a number",
                               error="Write a number only; explain in comment, or leave empty with obs_status O.")
        value.add(f"{col['value']}2:{col['value']}{last}")
        ws.add_data_validation(value)
        for letter, width in zip([*col.values(), name_col, unit_col], (10, 12, 30, 8, 10, 10, 12, 12, 11, 40, 60, 24)):
            ws.column_dimensions[letter].width = width
        ws.freeze_panes = "A2"
        ws[f"{col['indicator']}2"].alignment = Alignment(horizontal="left")
    out = Path(out)
    wb.save(out)
    return out
