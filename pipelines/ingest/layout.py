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
from dataclasses import dataclass, field

import pandas as pd

from pipelines.ingest.personal import personal_data_columns
from pipelines.ingest.readers import Table, column_letter
from pipelines.quality.findings import Finding
from pipelines.reference import aliases, closest_labels, normalise_label

# The canonical long layout (DESIGN.md section 5), which the Excel template writes.
CANONICAL_FIELDS = ("ref_area", "time_period", "indicator", "sex", "age", "offence", "value", "unit", "obs_status",
                    "comment")
# Every field a file's column can hold: the canonical ones, Eurostat's observation flags and SDMX CONF_STATUS.
FIELDS = (*CANONICAL_FIELDS, "obs_flag", "obs_conf")
# The fields that tell one value of a file from another: rows equal on them hold the same key.
KEY_FIELDS = ("ref_area", "time_period", "indicator", "sex", "age", "offence", "unit")
REQUIRED = ("indicator", "time_period", "value")
RECORD_COLUMNS = (
    "sheet", "file_row", "source_ref", "value_column",
    *(f"{f}_raw" for f in FIELDS), "value_num", "value_state",
)
# Recognised missing-value markers (DESIGN.md section 5): kept as "no value", never turned into a number.
MISSING_MARKERS = {"", "..", "nan", "#n/a", "n/a", "n/d", "s/o", "-", "na", "…", "x", ":"}
# A Eurostat value with its flags: `7644 p`, `12 bep`, `: c` (flags are lower-case letters after a space).
_FLAGGED = re.compile(r"^\s*(:|[-+]?[0-9][0-9.,]*)\s+([a-z]{1,4})\s*$")
_YEAR = re.compile(r"^\s*((?:19|20)\d\d)(?:\.0+)?\s*$")
HEADER_SCAN_ROWS = 30
# A column whose header ends with this is for people only (the template's indicator name and unit): not read.
HELPER_COLUMN_SUFFIX = "(not read)"


def is_helper_column(header: str) -> bool:
    return header.strip().lower().endswith(HELPER_COLUMN_SUFFIX)


@dataclass
class ColumnMap:
    sheet: str | None
    header_row: int                       # 1-based file row
    fields: dict[str, int]                # field -> column index
    year_columns: dict[int, int]          # column index -> year
    indicator_columns: dict[int, str]     # column index -> indicator label as written
    headers: list[str]
    # A second header row under the years (a year merged across F / M / Total columns): column index ->
    # (field, label as written), e.g. {2: ("sex", "Girls")}; the data then start one row lower.
    sub_headers: dict[int, tuple[str, str]] = field(default_factory=dict)
    # Fields a mapping gives as constants (e.g. indicator CJ_OFFENCES_RECORDED for Eurostat's crim_off_cat).
    constants: dict[str, str] = field(default_factory=dict)
    mapping: str | None = None            # the id of the mapping that read the file, if any

    @property
    def last_header_row(self) -> int:
        return self.header_row + (1 if self.sub_headers else 0)

    @property
    def layout(self) -> str:
        given = set(self.fields) | set(self.constants)
        if "value" in given:
            return "long"
        if self.year_columns and "indicator" in given:
            return "wide_years"
        if self.indicator_columns and "time_period" in given:
            return "wide_indicators"
        return "unknown"


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
            if cm.layout == "wide_years" and idx + 1 < len(table.rows):
                cm.sub_headers = _sub_headers(cm, table.rows[idx + 1], country)
            return cm
        score = len(cm.fields) + len(cm.year_columns) + len(cm.indicator_columns)
        if best is None or score > len(best.fields) + len(best.year_columns) + len(best.indicator_columns):
            best = cm
    return best if best is not None and best.layout != "unknown" else None


def _sub_headers(cm: ColumnMap, row: list[str], country: str | None) -> dict[int, tuple[str, str]]:
    """The row under a header of years, when each of its cells under a year is a sex or an age label."""
    out: dict[int, tuple[str, str]] = {}
    for col in cm.year_columns:
        label = row[col].strip() if col < len(row) else ""
        key = normalise_label(label)
        kind = next((k for k in ("sex", "age") if key and key in aliases(k, country)), None)
        if kind is None:
            return {}
        out[col] = (kind, label)
    return out


