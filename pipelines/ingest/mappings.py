"""Mappings as data (DESIGN.md section 5): which column of a file holds which dimension, how its codes map to the
catalogue's, which rows are out of scope, and constants.

A mapping is a YAML file: under seeds/mappings/ for a layout many countries share (Eurostat's crim_off_cat, the
SDG database's series as Open SDG platforms publish them, UNICEF's data warehouse), and under
MNR_HOME/mappings/<ISO3>/ for one country's own layout (`mnr map` drafts one). A file is matched to a mapping by
its header and content, never by its name; a country's own mappings are tried first. seeds/mappings/README.md
describes the keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from pipelines.ingest.layout import FIELDS, HEADER_SCAN_ROWS, ColumnMap, _YEAR
from pipelines.ingest.readers import Table
from pipelines.quality.findings import Finding
from pipelines.reference import normalise_label
from pipelines.settings import SEEDS_DIR

SHARED_DIR = SEEDS_DIR / "mappings"
KEYS = {"id", "title", "source", "match", "columns", "constants", "codes", "only_listed", "keep", "ignore", "notes",
        "other_columns", "draft"}
MATCH_KEYS = {"columns", "not_columns", "values"}
# The code list each field's codes come from (a mapping may only map to codes the catalogue has).
CODE_LISTS = {"sex": "cl_sex", "age": "cl_age", "offence": "cl_offence", "unit": "cl_unit_measure",
              "obs_status": "cl_obs_status", "obs_conf": "cl_obs_conf"}


class MappingError(ValueError):
    """A mapping file that cannot be used: says which file and what is wrong."""


@dataclass
class Mapping:
    id: str
    path: Path
    title: str = ""
    match_columns: list[str] = field(default_factory=list)
    match_not_columns: list[str] = field(default_factory=list)
    match_values: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)          # normalised header -> field
    columns_as_written: list[str] = field(default_factory=list)    # the headers of columns:, as the mapping writes them
    constants: dict[str, str] = field(default_factory=dict)        # field -> value
    codes: dict[str, dict[str, str | None]] = field(default_factory=dict)   # field -> code as written -> code
    only_listed: dict[str, str] = field(default_factory=dict)      # field -> why other codes are out of scope
    keep: dict[str, tuple[set[str], str]] = field(default_factory=dict)  # normalised header -> (values, why)
    ignore: set[str] = field(default_factory=set)                  # normalised headers read by nothing on purpose
    # Columns the mapping does not name are breakdowns whose blank cell is their total (Open SDG): only the rows
    # where all of them are blank are read; the reason, or None when such columns are simply not read.
    other_columns: str | None = None
    country: str | None = None                                     # a country's own mapping
    lines: dict[tuple, int] = field(default_factory=dict, repr=False)   # key path in the YAML -> its line

    def where(self, *keys: str) -> str:
        return locate(self.path, self.lines, *keys)

    # -- matching ---------------------------------------------------------------------------------------------
    def header_row(self, table: Table) -> int | None:
        """The 0-based index of the row that holds every header the mapping matches on, if any."""
        for idx, row in enumerate(table.rows[:HEADER_SCAN_ROWS]):
            keys = {normalise_label(c) for c in row}
            if all(c in keys for c in self.match_columns) and not any(c in keys for c in self.match_not_columns):
                return idx
        return None

    def matches(self, table: Table) -> bool:
        idx = self.header_row(table)
        if idx is None:
            return False
        keys = [normalise_label(c) for c in table.rows[idx]]
        for column, wanted in self.match_values.items():
            col = keys.index(column) if column in keys else None
            if col is None:
                return False
            want = {normalise_label(v) for v in wanted}
            if not any(col < len(r) and normalise_label(r[col]) in want for r in table.rows[idx + 1:]):
                return False
        return True

    # -- reading ----------------------------------------------------------------------------------------------
    def column_map(self, table: Table) -> ColumnMap:
        idx = self.header_row(table) or 0
        row = table.rows[idx]
        fields: dict[str, int] = {}
        years: dict[int, int] = {}
        for i, cell in enumerate(row):
            key = normalise_label(cell)
            if key in self.columns and self.columns[key] not in fields:
                fields[self.columns[key]] = i
            elif _YEAR.match(cell) and key not in self.keep and key not in self.ignore:
                years[i] = int(_YEAR.match(cell).group(1))
        constants = {f: v for f, v in self.constants.items() if f not in fields}
        return ColumnMap(table.sheet, idx + 1, fields, years, {}, list(row), constants=constants, mapping=self.id)

    def _index(self, cm: ColumnMap, keys) -> set[int]:
        return {i for i, h in enumerate(cm.headers) if normalise_label(h) in keys}

    def filtered_columns(self, cm: ColumnMap) -> set[int]:
        """Columns the mapping reads to choose rows (keep, other_columns), which are therefore not unread."""
        return self._index(cm, self.keep) | set(self._other_columns(cm))

    def _other_columns(self, cm: ColumnMap) -> list[int]:
        """The columns other_columns applies to: named by no key of the mapping, and not bookkeeping."""
        if self.other_columns is None:
            return []
        from pipelines.ingest.layout import SDMX_COLUMNS, is_helper_column

        named = set(cm.fields.values()) | set(cm.year_columns) | self._index(cm, self.keep) | self._index(
            cm, self.ignore) | self._index(cm, self.columns)
        return [i for i, h in enumerate(cm.headers) if i not in named and h.strip()
                and normalise_label(h) not in SDMX_COLUMNS and not is_helper_column(h)]

    def absent_columns(self, table: Table) -> list[str]:
        """The columns this mapping reads (columns:) that the table's header does not have, as the mapping
        writes them."""
        idx = self.header_row(table)
        keys = {normalise_label(c) for c in table.rows[idx]} if idx is not None else set()
        return [h for h in self.columns_as_written if normalise_label(h) not in keys]

    def ignored_columns(self, cm: ColumnMap) -> set[int]:
        return self._index(cm, self.ignore)

    def filter_rows(self, table: Table, cm: ColumnMap, block):
        """The rows the mapping reads, and one info finding per reason for the rows it leaves out."""
        # (column, values, why, whether the values are the kept ones, whether a blank cell passes: a blank
        # breakdown is its total, as in Open SDG files)
        rules: list[tuple[int, set[str], str, bool, bool]] = []
        for i, h in enumerate(cm.headers):
            key = normalise_label(h)
            if key in self.keep:
                values, why = self.keep[key]
                rules.append((i, values, why, True, False))
        for i in self._other_columns(cm):
            rules.append((i, {""}, self.other_columns, True, False))
        for f, why in self.only_listed.items():
            if f in cm.fields:
                rules.append((cm.fields[f], {normalise_label(v) for v in self.codes.get(f, {})}, why, True, True))
        for f, table_codes in self.codes.items():
            dropped = {normalise_label(v) for v, code in table_codes.items() if code is None}
            if f in cm.fields and dropped:
                rules.append((cm.fields[f], dropped, f"codes mapped to nothing in the mapping ({f})", False, True))
        if not rules:
            return block, []
        kept, left = [], {}
        for file_row, row in block:
            for col, values, why, keep, blank_ok in rules:
                cell = normalise_label(row[col]) if col < len(row) else ""
                if (cell in values) != keep and not (blank_ok and cell == ""):
                    left.setdefault((col, why), []).append((file_row, row[col].strip() if col < len(row) else ""))
                    break
            else:
                kept.append((file_row, row))
        per_row = max(1, len(cm.year_columns)) if cm.layout == "wide_years" else 1
        findings = []
        for (col, why), rows in left.items():
            codes = sorted({v for _, v in rows})
            findings.append(Finding(
                rule_id="MAPPING_LEFT_OUT", level=0, severity="info", sheet=table.sheet, row=rows[0][0],
                column=cm.headers[col], value=", ".join(codes[:10]) + (", ..." if len(codes) > 10 else ""),
                message=(f"{len(rows)} row{'s' if len(rows) != 1 else ''} ({len(rows) * per_row} values) were left "
                         f"out as the mapping '{self.id}' says: {why}. Column '{cm.headers[col]}' holds "
                         f"{', '.join(repr(c) for c in codes[:5])}{' and others' if len(codes) > 5 else ''} there; "
                         f"first at row {rows[0][0]}. Nothing needs to be done; to read these rows, change the "
                         "mapping."),
            ))
        return kept, findings

    def code_for(self, field_name: str, value: str) -> tuple[bool, str | None]:
        """(whether the mapping lists the value, the code it maps to)."""
        table = self.codes.get(field_name)
        if not table:
            return False, None
        key = normalise_label(value)
        for written, code in table.items():
            if normalise_label(written) == key:
                return True, code
        return False, None


def _strings(value, what: tuple[str, ...], where) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise MappingError(f"{where(*what)}: must be a list of texts, e.g. [A, B]")


def locate(path: Path, lines: dict[tuple, int], *keys) -> str:
    """'police.yaml, line 7 (columns.Sexo)': where a key of a mapping file is, for messages."""
    keys = tuple(str(k) for k in keys)
    line = lines.get(keys)
    return path.name + (f", line {line}" if line else "") + (f" ({'.'.join(keys)})" if keys else "")


def yaml_lines(text: str) -> dict[tuple, int]:
    """Each key path of a YAML document (('codes', 'indicator', 'PER_SUSP')) and the 1-based line it is on, so
    that a message can say where in the file a problem is. PyYAML's loader drops positions; its composer keeps
    them."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    out: dict[tuple, int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = path + (str(k.value),)
                out.setdefault(key, k.start_mark.line + 1)
                walk(v, key)

    walk(root, ())
    return out


