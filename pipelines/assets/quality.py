"""quality: the great-expectations suite on the harmonised observations, the rules of levels 1-4, and a
verdict per submission (DESIGN.md section 6). The domain logic is in pipelines/quality/ (gate.py)."""


import dagster as dg

from pipelines.assets.runs import run_submissions
from pipelines.partitions import country_partitions, single_run
from pipelines.quality.findings import Finding
from pipelines.quality.gate import decide
from pipelines.quality.store import RuleResult, ensure, replace_findings
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
    from pipelines.quality.expectations import evaluate

    subs = run_submissions(context)
    ids = [r.submission_id for r in subs]
    with warehouse.connect() as conn:
        failures, stats, how = evaluate(conn, ids)
        # Where the failing rows came from (only theirs: a run can hold millions of rows).
        where = {
            (sid, ref): (sheet, row, col, year)
            for sid, ref, sheet, row, col, year in conn.execute(
                """select m.submission_id, m.source_ref, m.sheet, m.file_row, m.value_column, m.time_period
                   from intermediate.int_observations_mapped m
                   join (select unnest(?::varchar[]) as sid, unnest(?::varchar[]) as ref) f
                        on m.submission_id = f.sid and m.source_ref = f.ref""",
                [[f["submission_id"] for f in failures], [f["source_ref"] for f in failures]],
            ).fetchall()
        } if failures else {}
        country = {r.submission_id: r.country for r in subs}
        rows = []
        for f in failures:
            sheet, row, col, year = where.get((f["submission_id"], f["source_ref"]), (None, None, None, None))
            rows.append((f["submission_id"], country[f["submission_id"]], Finding(
                rule_id=f["rule_id"], level=f["level"], severity=f["severity"], message=f["message"],
                sheet=sheet, row=row, column=col if f["column"] == "obs_value" else f["column"],
                value=None if f["value"] is None else f"{f['value']:g}" if isinstance(f["value"], float) else str(f["value"]),
                expected=f.get("expected"), indicator_code=f.get("indicator_code"), time_period=year,
                source_ref=f["source_ref"],
            )))
        failed: dict[tuple[str, str], int] = {}
        for sid, _, f in rows:
            failed[(sid, f.rule_id)] = failed.get((sid, f.rule_id), 0) + 1
        results = [RuleResult(sid, rule, 1, "error", desc, n, failed.get((sid, rule), 0))
                   for (sid, rule), (n, desc) in sorted(stats.items())]
        replace_findings(conn, "expectations", ids, rows, results)
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"rows_validated": how["rows"], "unexpected_rows": len(failures), "mode": how["mode"],
                  "rows_seen_by_great_expectations": how["gx_rows"],
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
    with warehouse.connect() as conn:
        table = decide(conn, [(r.submission_id, r.country) for r in subs])
    for t in table:
        context.log.info(f"{t['submission_id']}: {t['verdict']} ({t['error']} errors, {t['warning']} warnings)")
    return dg.MaterializeResult(metadata={
        "verdicts": dg.MetadataValue.json(table),
        "rejected": sum(t["verdict"] == "rejected" for t in table),
    })


@dg.asset_check(
    asset=submission_verdicts,
    name="every_submission_has_a_verdict",
    blocking=True,
    description="Every pending submission of the run has a verdict that agrees with its findings. Blocking: if "
                "the gate could not decide, nothing of the run is published. A rejected submission is not a "
                "failure of this check; it is held back by its own verdict while the others publish.",
)
def every_submission_has_a_verdict(context, warehouse: Warehouse) -> dg.AssetCheckResult:
    ids = [r.submission_id for r in run_submissions(context)]
    with warehouse.connect() as conn:
        ensure(conn)
        bad = conn.execute(
            """with f as (select submission_id, count(*) filter (where severity = 'error') as e,
                                 count(*) filter (where severity = 'warning') as w
                          from quality.findings group by submission_id)
               select s.id from (select unnest(?::varchar[]) as id) s
               left join quality.verdicts v on v.submission_id = s.id
               left join f on f.submission_id = s.id
               where v.verdict is null or v.errors <> coalesce(f.e, 0) or v.warnings <> coalesce(f.w, 0)
                  or (v.verdict = 'rejected') <> (coalesce(f.e, 0) > 0)""",
            [ids],
        ).fetchall() if ids else []
    return dg.AssetCheckResult(
        passed=not bad, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"submissions": len(ids), "without_a_sound_verdict": dg.MetadataValue.json([b[0] for b in bad])},
    )