# A footnote row under a table: a single filled cell starting with a note marker. It ends the data block
# even when no blank row separates it from the table.
_FOOTNOTE = re.compile(
    r"^\s*(\*+|\(\d{1,2}\)|\d{1,2}[).]\s|[\u00b9\u00b2\u00b3\u2070-\u2079]|(notes?|sources?|fuentes?|"
    r"fonte|notas?|remarques?|observations?|nb|n\.b\.|ملاحظة|ملاحظات|المصدر)\b)", re.IGNORECASE)


def _is_footnote(row: list[str]) -> bool:
    filled = [c for c in row if c.strip()]
    return len(filled) == 1 and bool(_FOOTNOTE.match(filled[0]))


def detect_decimal_comma(values: list[str]) -> bool:
    """True when the file writes decimals with a comma (12,5) rather than a point."""
    comma, point = decimal_evidence(values)
    return comma > point


# One group of three digits after a single separator: 1,297 is 1297 or 1.297 depending on the convention.
_AMBIGUOUS = re.compile(r"[-+]?\d{1,3}[.,]\d{3}")


def decimal_evidence(values: list[str]) -> tuple[int, int]:
    """How many values show a decimal comma, and how many a decimal point (unambiguous ones only)."""
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
    return comma, point


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


def extract_records(table: Table, country: str | None, mapping=None
                    ) -> tuple[pd.DataFrame, list[Finding], ColumnMap | None]:
    """One record per data cell of the table, and the findings about its structure. A mapping
    (pipelines/ingest/mappings.py) that matches the table says which column holds what, and which rows are out
    of scope."""
    findings: list[Finding] = []
    where = {"sheet": table.sheet}
    if not any(any(c.strip() for c in r) for r in table.rows):
        return _empty(), findings, None
    cm = mapping.column_map(table) if mapping is not None else find_header(table, country)
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
    missing = [f for f in REQUIRED if f not in cm.fields and f not in cm.constants and not (
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

    findings.extend(_unread_columns(cm, country, mapping))

    block: list[tuple[int, list[str]]] = []
    # Cells that say nothing on their own: a pre-filled country code, the template's helper columns.
    passive = {cm.fields.get("ref_area")} | {i for i, h in enumerate(cm.headers) if is_helper_column(h)}
    end = len(table.rows)
    for idx in range(cm.last_header_row, len(table.rows)):
        row = table.rows[idx]
        if not any(c.strip() for i, c in enumerate(row) if i not in passive):
            if block:
                end = idx
                break
            continue
        if _is_footnote(row):
            end = idx
            break
        block.append((idx + 1, row))
    findings.extend(_rows_below(table, cm, end, passive))
    block, deletions = _sdmx_deletions(table, cm, block)
    findings.extend(deletions)
    if mapping is not None:
        block, left_out = mapping.filter_rows(table, cm, block)
        findings.extend(left_out)
    # The records are kept for the personal-data screen; load.read_submission loads none of them then.
    varying = _varying_unread_column(table, cm, block, mapping)
    if varying is not None:
        findings.append(varying)
    recs, ambiguous = _records(table, cm, block)
    findings.extend(ambiguous)
    return recs, findings, cm


def _records(table: Table, cm: ColumnMap, block: list[tuple[int, list[str]]]) -> tuple[pd.DataFrame, list[Finding]]:
    """The records of the data block, built column-wise (one record per value cell, in row then column order).

    Vectorised for speed (a file can hold hundreds of thousands of cells); parse_numbers() and is_missing()
    give exactly what parse_number() and the missing-marker test give cell by cell (tests/unit/test_layout_vector.py).
    """
    value_cols = (
        [cm.fields["value"]] if cm.layout == "long"
        else sorted(cm.year_columns) if cm.layout == "wide_years"
        else sorted(cm.indicator_columns)
    )
    n_rows, n_cols = len(block), len(value_cols)
    if n_rows == 0:
        return _empty(), []
    file_rows = [r for r, _ in block]

    def column(f: str) -> list[str]:
        if f in cm.constants:
            return [cm.constants[f]] * n_rows
        i = cm.fields.get(f)
        if i is None:
            return [""] * n_rows
        return [row[i].strip() if i < len(row) else "" for _, row in block]

    def per_cell(values: list[str]) -> list[str]:      # one value per block row, repeated for each value column
        return [v for v in values for _ in range(n_cols)]

    base = {f: per_cell(column(f)) for f in FIELDS}
    # Cells in row then column order: row-major over (block row, value column).
    base["value"] = [row[c].strip() if c < len(row) else "" for _, row in block for c in value_cols]
    if table.kind == "eurostat-tsv":
        # Eurostat writes each value's flags in its cell: the number (or ":") is the value, the letters the flag.
        for i, v in enumerate(base["value"]):
            m = _FLAGGED.match(v)
            if m:
                base["value"][i], base["obs_flag"][i] = m.group(1), m.group(2)
    if cm.layout == "wide_years":
        base["time_period"] = [str(cm.year_columns[c]) for c in value_cols] * n_rows
        for kind in ("sex", "age"):
            if any(k == kind for k, _ in cm.sub_headers.values()):
                labels = [cm.sub_headers[c][1] if cm.sub_headers.get(c, ("",))[0] == kind else None
                          for c in value_cols]
                base[kind] = [lab if lab is not None else v
                              for v, lab in zip(base[kind], labels * n_rows)]
    elif cm.layout == "wide_indicators":
        base["indicator"] = [cm.headers[c].strip() for c in value_cols] * n_rows

    values = pd.Series(base["value"], dtype=object)
    comma, point = decimal_evidence_counts(values)
    decimal_comma = comma > point
    missing = is_missing(values)
    num = parse_numbers(values, decimal_comma).where(~missing)
    state = pd.Series("text", index=values.index, dtype=object)
    state[num.notna()] = "number"
    state[missing] = "missing"

    findings: list[Finding] = []
    if not (comma or point):
        stripped = values.str.strip()
        for i in stripped.index[num.notna() & stripped.str.fullmatch(_AMBIGUOUS.pattern)]:
            raw_value, n, col = values[i], float(num[i]), value_cols[i % n_cols]
            findings.append(Finding(
                rule_id="AMBIGUOUS_NUMBER", level=1, severity="warning", sheet=table.sheet,
                row=file_rows[i // n_cols], column=cm.headers[col], value=raw_value, expected=f"{n:g}",
                message=(f"'{raw_value}' could mean {n:g} or {parse_number(raw_value, not decimal_comma):g} "
                         f"depending on the separator convention, and nothing else in the file settles it; it "
                         f"was read as {n:g}. Write numbers without thousands separators (e.g. 1297, 1.297) "
                         "to remove the doubt."),
            ))

    headers = [cm.headers[c] for c in value_cols]
    rows_per_cell = per_cell(file_rows)
    if table.sheet is not None:
        letters = [column_letter(c) for c in value_cols] * n_rows
        refs = [f"{table.sheet}!{letter}{r}" for letter, r in zip(letters, rows_per_cell)]
    elif table.kind == "json":
        refs = [f"record {r - 1}, field {h}" for r, h in zip(rows_per_cell, headers * n_rows)]
    else:
        refs = [f"row {r}, column {h}" for r, h in zip(rows_per_cell, headers * n_rows)]
    recs: dict[str, object] = {
        "sheet": [table.sheet] * (n_rows * n_cols), "file_row": rows_per_cell, "source_ref": refs,
        "value_column": headers * n_rows,
    }
    for f in FIELDS:
        recs[f"{f}_raw"] = [v if v != "" else None for v in base[f]]
    recs["value_num"] = [None if v != v else float(v) for v in num]
    recs["value_state"] = state.tolist()
    return pd.DataFrame(recs, columns=list(RECORD_COLUMNS)), findings


# normalise_label() of a text with an ASCII digit keeps that digit, and no missing-value marker holds one: the
# (costly) normalisation is needed only for texts without a digit.
def is_missing(values: pd.Series) -> pd.Series:
    """Per cell: a missing-value marker, as `normalise_label(v) in MISSING_MARKERS or v.strip().lower() in
    MISSING_MARKERS` says for one cell."""
    values = values.astype(object)
    out = values.str.strip().str.lower().isin(MISSING_MARKERS)
    candidates = ~out & ~values.str.contains(r"[0-9]", regex=True)
    if candidates.any():
        out[candidates] = [normalise_label(v) in MISSING_MARKERS for v in values[candidates]]
    return out


def decimal_evidence_counts(values: pd.Series) -> tuple[int, int]:
    """decimal_evidence() over a column at once (same patterns, same order of tests)."""
    values = values.astype(object)
    values = values[~values.str.strip().str.isdecimal()]   # plain digits match none of the patterns: skip them
    s = (values.str.strip().str.replace(" ", "", regex=False)
         .str.replace("\u00a0", "", regex=False).str.replace("\u202f", "", regex=False))
    comma = ((s.str.fullmatch(r"-?\d+,\d+") & ~s.str.fullmatch(r"-?\d{1,3}(,\d{3})+"))
             | s.str.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+") | s.str.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}"))
    point = ~comma & ((s.str.fullmatch(r"-?\d+\.\d+") & ~s.str.fullmatch(r"-?\d{1,3}(\.\d{3})+"))
                      | s.str.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+") | s.str.fullmatch(r"-?\d{1,3}(,\d{3}){2,}"))
    return int(comma.sum()), int(point.sum())


def parse_numbers(values: pd.Series, decimal_comma: bool) -> pd.Series:
    """parse_number() over a column at once: floats, NaN where the text is not a number."""
    out = pd.Series(float("nan"), index=values.index, dtype="float64")
    values = values.astype(object).str.strip()
    # Plain digits (Unicode decimal digits, which both `\d` and float() accept) need none of the rewriting below.
    plain = values.str.isdecimal()
    if plain.any():
        out[plain] = [float(v) for v in values[plain]]
    s = values[~plain].str.replace("\u00a0", " ", regex=False).str.replace("\u202f", " ", regex=False)
    pct = s.str.endswith("%")
    s = s.where(~pct, s.str[:-1].str.strip())
    spaced = s.str.fullmatch(r"[-+]?\d{1,3}( \d{3})+([.,]\d+)?")
    s = s.where(~spaced, s.str.replace(" ", "", regex=False))
    thousands, decimal = (".", ",") if decimal_comma else (",", ".")
    grouped = s.str.fullmatch(rf"[-+]?\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d+)?")
    s = s.where(~grouped, s.str.replace(thousands, "", regex=False))
    s = s.str.replace(decimal, ".", regex=False)
    ok = s.str.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
    if ok.any():
        out[ok[ok].index] = [_float(v) for v in s[ok]]
    return out


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:     # digits float() does not read (e.g. some non-ASCII digits): not a number
        return float("nan")


def _rows_below(table: Table, cm: ColumnMap, end: int, passive: set) -> list[Finding]:
    """The table ends at its first empty row; rows further down that hold numbers in the value columns look
    like data cut off by a stray empty row: say so rather than lose them silently."""
    value_cols = ([cm.fields["value"]] if cm.layout == "long" else
                  list(cm.year_columns) if cm.layout == "wide_years" else list(cm.indicator_columns))
    for idx in range(end + 1, len(table.rows)):
        row = table.rows[idx]
        if _is_footnote(row) or not any(c.strip() for i, c in enumerate(row) if i not in passive):
            continue
        if any(c < len(row) and parse_number(row[c], False) is not None for c in value_cols):
            return [Finding(
                rule_id="ROWS_BELOW_TABLE", level=0, severity="warning", sheet=table.sheet, row=idx + 1,
                message=(f"The table ends at the empty row {end + 1}, but row {idx + 1} further down holds values "
                         "that were not read. If they are data, remove the empty rows so that they join the table; "
                         "if they are notes, this warning can be ignored."),
            )]
    return []


# SDMX-CSV bookkeeping columns: expected, not data.
SDMX_COLUMNS = {"structure", "structure id", "structure name", "action", "dataflow", "series key", "obs key",
                "last update"}


def _sdmx_column(cm: ColumnMap, name: str) -> int | None:
    return next((i for i, h in enumerate(cm.headers) if normalise_label(h) == name), None)


def structure_ids(table: Table, cm: ColumnMap | None) -> list[str]:
    """The SDMX-CSV dataflow / structure ids as given (STRUCTURE_ID in 2.0, DATAFLOW in 1.0), in file order.
    Recorded, never checked: a country's own dataflow id is not a defect (DESIGN.md section 5)."""
    if cm is None or table.sdmx_version is None:
        return []
    col = _sdmx_column(cm, "structure id" if table.sdmx_version == "2.0" else "dataflow")
    if col is None:
        return []
    seen: list[str] = []
    for row in table.rows[cm.header_row:]:
        v = row[col].strip() if col < len(row) else ""
        if v and v not in seen:
            seen.append(v)
    return seen


def _sdmx_deletions(table: Table, cm: ColumnMap, block):
    """SDMX-CSV 2.0 rows with ACTION D ask to delete values. Deleting published values from a file is not
    done here; the rows are set aside, each with a warning, so that the request is neither lost nor applied
    silently. (pysdmx's reader drops D rows without a word when other actions are present, which is why
    SDMX-CSV is read as CSV here.)"""
    col = _sdmx_column(cm, "action") if table.sdmx_version else None
    if col is None:
        return block, []
    kept, findings = [], []
    for file_row, row in block:
        action = row[col].strip().upper() if col < len(row) else ""
        if action == "D":
            findings.append(Finding(
                rule_id="SDMX_DELETE_NOT_APPLIED", level=0, severity="warning", sheet=table.sheet, row=file_row,
                column=cm.headers[col], value="D",
                message=(f"Row {file_row} has ACTION D (delete). Values are not deleted from a file submission, so "
                         "this row was not read. To withdraw a published value, send the row with ACTION I, an "
                         "empty OBS_VALUE and OBS_STATUS O (missing), or write to the data team."),
            ))
        else:
            kept.append((file_row, row))
    return kept, findings


def unread_column_indexes(cm: ColumnMap, mapping=None) -> list[int]:
    """Columns with a header that nothing reads (SDMX bookkeeping and the template's helper columns aside)."""
    used = set(cm.fields.values()) | set(cm.year_columns) | set(cm.indicator_columns)
    if mapping is not None:
        used |= mapping.filtered_columns(cm)
    return [i for i, h in enumerate(cm.headers) if i not in used and h.strip()
            and normalise_label(h) not in SDMX_COLUMNS and not is_helper_column(h)]


def _varying_unread_column(table: Table, cm: ColumnMap, block, mapping) -> Finding | None:
    """A column that nothing reads but whose value changes between rows that are otherwise the same key (a wealth
    quintile, a region): read without it, those rows would all claim one indicator, year and breakdown. One
    error naming the column, rather than a run of duplicate keys that never name it."""
    unread = unread_column_indexes(cm, mapping)
    if not unread or len(block) < 2:
        return None
    key_cols = [cm.fields[f] for f in KEY_FIELDS if f in cm.fields]

    def cell(row, i):
        return row[i].strip() if i < len(row) else ""

    for col in unread:
        seen: dict[tuple, tuple[int, str]] = {}
        for file_row, row in block:
            key = tuple(cell(row, i) for i in key_cols)
            value = cell(row, col)
            first = seen.setdefault(key, (file_row, value))
            if first[1] != value:
                header = cm.headers[col]
                values = sorted({cell(r, col) for _, r in block} - {""})
                return Finding(
                    rule_id="UNREAD_BREAKDOWN", level=0, severity="error", sheet=table.sheet, row=file_row,
                    column=header, value=value, expected=first[1] or None,
                    message=(f"The column '{header}' is not read, but it tells rows apart that are otherwise the same "
                             f"(rows {first[0]} and {file_row}: '{first[1]}' and '{value}'), so they would give one "
                             f"indicator, year and breakdown several values. The catalogue has no breakdown by "
                             f"'{header}' (values: {', '.join(values[:8])}{', ...' if len(values) > 8 else ''}). "
                             "Send only the rows of its total (e.g. _T or Total), or map the column: "
                             "mnr map FILE --country ISO3 drafts a mapping in which it can be kept to its total."),
                )
    return None


def _unread_columns(cm: ColumnMap, country: str | None, mapping=None) -> list[Finding]:
    """Header cells that are not read. In a table with indicators as columns an unknown header is an unknown
    indicator (its values would be lost: an error); elsewhere it is a column we do not use (a note), unless the
    file's mapping says it is not read on purpose."""
    ignored = mapping.ignored_columns(cm) if mapping is not None else set()
    out = []
    for i in unread_column_indexes(cm, mapping):
        header = cm.headers[i]
        if i in ignored:
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


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in RECORD_COLUMNS})