@lru_cache(maxsize=None)
def _known_codes(field_name: str) -> frozenset[str]:
    from pipelines.reference import country_codes, indicators, read_seed

    if field_name == "indicator":
        return frozenset(indicators())
    if field_name == "ref_area":
        return country_codes()
    if field_name in CODE_LISTS:
        return frozenset(r["code"] for r in read_seed(CODE_LISTS[field_name]))
    return frozenset()


def unknown_code(field_name: str, code: str) -> str | None:
    """Why a code is not one the catalogue has for the field, or None when it is (an age band in any Y{a}T{b} /
    Y_GE{n} form is)."""
    from pipelines.ingest.codes import age_band, obs_flag

    if field_name == "age" and age_band(code) is not None and age_band(code).code == code:
        return None
    if field_name == "obs_flag":
        return None if obs_flag(code) is not None else "not a Eurostat observation flag"
    if field_name == "time_period":
        return None if re.fullmatch(r"(19|20)\d\d", code) else "not a year (four digits, e.g. 2019)"
    known = _known_codes(field_name)
    if not known or code in known:
        return None
    from pipelines.reference import closest_labels

    kind = {"obs_conf": None}.get(field_name, field_name)
    hint = closest_labels(kind, code) if kind else []
    return f"not a code the catalogue has for {field_name}" + (f" (closest: {'; '.join(hint)})" if hint else "")


