"""Draft a mapping for a file the hub cannot fully read (DESIGN.md section 5; `mnr map FILE --country ISO3`).

The draft is a mapping in the format of seeds/mappings/ (pipelines/ingest/mappings.py), with a comment on every
line saying why it was guessed: each column with the field it seems to hold (its header is a known name of it,
or its values are that field's codes or labels) or why it is left unread, each code the catalogue does not know
with its closest catalogue codes (rapidfuzz over the labels of every language), and constants for what no
column holds (the country, the indicator). It starts with `draft: true`, which the loader refuses: a draft is
used only once someone has checked the lines marked CHECK and deleted that line. The country or the operator
then saves it under MNR_HOME/mappings/<ISO3>/, and every file with that header is read with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.ingest import mappings
from pipelines.ingest.codes import catalogue_code, year_span
from pipelines.ingest.layout import (HEADER_SCAN_ROWS, KEY_FIELDS, SDMX_COLUMNS, _YEAR, _is_footnote, extract_records,
                                     find_header, is_helper_column, parse_number, unread_column_indexes)
from pipelines.ingest.personal import personal_data_columns
from pipelines.ingest.readers import Table, read_tables
from pipelines.reference import aliases, closest_codes, normalise_label, read_seed

# The fields a column's values can be recognised as, in the order they are tried.
CODED = ("indicator", "ref_area", "sex", "age", "offence", "unit", "obs_status", "obs_conf")
# A code suggestion this good is written as the code (still marked CHECK); a weaker one is only suggested.
CONFIDENT = 90
SHORT_LISTS = {"sex": "cl_sex", "obs_status": "cl_obs_status", "obs_conf": "cl_obs_conf"}
ORDER = ("draft", "id", "title", "source", "notes", "match", "columns", "constants", "codes", "only_listed", "keep",
         "ignore", "other_columns")
MAX_DISTINCT = 200      # distinct values looked at per column


class DraftError(ValueError):
    """A file no mapping can be drafted for (unreadable, not a table, personal data): says why."""


@dataclass
class Draft:
    sheet: str | None
    text: str                           # the YAML
    reasons: list[str]                  # why the file is not fully read, in plain words
    mapping: str | None = None          # the mapping the draft starts from, if one matched


@dataclass
class _Column:
    index: int
    header: str
    values: list[str]                   # distinct non-empty values, in file order
    field: str | None = None
    evidence: str = ""
    check: bool = False


@dataclass
class _State:
    doc: dict
    comments: dict[tuple, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    keep_or_ignore: set[int] = field(default_factory=set)   # columns the draft keeps to a value or leaves unread


def draft_file(path: Path, country: str) -> tuple[list[Draft], list[str]]:
    """The drafts for a file's tables that are not fully read, and a note for each table that is."""
    tables, problems = read_tables(path)
    if not tables:
        why = "; ".join(f.message for f in problems) or "it holds no table"
        raise DraftError(f"{path.name} cannot be read, so no mapping can be drafted for it: {why}")
    drafts, notes = [], []
    for table in tables:
        if table.hidden or not any(any(c.strip() for c in r) for r in table.rows):
            continue
        personal = personal_data_columns([c for r in table.rows[:HEADER_SCAN_ROWS] for c in r])
        if personal:
            raise DraftError(f"{path.name} has columns that hold personal data ({', '.join(sorted(set(personal))[:3])}): "
                             "it is refused, not mapped. Send aggregate counts only.")
        where = f"sheet '{table.sheet}'" if table.sheet else path.name
        try:
            d = draft_table(table, country, path.name)
        except DraftError as e:
            if len(tables) == 1:
                raise
            notes.append(f"{where}: {e}")
            continue
        if d is None:
            mapping, _ = mappings.find(table, country)
            notes.append(f"{where} is read fully" + (f" with the mapping '{mapping.id}'" if mapping else
                                                     " (the template's columns)") + ": nothing to map.")
        else:
            drafts.append(d)
    if not drafts and not any("nothing to map" in n for n in notes):
        raise DraftError(f"{path.name} holds no table with data to map" + (f" ({' '.join(notes)})" if notes else "."))
    return drafts, notes


