"""The landing sensor: new files in the landing archive start a run for their country.

`requests_for_pending()` is the one place that turns pending submissions into run requests; the sensor uses it
every 15 seconds and the nightly schedule (pipelines/schedules.py) uses it as a catch-up.
"""


import dagster as dg

from pipelines.assets.standardise import reference_is_current, seeds_fingerprint
from pipelines.faults import fail_dead_runs
from pipelines.jobs import load_reference_data, process_submissions
from pipelines.partitions import country_partitions
from pipelines.settings import prepare_environment
from pipelines.submissions import pending, run_tags

IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED]


def requests_for_pending(trigger: str, keyed: bool) -> tuple[list[dg.RunRequest], list[str]]:
    """Run requests for the countries with pending submissions (the reference data first if seeds/ changed),
    and the countries among them that are new. `keyed`: give each request a run key made of its submission ids,
    so that the sensor asks once per set of submissions; the nightly schedule asks again for whatever is still
    pending (a run that failed, or files archived while the daemon was down)."""
    by_country: dict[str, list[str]] = {}
    for r in pending(prepare_environment()):
        by_country.setdefault(r.country, []).append(r.submission_id)
    requests = []
    if by_country and not reference_is_current():
        # Keyed by the seeds' fingerprint: one reload per version of seeds/, not one per tick while it waits.
        requests.append(dg.RunRequest(job_name=load_reference_data.name,
                                      run_key=f"reference:{seeds_fingerprint()[:16]}" if keyed else None,
                                      tags={"mnr/reason": "seeds changed", "mnr/trigger": trigger}))
    for country, ids in sorted(by_country.items()):
        requests.append(dg.RunRequest(
            job_name=process_submissions.name,
            partition_key=country,
            run_key=f"{country}:{','.join(sorted(ids))}" if keyed else None,
            tags=run_tags([country], sorted(ids), trigger),
        ))
    return requests, sorted(by_country)


def countries_in_flight(instance: dg.DagsterInstance) -> set[str]:
    """Countries that already have a queued or running run (their pending submissions are being taken care of)."""
    runs = instance.get_runs(dg.RunsFilter(job_name=process_submissions.name, statuses=IN_FLIGHT))
    return {c for run in runs for c in run.tags.get("mnr/country", "").split(",") if c}


@dg.sensor(
    jobs=[process_submissions, load_reference_data],
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a run per country with pending submissions in MNR_HOME/landing (and reloads the "
                "reference data first when seeds/ changed). Runs wait in the run queue: one at a time.",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    for run_id in fail_dead_runs(context.instance):
        context.log.warning(f"run {run_id} was left started by a process that died: marked failed")
    requests, countries = requests_for_pending("landing_sensor", keyed=True)
    if not requests:
        return dg.SkipReason("no pending submissions")
    known = set(context.instance.get_dynamic_partitions(country_partitions.name))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[country_partitions.build_add_request(sorted(set(countries) - known))],
    )
