"""Live progress of a pipeline run executed in this process (`mnr run`, `mnr demo`), and its closing summary.

`execute_in_process` takes no callback, but the Dagster instance calls its event listeners for every event
of a run as it is stored; the listener turns step starts, materialisations and check results into a status
line (spinner, on a terminal) and one finished line per step.
"""

from __future__ import annotations

import time
from collections import Counter

# What each step of the process_submissions job does, as an operator reads it.
STEP_LABELS = {
    "raw_observations": "landing   read the submitted files into raw.observations",
    "standardised": "standardise   dbt build: staging → intermediate → marts, with dbt tests",
    "reference_data": "reference   dbt build: catalogue, code lists, aliases and their matching keys",
    "submission_verdicts": "quality   rules and a verdict per submission",
    "published_observations": "publish   accepted submissions into published.observations",
    "feedback_reports": "feedback   a report per submission",
}


def step_label(step_key: str) -> str:
    if step_key in STEP_LABELS:
        return STEP_LABELS[step_key]
    if step_key.endswith("fct_observations_expectations"):
        return "quality   great-expectations suite on marts.fct_observations"
    if step_key.endswith("published_key_is_unique"):
        return "publish   check: one published value per key"
    return step_key


class Progress:
    """Status lines on a rich console: `working` replaces the live line, `done` prints a line that stays."""

    def __init__(self, console):
        self.console = console
        self.started = time.monotonic()
        self._status = None
        self._step_started: dict[str, float] = {}
        self._materialised: dict[str, set[str]] = {}
        self._checks: dict[str, Counter[bool]] = {}
        self._check_names: dict[str, set[str]] = {}

    def __enter__(self) -> Progress:
        self._status = self.console.status("starting")
        self._status.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._status.__exit__(*exc)

    def working(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)

    def done(self, text: str) -> None:
        self.console.print(text)

    def __call__(self, text: str) -> None:
        """A stage of the command itself (loading reference data, processing N submissions, waiting)."""
        self.working(text)
        self.done(f"• {text}")

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    # ------------------------------------------------------------------ Dagster events of the running job
    def on_event(self, entry) -> None:
        event = entry.dagster_event
        if event is None or not event.step_key:
            return
        key = event.step_key
        if event.is_step_start:
            self._step_started[key] = entry.timestamp
            self.working(step_label(key))
        elif event.is_step_materialization:
            self._materialised.setdefault(key, set()).add(event.asset_key.to_user_string())
            self.working(f"{step_label(key)}   ({event.asset_key.to_user_string()})")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.asset_check_evaluation_data
            self._checks.setdefault(key, Counter())[evaluation.passed] += 1
            self._check_names.setdefault(key, set()).add(evaluation.asset_check_key.name)
        elif event.is_step_success or event.is_step_failure:
            took = entry.timestamp - self._step_started.get(key, entry.timestamp)
            mark = "[green]✓[/]" if event.is_step_success else "[red]✗ failed[/]"
            label = step_label(key)
            if label == key and self._check_names.get(key):
                label = f"check   {', '.join(sorted(self._check_names[key]))}"
            self.done(f"  {mark} {label}{self._detail(key)}   [dim]{took:.1f} s[/]")

    def _detail(self, key: str) -> str:
        parts = []
        assets = len(self._materialised.get(key, ()))
        if assets > 1:
            parts.append(f"{assets} assets")
        checks = self._checks.get(key)
        if checks:
            parts.append(f"{_n(checks[True], 'check')} passed" + (f", [yellow]{checks[False]} failed[/]"
                                                                  if checks[False] else ""))
        return f" — {', '.join(parts)}" if parts else ""


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def summary(rows: list[dict], seconds: float, home, where: bool = True) -> str:
    """The closing lines: counts per verdict, the time taken and (unless `where` is False) where to look."""
    verdicts = Counter(r["verdict"] or "pending" for r in rows)
    order = ["accepted", "accepted_with_warnings", "rejected", "pending"]
    counts = ", ".join(f"{verdicts[v]} {v}" for v in order if verdicts[v])
    published = sum(r["state"] == "published" for r in rows)
    head = f"{_n(len(rows), 'submission')} processed in {seconds:.0f} s: {counts}; {published} published."
    if not where:
        return head
    return (
        f"{head}\n"
        f"  feedback reports  {home}/feedback/<ISO3>/<submission_id>/report.html  (mnr feedback SUBMISSION_ID)\n"
        f"  run log           {home}/state/last_run.log, and the run in the Dagster UI (mnr ui)"
    )