def draft_table(table: Table, country: str, file_name: str) -> Draft | None:
    """The draft mapping for one table, or None when the table is read fully as it is."""
    mapping, _ = mappings.find(table, country)
    _, found, cm = extract_records(table, country, mapping)
    header_idx = (cm.header_row - 1) if cm is not None else _guess_header(table)
    if header_idx is None:
        if mapping is not None:
            return None
        raise DraftError(f"No table header was found in {file_name}" + (f", sheet '{table.sheet}'" if table.sheet
                                                                         else "")
                         + ": no row of the first 30 has the cells of a header above rows of data.")
    headers = list(table.rows[header_idx])
    block = _block(table, header_idx + (1 if cm is not None and cm.sub_headers else 0))
    reasons = [_plain(f) for f in found if f.rule_id in ("MISSING_COLUMN", "UNREAD_COLUMN", "UNREAD_BREAKDOWN",
                                                          "UNKNOWN_INDICATOR", "NO_HEADER")]
    if cm is not None and cm.layout == "wide_indicators" and any(f.rule_id == "UNKNOWN_INDICATOR" for f in found):
        # A mapping names columns by the field they hold; a column that is an indicator needs its header to be
        # one (a label of the country's own is an alias, which the operator adds to seeds/country_aliases.csv).
        unknown = [f.column for f in found if f.rule_id == "UNKNOWN_INDICATOR"]
        raise DraftError("; ".join(
            f"the column '{h}' is an indicator the catalogue does not know: rename it to an indicator code or "
            f"name (closest: {'; '.join(f'{c} ({label})' for c, label, _ in closest_codes('indicator', h)) or 'none'})"
            f" or remove it" for h in unknown) + ". A mapping cannot rename an indicator column.")
    columns = _columns(headers, block)
    state = _State(_base(mapping, country, file_name))
    state.reasons = reasons
    years = {i for i, h in enumerate(headers) if _YEAR.match(h)} if cm is None else set(cm.year_columns)
    known = dict(cm.fields) if cm is not None else {}
    for c in columns:
        if c.index in years:
            continue
        for f, i in known.items():
            if i == c.index:
                c.field, c.evidence = f, ("read by the mapping" if mapping else f"the header is a known name of {f}")
        if c.field is None and (mapping is None or c.index in unread_column_indexes(cm, mapping)):
            _guess(c, country, mapping)
    _resolve_conflicts(columns)
    used = {c.field: c for c in columns if c.field}
    wide = bool(years)
    _write_columns(state, columns, mapping, [headers[i] for i in sorted(years)])
    _write_constants(state, used, wide, country, table, header_idx, columns, mapping)
    unknown = _write_codes(state, columns, country, mapping)
    _write_unused(state, [c for c in columns if c.index not in years], used, block)
    reasons += unknown
    if not reasons and mapping is not None:
        return None
    if not reasons and cm is not None and not [c for c in columns if c.field is None and c.index not in years]:
        return None
    if mapping is None:
        state.doc["match"] = {"columns": [c.header for c in columns if c.field or c.index in state.keep_or_ignore]}
    text = _emit(state, file_name, table.sheet, country, mapping)
    return Draft(table.sheet, text, reasons, mapping.id if mapping else None)


def _plain(f) -> str:
    return f.message.split(". ")[0].rstrip(".")


def _guess_header(table: Table) -> int | None:
    """The header of a table no alias recognises: the first row of several text cells followed by a row with a
    number in it (title rows above hold one cell)."""
    rows = table.rows
    for idx, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cells = [c for c in row if c.strip()]
        if len(cells) < 2 or any(parse_number(c, False) is not None and not _YEAR.match(c) for c in cells):
            continue
        nxt = next((r for r in rows[idx + 1:idx + 4] if any(c.strip() for c in r)), None)
        if nxt is not None and any(parse_number(c, False) is not None for c in nxt):
            return idx
    return None


def _block(table: Table, header_idx: int) -> list[list[str]]:
    out = []
    for row in table.rows[header_idx + 1:]:
        if not any(c.strip() for c in row):
            if out:
                break
            continue
        if _is_footnote(row):
            break
        out.append(row)
    return out


def _columns(headers: list[str], block: list[list[str]]) -> list[_Column]:
    out = []
    for i, h in enumerate(headers):
        if not h.strip() or normalise_label(h) in SDMX_COLUMNS or is_helper_column(h):
            continue
        seen: dict[str, None] = {}
        for row in block:
            v = row[i].strip() if i < len(row) else ""
            if v and len(seen) < MAX_DISTINCT:
                seen.setdefault(v)
        out.append(_Column(i, h.strip(), list(seen)))
    return out


