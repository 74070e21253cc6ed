import dagster as dg

from pipelines.jobs import load_reference_data

# Nightly: reload the reference data so that alias or catalogue edits reach the warehouse.
nightly_reference_reload = dg.ScheduleDefinition(
    name="nightly_reference_reload",
    job=load_reference_data,
    cron_schedule="0 2 * * *",
    description="Reload seeds/ into the reference schema every night.",
)
