"""landing: archived files read into raw.observations, one row per source data cell."""


import dagster as dg

from pipelines.assets.runs import run_submissions
from pipelines.faults import fault_point
from pipelines.ingest.load import quarantine, read_submission, write_raw
from pipelines.partitions import country_partitions, single_run
from pipelines.quality.store import replace_findings
from pipelines.resources import Warehouse
from pipelines.settings import paths


@dg.asset(
    group_name="landing",
    partitions_def=country_partitions,
    backfill_policy=single_run,
    kinds={"python", "duckdb"},
    description="Every cell of the countries' pending submissions, as text with its sheet, row and column "
                "(raw.observations); file-level (level 0) findings go to quality.findings.",
)
def raw_observations(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    p = paths()
    todo = run_submissions(context)
    cells = 0
    refused = []
    with warehouse.connect() as conn:
        for receipt in todo:
            result = read_submission(p, receipt)
            if result.quarantined:
                quarantine(p, receipt)
                refused.append(receipt.submission_id)
            write_raw(conn, result)
            fault_point("ingest")
            replace_findings(conn, "ingest", [receipt.submission_id],
                             [(receipt.submission_id, receipt.country, f) for f in result.findings])
            cells += len(result.records)
            context.log.info(f"{receipt.submission_id} ({receipt.file_name}): {len(result.records)} cells, "
                             f"{len(result.findings)} file findings, layouts {sorted(set(result.layouts))}")
    return dg.MaterializeResult(metadata={
        "submissions": dg.MetadataValue.json([r.submission_id for r in todo]),
        "cells": cells,
        "quarantined": dg.MetadataValue.json(refused),
    })
