"""Find the table in a grid of cells and turn it into one record per data cell, with lineage.

Layouts (DESIGN.md section 5):
- long: one value per row (columns indicator, time_period, value, ...), the canonical layout;
- wide by year: indicators as rows, years as columns;
- wide by indicator: years as rows, indicators as columns.
The header row is the first row whose cells are recognised as column names (aliases in seeds/aliases.csv,
in several languages); title rows above it are skipped, and the block ends at the first blank row, so notes
below the table are not read as data. Every record keeps where it came from (sheet, row, column).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pipelines.ingest.readers import Table, column_letter
from pipelines.quality.findings import Finding
from pipelines.reference import aliases, closest_labels, normalise_label, read_seed

FIELDS = ("ref_area", "time_period", "indicator", "sex", "age", "offence", "value", "unit", "obs_status", "comment")
REQUIRED = ("indicator", "time_period", "value")
RECORD_COLUMNS = (
    "sheet", "file_row", "source_ref", "value_column",
    *(f"{f}_raw" for f in FIELDS), "value_num", "value_state",
)
# Recognised missing-value markers (DESIGN.md section 5): kept as "no value", never turned into a number.
MISSING_MARKERS = {"", "..", "nan", "#n/a", "n/a", "n/d", "s/o", "-", "na", "…", "x"}
_YEAR = re.compile(r"^\s*((?:19|20)\d\d)(?:\.0+)?\s*$")
HEADER_SCAN_ROWS = 30


@dataclass
class ColumnMap:
    sheet: str | None
    header_row: int                       # 1-based file row
    fields: dict[str, int]                # field -> column index
    year_columns: dict[int, int]          # column index -> year
    indicator_columns: dict[int, str]     # column index -> indicator label as written
    headers: list[str]

    @property
    def layout(self) -> str:
        if "value" in self.fields:
            return "long"
        if self.year_columns and "indicator" in self.fields:
            return "wide_years"
        if self.indicator_columns and "time_period" in self.fields:
            return "wide_indicators"
        return "unknown"


def _personal_labels() -> list[str]:
    return [normalise_label(r["label"]) for r in read_seed("personal_data_labels")]


def personal_data_columns(headers: list[str]) -> list[str]:
    """Headers naming personal data. One-word labels ("name") must be the whole header, so that
    "Indicator name" is not mistaken for a person's name; longer labels ("date of birth") may be part of it."""
    labels = _personal_labels()
    found = []
    for h in headers:
        n = normalise_label(h)
        if n and any(
            n == lab or (" " in lab and re.search(rf"(^| ){re.escape(lab)}( |$)", n)) for lab in labels
        ):
            found.append(h)
    return found


def map_header(row: list[str], country: str | None, sheet: str | None, header_row: int) -> ColumnMap:
    column_alias = aliases("column", country)
    indicator_alias = aliases("indicator", country)
    fields: dict[str, int] = {}
    years: dict[int, int] = {}
    indicator_cols: dict[int, str] = {}
    for i, cell in enumerate(row):
        key = normalise_label(cell)
        if not key:
            continue
        if key in column_alias and column_alias[key] not in fields:
            fields[column_alias[key]] = i
        elif _YEAR.match(cell):
            years[i] = int(_YEAR.match(cell).group(1))
        elif key in indicator_alias:
            indicator_cols[i] = cell
    return ColumnMap(sheet, header_row, fields, years, indicator_cols, list(row))


def find_header(table: Table, country: str | None) -> ColumnMap | None:
    best: ColumnMap | None = None
    for idx, row in enumerate(table.rows[:HEADER_SCAN_ROWS]):
        if not any(c.strip() for c in row):
            continue
        cm = map_header(row, country, table.sheet, idx + 1)
        if cm.layout != "unknown":
            return cm
        score = len(cm.fields) + len(cm.year_columns) + len(cm.indicator_columns)
        if best is None or score > len(best.fields) + len(best.year_columns) + len(best.indicator_columns):
            best = cm
    return best if best is not None and best.layout != "unknown" else None


