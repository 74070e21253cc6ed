"""DuckDB takes one writer: runs and readers started at the same moment take turns instead of failing
(pipelines/resources.py warehouse lock). Submissions at the same moment: tests/reliability/test_concurrency_many.py."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb

from conftest import SAMPLES
from pipelines.ingest.archive import submit
from pipelines.ingest.load import read_submission

MNR = str(Path(sys.executable).parent / "mnr")
KEY = "ref_area, time_period, indicator_code, sex, age, offence"


def _env(home):
    return {**os.environ, "MNR_HOME": str(home.home), "MNR_DEBUG": ""}


def _start_together(commands, env):
    """Start the commands as processes at the same moment; return (returncode, stdout, stderr) for each."""
    barrier = threading.Barrier(len(commands))
    results = [None] * len(commands)

    def go(i, cmd):
        barrier.wait()
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        results[i] = (p.returncode, p.stdout, p.stderr)

    threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(commands)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_runs_started_together_both_finish_and_leave_consistent_tables(warm_home):
    mnr_home = warm_home
    ken, _ = submit(mnr_home, SAMPLES / "KEN_police_and_courts_2021-2023.csv", "KEN")
    fra, _ = submit(mnr_home, SAMPLES / "FRA_statistiques_2022-2023.csv", "FRA")
    env = _env(mnr_home)

    # A reader started while the runs go waits for them instead of failing on DuckDB's lock.
    reader = {}

    def query():
        p = subprocess.run([MNR, "query", "select count(*) as n from information_schema.tables", "--format", "csv"],
                           env=env, capture_output=True, text=True, timeout=900)
        reader.update(code=p.returncode, out=p.stdout, err=p.stderr)

    reader_thread = threading.Thread(target=query)
    reader_thread.start()
    results = _start_together([[MNR, "run", "--country", "KEN"], [MNR, "run", "--country", "FRA"]], env)
    reader_thread.join()

    for code, out, err in results:
        assert code == 0, out + err
        assert "lock" not in (out + err).lower(), out + err
        assert "Traceback" not in err
    assert reader["code"] == 0, reader
    assert "Could not set lock" not in reader["err"]
    # At least one run waited for its turn and said so (both do when the reader took the first turn); both printed
    # their verdicts.
    assert sum("waiting for the running pipeline to finish" in out for _, out, _ in results) >= 1
    assert ken.submission_id in results[0][1] and fra.submission_id in results[1][1]

    with duckdb.connect(str(mnr_home.warehouse), read_only=True) as con:
        published = dict(con.execute(
            "select ref_area, count(*) from published.observations group by 1").fetchall())
        dup_published = con.execute(
            f"select count(*) from (select {KEY} from published.observations group by all having count(*) > 1)"
        ).fetchone()[0]
        dup_marts = con.execute(
            f"select count(*) from (select {KEY} from marts.fct_observations group by all having count(*) > 1)"
        ).fetchone()[0]
        raw = dict(con.execute("select submission_id, count(*) from raw.observations group by 1").fetchall())
        verdicts = dict(con.execute("select submission_id, verdict from quality.verdicts").fetchall())
    assert set(published) == {"KEN", "FRA"} and all(n > 0 for n in published.values())
    assert dup_published == 0 and dup_marts == 0
    for receipt in (ken, fra):
        assert raw[receipt.submission_id] == len(read_submission(mnr_home, receipt).records)
    assert verdicts == {ken.submission_id: "accepted", fra.submission_id: "accepted_with_warnings"}


def test_a_reader_waits_for_the_run_holding_the_warehouse(mnr_home):
    duckdb.connect(str(mnr_home.warehouse)).execute("create schema published; create table published.observations "
                                                     "as select 'CJ_PROSECUTIONS' as indicator_code, 42 as answer"
                                                     ).close()
    # A stand-in for a run: another process holds the warehouse (and writes to it) until told to finish.
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\n"
         "from pipelines.warehouse import connect, warehouse_lock\n"
         f"with warehouse_lock({str(mnr_home.warehouse)!r}):\n"
         f"    with connect({str(mnr_home.warehouse)!r}) as c:\n"
         "        c.execute('update published.observations set answer = 43')\n"
         "        print('held', flush=True)\n"
         "        sys.stdin.readline()\n"],
        env=_env(mnr_home), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        reader = subprocess.Popen([MNR, "query", "select answer from published.observations", "--format", "csv"],
                                  env=_env(mnr_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # The reader says once that it waits (and does not fail) while the writer holds the warehouse...
        assert "waiting for the running pipeline to finish" in reader.stderr.readline()
        assert reader.poll() is None
        holder.stdin.write("done\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
        # ...and reads once the writer has finished.
        out, err = reader.communicate(timeout=120)
    finally:
        holder.kill()
    assert reader.returncode == 0, err
    assert out.splitlines() == ["answer", "43"]
    assert "waiting" not in err


def test_nightly_processing_asks_for_what_is_pending_and_not_already_running(mnr_home, tmp_path):
    import dagster as dg

    from pipelines.definitions import defs

    for country in ("KEN", "UGA"):
        f = tmp_path / f"{country}.csv"
        f.write_text(f"indicator,time_period,value\nCJ_PROSECUTIONS,2022,{len(country)}\n")
        submit(mnr_home, f, country)
    schedule = defs.resolve_schedule_def("nightly_processing")
    with dg.instance_for_test() as instance:
        instance.add_run(dg.DagsterRun(job_name="process_submissions", run_id="a" * 36,
                                       status=dg.DagsterRunStatus.STARTED, tags={"mnr/country": "KEN"}))
        requests = schedule.evaluate_tick(dg.build_schedule_context(
            instance=instance, repository_def=defs.get_repository_def())).run_requests
        assert [(r.job_name, r.partition_key, r.run_key) for r in requests] == [("process_submissions", "UGA", None)]
        assert requests[0].tags["mnr/trigger"] == "nightly_processing"
        assert instance.get_dynamic_partitions("country") == ["UGA"]  # a partition for the country's run
