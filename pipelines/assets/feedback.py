"""feedback: findings.json, findings.csv and report.html for every processed submission."""


import dagster as dg

from pipelines.assets.publish import published_observations
from pipelines.assets.runs import run_submissions
from pipelines.feedback.context import gather
from pipelines.feedback.report import findings_document, write_feedback
from pipelines.partitions import country_partitions, single_run
from pipelines.quality.store import findings_for
from pipelines.resources import Warehouse
from pipelines.settings import paths


@dg.asset(
    group_name="feedback",
    deps=[published_observations],
    partitions_def=country_partitions,
    backfill_policy=single_run,
    kinds={"html"},
    description="The quality feedback of each submission, in feedback/<ISO3>/<submission_id>/.",
)
def feedback_reports(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    p = paths()
    written = {}
    with warehouse.connect(read_only=False) as conn:
        for r in run_submissions(context):
            findings = findings_for(conn, r.submission_id)
            published = conn.execute(
                "select count(*) from (select distinct ref_area, time_period, indicator_code, sex, age, offence "
                "from published.observation_history where submission_id = ?) k", [r.submission_id]
            ).fetchone()[0]
            doc = findings_document(r, findings, published)
            folder = p.feedback_dir(r.country, r.submission_id)
            write_feedback(folder, doc, gather(conn, r.submission_id, r.country, findings))
            written[r.submission_id] = {"verdict": doc["verdict"], "report": str(folder / "report.html")}
    return dg.MaterializeResult(metadata={"reports": dg.MetadataValue.json(written), "report_count": len(written),
                                          "feedback_folder": dg.MetadataValue.path(str(p.feedback))})
