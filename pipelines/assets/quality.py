"""quality: the great-expectations suite on the harmonised observations, the level 0-1 rules, and a
verdict per submission (DESIGN.md section 6)."""


import dagster as dg

from pipelines.assets.runs import run_submissions
from pipelines.partitions import country_partitions, single_run
from pipelines.quality.findings import Finding, counts, verdict
from pipelines.quality.rules import run_rules
from pipelines.quality.store import findings_for, record_verdict, replace_findings
from pipelines.resources import Warehouse

FCT = dg.AssetKey(["marts", "fct_observations"])


@dg.asset_check(
    asset=FCT,
    name="fct_observations_expectations",
    blocking=True,
    description="The great-expectations suite expectations/fct_observations.json (ranges per indicator from the "
                "catalogue, code lists) on the run's submissions. Failing rows become findings that reject their "
                "own submission only; the check itself fails the run only if it cannot run.",
)
def fct_observations_expectations(context, warehouse: Warehouse) -> dg.AssetCheckResult:
    from pipelines.quality.expectations import validate

    subs = run_submissions(context)
    ids = [r.submission_id for r in subs]
    with warehouse.connect() as conn:
        df = conn.execute(
            "select * from marts.fct_observations where submission_id in (select unnest(?::varchar[]))", [ids]
        ).df() if ids else None
        failures = validate(df) if df is not None else []
        where = {
            (sid, ref): (sheet, row, col)
            for sid, ref, sheet, row, col in conn.execute(
                """select submission_id, source_ref, sheet, file_row, value_column
                   from intermediate.int_observations_mapped where submission_id in (select unnest(?::varchar[]))""",
                [ids],
            ).fetchall()
        } if failures else {}
        country = {r.submission_id: r.country for r in subs}
        rows = []
        for f in failures:
            sheet, row, col = where.get((f["submission_id"], f["source_ref"]), (None, None, None))
            rows.append((f["submission_id"], country[f["submission_id"]], Finding(
                rule_id=f["rule_id"], level=f["level"], severity=f["severity"], message=f["message"],
                sheet=sheet, row=row, column=col if f["column"] == "obs_value" else f["column"],
                value=None if f["value"] is None else f"{f['value']:g}" if isinstance(f["value"], float) else str(f["value"]),
                expected=f.get("expected"), indicator_code=f.get("indicator_code"),
            )))
        replace_findings(conn, "expectations", ids, rows)
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_validated": 0 if df is None else len(df), "unexpected_rows": len(failures),
                  "submissions": dg.MetadataValue.json(ids)},
    )


@dg.asset(
    group_name="quality",
    deps=[FCT],
    partitions_def=country_partitions,
    backfill_policy=single_run,
    kinds={"duckdb"},
    description="A verdict per pending submission (rejected / accepted_with_warnings / accepted) from its findings "
                "at every level, in quality.verdicts; all findings in quality.findings.",
)
def submission_verdicts(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    subs = run_submissions(context)
    ids = [r.submission_id for r in subs]
    table = []
    with warehouse.connect() as conn:
        replace_findings(conn, "rules", ids, run_rules(conn, ids))
        for r in subs:
            c = counts(findings_for(conn, r.submission_id))
            v = verdict(c)
            record_verdict(conn, r.submission_id, r.country, v, c)
            table.append({"submission_id": r.submission_id, "verdict": v, **c})
            context.log.info(f"{r.submission_id}: {v} ({c['error']} errors, {c['warning']} warnings)")
    return dg.MaterializeResult(metadata={
        "verdicts": dg.MetadataValue.json(table),
        "rejected": sum(t["verdict"] == "rejected" for t in table),
    })
