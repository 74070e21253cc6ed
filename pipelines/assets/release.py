"""publish: derived indicators (dbt), the immutable release and the country profiles, cut on demand
(`mnr release`, job cut_release) and every quarter."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.assets.standardise import Translator, dbt_project, target_path
from pipelines.publish.profiles import write_profiles
from pipelines.publish.release import audit, cut, latest
from pipelines.resources import Warehouse
from pipelines.settings import paths


class ReleaseTranslator(Translator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "publish"


@dbt_assets(manifest=dbt_project.manifest_path, select="tag:release", name="release_indicators",
            dagster_dbt_translator=ReleaseTranslator())
def release_indicators(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Derived indicators (rates per 100,000 children, justice-funnel ratios) and MNR capability coverage, from
    the published values; restricted marts until a release applies disclosure control."""
    yield from dbt.cli(["build"], context=context, target_path=target_path("release_indicators")).stream()


class ReleaseConfig(dg.Config):
    tag: str | None = None


@dg.asset(
    group_name="publish",
    deps=[release_indicators],
    kinds={"parquet", "csv"},
    description="An immutable release in releases/<release_id>/: Parquet, formula-safe CSV, SDMX-CSV 2.0, a "
                "Frictionless data package, release.duckdb, CHANGES.md and MANIFEST.sha256. Refused if a "
                "suppressed value could be recomputed.",
)
def release(config: ReleaseConfig, warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect(read_only=True) as conn:
        r = cut(conn, paths().releases, tag=config.tag)
    return dg.MaterializeResult(metadata={
        "release_id": r.release_id, "folder": str(r.folder), "new": r.new, "previous": r.previous or "",
    })


@dg.asset_check(asset=release, blocking=True, description="No suppressed count of the latest release can be "
                                                          "recomputed or narrowed from its cells, rates and the "
                                                          "earlier published states (the audit by linear programming).")
def release_leaks_nothing(warehouse: Warehouse) -> dg.AssetCheckResult:
    import duckdb

    from pipelines.publish.publish import COLUMNS, to_arrow
    from pipelines.warehouse import fetch_dicts

    found = latest(paths().releases)
    if found is None:
        return dg.AssetCheckResult(passed=False, metadata={"problem": "no release"})
    with duckdb.connect(str(found[1] / "release.duckdb"), read_only=True) as db:
        rows = fetch_dicts(db, "select * from observations")
        der = fetch_dicts(db, "select * from derived_indicators")
    for r in der:
        r["numerator_key"] = (r["ref_area"], r["time_period"], r["numerator_code"], r["sex"], r["age"], r["offence"])
    with warehouse.connect() as conn:   # a temporary table: not a read-only connection
        # The release's own suppressed cells, to look their values up in the restricted layer.
        conn.temp_table("_release_hidden", f"select {', '.join(COLUMNS)} from published.observations where false")
        conn.insert_frame("_release_hidden", to_arrow([r for r in rows if r["obs_value"] is None]))
        bad = audit(conn, rows, der, source="_release_hidden")
    return dg.AssetCheckResult(passed=not bad, metadata={"release_id": found[0], "leaks": len(bad),
                                                         "first": "; ".join(str(b) for b in bad[:5])})


@dg.asset(
    group_name="publish",
    deps=[release],
    kinds={"html"},
    description="A static HTML page per country (profiles/<ISO3>.html): its indicators over time with flags, "
                "capability coverage and links to the latest release files.",
)
def country_profiles() -> dg.MaterializeResult:
    written = write_profiles(paths())
    return dg.MaterializeResult(metadata={"profiles": len(written)})

