"""Where each submission stands, read from files only (so `mnr status` never waits for a running pipeline)."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.ingest.archive import Receipt, all_receipts
from pipelines.settings import Paths


def findings_path(paths: Paths, r: Receipt) -> Path:
    return paths.feedback_dir(r.country, r.submission_id) / "findings.json"


def is_pending(paths: Paths, r: Receipt) -> bool:
    return not findings_path(paths, r).is_file()


def pending(paths: Paths, countries: list[str] | None = None) -> list[Receipt]:
    return [r for r in all_receipts(paths, countries) if is_pending(paths, r)]


def status_rows(paths: Paths, countries: list[str] | None = None) -> list[dict]:
    return [status_row(paths, r) for r in all_receipts(paths, countries)]


def status_row(paths: Paths, r: Receipt) -> dict:
    """One submission as `mnr status --json` shows it."""
    doc = None
    f = findings_path(paths, r)
    if f.is_file():
        doc = json.loads(f.read_text())
    counts = (doc or {}).get("counts", {})
    return {
        "submission_id": r.submission_id,
        "country": r.country,
        "file_name": r.file_name,
        "sha256": r.sha256,
        "received_at": r.received_at,
        "state": "pending" if doc is None else ("published" if doc.get("published") else "processed"),
        "verdict": None if doc is None else doc["verdict"],
        "errors": counts.get("error") if doc else None,
        "warnings": counts.get("warning") if doc else None,
    }


def run_tags(countries: list[str], submission_ids: list[str], trigger: str) -> dict[str, str]:
    """Tags that name what a run is about, shown on the run in the Dagster UI (and filterable there)."""
    return {"mnr/country": ",".join(countries), "mnr/submissions": ",".join(submission_ids), "mnr/trigger": trigger}


def reopen_if_remapped(paths: Paths, r: Receipt) -> str | None:
    """Bytes submitted again whose first reading published nothing because the file was not fully read (its
    report offered a draft mapping), and that a mapping of the country's own saved since then now reads: the
    submission is read again at the next run, under the same id (the same bytes are the same submission; its
    raw rows, findings and report are replaced, the earlier findings kept as findings.superseded.json). Returns
    the mapping file that reads it now, or None."""
    from pipelines.ingest.load import submitted_file
    from pipelines.ingest.mappings import find
    from pipelines.ingest.readers import read_tables

    done = findings_path(paths, r)
    if not done.is_file():
        return None
    doc = json.loads(done.read_text())
    if doc.get("published") or not doc.get("mapping_draft"):
        return None
    tables, _ = read_tables(submitted_file(paths, r))
    for table in tables:
        mapping, _ = find(table, r.country)
        if mapping is not None and mapping.country and mapping.path.stat().st_mtime > done.stat().st_mtime:
            done.replace(done.with_name("findings.superseded.json"))
            return mapping.path.name
    return None
