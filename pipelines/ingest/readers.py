"""Turn a submitted file into tables of text cells, whatever its format.

A Table is a grid of strings with the file's own row numbers (1-based, counting title and header rows), so
that every finding can point at the row a country team sees. Format is sniffed from the bytes, not trusted
from the extension. Nothing here raises on bad input: problems become level-0 findings.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.quality.findings import Finding

MAX_COLUMNS = 2000          # a wider "table" is not a statistical table
MAX_CELL_CHARS = 10_000     # longer cells are cut (and reported) rather than loaded
XLSX_MAX_UNCOMPRESSED = 500 * 1024 * 1024   # zip-bomb guard


@dataclass
class Table:
    sheet: str | None               # sheet name for workbooks, None for flat files
    rows: list[list[str]]           # rows[i] is file row i + 1
    kind: str = "csv"               # csv | xlsx | json
    notes: list[str] = field(default_factory=list)


def _level0(rule_id: str, message: str, **kw) -> Finding:
    return Finding(rule_id=rule_id, level=0, severity="error", message=message, **kw)


def read_tables(path: Path) -> tuple[list[Table], list[Finding]]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return [], [_level0("FILE_UNREADABLE", f"The file could not be opened ({e.strerror}). Send it again.")]
    if not data.strip():
        return [], [_level0("FILE_EMPTY", "The file is empty. Send the file that holds your data.")]
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(path)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return [], [_level0(
            "FILE_ENCRYPTED_OR_LEGACY",
            "This is a password-protected workbook or an old .xls file, which cannot be read. Remove the "
            "password and save it as .xlsx (Excel: File > Save As > Excel Workbook), then send it again.",
        )]
    if data[:5] == b"%PDF-":
        return [], [_level0(
            "FILE_NOT_TABULAR",
            "This is a PDF document, not a data table. Send the numbers as CSV or Excel (.xlsx); the Excel "
            "template (mnr template) shows the expected columns.",
        )]
    text, encoding_finding = decode_text(data)
    if text is None:
        return [], [encoding_finding]
    stripped = text.lstrip()
    if stripped[:1] in ("[", "{"):
        return _read_json(text)
    return _read_csv(text)


def decode_text(data: bytes) -> tuple[str | None, Finding | None]:
    """Decode with BOM first, then UTF-8, then the best guess of charset-normalizer."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), None
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096] and data.count(b"\x00") > len(data) // 4:
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                return data.decode(enc), None
            except UnicodeDecodeError:
                continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), None
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("cp1252"), None
    except UnicodeDecodeError:
        return None, _level0(
            "FILE_ENCODING",
            "The text encoding of the file could not be recognised. Save it as CSV UTF-8 "
            "(Excel: File > Save As > CSV UTF-8) and send it again.",
        )


def _clip(value: str) -> str:
    return value[:MAX_CELL_CHARS]


def _read_csv(text: str) -> tuple[list[Table], list[Finding]]:
    if "\x00" in text:
        text = text.replace("\x00", "")
    sample = "\n".join(text.splitlines()[:50])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
        delimiter = max(counts, key=counts.get) if any(counts.values()) else ","
    rows: list[list[str]] = []
    findings: list[Finding] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for row in reader:
            if len(row) > MAX_COLUMNS:
                findings.append(_level0(
                    "FILE_TOO_WIDE",
                    f"Row {reader.line_num} has {len(row)} columns; at most {MAX_COLUMNS} are read. "
                    "Check the delimiter or split the table.", row=reader.line_num,
                ))
                return [], findings
            rows.append([_clip(c) for c in row])
    except csv.Error as e:
        findings.append(_level0(
            "FILE_MALFORMED_CSV",
            f"The CSV could not be read past row {len(rows) + 1}: {e}. Check for an unclosed quote (\").",
            row=len(rows) + 1,
        ))
    return [Table(sheet=None, rows=rows, kind="csv")], findings


def _read_json(text: str) -> tuple[list[Table], list[Finding]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        return [], [_level0(
            "FILE_MALFORMED_JSON",
            f"The JSON is not valid at line {e.lineno}, column {e.colno}: {e.msg}. Fix it and send it again.",
            row=e.lineno,
        )]
    records = doc
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        records = lists[0] if len(lists) == 1 else doc.get("data", doc.get("records"))
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return [], [_level0(
            "FILE_NOT_TABULAR",
            "The JSON must be a list of records, e.g. [{\"indicator\": \"CJ_PROSECUTIONS\", \"time_period\": "
            "2022, \"value\": 41}, ...], or an object with one such list.",
        )]
    header: list[str] = []
    for r in records:
        for k in r:
            if k not in header:
                header.append(k)
    rows = [header] + [["" if r.get(k) is None else _clip(str(r.get(k))) for k in header] for r in records]
    return [Table(sheet=None, rows=rows, kind="json")], []


def _read_xlsx(path: Path) -> tuple[list[Table], list[Finding]]:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        return [], [_level0(
            "FILE_TRUNCATED",
            "The workbook is damaged or incomplete (it may have been cut off in transfer). Open it in Excel, "
            "save it again and send it again.",
        )]
    if "xl/workbook.xml" not in names:
        return [], [_level0(
            "FILE_NOT_TABULAR",
            "This is a zip archive, not an Excel workbook. Send the .xlsx or .csv file itself.",
        )]
    if total > XLSX_MAX_UNCOMPRESSED:
        return [], [_level0(
            "FILE_TOO_LARGE",
            f"The workbook expands to {total / 1e6:.0f} MB, more than can be read safely. Send the data sheets "
            "only, or CSV.",
        )]
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types on damaged files
        return [], [_level0(
            "FILE_TRUNCATED",
            f"The workbook could not be read ({type(e).__name__}). Open it in Excel, save it again and send it again.",
        )]
    tables: list[Table] = []
    try:
        for ws in wb.worksheets:
            rows: list[list[str]] = []
            for row in ws.iter_rows(values_only=True):
                if len(row) > MAX_COLUMNS:
                    row = row[:MAX_COLUMNS]
                rows.append([_cell_text(v) for v in row])
            while rows and not any(c.strip() for c in rows[-1]):
                rows.pop()
            tables.append(Table(sheet=ws.title, rows=rows, kind="xlsx"))
    finally:
        wb.close()
    return tables, []


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "year") and hasattr(v, "month"):
        return str(v.year) if getattr(v, "month", 1) == 1 and getattr(v, "day", 1) == 1 else v.isoformat()
    return _clip(str(v))


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 27 -> AB)."""
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s
