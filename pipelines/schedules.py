"""Schedules: the nightly catch-up of pending submissions and the nightly reference reload."""

import dagster as dg

from pipelines.jobs import cut_release, load_reference_data, process_submissions
from pipelines.partitions import country_partitions
from pipelines.sensors import countries_in_flight, requests_for_pending

# Nightly: reload the reference data so that alias or catalogue edits reach the warehouse.
nightly_reference_reload = dg.ScheduleDefinition(
    name="nightly_reference_reload",
    job=load_reference_data,
    cron_schedule="0 2 * * *",
    description="Reload seeds/ into the reference schema every night.",
)


@dg.schedule(
    cron_schedule="30 2 * * *",  # after the reference reload, so the runs use tonight's reference data
    job=process_submissions,
    name="nightly_processing",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night, a run per country that still has pending submissions and no run queued or going: "
                "catches what the landing sensor could not (a failed run, files archived while the daemon was "
                "down). The same requests as the landing sensor, without its once-only run keys.",
)
def nightly_processing(context: dg.ScheduleEvaluationContext):
    requests, _ = requests_for_pending("nightly_processing", keyed=False)
    busy = countries_in_flight(context.instance)
    requests = [r for r in requests if r.job_name == process_submissions.name and r.partition_key not in busy]
    if not requests:
        return dg.SkipReason("no pending submissions without a run already queued or going")
    # Schedules cannot return partition requests like sensors do; a country new since the sensor last ran is
    # added here so that its run has a partition.
    known = set(context.instance.get_dynamic_partitions(country_partitions.name))
    new = sorted({r.partition_key for r in requests} - known)
    if new:
        context.instance.add_dynamic_partitions(country_partitions.name, new)
    return requests


# Quarterly: a release on the first day of each quarter (no new release folder if nothing changed).
quarterly_release = dg.ScheduleDefinition(
    name="quarterly_release",
    job=cut_release,
    cron_schedule="0 4 1 1,4,7,10 *",
    description="Cut a release (releases/<release_id>/) and the country profiles at the start of every quarter.",
)
