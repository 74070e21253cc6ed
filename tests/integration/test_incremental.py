"""Incremental runs: a run for one country touches only that country's partitions. The other country's latest
materialisations (Dagster's records, per asset and partition) and its rows in the marts and published tables stay
exactly as they were."""

import dagster as dg
import duckdb

from conftest import SAMPLES
from pipelines.cli import run_pipeline
from pipelines.ingest.archive import submit

UGA_CLEAN = (
    "indicator,time_period,sex,value\n"
    "CJ_CASES_OPENED,2022,,158\nCJ_PROSECUTIONS,2022,,60\nCJ_CONVICTIONS,2022,,22\n"
    "CJ_VICTIMS_IDENTIFIED,2022,F,41\nCJ_VICTIMS_IDENTIFIED,2022,M,19\nCJ_VICTIMS_IDENTIFIED,2022,_T,60\n"
)


def rows(home, table, country):
    col = "ref_area"
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        return con.execute(f"select * from {table} where {col} = ? order by all", [country]).fetchall()


def latest_materialisations(instance, partition):
    """asset key -> storage id of its latest materialisation for this partition."""
    out = {}
    for key in instance.get_asset_keys():
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1).records
        if records:
            out[key] = records[0].storage_id
    return out


def test_a_run_for_one_country_leaves_the_other_countries_untouched(warm_home, tmp_path):
    mnr_home = warm_home
    uga_file = tmp_path / "UGA_clean.csv"
    uga_file.write_text(UGA_CLEAN)
    submit(mnr_home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
    submit(mnr_home, uga_file, "UGA")
    first = {r["country"]: r["verdict"] for r in run_pipeline()}
    assert first == {"KEN": "accepted", "UGA": "accepted"}

    instance = dg.DagsterInstance.get()
    uga_before = latest_materialisations(instance, "UGA")
    assert dg.AssetKey(["marts", "fct_observations"]) in uga_before and dg.AssetKey("published_observations") in uga_before
    uga_published = rows(mnr_home, "published.observations", "UGA")
    uga_marts = rows(mnr_home, "marts.fct_observations", "UGA")
    assert len(uga_published) == 6
    ken_before = rows(mnr_home, "published.observations", "KEN")

    revised = tmp_path / "KEN_revised.csv"
    revised.write_text("indicator,time_period,value\nCJ_PROSECUTIONS,2022,125\n")
    submit(mnr_home, revised, "KEN")
    second = run_pipeline(["KEN"])
    assert [r["verdict"] for r in second] in (["accepted"], ["accepted_with_warnings"])  # a revision warns

    # The run materialised KEN's partitions, and only KEN's.
    run = instance.get_runs(limit=1)[0]
    events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    partitions = {e.dagster_event.partition for e in events}
    assert events and partitions == {"KEN"}

    # UGA: the same latest materialisation records, the same rows in the marts and the published table.
    assert latest_materialisations(instance, "UGA") == uga_before
    assert rows(mnr_home, "marts.fct_observations", "UGA") == uga_marts
    assert rows(mnr_home, "published.observations", "UGA") == uga_published
    # ...while KEN did change.
    assert rows(mnr_home, "published.observations", "KEN") != ken_before
