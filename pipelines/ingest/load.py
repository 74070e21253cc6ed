"""Read one archived submission into the warehouse's raw layer (one row per source data cell)."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipelines.ingest.archive import Receipt
from pipelines.ingest.codes import code_rows
from pipelines.ingest.mappings import find as find_mapping
from pipelines.ingest.layout import RECORD_COLUMNS, extract_records, structure_ids
from pipelines.ingest.personal import RULE as PERSONAL_DATA, screen_table
from pipelines.ingest.readers import read_tables
from pipelines.quality.findings import Finding
from pipelines.reference import normalise_label
from pipelines.settings import Paths, country_file, country_folder
from pipelines.warehouse import Db

# Sheets that explain rather than hold data are skipped without a finding (hidden sheets too, such as the
# template's code lists). They are still scanned for personal data.
NOTES_SHEETS = {"notes", "note", "readme", "read me", "instructions", "metadata", "sources", "about",
                "code lists", "codes", "lists", "definitions", "glossary",
                "lisez moi", "mode d emploi", "listes", "instrucciones", "listas", "instrucoes", "notas",
                "ملاحظات", "تعليمات"}

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.observations (
    submission_id varchar not null,
    country varchar not null,
    sheet varchar,
    file_row integer not null,
    source_ref varchar not null,
    value_column varchar,
    ref_area_raw varchar, time_period_raw varchar, indicator_raw varchar, sex_raw varchar, age_raw varchar,
    offence_raw varchar, value_raw varchar, unit_raw varchar, obs_status_raw varchar, comment_raw varchar,
    value_num double precision,
    value_state varchar not null
);
-- Eurostat's flags and SDMX CONF_STATUS as written (added after the first release of this table).
alter table raw.observations add column if not exists obs_flag_raw varchar;
alter table raw.observations add column if not exists obs_conf_raw varchar;
-- Codes read here rather than by the alias tables (pipelines/ingest/codes.py, and the file's mapping), per
-- distinct value of a submission; scope says why the rows holding the value are left out, if they are.
create table if not exists raw.codes (
    submission_id varchar not null, field varchar not null, value_raw varchar not null, code varchar,
    scope varchar, age_lower integer, age_upper integer
);
create table if not exists raw.columns (
    submission_id varchar not null, sheet varchar, field varchar not null, header varchar, column_letter varchar
);
create table if not exists raw.submissions (
    submission_id varchar primary key, country varchar not null, file_name varchar not null,
    sha256 varchar not null, received_at varchar not null, layouts varchar, records integer not null
);
-- SDMX-CSV input: the STRUCTURE_ID (2.0) or DATAFLOW (1.0) as given, comma-separated if several.
alter table raw.submissions add column if not exists structure_id varchar;
"""


@dataclass
class IngestResult:
    receipt: Receipt
    records: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    layouts: list[str] = field(default_factory=list)
    quarantined: bool = False
    columns: list[dict] = field(default_factory=list)   # field -> header as written, per sheet
    structure_ids: list[str] = field(default_factory=list)  # SDMX-CSV STRUCTURE_ID / DATAFLOW as given
    codes: list[tuple] = field(default_factory=list)        # raw.codes rows (pipelines/ingest/codes.py)
    mappings: list[str] = field(default_factory=list)       # the mappings that read the file


def read_submission(paths: Paths, receipt: Receipt) -> IngestResult:
    tables, findings = read_tables(submitted_file(paths, receipt))
    frames: list[pd.DataFrame] = []
    columns: list[dict] = []
    layouts: list[str] = []
    structures: list[str] = []
    used: list = []
    for table in tables:
        mapping, mapping_findings = find_mapping(table, receipt.country) if not table.hidden else (None, [])
        findings.extend(f for f in mapping_findings if f not in findings)
        df, table_findings, cm = extract_records(table, receipt.country, mapping)
        df, screened = screen_table(table, cm, df, receipt.country)
        table_findings += screened
        refused = [f for f in table_findings if f.rule_id == PERSONAL_DATA]
        if refused:   # only the refusal: other findings could quote the personal data
            return IngestResult(receipt, pd.DataFrame(columns=list(RECORD_COLUMNS)), refused, quarantined=True)
        if any(f.rule_id == "UNREAD_BREAKDOWN" for f in table_findings):
            df = df.iloc[0:0]    # one error naming the column, not a run of duplicate keys
        if table.hidden:
            continue
        is_notes = table.sheet is not None and normalise_label(table.sheet) in NOTES_SHEETS
        if is_notes and not len(df):
            continue
        structures += [s for s in structure_ids(table, cm) if s not in structures]
        if table.sheet is not None and any(f.rule_id == "NO_HEADER" for f in table_findings):
            # A workbook may hold sheets that are not data; say so, but only fail if no sheet had data.
            findings.append(Finding(
                rule_id="SHEET_SKIPPED", level=0, severity="info", sheet=table.sheet,
                message=f"Sheet '{table.sheet}' has no recognisable table header and was not read.",
            ))
            continue
        findings.extend(table_findings)
        if cm is not None:
            layouts.append(cm.layout)
            for fld, idx in cm.fields.items():
                columns.append({"sheet": table.sheet, "field": fld, "header": cm.headers[idx], "index": idx})
        frames.append(df)
        if mapping is not None:
            used.append(mapping)
            findings.append(Finding(
                rule_id="MAPPING_USED", level=0, severity="info", sheet=table.sheet,
                message=f"The table was read with the mapping '{mapping.id}'"
                        + (f" ({mapping.title})" if mapping.title else "") + f", file {mapping.path.name}"
                        + (" of your country's own mappings." if mapping.country else " shipped with the hub."),
            ))
    records = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RECORD_COLUMNS))
    if not len(records) and not any(f.severity == "error" for f in findings):
        findings.append(Finding(
            rule_id="NO_DATA", level=0, severity="error",
            message="No data rows were found under the table header. Fill in at least one value and send it again.",
        ))
    codes = []
    for m in used or [None]:
        codes += [c for c in code_rows(records, m) if c not in codes]
    findings.extend(_year_spans(records, codes, columns))
    return IngestResult(receipt, records, findings, layouts, columns=columns, structure_ids=structures,
                        codes=codes, mappings=[m.id for m in used])


