"""publish: accepted submissions into published.observations (the gate), key by key."""


import dagster as dg

from pipelines.assets.quality import submission_verdicts
from pipelines.assets.runs import run_submissions
from pipelines.faults import fault_point
from pipelines.partitions import country_partitions, single_run
from pipelines.publish.publish import KEY, publish
from pipelines.resources import Warehouse


@dg.asset(
    group_name="publish",
    deps=[submission_verdicts],
    partitions_def=country_partitions,
    backfill_policy=single_run,
    kinds={"duckdb"},
    description="The published observations: only accepted submissions, oldest first, superseding earlier values "
                "key by key; rejected submissions publish nothing and earlier values stay. Small counts about "
                "children are suppressed.",
)
def published_observations(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    subs = run_submissions(context)
    ids = [r.submission_id for r in subs]
    with warehouse.connect() as conn:
        verdicts = dict(conn.execute(
            "select submission_id, verdict from quality.verdicts where submission_id in (select unnest(?::varchar[]))",
            [ids],
        ).fetchall()) if ids else {}
        accepted = [sid for sid in ids if verdicts.get(sid) in ("accepted", "accepted_with_warnings")]
        held = [sid for sid in ids if sid not in accepted]
        counts = publish(conn, accepted)
        fault_point("published")
        total = conn.execute("select count(*) from published.observations").fetchone()[0]
    for sid in held:
        context.log.warning(f"{sid} was not published (verdict: {verdicts.get(sid, 'none')}); earlier values stay")
    return dg.MaterializeResult(metadata={
        "published_submissions": dg.MetadataValue.json(counts),
        "held_back": dg.MetadataValue.json(held),
        "rows_in_table": total,
    })


@dg.asset_check(asset=published_observations, description="One published value per key (DESIGN.md section 4).")
def published_key_is_unique(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as conn:
        dupes = conn.execute(
            f"select count(*) from (select {', '.join(KEY)} from published.observations group by {', '.join(KEY)} having count(*) > 1) d"
        ).fetchone()[0]
    return dg.AssetCheckResult(passed=dupes == 0, metadata={"duplicate_keys": dupes})
