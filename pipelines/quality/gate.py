"""The quality gate for a run's submissions: every stage of checks after standardisation, then a verdict each.

Stages (each replaces its own findings in quality.findings, so re-running one is idempotent):
  ingest        level 0, written when the file is read (pipelines/assets/landing.py)
  expectations  level 1 ranges and code lists, the great-expectations suite (asset check on fct_observations)
  rules         level 1 cells and sets (rules.py)
  consistency   level 2 (consistency.py)
  history       level 3 (history.py)
  external      level 4 (history.py)
Warnings on cells whose row carries the country's comment are then acknowledged, and each submission gets
its verdict from all its findings (findings.verdict: the contract rule).
"""

from __future__ import annotations

from pipelines.quality.checks import prepare, run_checks
from pipelines.quality.consistency import consistency_checks, prepare_breakdowns
from pipelines.quality.findings import counts, verdict
from pipelines.quality.history import external_checks, history_checks
from pipelines.quality.rules import left_out, run_rules
from pipelines.quality.store import acknowledge, findings_for, record_verdict, replace_findings
from pipelines.warehouse import Db

STAGES = ("ingest", "expectations", "rules", "consistency", "history", "external")


def run_stages(conn: Db, submission_ids: list[str]) -> None:
    """Levels 1 (rules) to 4 for these submissions, and the acknowledgements."""
    # The stages read the submissions' mapped cells some thirty times: taken once from the dbt view (which maps
    # every cell through the label tables on each read) into _mapped.
    # Cells out of scope (another country's, an adult age band on a child indicator, ...) are counted once by
    # left_out() and checked by no stage.
    conn.temp_table("_mapped_all", "select * from intermediate.int_observations_mapped "
                                   "where submission_id in (select unnest(?::varchar[]))", [submission_ids])
    conn.temp_table("_mapped", "select * from _mapped_all where out_of_scope is null")
    left = left_out(conn, submission_ids)
    conn.execute("drop table if exists _mapped_all")
    rows, results = run_rules(conn, submission_ids)
    rows = left + rows
    replace_findings(conn, "rules", submission_ids, rows, results)
    prepare(conn, submission_ids)
    prepare_breakdowns(conn)
    for stage, checks in (("consistency", consistency_checks()), ("history", history_checks()),
                          ("external", external_checks())):
        rows, results = run_checks(conn, checks, submission_ids)
        replace_findings(conn, stage, submission_ids, rows, results)
    acknowledge(conn, submission_ids)


def decide(conn: Db, submissions: list[tuple[str, str]]) -> list[dict]:
    """Run the stages and record a verdict per (submission_id, country); one summary row each."""
    run_stages(conn, [sid for sid, _ in submissions])
    table = []
    for sid, country in submissions:
        c = counts(findings_for(conn, sid))
        v = verdict(c)
        record_verdict(conn, sid, country, v, c)
        table.append({"submission_id": sid, "verdict": v, **c})
    return table
