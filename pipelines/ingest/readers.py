"""Turn a submitted file into tables of text cells, whatever its format.

A Table is a grid of strings with the file's own row numbers (1-based, counting title and header rows), so
that every finding can point at the row a country team sees. Format is sniffed from the bytes, not trusted
from the extension. Nothing here raises on bad input: problems become level-0 findings.

Formats: CSV (delimiter and encoding detected: UTF-8 with or without BOM, UTF-16 with BOM or without, cp1252,
latin-1), SDMX-CSV 1.0 and 2.0 (CSV whose first header cell is DATAFLOW or STRUCTURE; labels in either form set
aside), Eurostat's bulk TSV (first header cell `dim,dim,...,geo\TIME_PERIOD`), XLSX (every sheet, merged cells
filled from their top-left cell), JSON records.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.quality.findings import Finding
from pipelines.settings import max_file_bytes

MAX_COLUMNS = 2000          # a wider "table" is not a statistical table
MAX_CELL_CHARS = 10_000     # longer cells are cut rather than loaded
MAX_SHEET_CELLS = 20_000_000  # a sheet larger than this is not read (memory guard)
XLSX_MAX_UNCOMPRESSED = 500 * 1024 * 1024   # zip-bomb guard
SNIFF_CHARS = 64 * 1024     # the delimiter is guessed from the start of the file only (a 50 MB line stays cheap)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Signatures of content that is not a table, and what to tell the country team.
NOT_TABULAR = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)
TEMPLATE_HINT = "Send the numbers as CSV or Excel (.xlsx); the Excel template (mnr template) shows the expected columns."


@dataclass
class Table:
    sheet: str | None               # sheet name for workbooks, None for flat files
    rows: list[list[str]]           # rows[i] is file row i + 1
    kind: str = "csv"               # csv | sdmx-csv | eurostat-tsv | xlsx | json
    notes: list[str] = field(default_factory=list)
    hidden: bool = False            # a hidden worksheet (e.g. the template's code lists): never data
    sdmx_version: str | None = None  # "1.0" (DATAFLOW column) or "2.0" (STRUCTURE column) for SDMX-CSV


def _level0(rule_id: str, message: str, **kw) -> Finding:
    return Finding(rule_id=rule_id, level=0, severity="error", message=message, **kw)


def read_tables(path: Path) -> tuple[list[Table], list[Finding]]:
    path = Path(path)
    try:
        size = path.stat().st_size
        limit = max_file_bytes()
        if size > limit:
            return [], [_level0(
                "FILE_TOO_LARGE",
                f"The file is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB limit. Split it by year or "
                "domain and send the parts.",
            )]
        data = path.read_bytes()
    except OSError as e:
        return [], [_level0("FILE_UNREADABLE", f"The file could not be opened ({e.strerror}). Send it again.")]
    if not data.strip():
        return [], [_level0("FILE_EMPTY", "The file is empty. Send the file that holds your data.")]
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _read_xlsx(path)
    if data[:8] == OLE2:
        return [], [_level0(
            "FILE_ENCRYPTED_OR_LEGACY",
            "This is a password-protected workbook or an old .xls file, which cannot be read. Remove the "
            "password (Excel: File > Info > Protect Workbook > Encrypt with Password, clear it) and save it as "
            ".xlsx (File > Save As > Excel Workbook), then send it again.",
        )]
    for magic, what in NOT_TABULAR:
        if data.startswith(magic):
            return [], [_level0("FILE_NOT_TABULAR", f"This is {what}, not a data table. {TEMPLATE_HINT}")]
    text, encoding_finding = decode_text(data)
    if text is None:
        return [], [encoding_finding]
    stripped = text.lstrip("\ufeff \t\r\n")
    head = stripped[:512].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml", "<table", "<head", "<body")) or "<html" in head:
        what = "an XML document" if head.startswith("<?xml") and "<html" not in head else "a web page (HTML)"
        return [], [_level0(
            "FILE_NOT_TABULAR",
            f"This is {what}, not a data table. If it was saved from a browser or exported as 'web page', "
            f"export the table itself instead. {TEMPLATE_HINT}",
        )]
    if _looks_binary(stripped):
        return [], [_level0(
            "FILE_NOT_TABULAR",
            f"The file holds binary content that is neither text nor an Excel workbook. {TEMPLATE_HINT}",
        )]
    if stripped[:1] in ("[", "{"):
        return _read_json(stripped)
    return _read_csv(text)


def _looks_binary(text: str) -> bool:
    """Control characters other than tab and line breaks are not found in text tables."""
    sample = text[:4096]
    if not sample:
        return False
    controls = sum(1 for c in sample if (ord(c) < 32 and c not in "\t\r\n\f\v") or c == "\ufffd")
    return controls > max(2, len(sample) // 100)


def decode_text(data: bytes) -> tuple[str | None, Finding | None]:
    """Decode with the BOM first, then UTF-8, UTF-16 without BOM, then charset-normalizer's best guess among the
    encodings countries' systems write (cp1252 covers latin-1's printable range)."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), None
            except UnicodeDecodeError:
                return None, _encoding_finding()
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        # UTF-16 without a BOM: the zero bytes sit on the even (big-endian) or odd (little-endian) positions.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        for enc in (("utf-16-be", "utf-16-le") if even > odd else ("utf-16-le", "utf-16-be")):
            try:
                return data.decode(enc), None
            except UnicodeDecodeError:
                continue
        return None, _encoding_finding()
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20], cp_isolation=["cp1252", "latin_1", "cp1256", "mac_roman", "cp850"]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), None
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("cp1252"), None
    except UnicodeDecodeError:
        return data.decode("latin-1"), None   # every byte is a latin-1 character: the last resort


