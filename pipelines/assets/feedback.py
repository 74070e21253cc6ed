"""feedback: findings.json, findings.csv and report.html for every processed submission."""


import dagster as dg

from pipelines.assets.publish import published_observations
from pipelines.assets.runs import run_submissions
from pipelines.feedback.context import gather
from pipelines.feedback.i18n import file_language
from pipelines.feedback.report import DRAFT_FILE, findings_document, write_feedback
from pipelines.ingest.draft import offer
from pipelines.ingest.load import submitted_file
from pipelines.partitions import country_partitions, single_run
from pipelines.quality.store import findings_for
from pipelines.resources import Warehouse
from pipelines.settings import paths


# The file's headers and labels as read (raw.observations), from which its language is told.
LABELS = ("value_column", "indicator_raw", "sex_raw", "age_raw", "offence_raw", "unit_raw")
LABELS_SQL = " union ".join(f"select distinct {c} from raw.observations where submission_id = ? and {c} is not null"
                            for c in LABELS)


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
            # The report is written in the file's own language (the portal shows it in its reader's too).
            doc["language"] = file_language(
                v for (v,) in conn.execute(LABELS_SQL, [r.submission_id] * len(LABELS)).fetchall())
            folder = p.feedback_dir(r.country, r.submission_id)
            report_context = gather(conn, r.submission_id, r.country, findings)
            # A file not fully read gets the mapping mnr map drafts for it, beside its report.
            draft = offer(submitted_file(p, r), r.country, findings)
            if draft:
                doc["mapping_draft"], report_context["mapping_draft"] = DRAFT_FILE, draft
            write_feedback(folder, doc, report_context, lang=doc["language"], draft=draft)
            written[r.submission_id] = {"verdict": doc["verdict"], "report": str(folder / "report.html")}
    return dg.MaterializeResult(metadata={"reports": dg.MetadataValue.json(written), "report_count": len(written),
                                          "feedback_folder": dg.MetadataValue.path(str(p.feedback))})
