"""Disclosure control and its audit on the benchmark's data, alone: how long publication's control and a
release's audit take, and what the audit finds.

    .venv/bin/python bench/disclosure.py [--countries 200] [--years 15] [--seed 7] [--keep FILE]
    .venv/bin/python bench/disclosure.py --audit-only FILE     (audit a warehouse another checkout published)

The cells are bench/generate.py's (the same countries, years and values as the files of `make bench`; the
countries with planted defects, which the pipeline rejects, are left out), put straight into
marts.fct_observations of a DuckDB file (no ingest, no dbt): then publish() of every submission at once (a
rebuild's publication, with disclosure control), the release's audit of the result, and a revision of one
country (a second publication with its earlier state in history, and the audit again). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402

from bench import generate  # noqa: E402
from pipelines.publish.publish import ARROW_SCHEMA, COLUMNS, DDL, publish  # noqa: E402
from pipelines.settings import SEEDS_DIR  # noqa: E402
from pipelines.warehouse import Db  # noqa: E402


def rows_of(iso3: str, cells, sid: str) -> list[dict]:
    cat = {r["indicator_code"]: r for r in generate.catalogue()}
    out = []
    for i, c in enumerate(cells):
        ind = cat[c.indicator]
        dis = ind["disaggregations"] or ""
        out.append({
            "ref_area": iso3, "time_period": c.year, "indicator_code": c.indicator, "mnr_domain": ind["mnr_domain"],
            "mnr_capability": int(ind["mnr_capability"]), "sex": c.sex or ("_T" if "SEX" in dis else "_Z"),
            "age": c.age or ("_T" if "AGE" in dis else "_Z"), "offence": c.offence or ("_T" if "OFF" in dis else "_Z"),
            "obs_value": c.value, "unit_measure": ind["unit_measure"], "obs_status": "A", "obs_conf": "F",
            "submission_id": sid, "source_ref": f"row {i + 2}, column value", "comment": None})
    return out


def warehouse(path: Path) -> Db:
    conn = duckdb.connect(str(path))
    conn.execute("create schema reference; create schema marts")
    conn.execute(f"""create table reference.indicators as
        select * replace (is_child_person_count = 'true' as is_child_person_count,
                          is_restricted = 'true' as is_restricted)
        from read_csv('{SEEDS_DIR}/indicators.csv', header = true, all_varchar = true)""")
    conn.execute(DDL)
    conn.execute("create table marts.fct_observations as select * from published.observations where false")
    return Db(conn, "duckdb")


def add(db: Db, rows: list[dict]) -> None:
    db.insert_frame("marts.fct_observations", pa.Table.from_pylist(rows, schema=ARROW_SCHEMA))


def audit(db: Db) -> tuple[float, int, int]:
    """(seconds, leaks, cells audited) of the release's audit of the published table, as this checkout has it."""
    from pipelines.publish import release

    obs = release.observations(db)
    t0, c0 = time.perf_counter(), time.process_time()
    if hasattr(release, "audit"):
        found = release.audit(db, obs, [])
    else:                                   # a checkout from before the audit by linear programming
        from pipelines.publish.verify import leaks
        found = leaks(obs, [])
    print(f"audit cpu {time.process_time() - c0:.2f} s", file=sys.stderr)
    return time.perf_counter() - t0, len(found), sum(r["obs_value"] is None for r in obs)


def counts(db: Db) -> dict:
    return dict(db.execute("select obs_conf, count(*) from published.observations where obs_value is null "
                           "group by 1 order by 1").fetchall())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="write the warehouse here (else a temporary file)")
    ap.add_argument("--audit-only", type=Path, help="only audit this warehouse")
    a = ap.parse_args(argv)
    if a.audit_only:
        db = Db(duckdb.connect(str(a.audit_only)), "duckdb")
        seconds, n, cells = audit(db)
        print(json.dumps({"audit_s": round(seconds, 2), "leaks": n, "suppressed": counts(db)}))
        return 0
    years = list(range(generate.LAST_YEAR - a.years + 1, generate.LAST_YEAR + 1))
    chosen = generate.countries(a.countries, a.seed)
    defective = set(random.Random(a.seed + 1).sample(chosen, round(len(chosen) * 0.1)))
    tmp = tempfile.TemporaryDirectory()
    path = a.keep or Path(tmp.name) / "w.duckdb"
    db = warehouse(path)
    sids = []
    for iso3 in chosen:
        if iso3 in defective:
            continue
        cells = generate.country_cells(random.Random(f"{a.seed}:{iso3}"), iso3, years)
        sids.append(f"{iso3}-bench")
        add(db, rows_of(iso3, cells, sids[-1]))
    out = {"countries": len(sids), "years": a.years,
           "cells": db.execute("select count(*) from marts.fct_observations").fetchone()[0]}
    t0, c0 = time.perf_counter(), time.process_time()
    publish(db, sids)
    out["publish_s"], out["publish_cpu_s"] = round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2)
    out["suppressed"] = counts(db)
    seconds, n, _ = audit(db)
    out["audit_s"], out["leaks"] = round(seconds, 2), n
    # A revision of one country: its new state controlled against the one published before.
    iso3 = sids[0].split("-")[0]
    cells = generate.country_cells(random.Random(f"{a.seed}:{iso3}:revision"), iso3, years)
    add(db, rows_of(iso3, cells, f"{iso3}-revision"))
    t0 = time.perf_counter()
    publish(db, [f"{iso3}-revision"])
    out["revision_publish_s"] = round(time.perf_counter() - t0, 2)
    # Keys of the current submissions that control withheld (not published at all).
    out["withheld"] = db.execute(
        "select count(*) from (select distinct ref_area, time_period, indicator_code, sex, age, offence "
        "from marts.fct_observations) f where not exists (select 1 from published.observations p where "
        "p.ref_area = f.ref_area and p.time_period = f.time_period and p.indicator_code = f.indicator_code "
        "and p.sex = f.sex and p.age = f.age and p.offence = f.offence)").fetchone()[0]
    seconds, n, _ = audit(db)
    out["revision_audit_s"], out["revision_leaks"] = round(seconds, 2), n
    db.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