def _encoding_finding() -> Finding:
    return _level0(
        "FILE_ENCODING",
        "The text encoding of the file could not be recognised. Save it as CSV UTF-8 "
        "(Excel: File > Save As > CSV UTF-8) and send it again.",
    )


def _clip(value: str) -> str:
    return value[:MAX_CELL_CHARS]


def _read_csv(text: str) -> tuple[list[Table], list[Finding]]:
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        text = text.replace("\x00", "")
    first = text.split("\n", 1)[0].strip().strip('"').upper()
    sdmx_version = None
    # SDMX-CSV: the separator is the character right after the fixed first header term.
    for term, version in (("DATAFLOW", "1.0"), ("STRUCTURE", "2.0")):
        if first.startswith(term) and len(first) > len(term):
            rest = first[len(term):].lstrip('"')
            if rest.startswith("[") and "]" in rest:      # STRUCTURE[;]: sub-field separator given
                rest = rest[rest.index("]") + 1:].lstrip('"')
            if rest[:1] in (",", ";", "\t", "|"):
                sdmx_version, delimiter = version, rest[0]
            break
    if sdmx_version is None and _EUROSTAT_KEY.match(text.split("\n", 1)[0]):
        return _read_eurostat_tsv(text)
    if sdmx_version is None:
        delimiter = _sniff_delimiter(text)
    rows: list[list[str]] = []
    findings: list[Finding] = []
    try:
        # strict: an unclosed quote is an error at its row, not the rest of the file swallowed into one cell.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        for row in reader:
            if len(row) > MAX_COLUMNS:
                findings.append(_level0(
                    "FILE_TOO_WIDE",
                    f"Row {reader.line_num} has {len(row)} columns; at most {MAX_COLUMNS} are read. "
                    "Check the delimiter or split the table.", row=reader.line_num,
                ))
                return [], findings
            # A quoted cell may span lines; the row number stays the record number, as a spreadsheet shows it.
            rows.append([_clip(c) for c in row])
    except csv.Error as e:
        why = (f"a cell is longer than {csv.field_size_limit()} characters, which no statistical table holds. "
               "Check the delimiter, and for an unclosed quote (\")" if "field limit" in str(e)
               else f"{e}. Check for an unclosed quote (\")")
        findings.append(_level0(
            "FILE_MALFORMED_CSV", f"The CSV could not be read past row {len(rows) + 1}: {why}.", row=len(rows) + 1,
        ))
    kind = "sdmx-csv" if sdmx_version else "csv"
    table = Table(sheet=None, rows=rows, kind=kind, sdmx_version=sdmx_version)
    if sdmx_version and rows:
        _drop_sdmx_labels(table)
    return [table], findings


# Eurostat's bulk download (TSV): the first header cell names the dimensions of the comma-joined key in the first
# column and, after a backslash, the dimension of the other columns (`freq,iccs,unit,geo\TIME_PERIOD`; older
# files `geo\time`).
_EUROSTAT_KEY = re.compile(r'^\ufeff?"?[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*\\(TIME_PERIOD|time)"?\s*\t', re.IGNORECASE)


