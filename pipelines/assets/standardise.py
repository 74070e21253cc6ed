"""standardise: the dbt project (staging -> intermediate -> marts) and its reference seeds, through dagster-dbt."""


import contextlib
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from pipelines.faults import fault_point
from pipelines.partitions import country_partitions, single_run
from pipelines.resources import dbt_executable
from pipelines.settings import DBT_PROJECT_DIR, SEEDS_DIR, paths

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR, seeds_dir: Path = SEEDS_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [*project_dir.glob("*.yml"), *project_dir.glob("models/**/*"), *project_dir.glob("macros/**/*"),
               *project_dir.glob("tests/**/*"), *seeds_dir.glob("*.csv")]
    return any(f.stat().st_mtime > built for f in sources if f.is_file())


def prepare_manifest(force: bool = False, project_dir: Path = DBT_PROJECT_DIR, seeds_dir: Path = SEEDS_DIR) -> None:
    """`dbt parse` writes target/manifest.json, which the code location needs at import time.

    The Makefile prepares it at install; this also re-parses after the dbt project or seeds change, so that
    a fresh checkout or an edited model never loads a stale manifest. Like `make manifest`, the parse writes only
    its own files (manifest, partial parse, its log) in target/: without --log-path dbt would start a logs/ folder
    in the project. It parses into a folder of its own and then moves the files into place, so that a process
    loading the manifest meanwhile (the daemon, another run) never reads a half-written one.
    """
    if not (force or _manifest_is_stale(project_dir, seeds_dir)):
        return
    target = project_dir / "target"
    target.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("MNR_DUCKDB_PATH", str(paths().warehouse))
    with tempfile.TemporaryDirectory(prefix=".parse-", dir=target) as tmp:
        if (target / "partial_parse.msgpack").exists():   # dbt re-parses only the files that changed
            shutil.copy2(target / "partial_parse.msgpack", tmp)
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--project-dir", str(project_dir),
             "--profiles-dir", str(project_dir), "--target-path", tmp, "--log-path", tmp],
            check=True, env=env, cwd=project_dir,
        )
        for f in sorted(Path(tmp).iterdir(), key=lambda f: f.name == "manifest.json"):   # the manifest last
            if f.is_file():
                os.replace(f, target / f.name)


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


def target_path(asset: str):
    """dbt's target folder for an asset's runs: one per MNR_HOME, kept from run to run, so that dbt starts from
    its parse of the project (partial_parse.msgpack) instead of parsing every file again (seconds of each run),
    and the project folder does not collect a new target folder per run. Runs on one MNR_HOME take turns
    (the warehouse lock, the run queue), so they never share the folder at the same time."""
    return paths().state / "dbt" / asset


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
                       context=context, target_path=target_path("reference_data")).stream()
    marker = paths().state / "reference.sha256"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(fingerprint + "\n")


# Models tagged `release` read the published layer and belong to the publish group (pipelines/assets/release.py).
@dbt_assets(manifest=dbt_project.manifest_path, select="resource_type:model", exclude="tag:release tag:reference",
            name="standardised",
            partitions_def=country_partitions, backfill_policy=single_run, dagster_dbt_translator=Translator())
def standardised(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging, intermediate and marts models, rebuilt for the run's countries only; dbt tests as checks."""
    # The countries go to dbt in MNR_COUNTRIES rather than --vars: a changed --vars value makes dbt parse the whole
    # project again, while macros/country_filter.sql reads the variable only when models run, so dbt keeps its
    # parse from run to run. The dbt process takes a copy of this environment when it starts.
    os.environ["MNR_COUNTRIES"] = ",".join(context.partition_keys)
    try:
        invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context,
                             target_path=target_path("standardised"))
    finally:
        del os.environ["MNR_COUNTRIES"]
    _import_in_background("great_expectations")
    for i, event in enumerate(invocation.stream()):
        yield event
        if i == 0:
            fault_point("dbt")


def _import_in_background(module: str) -> None:
    """Import a slow module (great-expectations: several seconds) in a thread while dbt works in its own process
    and this one mostly waits for dbt's output; the expectations check that follows imports it again and waits
    for this import then. Beside the run's start-up instead, the import would slow the start-up down by about as
    much (one interpreter lock). By now dagster and the definitions are imported, so the two threads do not import
    the same packages at once (circular imports inside a package could otherwise deadlock). A failure here is
    ignored: the check's own import reports it."""

    def load() -> None:
        with contextlib.suppress(BaseException):
            importlib.import_module(module)

    threading.Thread(target=load, name=f"import {module}", daemon=True).start()