def _guess(c: _Column, country: str, mapping) -> None:
    """The field a column holds, from its header and its values, with the evidence."""
    values = c.values
    header_field = aliases("column", country).get(normalise_label(c.header))
    if header_field:
        c.field, c.evidence = header_field, f"the header is a known name of {header_field}"
        return
    if values and sum(bool(_YEAR.match(v) or year_span(v)) for v in values) >= 0.9 * len(values):
        c.field, c.evidence = "time_period", f"every value is a year ({_sample(values)})"
        return
    best, share, examples = None, 0.0, []
    # Numbers are values (M49 country codes and ages are numbers too, but then the header says so).
    for f in () if _numeric(values) else CODED:
        hits = [(v, catalogue_code(f, v, country, mapping)) for v in values]
        ok = [(v, h.code) for v, h in hits if h is not None and h.code]
        if values and len(ok) / len(values) > share:
            best, share, examples = f, len(ok) / len(values), ok
    if best and share >= 0.5:
        shown = ", ".join(f"'{v}' is {code}" for v, code in examples[:3])
        c.field = best
        c.evidence = f"{len(examples)} of {len(values)} values are {best} codes or labels ({shown})"
        c.check = share < 1
        return
    numbers = [v for v in values if parse_number(v, False) is not None or parse_number(v, True) is not None]
    if values and len(numbers) >= 0.8 * len(values):
        c.field, c.evidence = "value", "it holds numbers"
        return
    near = closest_codes("column", c.header, limit=1, cutoff=80)
    if near:
        f, label, score = near[0]
        c.field, c.evidence, c.check = f, f"the header is close to '{label}', a name of {f} ({score}/100)", True


def _resolve_conflicts(columns: list[_Column]) -> None:
    """One column per field: the first with the strongest evidence keeps it; the others are left unread."""
    by_field: dict[str, list[_Column]] = {}
    for c in columns:
        if c.field:
            by_field.setdefault(c.field, []).append(c)
    for f, cs in by_field.items():
        if len(cs) < 2:
            continue
        keep = min(cs, key=lambda c: (c.check, c.index))
        for c in cs:
            if c is not keep:
                c.evidence = f"it also looks like {f} ({c.evidence}), but '{keep.header}' is read as {f}"
                c.field, c.check = None, True


def _sample(values: list[str], n: int = 3) -> str:
    return ", ".join(values[:n]) + (", ..." if len(values) > n else "")


# ---------------------------------------------------------------------------------------------- the document
def _base(mapping, country: str, file_name: str) -> dict:
    """The draft's starting document: the matched mapping's own (a country's mapping then overrides it), or a
    new one."""
    if mapping is not None:
        doc = yaml.safe_load(mapping.path.read_text(encoding="utf-8"))
        doc["id"] = f"{country.lower()}_{doc.get('id', mapping.id)}"
        return {"draft": True, **doc}
    stem = re.sub(r"[^a-z0-9]+", "_", normalise_label(Path(file_name).stem)).strip("_") or "layout"
    return {"draft": True, "id": f"{country.lower()}_{stem}", "title": f"{country}'s own layout, as in {file_name}",
            "source": f"drafted by mnr map from {file_name}"}


def _write_columns(state: _State, columns: list[_Column], mapping, years: list[str]) -> None:
    cols = state.doc.setdefault("columns", {})
    for c in columns:
        if c.field and (mapping is None or normalise_label(c.header) not in mapping.columns):
            cols[c.header] = c.field
            state.comments[("columns", c.header)] = ("CHECK: " if c.check else "") + c.evidence
    if years:
        state.comments[("columns",)] = (f"the columns {_sample(years)} are years: each holds the values of its "
                                        "year")


def _write_constants(state, used, wide, country, table, header_idx, columns, mapping) -> None:
    const = state.doc.setdefault("constants", {})
    given = set(used) | set(mapping.constants if mapping else {})
    if "ref_area" not in given:
        const["ref_area"] = country
        state.comments[("constants", "ref_area")] = (f"the file has no country column: its rows are {country}'s "
                                                     "(the country it is submitted for)")
    if "indicator" not in given:
        text = " ".join(c for r in table.rows[:header_idx] for c in r if c.strip())
        value_header = used["value"].header if "value" in used else ""
        near = closest_codes("indicator", f"{text} {value_header}".strip(), limit=4, cutoff=40) if (
            text or value_header) else []
        const["indicator"] = None
        state.comments[("constants", "indicator")] = (
            "CHECK: no column holds the indicator; put its code here. " + (
                "Closest to the title and the value's header: " + "; ".join(
                    f"{code} ({label})" for code, label, _ in near) if near else
                "Its codes are in the catalogue (mnr template lists them)"))
        state.reasons.append("no column holds the indicator")
    if "time_period" not in given and not wide:
        const["time_period"] = None
        state.comments[("constants", "time_period")] = "CHECK: no column holds the year; put the year here"
        state.reasons.append("no column holds the year")
    if "value" not in used and not wide:
        state.reasons.append("no column holds the values")
        state.comments[("constants",)] = ("CHECK: no column of numbers was found: name the column that holds the "
                                          "values under columns (header: value)")
    if not const:
        state.doc.pop("constants")


