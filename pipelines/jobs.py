import dagster as dg

from pipelines.partitions import country_partitions

PIPELINE_GROUPS = ("landing", "standardise", "quality", "publish", "feedback")

# Everything from a country's files to its feedback report.
process_submissions = dg.define_asset_job(
    name="process_submissions",
    selection=dg.AssetSelection.groups(*PIPELINE_GROUPS),
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