def _year_spans(records: pd.DataFrame, codes: list[tuple], columns: list[dict]) -> list[Finding]:
    """One note per year written as a span of two years (2018/19), saying which year it was read as."""
    out = []
    header = next((c["header"] for c in columns if c["field"] == "time_period"), None)
    for fld, raw, code, *_ in codes:
        if fld != "time_period":
            continue
        first = records[records["time_period_raw"] == raw].iloc[0]
        out.append(Finding(
            rule_id="TIME_PERIOD_SPAN", level=1, severity="info", sheet=first["sheet"], row=int(first["file_row"]),
            column=header, value=raw, expected=code,
            message=(f"'{raw}' spans two years (a financial, school or survey year); its values were read as "
                     f"{code}, the year it ends (as UNICEF's data warehouse dates a survey that spans two years by "
                     f"the end of its fieldwork). If {code} is not the year to publish them under, write the year "
                     "itself in the file."),
        ))
    return out


def quarantined_file(paths: Paths, receipt: Receipt) -> Path:
    return paths.quarantine / receipt.country / receipt.submission_id / receipt.file_name


def submitted_file(paths: Paths, receipt: Receipt) -> Path:
    """The archived file, or its quarantined original once the file was refused as personal data."""
    archived = receipt.path(paths)
    return archived if archived.exists() or not quarantined_file(paths, receipt).exists() else quarantined_file(paths, receipt)


def quarantine(paths: Paths, receipt: Receipt) -> None:
    """Move a file refused as personal data out of the landing archive into quarantine: its original is kept
    byte for byte there (nothing submitted is lost), readable by that country's group only, and nowhere else.
    The receipt stays in landing, so the submission and its verdict are still known."""
    target = country_folder(paths.quarantine / receipt.country / receipt.submission_id)
    kept = target / receipt.file_name
    if not kept.exists():
        tmp = target / f".incoming-{receipt.file_name}"
        shutil.copyfile(receipt.path(paths), tmp)
        country_file(tmp)   # readable by that country's group only (SECURITY.md), before it appears
        os.replace(tmp, kept)
    receipt.path(paths).unlink(missing_ok=True)


def write_raw(conn: Db, result: IngestResult) -> None:
    """Replace this submission's raw rows in one transaction (re-running it never duplicates rows)."""
    from pipelines.ingest.readers import column_letter

    r = result.receipt
    conn.execute(RAW_DDL)
    conn.execute("begin transaction")
    try:
        for table in ("raw.observations", "raw.columns", "raw.submissions", "raw.codes"):
            conn.execute(f"delete from {table} where submission_id = ?", [r.submission_id])
        if not result.quarantined and len(result.records):
            df = result.records.copy()
            df.insert(0, "country", r.country)
            df.insert(0, "submission_id", r.submission_id)
            df["file_row"] = df["file_row"].astype("int64")
            df["value_num"] = pd.to_numeric(df["value_num"], errors="coerce")
            conn.insert_frame("raw.observations", df)
        for c in result.codes:
            conn.execute("insert into raw.codes values (?, ?, ?, ?, ?, ?, ?)", [r.submission_id, *c])
        for c in result.columns:
            conn.execute(
                "insert into raw.columns values (?, ?, ?, ?, ?)",
                [r.submission_id, c["sheet"], c["field"], c["header"], column_letter(c["index"])],
            )
        conn.execute(
            "insert into raw.submissions (submission_id, country, file_name, sha256, received_at, layouts, records, "
            "structure_id) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [r.submission_id, r.country, r.file_name, r.sha256, r.received_at, ",".join(sorted(set(result.layouts))),
             0 if result.quarantined else len(result.records), ",".join(result.structure_ids) or None],
        )
        conn.execute("commit")
    except Exception:
        # An interrupted or failed commit may have ended the transaction already: the first error is the one to see.
        with contextlib.suppress(Exception):
            conn.execute("rollback")
        raise
