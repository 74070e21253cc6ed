"""Mappings as data (DESIGN.md section 5): which column of a file holds which dimension, how its codes map to the
catalogue's, which rows are out of scope, and constants.

A mapping is a YAML file: under seeds/mappings/ for a layout many countries share (Eurostat's crim_off_cat, the
SDG database's series as Open SDG platforms publish them, UNICEF's data warehouse), and under
MNR_HOME/mappings/<ISO3>/ for one country's own layout (`mnr map` drafts one). A file is matched to a mapping by
its header and content, never by its name; a country's own mappings are tried first. seeds/mappings/README.md
describes the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.ingest.layout import FIELDS, HEADER_SCAN_ROWS, ColumnMap, _YEAR
from pipelines.ingest.readers import Table
from pipelines.quality.findings import Finding
from pipelines.reference import normalise_label
from pipelines.settings import SEEDS_DIR

SHARED_DIR = SEEDS_DIR / "mappings"
KEYS = {"id", "title", "source", "match", "columns", "constants", "codes", "only_listed", "keep", "ignore", "notes"}


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
    constants: dict[str, str] = field(default_factory=dict)        # field -> value
    codes: dict[str, dict[str, str | None]] = field(default_factory=dict)   # field -> code as written -> code
    only_listed: dict[str, str] = field(default_factory=dict)      # field -> why other codes are out of scope
    keep: dict[str, tuple[set[str], str]] = field(default_factory=dict)  # normalised header -> (values, why)
    ignore: set[str] = field(default_factory=set)                  # normalised headers read by nothing on purpose
    country: str | None = None                                     # a country's own mapping

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
        """Columns the mapping reads to choose rows (keep), which are therefore not unread."""
        return self._index(cm, self.keep)

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


def _strings(value, what: str, path: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int, float)):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise MappingError(f"{path.name}: '{what}' must be a list of texts")


def parse(doc: object, path: Path, country: str | None = None) -> Mapping:
    """A mapping from its YAML document; MappingError says what is wrong, and where."""
    if not isinstance(doc, dict):
        raise MappingError(f"{path.name}: a mapping is a YAML mapping of keys (id, match, columns, ...)")
    unknown = set(doc) - KEYS
    if unknown:
        raise MappingError(f"{path.name}: unknown keys {', '.join(sorted(unknown))}; the keys are "
                           f"{', '.join(sorted(KEYS))}")
    match = doc.get("match") or {}
    columns = doc.get("columns") or {}
    if not isinstance(match, dict) or not isinstance(columns, dict) or not columns and not doc.get("constants"):
        raise MappingError(f"{path.name}: 'match' and 'columns' must be mappings, and 'columns' must name the "
                           "file's columns (header: field)")
    fields = set(FIELDS)
    bad = sorted({str(v) for v in columns.values()} - fields) + sorted(set(doc.get("constants") or {}) - fields)
    if bad:
        raise MappingError(f"{path.name}: {', '.join(bad)} is not a field; the fields are {', '.join(FIELDS)}")
    codes: dict[str, dict[str, str | None]] = {}
    for f, table in (doc.get("codes") or {}).items():
        if f not in fields or not isinstance(table, dict):
            raise MappingError(f"{path.name}: codes.{f} must be a field with a mapping of codes (as written: code)")
        codes[f] = {str(k): (None if v is None else str(v)) for k, v in table.items()}
    keep = {}
    for header, rule in (doc.get("keep") or {}).items():
        if not isinstance(rule, dict) or "values" not in rule:
            raise MappingError(f"{path.name}: keep.{header} needs 'values' (the values whose rows are read) and "
                               "'reason'")
        keep[normalise_label(header)] = ({normalise_label(v) for v in _strings(rule["values"], header, path)},
                                         str(rule.get("reason") or f"only these values of {header} are read"))
    mid = str(doc.get("id") or path.stem)
    match_columns = [normalise_label(c) for c in _strings(match.get("columns"), "match.columns", path)]
    if not match_columns:
        match_columns = [normalise_label(c) for c in columns]
    return Mapping(
        id=mid, path=path, title=str(doc.get("title") or ""),
        match_columns=match_columns,
        match_not_columns=[normalise_label(c) for c in _strings(match.get("not_columns"), "match.not_columns", path)],
        match_values={normalise_label(k): _strings(v, f"match.values.{k}", path)
                      for k, v in (match.get("values") or {}).items()},
        columns={normalise_label(k): str(v) for k, v in columns.items()},
        constants={str(k): str(v) for k, v in (doc.get("constants") or {}).items()},
        codes=codes, only_listed={str(k): str(v) for k, v in (doc.get("only_listed") or {}).items()},
        keep=keep, ignore={normalise_label(c) for c in _strings(doc.get("ignore"), "ignore", path)},
        country=country,
    )


def load(path: Path, country: str | None = None) -> Mapping:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise MappingError(f"{path.name}: not readable as YAML ({str(e).splitlines()[0]})") from e
    return parse(doc, path, country)


def _files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]) if folder.is_dir() else []


def shared_mappings() -> list[Mapping]:
    return [load(p) for p in _files(SHARED_DIR)]


def country_dir(country: str) -> Path:
    from pipelines.settings import paths

    return paths().home / "mappings" / country


def find(table: Table, country: str | None) -> tuple[Mapping | None, list[Finding]]:
    """The mapping that reads this table (the country's own first, then the shared ones; among them the one that
    asks most of the header), and a finding for each of the country's mapping files that cannot be used."""
    findings: list[Finding] = []
    own: list[Mapping] = []
    if country:
        for p in _files(country_dir(country)):
            try:
                own.append(load(p, country))
            except MappingError as e:
                findings.append(Finding(
                    rule_id="MAPPING_INVALID", level=0, severity="warning",
                    message=f"The mapping {e} It was not used; fix it (mnr map drafts a valid one).",
                ))
    for group in (own, shared_mappings()):
        fits = [m for m in group if m.matches(table)]
        if fits:
            return max(fits, key=lambda m: len(m.match_columns) + len(m.match_values)), findings
    return None, findings
