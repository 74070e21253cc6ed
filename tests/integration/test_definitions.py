"""The Dagster code location loads, with the layers as asset groups and the sensor, job and checks in place."""

import dagster as dg


def test_definitions_load(mnr_home):
    from pipelines.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"landing", "standardise", "quality", "publish", "feedback", "reference"} <= groups
    job = defs.resolve_job_def("process_submissions")
    assert job.partitions_def.name == "country"
    check_names = {k.name for k in graph.asset_check_keys}
    assert "fct_observations_expectations" in check_names
    assert any(n.startswith("unique_combination_fct_observations") for n in check_names)  # dbt tests as checks
    assert defs.resolve_sensor_def("landing_sensor")


def test_landing_sensor_requests_a_run_per_country_and_adds_partitions(mnr_home, tmp_path):
    from pipelines.definitions import defs
    from pipelines.ingest.archive import submit

    for country in ("KEN", "UGA"):
        f = tmp_path / f"{country}.csv"
        f.write_text(f"indicator,time_period,value\nCJ_PROSECUTIONS,2022,{len(country)}{country}\n")
        submit(mnr_home, f, country)
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, definitions=defs)
        result = defs.resolve_sensor_def("landing_sensor")(ctx)
        runs = [r for r in result.run_requests if r.job_name == "process_submissions"]
        assert sorted(r.partition_key for r in runs) == ["KEN", "UGA"]
        assert all(r.tags["mnr/country"] == r.partition_key for r in runs)
        added = result.dynamic_partitions_requests[0]
        assert sorted(added.partition_keys) == ["KEN", "UGA"]


def test_dbt_parse_records_paths_that_hold_from_the_project_folder():
    """dagster-dbt starts dbt from dbt_project/ with the parse that `make install` wrote (its partial_parse.msgpack
    is copied into each run's target folder). A parse given a relative project folder recorded every seed as
    `dbt_project/../seeds/...`, found nowhere from there: the first `make run` of a fresh clone failed."""
    import json

    from pipelines.assets.standardise import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text())
    seeds = [n for n in manifest["nodes"].values() if n["resource_type"] == "seed"]
    assert seeds
    for node in seeds:
        root = node["root_path"]
        assert root.startswith("/"), f"{node['unique_id']} was parsed from a relative folder {root!r}"
        from pathlib import Path

        assert (Path(root) / node["original_file_path"]).resolve().is_file(), node["unique_id"]


def test_a_stale_manifest_is_parsed_again_without_writing_dbt_logs_in_the_project(tmp_path):
    """A run whose dbt project changed since install parses it again at import (prepare_manifest). dbt's default
    log folder is the project's logs/: the parse writes its log beside the manifest instead, and moves its files
    into target/ only when they are complete. On a copy of the project, so the checkout's manifest stays put."""
    import shutil

    from pipelines.assets.standardise import prepare_manifest
    from pipelines.settings import DBT_PROJECT_DIR, SEEDS_DIR

    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(SEEDS_DIR, tmp_path / "seeds")
    prepare_manifest(project_dir=project, seeds_dir=tmp_path / "seeds")
    assert (project / "target" / "manifest.json").is_file()
    assert (project / "target" / "dbt.log").is_file()
    assert not (project / "logs").exists(), "dbt wrote its log into the project folder"
    assert not [p for p in (project / "target").iterdir() if p.name.startswith(".parse-")]
