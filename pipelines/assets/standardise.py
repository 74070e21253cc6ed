"""standardise: the dbt project (staging -> intermediate -> marts) and its reference seeds, through dagster-dbt."""


import hashlib
import json
import subprocess
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.partitions import country_partitions, single_run
from pipelines.resources import dbt_executable
from pipelines.settings import DBT_PROJECT_DIR, SEEDS_DIR, paths

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [*DBT_PROJECT_DIR.glob("*.yml"), *DBT_PROJECT_DIR.glob("models/**/*"),
               *DBT_PROJECT_DIR.glob("macros/**/*"), *DBT_PROJECT_DIR.glob("tests/**/*"), *SEEDS_DIR.glob("*.csv")]
    return any(f.stat().st_mtime > built for f in sources if f.is_file())


def prepare_manifest(force: bool = False) -> None:
    """`dbt parse` writes target/manifest.json, which the code location needs at import time.

    The Makefile prepares it at install; this also re-parses after the dbt project or seeds change, so that
    a fresh checkout or an edited model never loads a stale manifest.
    """
    if force or _manifest_is_stale():
        import os

        env = dict(os.environ)
        env.setdefault("MNR_DUCKDB_PATH", str(paths().warehouse))
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
             "--profiles-dir", str(DBT_PROJECT_DIR)],
            check=True, env=env, cwd=DBT_PROJECT_DIR,
        )


prepare_manifest()


class Translator(DagsterDbtTranslator):
    """Seeds form the `reference` group; the models form `standardise`."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "reference" if dbt_resource_props["resource_type"] == "seed" else "standardise"


def seeds_fingerprint() -> str:
    h = hashlib.sha256()
    for f in sorted(SEEDS_DIR.glob("*.csv")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def reference_is_current() -> bool:
    marker = paths().state / "reference.sha256"
    return marker.is_file() and marker.read_text().strip() == seeds_fingerprint()


@dbt_assets(manifest=dbt_project.manifest_path, select="resource_type:seed", name="reference_data",
            dagster_dbt_translator=Translator())
def reference_data(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Reference data (catalogue, code lists, aliases) loaded from seeds/ into the reference schema."""
    fingerprint = seeds_fingerprint()
    yield from dbt.cli(["seed"], context=context).stream()
    marker = paths().state / "reference.sha256"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint + "\n")


@dbt_assets(manifest=dbt_project.manifest_path, select="resource_type:model", name="standardised",
            partitions_def=country_partitions, backfill_policy=single_run, dagster_dbt_translator=Translator())
def standardised(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging, intermediate and marts models, rebuilt for the run's countries only; dbt tests as checks."""
    dbt_vars = {"countries": list(context.partition_keys)}
    yield from dbt.cli(
        ["build", "--vars", json.dumps(dbt_vars), "--exclude-resource-type", "unit_test"], context=context
    ).stream()
