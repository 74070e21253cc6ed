"""Cut an immutable release: releases/<release_id>/ (DESIGN.md section 7).

The release holds the disclosure-controlled published observations (restricted indicators left out), the
derived indicators with disclosure control applied (a rate is suppressed with its numerator), each country's
capability coverage, and the code lists the files refer to, as Parquet, formula-safe CSV, SDMX-CSV 2.0, a
Frictionless data package, a DuckDB file of the same tables, CHANGES.md and MANIFEST.sha256.

Determinism: the release id is `<tag or UTC date>-<first 12 hex of the content hash>`; no file holds a date;
rows are ordered by key; numbers have one text form; Parquet is written by DuckDB COPY with fixed options.
The one exception is release.duckdb, whose header holds a random database id that DuckDB writes: its tables
are the same, its bytes are not (MANIFEST.sha256 records them). A release folder is written to a temporary
folder and renamed into place, never overwritten; the audit (pipelines/publish/verify.py) runs first, over
the release and every earlier published state, and a release that leaks or narrows a suppressed count is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.faults import fault_point
from pipelines.publish import exports
from pipelines.publish.disclosure import control_rates, thresholds
from pipelines.publish.publish import ARROW_SCHEMA, COLUMNS
from pipelines.schema import KEY, OBSERVATIONS
from pipelines.warehouse import fetch_dicts
from pipelines.publish.verify import leaks

INDEX = "index.txt"  # releases/index.txt: one line per release, oldest first: "<release_id> <content sha256>"
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
DUCKDB_FILE = "release.duckdb"
NOT_CONTENT = {"CHANGES.md", "MANIFEST.sha256", DUCKDB_FILE}

DERIVED_COLUMNS = ("ref_area", "time_period", "indicator_code", "mnr_domain", "mnr_capability", "sex", "age",
                   "offence", "obs_value", "unit_measure", "obs_status", "obs_conf", "numerator_code",
                   "denominator_code", "denominator_value", "denominator_source")
COVERAGE_COLUMNS = ("ref_area", "time_period", "mnr_capability", "capability_name", "mnr_domain", "has_data",
                    "indicators_with_data")
PROGRESS_COLUMNS = ("ref_area", "time_period", "capabilities_with_data", "capabilities_total",
                    "change_since_previous_year")

# Code lists written beside the data (codelists/<name>.csv, columns code,label) and the columns that use them.
CODELISTS = {
    "cl_ref_area": "select ref_area as code, name as label from reference.ref_areas",
    "cl_indicator": "select indicator_code as code, indicator_name as label from reference.indicators "
                    "where not coalesce(is_restricted, false)",
    "cl_sex": "select code, label from reference.cl_sex",
    "cl_age": "select code, label from reference.cl_age",
    "cl_offence": "select code, label from reference.cl_offence",
    "cl_unit_measure": "select code, label from reference.cl_unit_measure",
    "cl_obs_status": "select code, label from reference.cl_obs_status",
    "cl_obs_conf": "select code, label from reference.cl_obs_conf",
    "cl_mnr_capability": "select cast(capability as varchar) as code, capability_name as label "
                         "from reference.mnr_capabilities",
    "cl_mnr_domain": "select domain_code as code, domain_name as label from reference.mnr_domains",
}
# The derived indicators' own codes (<numerator>_PER_100K, FUNNEL_<a>_PER_<b>), from the mart when it exists.
DERIVED_CODELIST = ("select distinct indicator_code as code, indicator_name as label "
                    "from marts.fct_derived_indicators")
USES = {"ref_area": "cl_ref_area", "indicator_code": "cl_indicator", "sex": "cl_sex", "age": "cl_age",
        "offence": "cl_offence", "unit_measure": "cl_unit_measure", "obs_status": "cl_obs_status",
        "obs_conf": "cl_obs_conf", "mnr_domain": "cl_mnr_domain"}

# Frictionless and Arrow types: the harmonised columns' from their declaration (pipelines/schema.py), the
# other marts' columns here.
ARROW_TYPES = dict(zip(ARROW_SCHEMA.names, ARROW_SCHEMA.types))
FIELD_TYPES = {**{f["name"]: f["type"] for f in OBSERVATIONS.frictionless_fields()},
               "denominator_value": "number", "indicators_with_data": "integer", "has_data": "boolean",
               "capabilities_with_data": "integer", "capabilities_total": "integer",
               "change_since_previous_year": "integer"}


class ReleaseRefused(Exception):
    """The release would disclose a suppressed value."""


class BadTag(ValueError):
    """The tag asked for cannot name a release folder."""


@dataclass(frozen=True)
class Release:
    release_id: str
    folder: Path
    new: bool
    previous: str | None


def _table_exists(conn, schema: str, table: str) -> bool:
    return conn.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                        [schema, table]).fetchone()[0] > 0


def observations(conn) -> list[dict]:
    """The published observations that a release holds: restricted indicators left out, in key order."""
    if not _table_exists(conn, "published", "observations"):
        return []
    cols = ", ".join(f"p.{c}" for c in COLUMNS)
    return fetch_dicts(conn, f"""
        select {cols} from published.observations p
        join reference.indicators i using (indicator_code)
        where not coalesce(i.is_restricted, false)
        order by {', '.join('p.' + c for c in KEY)}""")


def derived(conn, published: list[dict]) -> tuple[list[dict], list[dict]]:
    """Derived indicators with disclosure control applied: (rows to release, rows with numerator keys for
    the verifier)."""
    if not _table_exists(conn, "marts", "fct_derived_indicators"):
        return [], []
    rows = fetch_dicts(conn, f"""
        select d.* from marts.fct_derived_indicators d
        join reference.indicators i on i.indicator_code = d.numerator_code
        where not coalesce(i.is_restricted, false)
        order by {', '.join('d.' + c for c in KEY)}""")
    for r in rows:
        r["numerator_key"] = (r["ref_area"], r["time_period"], r["numerator_code"], r["sex"], r["age"], r["offence"])
        if r["denominator_code"] != "CTX_CHILD_POP":     # a ratio of two published indicators
            r["denominator_key"] = (r["ref_area"], r["time_period"], r["denominator_code"], r["sex"], r["age"],
                                    r["offence"])
        r["obs_conf"] = "F"
        # Rounded so that the text form is short and stable (rates to 2 decimals, ratios per 100 to 1).
        r["obs_value"] = round(r["obs_value"], 2 if r["unit_measure"] == "RATE_100000" else 1)
    by_key = {tuple(p[c] for c in KEY): p for p in published}
    controlled = control_rates(rows, by_key, thresholds())
    return [{c: r[c] for c in DERIVED_COLUMNS} for r in controlled], controlled


def with_truth(conn, rows: list[dict], source: str = "published.observations") -> list[dict]:
    """The suppressed rows given their unsuppressed value (true_value, from the restricted marts layer), which
    the audit needs to know what an attacker who guesses right would know: which cells kept their value between
    states, and which relations hold. Rows (read from `source`) are changed in place and returned."""
    if not _table_exists(conn, "marts", "fct_observations"):
        return rows
    keys = ("submission_id", *KEY)
    found = {tuple(r[:-1]): r[-1] for r in conn.execute(
        f"""select distinct {', '.join('p.' + c for c in keys)}, f.obs_value from {source} p
            join marts.fct_observations f using ({', '.join(keys)})
            where p.obs_value is null and p.obs_conf in ('C', 'D')""").fetchall()}
    for r in rows:
        if r["obs_value"] is None and r.get("obs_conf") in ("C", "D"):
            r["true_value"] = found.get(tuple(r[c] for c in keys))
    return rows


def earlier_states(conn) -> list[dict]:
    """Every earlier published state of the tables (country, year, indicator) that were ever revised, from
    published.observation_history: the audit checks this release against all of them (the published table is
    served between releases, so every state was public, and each earlier release is one of them)."""
    if not _table_exists(conn, "published", "observation_history"):
        return []
    cols = ", ".join(f"h.{c}" for c in COLUMNS)
    rows = fetch_dicts(conn, f"""
        select {cols}, h.published_at, h.superseded_at from published.observation_history h
        join reference.indicators i using (indicator_code)
        where not coalesce(i.is_restricted, false)
          and exists (select 1 from published.observation_history s where s.superseded_at is not null
                      and s.ref_area = h.ref_area and s.time_period = h.time_period
                      and s.indicator_code = h.indicator_code)
          and exists (select 1 from published.observation_history c where c.obs_conf = 'C'
                      and c.ref_area = h.ref_area and c.time_period = h.time_period
                      and c.indicator_code = h.indicator_code)""")
    return with_truth(conn, rows, "published.observation_history")


def child_person_counts(conn) -> set[str]:
    return {r[0] for r in conn.execute("select indicator_code from reference.indicators "
                                       "where cast(is_child_person_count as varchar) = 'true'").fetchall()}


def audit(conn, obs: list[dict], der_checked: list[dict], source: str = "published.observations"):
    """The release's audit (pipelines/publish/verify.py): every primary cell against the published cells, the
    derived rates and every earlier published state (rows read from `source`)."""
    current = with_truth(conn, [dict(r) for r in obs], source)
    return leaks(current, der_checked, thresholds(), earlier_states(conn), child_person_counts(conn))


def _rows(conn, table: str, columns: tuple[str, ...]) -> list[dict]:
    if not _table_exists(conn, "marts", table):
        return []
    return fetch_dicts(conn, f"select {', '.join(columns)} from marts.{table} order by ref_area, time_period"
                             + (", mnr_capability" if "mnr_capability" in columns else ""))


def _fields(columns) -> list[dict]:
    return [{"name": c, "type": FIELD_TYPES.get(c, "string")} for c in columns]


def _fks(columns, uses: dict[str, str] = USES) -> list[dict]:
    return [{"fields": [c], "reference": {"resource": uses[c], "fields": ["code"]}} for c in columns if c in uses]


def _arrow(rows: list[dict], columns: tuple[str, ...], types: dict[str, pa.DataType]) -> pa.Table:
    schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
    return pa.Table.from_pylist([{c: r[c] for c in columns} for r in rows], schema=schema)


def _write_files(conn, folder: Path, obs: list[dict], der: list[dict], cov: list[dict], prog: list[dict]) -> None:
    (folder / "codelists").mkdir(parents=True)
    resources = [
        exports.csv_resource("observations", "observations.csv", OBSERVATIONS.frictionless_fields(), list(KEY),
                             _fks(COLUMNS),
                             "Published observations (DESIGN.md section 4), disclosure-controlled."),
        exports.csv_resource("derived_indicators", "derived_indicators.csv", _fields(DERIVED_COLUMNS), list(KEY),
                             _fks(DERIVED_COLUMNS, {**USES, "indicator_code": "cl_derived_indicator"}),
                             "Rates per 100,000 children and justice-funnel ratios; a rate is suppressed with its "
                             "numerator and flagged U (low reliability) when its numerator is under "
                             f"{thresholds().reliable_min}."),
        exports.csv_resource("capability_coverage", "capability_coverage.csv", _fields(COVERAGE_COLUMNS),
                             ["ref_area", "time_period", "mnr_capability"], _fks(COVERAGE_COLUMNS),
                             "Which of the 21 MNR capabilities have published data, per country and year."),
        exports.csv_resource("capability_progress", "capability_progress.csv", _fields(PROGRESS_COLUMNS),
                             ["ref_area", "time_period"], _fks(PROGRESS_COLUMNS),
                             "Capabilities with data per country and year, and the change since the country's "
                             "previous year (no ranking of countries)."),
    ]
    exports.write_csv(folder / "observations.csv", list(COLUMNS), obs)
    fault_point("release")
    exports.write_csv(folder / "derived_indicators.csv", list(DERIVED_COLUMNS), der)
    exports.write_csv(folder / "capability_coverage.csv", list(COVERAGE_COLUMNS), cov)
    exports.write_csv(folder / "capability_progress.csv", list(PROGRESS_COLUMNS), prog)
    exports.write_sdmx_csv(folder / "observations.sdmx.csv", obs)
    exports.write_parquet(pa.Table.from_pylist([{c: r[c] for c in COLUMNS} for r in obs], schema=ARROW_SCHEMA),
                          folder / "observations.parquet", list(KEY))
    codelists = dict(CODELISTS)
    codelists["cl_derived_indicator"] = (DERIVED_CODELIST if _table_exists(conn, "marts", "fct_derived_indicators")
                                         else "select '' as code, '' as label where false")
    for name, sql in sorted(codelists.items()):
        rows = fetch_dicts(conn, f"select * from ({sql}) c order by code")
        exports.write_csv(folder / "codelists" / f"{name}.csv", ["code", "label"], rows)
        resources.append(exports.csv_resource(name, f"codelists/{name}.csv", _fields(["code", "label"]), ["code"]))
    (folder / "datapackage.json").write_text(exports.datapackage(resources), encoding="utf-8")
    _write_duckdb(folder, {
        "observations": (_arrow(obs, COLUMNS, ARROW_TYPES), list(KEY)),
        "derived_indicators": (_arrow(der, DERIVED_COLUMNS, {**ARROW_TYPES, "denominator_value": pa.float64()}),
                               list(KEY)),
        "capability_coverage": (_arrow(cov, COVERAGE_COLUMNS, {"time_period": pa.int32(),
                                                               "mnr_capability": pa.int32(), "has_data": pa.bool_(),
                                                               "indicators_with_data": pa.int64()}),
                                ["ref_area", "time_period", "mnr_capability"]),
        "capability_progress": (_arrow(prog, PROGRESS_COLUMNS, {"time_period": pa.int32(),
                                                                "capabilities_with_data": pa.int64(),
                                                                "capabilities_total": pa.int64(),
                                                                "change_since_previous_year": pa.int64()}),
                                ["ref_area", "time_period"]),
    }, folder / "codelists")


def _write_duckdb(folder: Path, tables: dict[str, tuple[pa.Table, list[str]]], codelists: Path) -> None:
    """release.duckdb: the release's tables (tables, not views over files, so the file works wherever it is
    copied). Its files are made read-only with the rest of the release."""
    with duckdb.connect(str(folder / DUCKDB_FILE)) as db:
        db.execute("set threads = 1")
        for name, (table, order) in tables.items():
            db.register("_t", table)
            db.execute(f"create table {name} as select * from _t order by {', '.join(order)}")
            db.unregister("_t")
        for f in sorted(codelists.glob("*.csv")):
            db.execute(f"create table {f.stem} as select * from read_csv('{f.as_posix()}', header = true, "
                       "all_varchar = true) order by code")


def content_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in NOT_CONTENT):
        h.update(f.relative_to(folder).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def write_manifest(folder: Path) -> None:
    """MANIFEST.sha256 in the format sha256sum writes (`sha256sum -c MANIFEST.sha256` checks the release)."""
    lines = [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(folder).as_posix()}"
             for f in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "MANIFEST.sha256")]
    (folder / "MANIFEST.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")


def history(releases: Path) -> list[tuple[str, str]]:
    index = releases / INDEX
    if not index.is_file():
        return []
    return [tuple(line.split()[:2]) for line in index.read_text().splitlines() if line.strip()]


def _key_text(k: tuple) -> str:
    return " | ".join(str(x) for x in k)


def changes(previous: tuple[str, Path] | None, obs: list[dict]) -> str:
    """CHANGES.md: observations added, revised (value, status or confidentiality) and withdrawn since the
    previous release, by key. A cell suppressed in either release is listed without any value: printing the
    value it had (or has) beside the other release's totals would give the suppressed one back."""
    def cell(r, hide=False):
        value = "(withheld)" if hide else exports.number_text(r['obs_value']) or '(none)'
        return f"{value} {r['obs_status']}/{r['obs_conf']}"

    def suppressed(r):
        return r["obs_value"] is None and r["obs_status"] == "Q"

    current = {tuple(r[c] for c in KEY): r for r in obs}
    out = ["# Changes in this release", ""]
    if previous is None:
        out += [f"First release: every value is new ({len(current)} observations).", ""]
        return "\n".join(out)
    prev_id, prev_folder = previous
    with duckdb.connect() as db:
        prev_rows = fetch_dicts(db, f"select * from read_parquet('{(prev_folder / 'observations.parquet').as_posix()}')")
    before = {tuple(r[c] for c in KEY): r for r in prev_rows}
    added = sorted(k for k in current if k not in before)
    withdrawn = sorted(k for k in before if k not in current)
    revised = sorted(k for k in current if k in before and
                     (current[k]["obs_value"], current[k]["obs_status"], current[k]["obs_conf"])
                     != (before[k]["obs_value"], before[k]["obs_status"], before[k]["obs_conf"]))
    out += [f"Compared with release {prev_id}: {len(added)} added, {len(revised)} revised, "
            f"{len(withdrawn)} withdrawn.", "",
            "Key: ref_area | time_period | indicator_code | sex | age | offence. "
            "Values are shown as `obs_value obs_status/obs_conf`.", ""]
    out += ["## Added", ""] + [f"- {_key_text(k)}: {cell(current[k])}" for k in added] + (["- none"] if not added else [])
    hide = {k for k in revised if suppressed(before[k]) or suppressed(current[k])}
    out += ["", "## Revised", ""] + [f"- {_key_text(k)}: {cell(before[k], k in hide)} → {cell(current[k], k in hide)}"
                                     for k in revised] \
        + (["- none"] if not revised else [])
    out += ["", "## Withdrawn", ""] + [f"- {_key_text(k)}: was {cell(before[k])}" for k in withdrawn] \
        + (["- none"] if not withdrawn else [])
    return "\n".join(out) + "\n"


