import dagster as dg

from pipelines.assets.release import country_profiles, release, release_indicators
from pipelines.partitions import country_partitions

PIPELINE_GROUPS = ("landing", "standardise", "quality", "publish", "feedback")

# Releases are cut on their own (mnr release, the quarterly schedule), never by a country's run.
RELEASE = dg.AssetSelection.assets(release_indicators, release, country_profiles)

# Everything from a country's files to its feedback report.
process_submissions = dg.define_asset_job(
    name="process_submissions",
    selection=dg.AssetSelection.groups(*PIPELINE_GROUPS) - RELEASE,
    partitions_def=country_partitions,
    description="Process the pending submissions of the selected countries: landing -> standardise -> quality -> "
                "publish -> feedback.",
)

# The catalogue, code lists and aliases (seeds/) loaded into the warehouse's reference schema.
load_reference_data = dg.define_asset_job(
    name="load_reference_data",
    selection=dg.AssetSelection.groups("reference"),
    description="Load seeds/ (catalogue, code lists, aliases) into the reference schema.",
)

# Derived indicators, an immutable release (blocked if it would disclose a suppressed value), country profiles.
cut_release = dg.define_asset_job(
    name="cut_release",
    selection=RELEASE,
    description="Build the derived indicators, cut a release in releases/<release_id>/ and write the country "
                "profiles (mnr release does the same).",
)