def _write_codes(state: _State, columns: list[_Column], country: str, mapping) -> list[str]:
    """A codes entry for each value the catalogue does not know, with its closest codes; the reasons."""
    reasons = []
    codes = state.doc.setdefault("codes", {})
    for c in columns:
        if c.field not in CODED or (mapping is not None and c.field in mapping.only_listed):
            continue
        unknown = [v for v in c.values if catalogue_code(c.field, v, country, mapping) is None]
        if not unknown:
            continue
        reasons.append(f"{len(unknown)} value{'s' if len(unknown) != 1 else ''} of '{c.header}' "
                       f"({_sample(unknown)}) {'are' if len(unknown) != 1 else 'is'} not a known {c.field}")
        table = codes.setdefault(c.field, {})
        for v in unknown:
            near = closest_codes(c.field, v, limit=4)
            best = near[0] if near else None
            table[v] = best[0] if best and best[2] >= CONFIDENT else None
            choices = "; ".join(f"{code} ('{label}', {score}/100)" for code, label, score in near)
            if c.field in SHORT_LISTS:
                listed = ", ".join(f"{r['code']} ({r['label']})" for r in read_seed(SHORT_LISTS[c.field]))
                choices = (f"closest: {choices}; " if choices else "") + f"the codes are {listed}"
            elif choices:
                choices = f"closest catalogue codes: {choices}"
            else:
                choices = "no catalogue code is close"
            state.comments[("codes", c.field, v)] = f"CHECK: {choices}. Put the code, or null to leave its rows out"
    if not codes:
        state.doc.pop("codes")
    return reasons


def _write_unused(state: _State, columns: list[_Column], used: dict, block: list[list[str]]) -> None:
    """A column no field was guessed for: kept to its total where it tells rows apart (a region), else not read."""
    key_cols = [used[f].index for f in KEY_FIELDS if f in used]
    keep = state.doc.get("keep") or {}
    ignore = list(state.doc.get("ignore") or [])
    for c in columns:
        if c.field or normalise_label(c.header) in {normalise_label(k) for k in keep} | {
                normalise_label(i) for i in ignore}:
            continue
        if _varies_within_key(c.index, key_cols, block):
            total = next((v for v in c.values if any(
                (catalogue_code(f, v) or _NONE).code == "_T" for f in ("sex", "age", "offence"))), None)
            keep[c.header] = {"values": [total] if total else [],
                              "reason": f"'{c.header}' is not a breakdown of the catalogue: its total is read"}
            state.comments[("keep", c.header)] = (
                f"CHECK: the column tells rows apart that are otherwise the same ({_sample(c.values)}); only the "
                + (f"rows of its total '{total}' are read" if total else
                   "rows with the values listed are read: put its total there"))
            if not total:
                state.reasons.append(f"the column '{c.header}' tells rows apart and has no total")
        else:
            ignore.append(c.header)
            state.comments[("ignore", c.header)] = (
                (c.evidence + "; " if c.evidence else "") + f"'{c.header}' is not read" + (
                    # Never a number of the file (a small count must not be echoed): only texts.
                    f" (it holds {_sample(c.values)})" if c.values and not any(re.search(r"\d", v) for v in c.values)
                    else ""))
        state.keep_or_ignore.add(c.index)
    if keep:
        state.doc["keep"] = keep
    if ignore:
        state.doc["ignore"] = ignore


class _Nothing:
    code = None


_NONE = _Nothing()


def _numeric(values: list[str]) -> bool:
    return all(parse_number(v, False) is not None for v in values)


def _varies_within_key(col: int, key_cols: list[int], block: list[list[str]]) -> bool:
    def cell(row, i):
        return row[i].strip() if i < len(row) else ""

    seen: dict[tuple, str] = {}
    for row in block:
        key = tuple(cell(row, i) for i in key_cols)
        if seen.setdefault(key, cell(row, col)) != cell(row, col):
            return True
    return False


