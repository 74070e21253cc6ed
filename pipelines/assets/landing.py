"""landing: archived files read into raw.observations, one row per source data cell."""


import dagster as dg

from pipelines.assets.runs import run_submissions
from pipelines.faults import fault_point
from pipelines.ingest.load import quarantine, read_submission, write_raw
from pipelines.partitions import country_partitions, single_run
from pipelines.quality.store import replace_findings
from pipelines.resources import Warehouse
from pipelines.settings import paths


# One step writes both tables, in one transaction per submission: the cells (raw.observations) and the codes read
# from their values by the file's mapping and the readers of pipelines/ingest/codes.py (raw.codes).
@dg.multi_asset(
    name="raw_observations",
    specs=[
        dg.AssetSpec("raw_observations", group_name="landing", kinds={"python", "duckdb"},
                     description="Every cell of the countries' pending submissions, as text with its sheet, row and "
                                 "column (raw.observations); file-level (level 0) findings go to quality.findings."),
        dg.AssetSpec("raw_codes", group_name="landing", kinds={"python", "duckdb"},
                     description="The codes read from each distinct value of a submission by its mapping and the "
                                 "standard code readers (age bands, ICCS, M49, SDMX and Eurostat codes and flags), "
                                 "with the scope of the rows that hold it (raw.codes)."),
    ],
    partitions_def=country_partitions,
    backfill_policy=single_run,
)
def raw_observations(context: dg.AssetExecutionContext, warehouse: Warehouse):
    p = paths()
    todo = run_submissions(context)
    cells = codes = 0
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
            codes += len(result.codes)
            context.log.info(f"{receipt.submission_id} ({receipt.file_name}): {len(result.records)} cells, "
                             f"{len(result.findings)} file findings, layouts {sorted(set(result.layouts))}")
    yield dg.MaterializeResult(asset_key="raw_observations", metadata={
        "submissions": dg.MetadataValue.json([r.submission_id for r in todo]),
        "cells": cells,
        "quarantined": dg.MetadataValue.json(refused),
    })
    yield dg.MaterializeResult(asset_key="raw_codes", metadata={"codes": codes})