def _read_eurostat_tsv(text: str) -> tuple[list[Table], list[Finding]]:
    """A Eurostat bulk TSV as a grid whose first column is split into one column per key dimension, so that
    the rest of the reading sees a table with years as columns. Rows keep their file numbers; values keep their
    flags (`7644 p`, `: c`), which the layout splits (layout.split_flag)."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        cells = line.split("\t")
        if len(cells) > MAX_COLUMNS:
            return [], [_level0("FILE_TOO_WIDE", f"Row {len(rows) + 1} has {len(cells)} columns; at most "
                                f"{MAX_COLUMNS} are read.", row=len(rows) + 1)]
        key = cells[0].strip().strip('"')
        if not rows:
            dims, _, across = key.partition("\\")
            head = dims.split(",")
        else:
            head = key.split(",")
        rows.append([_clip(c.strip()) for c in head] + [_clip(c.strip()) for c in cells[1:]])
    return [Table(sheet=None, rows=rows, kind="eurostat-tsv")], []


def _drop_sdmx_labels(table: Table) -> None:
    """SDMX-CSV written with labels: `ID: Name` in headers and cells (labels=both, as UNICEF's warehouse, .Stat
    and BIS write it), or a name column after each id column with STRUCTURE_NAME (labels=name, Eurostat's SDMX-CSV
    2.0). pysdmx's drop_labels keeps the ids; it is given the cells as text (its own reader parses numbers, which
    turns the offence code 0301 into 301), and the file's row numbers stay as they are."""
    import pandas as pd
    from pysdmx.errors import Invalid
    from pysdmx.toolkit.pd import drop_labels

    # "ID:Name" without the space, as some exporters write it, is the same header.
    header = [re.sub(r"^([A-Za-z_][A-Za-z0-9_.]*):(?! )", r"\1: ", h.strip()) for h in table.rows[0]]
    labelled = any(": " in h for h in header) or "STRUCTURE_NAME" in (h.upper() for h in header)
    if not labelled or len(set(header)) != len(header):
        return
    width = len(header)
    body = [r[:width] + [""] * (width - len(r)) for r in table.rows[1:]]
    try:
        df = drop_labels(pd.DataFrame(body, columns=header, dtype=object).fillna(""))
    except Invalid as e:
        table.notes.append(f"The SDMX-CSV labels could not be separated from the codes ({e}); read as written.")
        return
    # drop_labels moves a relabelled column to the end: the file's order is kept.
    ids = [h.split(": ")[0] for h in header]
    order = [c for c in dict.fromkeys(ids) if c in df.columns]
    df = df[order]
    table.rows = [list(df.columns)] + [[str(v) for v in row] for row in df.itertuples(index=False)]
    table.notes.append("SDMX-CSV with labels: the codes were read, the labels set aside.")


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text[:SNIFF_CHARS].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # The sniffer gives up on ragged tables (title rows, notes): the delimiter most used wins.
        counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
        return max(counts, key=counts.get) if any(counts.values()) else ","


def _read_json(text: str) -> tuple[list[Table], list[Finding]]:
    try:
        # Numbers and NaN/Infinity are kept as written: a value of 5,000 digits is one cell the rules refuse
        # (int() refuses over 4,300 digits, float() makes it inf), and NaN reads as the missing-value marker it is.
        doc = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except (json.JSONDecodeError, RecursionError) as e:
        where = f" at line {e.lineno}, column {e.colno}: {e.msg}" if isinstance(e, json.JSONDecodeError) else ""
        return [], [_level0(
            "FILE_MALFORMED_JSON",
            f"The JSON is not valid{where}. Fix it and send it again.",
            row=getattr(e, "lineno", None),
        )]
    records = doc
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        records = lists[0] if len(lists) == 1 else doc.get("data", doc.get("records"))
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        return [], [_level0(
            "FILE_NOT_TABULAR",
            "The JSON must be a list of records, e.g. [{\"indicator\": \"CJ_PROSECUTIONS\", \"time_period\": "
            "2022, \"value\": 41}, ...], or an object with one such list.",
        )]
    fields: dict[str, None] = {}   # the fields in order of first appearance (a dict: a list's `in` is quadratic)
    for r in records:
        fields.update(dict.fromkeys(r))
        if len(fields) > MAX_COLUMNS:
            return [], [_level0("FILE_TOO_WIDE", f"The records have more than {MAX_COLUMNS} different fields; "
                                "at most that many are read. Send one record per value, with the same fields.")]
    header = list(fields)
    rows = [header] + [[_json_text(r.get(k)) for k in header] for r in records]
    return [Table(sheet=None, rows=rows, kind="json")], []