def parse(doc: object, path: Path, country: str | None = None, lines: dict[tuple, int] | None = None) -> Mapping:
    """A mapping from its YAML document; MappingError says what is wrong, and where (file, line and key)."""
    lines = lines or {}

    def where(*keys) -> str:
        return locate(path, lines, *keys)

    if not isinstance(doc, dict):
        raise MappingError(f"{path.name}: a mapping is a YAML mapping of keys (id, match, columns, ...)")
    unknown = sorted(set(map(str, doc)) - KEYS)
    if unknown:
        raise MappingError(f"{where(unknown[0])}: unknown key{'s' if len(unknown) > 1 else ''} "
                           f"{', '.join(unknown)}; the keys are {', '.join(sorted(KEYS))}")
    if doc.get("draft"):
        raise MappingError(f"{where('draft')}: the mapping is still a draft. Check every line marked CHECK, then "
                           "delete the line 'draft: true'")
    match = doc.get("match") or {}
    columns = doc.get("columns") or {}
    if not isinstance(match, dict):
        raise MappingError(f"{where('match')}: 'match' must be a mapping (columns, not_columns, values)")
    bad_match = sorted(set(map(str, match)) - MATCH_KEYS)
    if bad_match:
        raise MappingError(f"{where('match', bad_match[0])}: unknown key {bad_match[0]}; match takes "
                           f"{', '.join(sorted(MATCH_KEYS))}")
    if not isinstance(columns, dict) or not columns and not doc.get("constants"):
        raise MappingError(f"{where('columns')}: 'columns' must name the file's columns (header: field)")
    fields = set(FIELDS)
    for header, target in columns.items():
        if str(target) not in fields:
            raise MappingError(f"{where('columns', header)}: {target} is not a field; the fields are "
                               f"{', '.join(FIELDS)}")
    constants = doc.get("constants") or {}
    if not isinstance(constants, dict):
        raise MappingError(f"{where('constants')}: 'constants' must be a mapping (field: value)")
    for f, value in constants.items():
        if str(f) not in fields:
            raise MappingError(f"{where('constants', f)}: {f} is not a field; the fields are {', '.join(FIELDS)}")
        if value is None:
            raise MappingError(f"{where('constants', f)}: give the value of {f} for every row of the file")
        why = unknown_code(str(f), str(value))
        if why:
            raise MappingError(f"{where('constants', f)}: {value} is {why}")
    codes: dict[str, dict[str, str | None]] = {}
    for f, table in (doc.get("codes") or {}).items():
        if f not in fields or not isinstance(table, dict):
            raise MappingError(f"{where('codes', f)}: codes.{f} must be a field with a mapping of codes "
                               "(as written: code)")
        for written, code in table.items():
            why = None if code is None else unknown_code(str(f), str(code))
            if why:
                raise MappingError(f"{where('codes', f, written)}: {code} is {why}; map '{written}' to a code "
                                   "of the catalogue, or to null to leave its rows out")
        codes[f] = {str(k): (None if v is None else str(v)) for k, v in table.items()}
    keep = {}
    for header, rule in (doc.get("keep") or {}).items():
        if not isinstance(rule, dict) or "values" not in rule:
            raise MappingError(f"{where('keep', header)}: keep.{header} needs 'values' (the values whose rows are "
                               "read) and 'reason'")
        values = _strings(rule["values"], ("keep", header, "values"), where)
        keep[normalise_label(header)] = ({normalise_label(v) for v in values},
                                         str(rule.get("reason") or f"only these values of {header} are read"))
    for f in (doc.get("only_listed") or {}):
        if f not in codes:
            raise MappingError(f"{where('only_listed', f)}: only_listed.{f} needs the list of codes it keeps "
                               f"(codes.{f})")
    other = doc.get("other_columns")
    if other is not None and not (isinstance(other, dict) and other.get("keep") == "blank"):
        raise MappingError(f"{where('other_columns')}: other_columns takes {{keep: blank, reason: ...}} (only the "
                           "rows where every column the mapping does not name is blank are read)")
    mid = str(doc.get("id") or path.stem)
    match_columns = [normalise_label(c) for c in _strings(match.get("columns"), ("match", "columns"), where)]
    if not match_columns:
        match_columns = [normalise_label(c) for c in columns]
    return Mapping(
        id=mid, path=path, title=str(doc.get("title") or ""),
        match_columns=match_columns,
        match_not_columns=[normalise_label(c)
                           for c in _strings(match.get("not_columns"), ("match", "not_columns"), where)],
        match_values={normalise_label(k): _strings(v, ("match", "values", k), where)
                      for k, v in (match.get("values") or {}).items()},
        columns={normalise_label(k): str(v) for k, v in columns.items()},
        columns_as_written=[str(k) for k in columns],
        constants={str(k): str(v) for k, v in constants.items()},
        codes=codes, only_listed={str(k): str(v) for k, v in (doc.get("only_listed") or {}).items()},
        keep=keep, ignore={normalise_label(c) for c in _strings(doc.get("ignore"), ("ignore",), where)},
        other_columns=None if other is None else str(other.get("reason") or
                                                     "a column the mapping does not name is a breakdown: its blank "
                                                     "cell is the total, and only the totals are read"),
        country=country, lines=lines,
    )


