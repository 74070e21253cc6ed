"""standardise: the dbt project (staging -> intermediate -> marts) and its reference seeds, through dagster-dbt."""


import hashlib
import json
import subprocess
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.faults import fault_point
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


# Models tagged `reference` depend on the seeds only (int_aliases_normalised): they are built with the reference
# data, once per change of the seeds, rather than on every run.
REFERENCE = "resource_type:seed tag:reference"


class Translator(DagsterDbtTranslator):
    """Seeds and the models built from them alone form the `reference` group; the other models form `standardise`."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        is_reference = (dbt_resource_props["resource_type"] == "seed"
                        or "reference" in (dbt_resource_props.get("tags") or []))
        return "reference" if is_reference else "standardise"


def _reference_model_files() -> list:
    """The SQL of the reference-tagged models and of the macros they call: a change to them reloads the reference
    data like a change to the seeds does."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    files = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and "reference" in node.get("tags", []):
            files.add(node["original_file_path"])
            files.update(manifest["macros"][m]["original_file_path"] for m in node["depends_on"]["macros"]
                         if m.startswith("macro.mnr."))
    return sorted(DBT_PROJECT_DIR / f for f in files)


def seeds_fingerprint() -> str:
    h = hashlib.sha256()
    for f in [*sorted(SEEDS_DIR.glob("*.csv")), *_reference_model_files()]:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _reference_marker() -> str:
    """What the reference load marker records: the seeds' fingerprint and the warehouse they were loaded into."""
    from pipelines.warehouse import identity

    return f"{seeds_fingerprint()} {identity()}"


def reference_is_current() -> bool:
    marker = paths().state / "reference.sha256"
    return marker.is_file() and marker.read_text().strip() == _reference_marker()


@dbt_assets(manifest=dbt_project.manifest_path, select=REFERENCE, name="reference_data",
            dagster_dbt_translator=Translator())
def reference_data(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Reference data (catalogue, code lists, aliases) loaded from seeds/ into the reference schema, and the
    label table built from them (int_aliases_normalised, with its tests)."""
    fingerprint = _reference_marker()
    # Cautious: a test that also reads a model of the run (relationships from the marts to a code list) waits for
    # that model's own build.
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious"],
                       context=context).stream()
    marker = paths().state / "reference.sha256"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint + "\n")


# Models tagged `release` read the published layer and belong to the publish group (pipelines/assets/release.py).
@dbt_assets(manifest=dbt_project.manifest_path, select="resource_type:model", exclude="tag:release tag:reference",
            name="standardised",
            partitions_def=country_partitions, backfill_policy=single_run, dagster_dbt_translator=Translator())
def standardised(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging, intermediate and marts models, rebuilt for the run's countries only; dbt tests as checks."""
    dbt_vars = {"countries": list(context.partition_keys)}
    for i, event in enumerate(dbt.cli(
        ["build", "--vars", json.dumps(dbt_vars), "--exclude-resource-type", "unit_test"], context=context
    ).stream()):
        yield event
        if i == 0:
            fault_point("dbt")
