import warnings

import dagster as dg

# single_run backfill policies are beta in this Dagster version; they are what lets one run cover many countries.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

# One partition per country (ISO3), added when a country's first submission is picked up.
country_partitions = dg.DynamicPartitionsDefinition(name="country")

# A run may process several countries at once (one dbt invocation), each still gated on its own.
single_run = dg.BackfillPolicy.single_run()
