"""What a run is about: its countries and their pending submissions (shared by every asset of the job)."""


import dagster as dg

from pipelines.ingest.archive import Receipt
from pipelines.partitions import country_partitions
from pipelines.settings import paths
from pipelines.submissions import pending

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def run_countries(context) -> list[str]:
    """The country partitions of the current run (one key, or a range in partition order)."""
    tags = context.run.tags
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    if RANGE_START in tags:
        keys = context.instance.get_dynamic_partitions(country_partitions.name)
        start, end = keys.index(tags[RANGE_START]), keys.index(tags[RANGE_END])
        return keys[start : end + 1]
    return []


def run_submissions(context) -> list[Receipt]:
    return pending(paths(), run_countries(context))


def range_tags(instance: dg.DagsterInstance, countries: list[str]) -> dict[str, str]:
    """Tags that make one run cover these countries (the smallest range of partitions holding them all)."""
    keys = instance.get_dynamic_partitions(country_partitions.name)
    idx = sorted(keys.index(c) for c in countries)
    if len(idx) == 1:
        return {"dagster/partition": keys[idx[0]]}
    return {RANGE_START: keys[idx[0]], RANGE_END: keys[idx[-1]]}