def load(path: Path, country: str | None = None) -> Mapping:
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as e:
        raise MappingError(f"{path.name}: not readable ({e}); save it as UTF-8 text") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f", line {mark.line + 1}" if mark is not None else ""
        raise MappingError(f"{path.name}{at}: not valid YAML ({getattr(e, 'problem', None) or str(e).splitlines()[0]})"
                           ) from e
    return parse(doc, path, country, yaml_lines(text))


def _files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def shared_mappings() -> list[Mapping]:
    return [load(p) for p in _files(SHARED_DIR)]


def country_dir(country: str) -> Path:
    from pipelines.settings import paths

    return paths().home / "mappings" / country


def find(table: Table, country: str | None) -> tuple[Mapping | None, list[Finding]]:
    """The mapping that reads this table (the country's own first, then the shared ones; among them the one that
    asks most of the header), and a finding for each of the country's mapping files that cannot be used: one
    that is not valid, one that names columns this file does not have (it was meant for this layout, but a
    header changed), and one that reads the file but misses some of the columns it names."""
    findings: list[Finding] = []
    own: list[Mapping] = []
    if country:
        for p in _files(country_dir(country)):
            try:
                own.append(load(p, country))
            except MappingError as e:
                findings.append(Finding(
                    rule_id="MAPPING_INVALID", level=0, severity="warning", sheet=table.sheet,
                    message=f"Your mapping {e}. It was not used: fix it there (mnr map FILE --country "
                            f"{country} drafts a valid one).",
                ))
    for group in (own, shared_mappings()):
        fits = [m for m in group if m.matches(table)]
        if fits:
            best = max(fits, key=lambda m: len(m.match_columns) + len(m.match_values))
            if best.country:
                findings.extend(_absent(best, table))
            return best, findings
    findings.extend(f for m in own for f in _near_miss(m, table))
    return None, findings


