"""The Dagster code location: composition only."""

import dagster as dg

from pipelines.settings import prepare_environment

_paths = prepare_environment()

from pipelines.assets.feedback import feedback_reports  # noqa: E402
from pipelines.assets.landing import raw_observations  # noqa: E402
from pipelines.assets.publish import published_key_is_unique, published_observations  # noqa: E402
from pipelines.assets.quality import fct_observations_expectations, submission_verdicts  # noqa: E402
from pipelines.assets.standardise import reference_data, standardised  # noqa: E402
from pipelines.jobs import load_reference_data, process_submissions  # noqa: E402
from pipelines.resources import Warehouse, dbt_resource  # noqa: E402
from pipelines.schedules import nightly_reference_reload  # noqa: E402
from pipelines.sensors import landing_sensor  # noqa: E402

defs = dg.Definitions(
    assets=[raw_observations, reference_data, standardised, submission_verdicts, published_observations,
            feedback_reports],
    asset_checks=[fct_observations_expectations, published_key_is_unique],
    jobs=[process_submissions, load_reference_data],
    sensors=[landing_sensor],
    schedules=[nightly_reference_reload],
    resources={"warehouse": Warehouse(path=str(_paths.warehouse)), "dbt": dbt_resource()},
    # DuckDB has one writer: the steps of a run go one after another in one process.
    executor=dg.in_process_executor,
)
