"""The landing sensor: new files in the landing archive start a run for their country."""


import dagster as dg

from pipelines.assets.standardise import reference_is_current
from pipelines.jobs import load_reference_data, process_submissions
from pipelines.partitions import country_partitions
from pipelines.settings import prepare_environment
from pipelines.submissions import pending


@dg.sensor(
    jobs=[process_submissions, load_reference_data],
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a run per country with pending submissions in MNR_HOME/landing (and reloads the "
                "reference data first when seeds/ changed).",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    p = prepare_environment()
    todo = pending(p)
    if not todo:
        return dg.SkipReason("no pending submissions")
    by_country: dict[str, list[str]] = {}
    for r in todo:
        by_country.setdefault(r.country, []).append(r.submission_id)
    known = set(context.instance.get_dynamic_partitions(country_partitions.name))
    requests = []
    if not reference_is_current():
        requests.append(dg.RunRequest(job_name=load_reference_data.name, run_key=None,
                                      tags={"mnr/reason": "seeds changed"}))
    for country, ids in sorted(by_country.items()):
        requests.append(dg.RunRequest(
            job_name=process_submissions.name,
            partition_key=country,
            run_key=f"{country}:{','.join(sorted(ids))}",
            tags={"mnr/country": country, "mnr/submissions": ",".join(sorted(ids))},
        ))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[country_partitions.build_add_request(sorted(set(by_country) - known))],
    )
