"""The Dagster code location: composition only."""

import dagster as dg

from pipelines.settings import prepare_environment

prepare_environment()

from pipelines.assets.feedback import feedback_reports  # noqa: E402
from pipelines.assets.landing import raw_observations  # noqa: E402
from pipelines.assets.publish import published_key_is_unique, published_observations  # noqa: E402
from pipelines.assets.release import (  # noqa: E402
    country_profiles,
    release,
    release_indicators,
    release_leaks_nothing,
)
from pipelines.assets.quality import (  # noqa: E402
    every_submission_has_a_verdict,
    fct_observations_expectations,
    submission_verdicts,
)
from pipelines.assets.standardise import reference_data, standardised  # noqa: E402
from pipelines.jobs import cut_release, load_reference_data, process_submissions  # noqa: E402
from pipelines.resources import Warehouse, dbt_resource, executor, io_manager  # noqa: E402
from pipelines.schedules import nightly_processing, nightly_reference_reload, quarterly_release  # noqa: E402
from pipelines.sensors import landing_sensor  # noqa: E402

defs = dg.Definitions(
    assets=[raw_observations, reference_data, standardised, submission_verdicts, published_observations,
            feedback_reports, release_indicators, release, country_profiles],
    asset_checks=[fct_observations_expectations, every_submission_has_a_verdict, published_key_is_unique,
                  release_leaks_nothing],
    jobs=[process_submissions, load_reference_data, cut_release],
    sensors=[landing_sensor],
    schedules=[nightly_reference_reload, nightly_processing, quarterly_release],
    # None of these takes run config: no executable, path or database can be set when a run is launched
    # (pipelines/resources.py).
    resources={"warehouse": Warehouse(), "dbt": dbt_resource(), "io_manager": io_manager()},
    # DuckDB has one writer: the steps of a run go one after another in one process, which holds the warehouse
    # lock for the whole run (pipelines/resources.py); the run queue (dagster.yaml) lets one run go at a time.
    executor=executor,
)
