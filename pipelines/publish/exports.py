"""Writers of the release files: formula-safe CSV, SDMX-CSV 2.0, Parquet and the Frictionless data package.

Every writer is deterministic: rows come in a fixed order, numbers have one text form, and nothing written
depends on the clock, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.sdmx import structure as sdmx_structure

# What spreadsheet software reads as the start of a formula (OWASP's CSV injection list, with the full-width
# forms that some spreadsheets fold to the ASCII ones, and a line feed).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

# The dataflow of the SDMX REST API (pipelines/sdmx/structure.py, one definition): its dimensions and the
# attributes a release carries, by their SDMX ids.
SDMX_AGENCY, SDMX_DATAFLOW, SDMX_VERSION = sdmx_structure.AGENCY, sdmx_structure.DATAFLOW, sdmx_structure.VERSION
SDMX_DIMENSIONS = tuple(c.id for c in sdmx_structure.CONCEPTS if c.role in ("dimension", "time"))
SDMX_ATTRIBUTES = ("UNIT_MEASURE", "OBS_STATUS", "OBS_CONF", "COMMENT")
SDMX_FROM = {c.id: c.column for c in sdmx_structure.CONCEPTS}


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def csv_cell(v) -> str:
    """Formula-safe text: a cell starting with = + - @ would run as a formula in spreadsheet software.
    Numbers (including negative ones) are left untouched."""
    if v is None:
        return ""
    s = str(v)
    if s[:1] in FORMULA_STARTS and not _is_number(s):
        return "'" + s
    return s


def number_text(v: float | int | None) -> str:
    """One text form per number: integers without a decimal point, others as Python's shortest round trip."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


def _text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return number_text(v) if isinstance(v, float) else v


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """A formula-safe CSV (UTF-8, LF line ends) with these columns in this order."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([csv_cell(_text(r[c])) for c in columns])
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def write_parquet(table: pa.Table, path: Path, order_by: list[str]) -> None:
    """Parquet by DuckDB COPY with fixed options (one thread, ordered rows, zstd) so the bytes are stable; an
    in-memory DuckDB writes it whichever engine holds the warehouse."""
    with duckdb.connect() as db:
        db.execute("set threads = 1")
        db.register("_export", table)
        db.execute(
            f"copy (select * from _export order by {', '.join(order_by)}) to '{path.as_posix()}' "
            "(format parquet, compression zstd, row_group_size 1000000)"
        )


def sdmx_schema():
    """The SDMX structure of the observations (a dataflow of this platform), for pysdmx's writer."""
    from pysdmx.model import Component, Components, Concept, DataType, Role, Schema

    comps = [Component(id=d, required=True, role=Role.DIMENSION, concept=Concept(id=d), local_dtype=DataType.STRING)
             for d in SDMX_DIMENSIONS]
    comps.append(Component(id="OBS_VALUE", required=False, role=Role.MEASURE, concept=Concept(id="OBS_VALUE"),
                           local_dtype=DataType.DOUBLE))
    comps += [Component(id=a, required=False, role=Role.ATTRIBUTE, concept=Concept(id=a),
                        local_dtype=DataType.STRING, attachment_level="O") for a in SDMX_ATTRIBUTES]
    return Schema(context="dataflow", agency=SDMX_AGENCY, id=SDMX_DATAFLOW, version=SDMX_VERSION,
                  components=Components(comps))


def write_sdmx_csv(path: Path, rows: list[dict]) -> None:
    """SDMX-CSV 2.0 by pysdmx (ACTION I), formula-safe like observations.csv: SDMX-CSV files are opened in
    spreadsheets too, so a text that a spreadsheet would run (a country's footnote `=HYPERLINK(...)`) starts
    with an apostrophe; codes and numbers never do."""
    import pandas as pd
    from pysdmx.io.csv.sdmx20.writer import write
    from pysdmx.io.pd import PandasDataset

    cols = [*SDMX_DIMENSIONS, "OBS_VALUE", *SDMX_ATTRIBUTES]
    data = pd.DataFrame(
        [[number_text(r[SDMX_FROM[c]]) if c == "OBS_VALUE" else csv_cell(r[SDMX_FROM[c]]) for c in cols]
         for r in rows],
        columns=cols, dtype="string",
    )
    text = write([PandasDataset(structure=sdmx_schema(), data=data)])
    path.write_text(text, encoding="utf-8", newline="")


def datapackage(resources: list[dict]) -> str:
    """datapackage.json text (Frictionless Data Package v2): stable key order, no dates."""
    doc = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "mnr-data-hub-release",
        "title": "MNR Data Hub release: administrative statistics on online child sexual exploitation and abuse",
        "description": "Harmonised, quality-gated and disclosure-controlled observations indexed by the WeProtect "
                       "Model National Response (6 domains, 21 capabilities), with derived indicators, capability "
                       "coverage and the code lists they use. Suppressed cells have an empty obs_value with "
                       "obs_status Q and obs_conf C (primary) or D (secondary).",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/",
                      "title": "Creative Commons Attribution 4.0"}],
        "resources": resources,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def csv_resource(name: str, path: str, fields: list[dict], primary_key: list[str],
                 foreign_keys: list[dict] = (), description: str = "") -> dict:
    res = {"name": name, "path": path, "type": "table", "format": "csv", "mediatype": "text/csv",
           "encoding": "utf-8"}
    if description:
        res["description"] = description
    schema = {"fields": fields, "missingValues": [""], "primaryKey": primary_key}
    if foreign_keys:
        schema["foreignKeys"] = list(foreign_keys)
    res["schema"] = schema
    return res