def detect_decimal_comma(values: list[str]) -> bool:
    """True when the file writes decimals with a comma (12,5) rather than a point."""
    comma = point = 0
    for v in values:
        s = v.strip().replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
        if re.fullmatch(r"-?\d+,\d+", s) and not re.fullmatch(r"-?\d{1,3}(,\d{3})+", s):
            comma += 1
        elif re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", s) or re.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}", s):
            comma += 1
        elif re.fullmatch(r"-?\d+\.\d+", s) and not re.fullmatch(r"-?\d{1,3}(\.\d{3})+", s):
            point += 1
        elif re.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+", s) or re.fullmatch(r"-?\d{1,3}(,\d{3}){2,}", s):
            point += 1
    return comma > point


def parse_number(text: str, decimal_comma: bool) -> float | None:
    """A number as countries write it: 1 297 474, 1.297.474, 1,297,474, 12,5 (decimal comma), 12.5."""
    s = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if s.endswith("%"):
        s = s[:-1].strip()
    if re.fullmatch(r"[-+]?\d{1,3}( \d{3})+([.,]\d+)?", s):
        s = s.replace(" ", "")
    thousands, decimal = (".", ",") if decimal_comma else (",", ".")
    if re.fullmatch(rf"[-+]?\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d+)?", s):
        s = s.replace(thousands, "")
    s = s.replace(decimal, ".")
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", s):
        return None
    try:
        return float(s)
    except ValueError:
        return None


def extract_records(table: Table, country: str | None) -> tuple[pd.DataFrame, list[Finding], ColumnMap | None]:
    """One record per data cell of the table, and the findings about its structure."""
    findings: list[Finding] = []
    where = {"sheet": table.sheet}
    if not any(any(c.strip() for c in r) for r in table.rows):
        return _empty(), findings, None
    cm = find_header(table, country)
    # Personal data is refused whatever else the header holds.
    scan_headers = cm.headers if cm else [c for r in table.rows[:HEADER_SCAN_ROWS] for c in r]
    personal = personal_data_columns(scan_headers)
    if personal:
        findings.append(Finding(
            rule_id="PERSONAL_DATA", level=0, severity="error",
            message=(
                "The file has columns that hold personal data (" + ", ".join(sorted(set(personal))[:5]) + "). "
                "Only aggregate counts may be sent: remove every column about individual people and send totals "
                "per indicator, year and breakdown. The file has been quarantined and nothing from it was loaded."
            ),
            column=", ".join(sorted(set(personal))[:5]), **where,
        ))
        return _empty(), findings, cm
    if cm is None:
        findings.append(Finding(
            rule_id="NO_HEADER", level=0, severity="error",
            message=(
                "No header row was found in the first 30 rows. The table needs a header row naming at least the "
                "columns indicator, time_period (year) and value, or indicators as rows with years as column "
                "headers. The Excel template (mnr template) has the expected layout."
            ), **where,
        ))
        return _empty(), findings, None
    missing = [f for f in REQUIRED if f not in cm.fields and not (
        (f == "value" and cm.layout in ("wide_years", "wide_indicators"))
        or (f == "time_period" and cm.layout == "wide_years")
        or (f == "indicator" and cm.layout == "wide_indicators")
    )]
    if missing:
        findings.append(Finding(
            rule_id="MISSING_COLUMN", level=0, severity="error",
            message=f"The header in row {cm.header_row} has no column for {', '.join(missing)}. Add it (see the template).",
            row=cm.header_row, expected=", ".join(missing), **where,
        ))
        return _empty(), findings, cm

    findings.extend(_unread_columns(cm, country))

    block: list[tuple[int, list[str]]] = []
    for idx in range(cm.header_row, len(table.rows)):
        row = table.rows[idx]
        if not any(c.strip() for c in row):
            if block:
                break
            continue
        block.append((idx + 1, row))
    value_cells = _value_cells(cm, block)
    decimal_comma = detect_decimal_comma([v for _, _, v in value_cells])

    def cell(row: list[str], i: int | None) -> str:
        return row[i].strip() if i is not None and i < len(row) else ""

    recs: dict[str, list] = {c: [] for c in RECORD_COLUMNS}
    for file_row, row, col in _cell_positions(cm, block):
        base = {f: cell(row, cm.fields.get(f)) for f in FIELDS}
        if cm.layout == "wide_years":
            base["time_period"] = str(cm.year_columns[col])
            base["value"] = cell(row, col)
        elif cm.layout == "wide_indicators":
            base["indicator"] = cm.headers[col].strip()
            base["value"] = cell(row, col)
        raw_value = base["value"]
        if normalise_label(raw_value) in MISSING_MARKERS or raw_value.strip().lower() in MISSING_MARKERS:
            num, state = None, "missing"
        else:
            num = parse_number(raw_value, decimal_comma)
            state = "number" if num is not None else "text"
        letter = column_letter(col)
        recs["sheet"].append(table.sheet)
        recs["file_row"].append(file_row)
        recs["source_ref"].append(
            f"{table.sheet}!{letter}{file_row}" if table.sheet is not None
            else (f"record {file_row - 1}, field {cm.headers[col]}" if table.kind == "json"
                  else f"row {file_row}, column {cm.headers[col]}")
        )
        recs["value_column"].append(cm.headers[col])
        for f in FIELDS:
            recs[f"{f}_raw"].append(base[f] if base[f] != "" else None)
        recs["value_num"].append(num)
        recs["value_state"].append(state)
    return pd.DataFrame(recs, columns=list(RECORD_COLUMNS)), findings, cm


