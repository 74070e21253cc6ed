"""One submission per country of a file that holds several (`mnr submit FILE --split`, DESIGN.md section 5).

The file is archived once per country it holds, each time byte for byte under that country's submission id
(`<ISO3>-<first 12 hex of its sha256>`: the same bytes, so the same hex, and one id per country). Each submission
publishes only its own country's rows; its report says that the other countries' rows are in their own
submissions of the same file (pipelines/quality/rules.py, left_out), instead of warning that they were left out.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.archive import Receipt, SubmissionRefused, normalise_country, sha256_of, submit
from pipelines.ingest.codes import catalogue_code
from pipelines.ingest.layout import extract_records
from pipelines.ingest.mappings import find
from pipelines.ingest.readers import read_tables
from pipelines.settings import Paths


def countries_in(path: Path, country: str | None = None) -> tuple[dict[str, int], int, bool]:
    """The countries a file's rows are about, as the pipeline reads its country column: {ISO3: rows}, the number
    of rows of no country (areas that are groups of countries, unknown codes), and whether it has a country
    column at all."""
    tables, _ = read_tables(path)
    found: dict[str, set] = {}
    nowhere: set = set()
    has_column = False
    for table in tables:
        if table.hidden:
            continue
        mapping, _ = find(table, country)
        records, _, cm = extract_records(table, country, mapping)
        if cm is None or not len(records) or ("ref_area" not in cm.fields and "ref_area" not in cm.constants):
            continue
        has_column = True
        for raw, rows in records.groupby("ref_area_raw", dropna=False)["file_row"]:
            code = catalogue_code("ref_area", raw, country, mapping) if isinstance(raw, str) else None
            where = {(table.sheet, r) for r in rows}
            if code is not None and code.code and code.scope is None:
                found.setdefault(code.code, set()).update(where)
            else:
                nowhere.update(where)
    return {c: len(rows) for c, rows in sorted(found.items())}, len(nowhere), has_column


def submit_split(paths: Paths, source: Path, country: str | None = None) -> list[tuple[Receipt, bool, int]]:
    """Archive the file once for each country it holds: (receipt, whether new, rows of that country) each.
    `country`, if given, must be one of them (it names the file the user means to send)."""
    source = Path(source)
    if not source.is_file():
        raise SubmissionRefused(f"file not found: {source}. Check the path and try again.")
    wanted = normalise_country(country) if country else None
    digest = sha256_of(source)
    found, nowhere, has_column = countries_in(source, wanted)
    if not has_column:
        raise SubmissionRefused(f"{source.name} has no country column (ref_area, REF_AREA, geo, country, pays, "
                                "país), so it cannot be split by country: submit it with --country ISO3 alone.")
    if not found:
        raise SubmissionRefused(f"{source.name} holds no row of a known country ({nowhere} rows of areas that are "
                                "not countries): nothing can be submitted for a country.")
    if wanted and wanted not in found:
        raise SubmissionRefused(f"{source.name} holds no row of {wanted}; it holds rows of "
                                f"{', '.join(found)}. Check the file, or leave --country out to split it.")
    out = [(*submit(paths, source, c), n) for c, n in found.items()]
    if any(r.sha256 != digest for r, _, _ in out):
        raise SubmissionRefused(f"{source} changed while it was being split: submit it again")
    return out