# ---------------------------------------------------------------------------------------------- YAML
def _q(v) -> str:
    """A scalar as YAML: texts double-quoted (JSON strings are YAML), none as null."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(str(v), ensure_ascii=False)


def _clean(text: str) -> str:
    """A comment on one line: no line breaks or control characters, bounded."""
    text = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(text)).strip()
    return text if len(text) <= 400 else text[:397] + "..."


def _flow(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_q(k)}: {_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x) for x in v) + "]"
    return _q(v)


def _emit(state: _State, file_name: str, sheet: str | None, country: str, mapping) -> str:
    doc, comments = state.doc, state.comments
    where = file_name + (f", sheet '{sheet}'" if sheet else "")
    out = [f"# Draft mapping for {_clean(where)} ({country}), written by mnr map from the file's header and content.",
           "# Why the file is not fully read: " + _clean("; ".join(state.reasons) or "see the lines marked CHECK") + ".",
           "# How to use it: check every line marked CHECK (each says what was guessed and why), change what is wrong,",
           "# then delete the line 'draft: true' and save the file under MNR_HOME/mappings/" + country + "/ (any name",
           "# ending in .yaml). Every file with this header is then read with it: submit the file again.",
           "# A code mapped to null leaves its rows out (they are counted in the report, never published)."]
    if mapping is not None:
        out.append(_clean(f"# It starts from the shipped mapping '{mapping.id}' ({mapping.path.name}), which reads "
                          "this layout; yours is tried first for your files."))

    def line(indent: int, text: str, path: tuple) -> None:
        note = comments.get(path)
        out.append(" " * indent + text + (f"   # {_clean(note)}" if note else ""))

    for key in ORDER:
        if key not in doc:
            continue
        v = doc[key]
        if key == "draft":
            line(0, "draft: true", ("draft",))
            comments.setdefault(("draft",), "")
            out[-1] += "   # delete this line once every CHECK below is settled"
        elif isinstance(v, dict) and key in ("match", "columns", "constants", "codes"):
            line(0, f"{key}:", (key,))
            for k, x in v.items():
                if isinstance(x, dict) and key in ("codes", "match") and k != "columns":
                    line(2, f"{_q(k)}:" if key == "codes" else f"{k}:", (key, k))
                    for kk, xx in x.items():
                        line(4, f"{_q(kk)}: {_flow(xx)}", (key, k, kk))
                else:
                    line(2, f"{_q(k) if key != 'match' else k}: {_flow(x)}", (key, k))
        elif isinstance(v, dict) and key in ("keep", "only_listed"):
            line(0, f"{key}:", (key,))
            for k, x in v.items():
                line(2, f"{_q(k)}: {_flow(x)}", (key, k))
        elif key == "ignore":
            line(0, "ignore:", (key,))
            for x in v:
                line(2, f"- {_q(x)}", (key, x))
        elif key == "notes":
            out.append("notes: " + _q(" ".join(str(v).split())))
        else:
            line(0, f"{key}: {_flow(v)}", (key,))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------- in the report
# Findings that say a file was not fully read; its feedback then offers the draft mnr map makes of it.
NOT_FULLY_READ = {"NO_HEADER", "MISSING_COLUMN", "UNREAD_COLUMN", "UNREAD_BREAKDOWN", "UNKNOWN_INDICATOR",
                  "UNKNOWN_SEX", "UNKNOWN_AGE", "UNKNOWN_OFFENCE", "UNKNOWN_UNIT", "UNKNOWN_REF_AREA",
                  "UNKNOWN_OBS_STATUS", "UNKNOWN_OBS_CONF", "MAPPING_NOT_MATCHED", "MAPPING_INVALID",
                  "MAPPING_COLUMN_ABSENT"}


def offer(path: Path, country: str, findings: list[dict]) -> str | None:
    """The draft mapping a submission's feedback offers (the YAML of mnr map, several tables one after the
    other), or None: for a file read fully, a file refused as personal data, or one no draft can be made for."""
    rules = {f["rule_id"] for f in findings}
    if "PERSONAL_DATA" in rules or not rules & NOT_FULLY_READ:
        return None
    try:
        drafts, _ = draft_file(path, country)
    except DraftError:
        return None
    return "\n---\n".join(d.text for d in drafts) or None