def _read_only(folder: Path) -> None:
    for f in folder.rglob("*"):
        if f.is_file():
            f.chmod(0o444)


def cut(conn, releases: Path, tag: str | None = None,
        today: str | None = None) -> Release:
    """Cut a release from the warehouse (read-only use of `conn`). Refuses (ReleaseRefused) if the verifier
    finds a recomputable suppressed value. Returns the existing release when nothing changed since the latest
    one (and no tag was asked for) or when the same release id exists already."""
    if tag is not None and not TAG.match(tag):
        raise BadTag(f"the tag {tag!r} cannot be used: use letters, digits, '.', '_' or '-' (e.g. 2025-Q4)")
    obs = observations(conn)
    der, der_checked = derived(conn, obs)
    found = audit(conn, obs, der_checked)
    if found:
        shown = "\n  ".join(str(f) for f in found[:10])
        raise ReleaseRefused(
            f"the release was not cut: {len(found)} suppressed value(s) could be recomputed or narrowed from the "
            f"published totals, cells, rates and earlier states:\n  {shown}\nRe-publish with disclosure control "
            "(mnr run) and cut the release again.")
    cov = _rows(conn, "fct_capability_coverage", COVERAGE_COLUMNS)
    prog = _rows(conn, "fct_capability_progress", PROGRESS_COLUMNS)
    releases.mkdir(parents=True, exist_ok=True)
    # A cut that died part-way left only its temporary folder (the caller holds the warehouse lock, so no other
    # cut is writing one now): remove it.
    for stale in releases.glob(".cutting-*"):
        shutil.rmtree(stale, ignore_errors=True)
    past = history(releases)
    tmp = Path(tempfile.mkdtemp(prefix=".cutting-", dir=releases))
    try:
        _write_files(conn, tmp, obs, der, cov, prog)
        digest = content_hash(tmp)
        if past and tag is None and past[-1][1] == digest:
            return Release(past[-1][0], releases / past[-1][0], new=False, previous=past[-2][0] if len(past) > 1 else None)
        release_id = f"{tag or today or datetime.now(timezone.utc).strftime('%Y-%m-%d')}-{digest[:12]}"
        final = releases / release_id
        if final.exists():
            if release_id not in {r for r, _ in past}:
                # The cut that renamed it died before recording it in the index: record it now.
                with open(releases / INDEX, "a", encoding="utf-8") as f:
                    f.write(f"{release_id} {digest}\n")
            return Release(release_id, final, new=False, previous=None)
        previous = (past[-1][0], releases / past[-1][0]) if past else None
        (tmp / "CHANGES.md").write_text(changes(previous, obs), encoding="utf-8")
        write_manifest(tmp)
        _read_only(tmp)
        tmp.chmod(0o755)
        os.rename(tmp, final)  # atomic: a release folder is complete or absent
        with open(releases / INDEX, "a", encoding="utf-8") as f:
            f.write(f"{release_id} {digest}\n")
        return Release(release_id, final, new=True, previous=previous[0] if previous else None)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def latest(releases: Path) -> tuple[str, Path] | None:
    past = history(releases)
    return (past[-1][0], releases / past[-1][0]) if past else None