def _header_keys(table: Table) -> tuple[int, set[str]] | None:
    """The row among the first HEADER_SCAN_ROWS with most non-empty cells, and its normalised cells."""
    best = None
    for idx, row in enumerate(table.rows[:HEADER_SCAN_ROWS]):
        keys = {normalise_label(c) for c in row if c.strip()}
        if best is None or len(keys) > len(best[1]):
            best = (idx, keys)
    return best


def _near_miss(m: Mapping, table: Table) -> list[Finding]:
    """A country's mapping whose match columns are mostly in the file, but not all: say which are missing and
    where the mapping names them, rather than reading the file as if the mapping did not exist."""
    found = _header_keys(table)
    if not found or not m.match_columns:
        return []
    _, keys = found
    missing = [c for c in m.match_columns if c not in keys]
    present = len(m.match_columns) - len(missing)
    if not missing or present * 2 < len(m.match_columns):
        return []
    written = {normalise_label(c): c for c in m.columns_as_written}
    names = [written.get(c, c) for c in missing]
    first = names[0]
    at = m.where("columns", first) if ("columns", first) in m.lines else m.where("match", "columns")
    return [Finding(
        rule_id="MAPPING_NOT_MATCHED", level=0, severity="warning", sheet=table.sheet,
        column=", ".join(names), value=m.path.name,
        message=(f"Your mapping {m.path.name} was not used: this file has no column "
                 f"{', '.join(repr(n) for n in names)} ({at}). If the header was renamed, rename it there too; "
                 "if this is another layout, mnr map drafts a mapping for it."),
    )]


def _absent(m: Mapping, table: Table) -> list[Finding]:
    """Columns a country's own mapping reads that the file it reads does not have: their field is then a
    constant or the total, which the country should know."""
    return [Finding(
        rule_id="MAPPING_COLUMN_ABSENT", level=0, severity="warning", sheet=table.sheet, column=h,
        value=m.path.name,
        message=(f"Your mapping {m.path.name} reads the column '{h}' as {m.columns[normalise_label(h)]} "
                 f"({m.where('columns', h)}), but this file has no such column, so that field was taken as its "
                 "total (or the mapping's constant). Check the header, or remove the line from the mapping."),
    ) for h in m.absent_columns(table)]