# SDMX-CSV bookkeeping columns: expected, not data.
SDMX_COLUMNS = {"structure", "structure id", "structure name", "action", "dataflow", "series key", "obs key"}


def _unread_columns(cm: ColumnMap, country: str | None) -> list[Finding]:
    """Header cells that are not read. In a table with indicators as columns an unknown header is an unknown
    indicator (its values would be lost: an error); elsewhere it is a column we do not use (a note)."""
    used = set(cm.fields.values()) | set(cm.year_columns) | set(cm.indicator_columns)
    out = []
    for i, header in enumerate(cm.headers):
        if i in used or not header.strip() or normalise_label(header) in SDMX_COLUMNS:
            continue
        where = {"sheet": cm.sheet, "row": cm.header_row, "column": header, "value": header}
        if cm.layout == "wide_indicators":
            hint = closest_labels("indicator", header)
            out.append(Finding(
                rule_id="UNKNOWN_INDICATOR", level=1, severity="error",
                message=f"The column '{header}' is not a known indicator, so its values cannot be read. Rename it "
                        "to an indicator code or name from the template" + (f"; closest known: {'; '.join(hint)}." if hint else "."),
                expected="; ".join(hint) or None, **where,
            ))
        else:
            out.append(Finding(
                rule_id="UNREAD_COLUMN", level=0, severity="info",
                message=f"The column '{header}' is not one of the expected columns and was not read. If it holds "
                        "data, rename it to a column of the template (indicator, time_period, sex, age, offence, "
                        "value, unit, obs_status, comment).",
                **where,
            ))
    return out


def _cell_positions(cm: ColumnMap, block: list[tuple[int, list[str]]]):
    value_cols = (
        [cm.fields["value"]] if cm.layout == "long"
        else sorted(cm.year_columns) if cm.layout == "wide_years"
        else sorted(cm.indicator_columns)
    )
    for file_row, row in block:
        for col in value_cols:
            yield file_row, row, col


def _value_cells(cm: ColumnMap, block):
    return [(r, c, row[c] if c < len(row) else "") for r, row, c in _cell_positions(cm, block)]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in RECORD_COLUMNS})