def _json_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (dict, list)):
        return _clip(json.dumps(v, ensure_ascii=False))
    return _cell_text(v)


def _read_xlsx(path: Path) -> tuple[list[Table], list[Finding]]:
    """Read every worksheet with calamine (Rust; about ten times faster than openpyxl on large sheets, and it
    reports merged ranges and hidden sheets). Merged cells take their top-left value in every cell they cover,
    so that a header merged across columns or an indicator name merged down rows applies to each of them."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            total = sum(i.file_size for i in z.infolist())
            refused = None if total > XLSX_MAX_UNCOMPRESSED else _scan_parts(z)
    # NotImplementedError is zipfile's answer to a compression method it cannot read; RuntimeError, to an
    # encrypted member: both mean a workbook we cannot open.
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        return [], [_level0(
            "FILE_TRUNCATED",
            "The workbook is damaged or incomplete (it may have been cut off in transfer). Open it in Excel, "
            "save it again and send it again.",
        )]
    if "xl/workbook.xml" not in names:
        what = ("a Word document" if "word/document.xml" in names
                else "a PowerPoint presentation" if "ppt/presentation.xml" in names
                else "an OpenDocument file" if "content.xml" in names
                else "a zip archive")
        hint = (" Save the sheet as .xlsx (File > Save As > Excel Workbook)." if what == "an OpenDocument file"
                else " Send the .xlsx or .csv file itself.")
        return [], [_level0("FILE_NOT_TABULAR", f"This is {what}, not an Excel workbook.{hint}")]
    if total > XLSX_MAX_UNCOMPRESSED:
        return [], [_level0(
            "FILE_TOO_LARGE",
            f"The workbook expands to {total / 1e6:.0f} MB, more than can be read safely. Send the data sheets "
            "only, or CSV.",
        )]
    if refused is not None:
        return [], [refused]
    import python_calamine as pc

    tables: list[Table] = []
    findings: list[Finding] = []
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        return [], [_level0(
            "FILE_ENCRYPTED_OR_LEGACY",
            "The workbook is password-protected and cannot be read. Remove the password, save it and send it again.",
        )]
    except Exception as e:  # calamine raises several error types on damaged files
        return [], [_level0(
            "FILE_TRUNCATED",
            f"The workbook could not be read ({type(e).__name__}): it may be damaged or incomplete. Open it in "
            "Excel, save it again and send it again.",
        )]
    try:
        for meta in wb.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            hidden = meta.visible != pc.SheetVisibleEnum.Visible
            try:
                ws = wb.get_sheet_by_name(meta.name)
                height, width = ws.end if ws.end else (0, 0)
                if (height + 1) * (width + 1) > MAX_SHEET_CELLS:
                    findings.append(_level0(
                        "FILE_TOO_LARGE", f"Sheet '{meta.name}' has {height + 1} rows and {width + 1} columns, "
                        "more than can be read. Send the table alone, or as CSV.", sheet=meta.name))
                    continue
                grid = ws.to_python(skip_empty_area=False)
                merged = ws.merged_cell_ranges or []
            except Exception as e:
                findings.append(_level0(
                    "FILE_TRUNCATED",
                    f"Sheet '{meta.name}' could not be read ({type(e).__name__}): the workbook may be damaged. "
                    "Open it in Excel, save it again and send it again.", sheet=meta.name,
                ))
                continue
            rows = [[_cell_text(v) for v in r[:MAX_COLUMNS]] for r in grid]
            _fill_merged(rows, merged)
            while rows and not any(c.strip() for c in rows[-1]):
                rows.pop()
            tables.append(Table(sheet=meta.name, rows=rows, kind="xlsx", hidden=hidden))
    finally:
        wb.close()
    return tables, findings


# A row or cell element of a worksheet, with or without a namespace prefix (x:row), and its attributes.
_SHEET_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>')
_ROW_ATTR = re.compile(rb'\sr="([0-9]{1,9})"')
_CELL_ATTR = re.compile(rb'\sr="([A-Z]{1,4})([0-9]{1,9})"')


class _SheetExtent:
    """Where a worksheet's cells reach, as calamine places them: a row or cell that carries its reference (r="5",
    r="C5") is there; one that carries none follows the one before it. calamine allocates that whole grid."""

    def __init__(self):
        self.rows = self.cols = 0
        self._row = self._col = 0

    def feed(self, xml: bytes) -> None:
        for tag, attrs in _SHEET_TAG.findall(xml):
            if tag == b"row":
                m = _ROW_ATTR.search(attrs)
                self._row = int(m.group(1)) if m else self._row + 1
                self._col = 0
            else:
                m = _CELL_ATTR.search(attrs)
                if m:
                    self._col, self._row = _column_number(m.group(1)), int(m.group(2))
                else:
                    self._col += 1
                self.cols = max(self.cols, self._col)
            self.rows = max(self.rows, self._row)


def _scan_parts(z: zipfile.ZipFile) -> Finding | None:
    """Decompress every part once, in bounded chunks, before calamine sees the file. calamine allocates a
    sheet's whole grid up front (one cell at XFD1048576 asks for 512 GiB and aborts the process), so this pass
    finds each worksheet's extent as calamine computes it (where its cells reach, with or without cell references;
    calamine sizes the grid from the cells, not from the sheet's declared <dimension>) and refuses a grid over
    MAX_SHEET_CELLS. It also checks the zip's declared sizes against the real
    ones (zipfile checks size and CRC, so a bomb that lies about its size fails here with BadZipFile, and the
    total is capped), and refuses an XML part whose prolog declares a DOCTYPE or entities (calamine does not
    expand them, but a refusal that says why beats a 'damaged file' message)."""
    total = 0
    for info in z.infolist():
        sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        extent = _SheetExtent()
        with z.open(info) as part:
            head = part.read(4096)
            if info.filename.endswith((".xml", ".rels")) and (b"<!DOCTYPE" in head or b"<!ENTITY" in head):
                return _level0(
                    "FILE_UNSAFE", f"The workbook part {info.filename} declares XML entities (<!DOCTYPE>), which "
                    "Excel never writes and which can make a reader expand a few bytes into gigabytes; it was not "
                    "read. Open the file in Excel, save it as a new .xlsx and send that.")
            chunk, tail = head, b""
            while chunk:
                total += len(chunk)
                if total > XLSX_MAX_UNCOMPRESSED:
                    raise zipfile.BadZipFile("expands beyond its declared size")
                if sheet:
                    # Whole tags only: the text after the last '<' waits for the next chunk.
                    data = tail + chunk
                    cut = data.rfind(b"<")
                    cut = len(data) if cut < 0 else cut
                    extent.feed(data[:cut])
                    tail = data[cut:]
                chunk = part.read(1 << 20)
            if sheet:
                extent.feed(tail)
        cells = extent.rows * extent.cols
        if cells > MAX_SHEET_CELLS:
            return _level0(
                "FILE_TOO_LARGE", f"A sheet of the workbook ({info.filename}) reaches row {extent.rows} and column "
                f"{column_letter(extent.cols - 1)}: {cells:,} cells, more than can be read. Delete the empty rows "
                "and columns after the table (or copy the table into a new workbook) and send it again.")
    return None


def _column_number(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + c - 64
    return n


def _fill_merged(rows: list[list[str]], merged) -> None:
    """Copy each merged range's top-left value into the cells it covers (within the sheet's used area)."""
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, MAX_COLUMNS - 1) + 1):
                if c >= len(row):
                    row.extend([""] * (c + 1 - len(row)))
                if not row[c]:
                    row[c] = value


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return ""
        return repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "year") and hasattr(v, "month"):
        # A year typed into a date-formatted cell reads back as 1 January of that year.
        return str(v.year) if getattr(v, "month", 1) == 1 and getattr(v, "day", 1) == 1 else v.isoformat()
    if hasattr(v, "total_seconds"):
        return str(v.total_seconds() / 3600)
    return _clip(str(v))


def column_letter(index: int) -> str:
    """0-based column index -> spreadsheet letters (0 -> A, 27 -> AB)."""
    s = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        s = chr(65 + rem) + s
    return s
