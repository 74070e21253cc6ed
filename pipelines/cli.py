"""The `mnr` command (DESIGN.md section 8). Exit codes: 0 success (a rejected submission is a success of the
system), 2 bad usage or input that cannot be taken, 1 internal failure. Heavy libraries are imported only by
the commands that need them, so that `mnr submit` and `mnr status` answer at once."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
from pathlib import Path

from pipelines.runserver import SERVED, delegate
from pipelines.settings import SAMPLES_DIR, paths, prepare_environment


class UsageError(Exception):
    """Bad usage or input (exit 2)."""


def _console():
    from rich.console import Console

    # Bound to the real stdout: dbt's log lines are diverted while a run is going (see run_pipeline).
    return Console(highlight=False, file=sys.stdout, width=None if sys.stdout.isatty() else 160)


# ---------------------------------------------------------------------------------------------- submit
def cmd_submit(args) -> int:
    from pipelines.ingest.archive import SubmissionRefused, submit

    p = prepare_environment()
    if args.split:
        return _submit_split(p, args)
    if not args.country:
        raise UsageError("give the country the file is about with --country ISO3 (or --split to make one "
                         "submission per country of a file that holds several)")
    try:
        receipt, new = submit(p, Path(args.file), args.country)
    except SubmissionRefused as e:
        raise UsageError(str(e)) from e
    print(f"{receipt.submission_id}{'' if new else _again(p, receipt)}")
    return 0


def _again(p, receipt) -> str:
    """What submitting the same bytes again did: nothing, or (a mapping saved since) read them again."""
    from pipelines.submissions import reopen_if_remapped

    remapped = reopen_if_remapped(p, receipt)
    if remapped:
        return (f"  (already received; your mapping {remapped} now reads it, so it will be read again with it: "
                "run `mnr run`)")
    return "  (already received: the same file was submitted before; nothing changed)"


def _submit_split(p, args) -> int:
    """One submission per country of the file: a line per submission (id, country, rows of that country)."""
    from pipelines.ingest.archive import SubmissionRefused
    from pipelines.ingest.split import submit_split

    try:
        parts = submit_split(p, Path(args.file), args.country)
    except SubmissionRefused as e:
        raise UsageError(str(e)) from e
    for receipt, new, rows in parts:
        print(f"{receipt.submission_id}  {receipt.country}  {rows} row{'s' if rows != 1 else ''}"
              + ("" if new else _again(p, receipt)))
    return 0


# ---------------------------------------------------------------------------------------------- run
def run_pipeline(countries: list[str] | None = None, progress=None) -> list[dict]:
    """Process pending submissions through the Dagster asset graph; return their status rows.

    The run holds the warehouse lock from the start: another run (the daemon's, or a second `mnr run`) finishes
    first and this one then takes what is still pending.
    """
    p = prepare_environment()
    from pipelines.submissions import pending, run_tags, status_rows
    from pipelines.warehouse import warehouse_lock

    if not pending(p, countries):
        return []
    with warehouse_lock(p.warehouse, on_wait=lambda: _step(progress, "waiting for the running pipeline to finish "
                                                                     "(the warehouse takes one run at a time)")):
        todo = pending(p, countries)
        if not todo:
            return []
        import dagster as dg

        from pipelines.assets.runs import range_tags
        from pipelines.assets.standardise import reference_is_current
        from pipelines.definitions import defs
        from pipelines.partitions import country_partitions

        from pipelines.faults import fail_dead_runs

        instance = dg.DagsterInstance.get()
        fail_dead_runs(instance, "mnr run")
        if not reference_is_current():
            _step(progress, "loading reference data (seeds changed)")
            result = _execute(p, instance, defs.resolve_job_def("load_reference_data"), progress,
                              {"mnr/reason": "seeds changed", "mnr/trigger": "mnr run"})
            if not result.success:
                raise RuntimeError("loading the reference data failed: see the run in the Dagster UI (mnr ui)")
        run_for = sorted({r.country for r in todo})
        known = set(instance.get_dynamic_partitions(country_partitions.name))
        new = [c for c in run_for if c not in known]
        if new:
            instance.add_dynamic_partitions(country_partitions.name, new)
        ids = [r.submission_id for r in todo]
        _step(progress, f"processing {len(ids)} submission(s) from {', '.join(run_for)}")
        tags = {**range_tags(instance, run_for), **run_tags(run_for, ids, "mnr run")}
        result = _execute(p, instance, defs.resolve_job_def("process_submissions"), progress, tags)
        if not result.success:
            failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
            if any(_interrupted(e.step_failure_data.error) for e in failures):
                raise KeyboardInterrupt   # Ctrl-C: Dagster stopped the step and marked the run failed
            failed = [e.step_key for e in failures]
            raise RuntimeError(
                f"the run {result.run_id} failed at {', '.join(failed) or 'an unknown step'}; nothing half-published. "
                "See the run in the Dagster UI (mnr ui) for the error, fix it and run `mnr run` again."
            )
    return [row for row in status_rows(p) if row["submission_id"] in set(ids)]


def _interrupted(error) -> bool:
    """Whether a step failed because the run was interrupted: Dagster turns SIGINT into its own error, and a DuckDB
    statement running at that moment ends with "Query interrupted" (then reached through the error's context)."""
    todo = [error]
    while todo:
        e = todo.pop()
        if e is None:
            continue
        if e.cls_name in {"DagsterExecutionInterruptedError", "KeyboardInterrupt"} or (
                e.cls_name in {"RuntimeError", "InterruptException"} and "interrupted" in (e.message or "").lower()):
            return True
        todo += [e.cause, e.context]
    return False


def _execute(p, instance, job, progress, tags):
    """Run a job in this process; its events feed the progress display as they are stored."""
    import uuid

    run_id = str(uuid.uuid4())
    if hasattr(progress, "on_event"):
        instance.add_event_listener(run_id, progress.on_event)
    with _diverted_stdout(p):
        return job.execute_in_process(instance=instance, run_id=run_id, tags=tags, raise_on_error=False,
                                      run_config=QUIET)


# The run's full log is in the Dagster UI; the terminal shows progress lines and the verdicts.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@contextlib.contextmanager
def _diverted_stdout(p):
    """dagster-dbt echoes every dbt log line to stdout; keep them in MNR_HOME/state/last_run.log instead."""
    with open(p.state / "last_run.log", "a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        yield


def _step(progress, text: str) -> None:
    if progress is not None:
        progress(text)


def print_verdicts(rows: list[dict]) -> None:
    from rich.table import Table

    t = Table(title="Submissions processed")
    for col in ("submission", "country", "file", "verdict", "errors", "warnings", "published"):
        t.add_column(col)
    colour = {"accepted": "green", "accepted_with_warnings": "yellow", "rejected": "red"}
    for r in rows:
        v = r["verdict"] or "pending"
        t.add_row(r["submission_id"], r["country"], r["file_name"], f"[{colour.get(v, 'white')}]{v}[/]",
                  str(r["errors"]), str(r["warnings"]), "yes" if r["state"] == "published" else "no")
    _console().print(t)


def cmd_run(args) -> int:
    from pipelines.ingest.archive import normalise_country, SubmissionRefused

    countries = None
    if args.country:
        try:
            countries = [normalise_country(args.country)]
        except SubmissionRefused as e:
            raise UsageError(str(e)) from e
    from pipelines.progress import Progress, summary

    console = _console()
    with Progress(console) as progress:
        rows = run_pipeline(countries, progress=progress)
    if not rows:
        print("Nothing pending: every submission has been processed.")
        return 0
    print_verdicts(rows)
    console.print(summary(rows, progress.elapsed(), prepare_environment().home))
    return 0


# ---------------------------------------------------------------------------------------------- status / feedback
def cmd_status(args) -> int:
    from pipelines.submissions import status_rows

    rows = status_rows(prepare_environment())
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No submissions yet. Submit a file with: mnr submit FILE --country ISO3")
        return 0
    print_verdicts(rows)
    return 0


def cmd_feedback(args) -> int:
    from pipelines.ingest.archive import all_receipts

    p = prepare_environment()
    match = [r for r in all_receipts(p) if r.submission_id == args.submission_id.strip()]
    if not match:
        raise UsageError(f"no submission {args.submission_id!r}: `mnr status` lists the submission ids")
    r = match[0]
    folder = p.feedback_dir(r.country, r.submission_id)
    if not (folder / "findings.json").is_file():
        raise UsageError(f"{r.submission_id} has not been processed yet: run `mnr run` first")
    if args.json:
        print((folder / "findings.json").read_text(), end="")
    else:
        print(folder / "report.html")
    return 0


# ---------------------------------------------------------------------------------------------- query
def cmd_query(args) -> int:
    from pipelines.query import QueryRefused, run

    p = prepare_environment()
    try:
        cols, rows = run(p, args.sql, restricted=args.restricted)
    except QueryRefused as e:
        raise UsageError(str(e)) from e
    if args.format == "json":
        print(json.dumps([dict(zip(cols, r)) for r in rows], indent=2, default=str))
    elif args.format == "csv":
        from pipelines.publish.exports import csv_cell

        w = csv.writer(sys.stdout)
        w.writerow(cols)
        # Formula-safe like every CSV the system writes: the output is opened in spreadsheets.
        w.writerows([[v if isinstance(v, (int, float)) else csv_cell(v) for v in r] for r in rows])
    else:
        from rich.table import Table

        t = Table()
        for c in cols:
            t.add_column(c)
        for r in rows:
            t.add_row(*["" if v is None else str(v) for v in r])
        _console().print(t)
    return 0


# ---------------------------------------------------------------------------------------------- release
def cmd_release(args) -> int:
    """Cut a release through the Dagster job cut_release (derived indicators, release, country profiles)."""
    p = prepare_environment()
    from pipelines.publish.release import TAG

    if args.tag is not None and not TAG.match(args.tag):
        raise UsageError(f"the tag {args.tag!r} cannot be used: use letters, digits, '.', '_' or '-' (e.g. 2025-Q4)")
    from pipelines.warehouse import exists

    if not exists(p.warehouse):
        raise UsageError("nothing has been published yet: run `mnr run` (or `mnr demo`) first")
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.resources import warehouse_lock

    from pipelines.faults import fail_dead_runs

    config = {**QUIET, "ops": {"release": {"config": {"tag": args.tag}}}}
    with warehouse_lock(p.warehouse), _diverted_stdout(p):
        fail_dead_runs(dg.DagsterInstance.get(), "mnr release")
        result = defs.resolve_job_def("cut_release").execute_in_process(
            instance=dg.DagsterInstance.get(), run_config=config, raise_on_error=False,
            tags={"mnr/trigger": "mnr release"})
    if not result.success:
        errors = [e.event_specific_data.error for e in result.all_events
                  if e.event_type_value == "STEP_FAILURE" and e.event_specific_data is not None]
        refused = [err.message for err in errors if err is not None and "ReleaseRefused" in (err.cls_name or "")]
        if refused:
            print(f"mnr release: {refused[0].split(': ', 1)[-1].strip()}", file=sys.stderr)
            return 1
        raise RuntimeError(f"the release run {result.run_id} failed; see it in the Dagster UI (mnr ui)")
    meta = {}
    for e in result.get_asset_materialization_events():
        m = e.event_specific_data.materialization
        if m.asset_key.to_user_string() == "release":
            meta = {k: v.value for k, v in m.metadata.items()}
    if not meta.get("new"):
        print(f"Nothing changed since release {meta['release_id']}: no new release was cut.")
    else:
        print(f"Released {meta['release_id']}"
              + (f" (changes since {meta['previous']} in CHANGES.md)" if meta.get("previous") else ""))
    print(f"Country profiles in {p.home / 'profiles'}")
    print(f"{meta['release_id']} {meta['folder']}")
    return 0


# ---------------------------------------------------------------------------------------------- template
def cmd_template(args) -> int:
    from pipelines.ingest.archive import SubmissionRefused, normalise_country
    from pipelines.template import build_template

    country = None
    if args.country:
        try:
            country = normalise_country(args.country)
        except SubmissionRefused as e:
            raise UsageError(str(e)) from e
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"{out}: the template is an Excel workbook; give a file name ending in .xlsx")
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder: create it first or choose another --out path")
    try:
        build_template(out, country)
    except OSError as e:
        raise UsageError(f"cannot write {out} ({e.strerror}): choose another --out path") from e
    print(out)
    return 0


# ---------------------------------------------------------------------------------------------- map
def cmd_map(args) -> int:
    """Draft a mapping for a file the hub cannot fully read (DESIGN.md section 5): print it, or write it."""
    from pipelines.ingest.archive import SubmissionRefused, normalise_country
    from pipelines.ingest.draft import DraftError, draft_file

    try:
        country = normalise_country(args.country)
    except SubmissionRefused as e:
        raise UsageError(str(e)) from e
    source = Path(args.file)
    if not source.is_file():
        raise UsageError(f"file not found: {source}. Check the path and try again.")
    try:
        drafts, notes = draft_file(source, country)
    except DraftError as e:
        raise UsageError(str(e)) from e
    for note in notes:
        print(note, file=sys.stderr)
    if not drafts:
        print("Nothing to draft: the file is read fully as it is." + (" No file was written." if args.out else ""),
              file=sys.stderr)
        return 0
    if not args.out:
        print("\n---\n".join(d.text for d in drafts), end="")
        return 0
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UsageError(f"{out.parent} is not a folder: create it first or choose another --out path")
    targets = [out] + [out.with_name(f"{out.stem}-{_slug(d.sheet or str(i))}{out.suffix or '.yaml'}")
                       for i, d in enumerate(drafts[1:], 2)]
    for target, d in zip(targets, drafts):
        try:
            target.write_text(d.text, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write {target} ({e.strerror}): choose another --out path") from e
        print(target)
    print(f"Check the lines marked CHECK, delete the line 'draft: true', and save the file under "
          f"{paths().home / 'mappings' / country}/: the next file of this layout is then read with it.",
          file=sys.stderr)
    return 0


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "sheet"


# ---------------------------------------------------------------------------------------------- demo / ui
def cmd_demo(args) -> int:
    from pipelines.ingest.archive import submit

    p = prepare_environment()
    console = _console()
    manifest = json.loads((SAMPLES_DIR / "samples.json").read_text())
    for s in manifest["samples"]:
        receipt, new = submit(p, SAMPLES_DIR / s["file"], s["country"])
        console.print(f"• submitted {s['file']} for {s['country']} → {receipt.submission_id}"
                      + ("" if new else " (already received)"))
    from pipelines.progress import Progress, summary

    with Progress(console) as progress:
        rows = run_pipeline(progress=progress)
    from pipelines.submissions import status_rows

    print_verdicts(rows or status_rows(p))
    if rows:
        console.print(summary(rows, progress.elapsed(), p.home, where=False))
    console.print(
        f"\nWhere to look:\n"
        f"  feedback reports   {p.feedback}/<ISO3>/<submission_id>/report.html  (mnr feedback SUBMISSION_ID)\n"
        f"  published values   mnr query \"select * from published.observations limit 20\"\n"
        f"  the pipeline       mnr ui  (Dagster UI at http://127.0.0.1:3000)\n"
        f"  everything written {p.home}"
    )
    return 0


def cmd_ui(args) -> int:
    from pipelines.settings import REPO_ROOT, bin_dir
    from pipelines.ui import UiRefused, check_port_free, loopback, serve_on_socket

    prepare_environment()
    try:
        if args.socket:
            os.chdir(REPO_ROOT)
            return serve_on_socket(Path(args.socket), REPO_ROOT / "workspace.yaml", read_only=args.read_only,
                                   daemon=not args.no_daemon)
        if not loopback(args.host):
            raise UiRefused(f"--host {args.host} would open the UI, which has no sign-in, to the network: serve it on "
                            "loopback, or with --socket behind an authenticating proxy (docs/deployment.md)")
        check_port_free(args.host, args.port)
    except UiRefused as e:
        raise UsageError(str(e)) from e
    exe = bin_dir() / "dagster"
    cmd = [str(exe if exe.exists() else "dagster"), "dev", "-w", str(REPO_ROOT / "workspace.yaml"),
           "-h", args.host, "-p", str(args.port)]
    os.chdir(REPO_ROOT)
    os.execv(cmd[0], cmd) if exe.exists() else os.execvp(cmd[0], cmd)
    return 0


def cmd_serve(args) -> int:
    from pipelines.runserver import serve

    p = prepare_environment()
    try:
        return serve(p.home, announce=lambda text: print(text, flush=True))
    except RuntimeError as e:
        raise UsageError(str(e)) from e


def cmd_portal(args) -> int:
    from pipelines.portal.server import serve

    return serve(args.host, args.port, announce=lambda text: print(text, flush=True))


def cmd_users(args) -> int:
    from pipelines.portal.server import migrate, setup_django

    setup_django()
    migrate()
    from pipelines.portal import accounts

    try:
        if args.action == "add":
            if not args.password_stdin:
                raise UsageError("give the password on standard input with --password-stdin "
                                 "(never on the command line, where other users can see it)")
            password = sys.stdin.readline().rstrip("\r\n")
            accounts.add(args.email, args.role, args.country or [], password, args.language)
            print(f"added {args.email.strip().lower()} ({args.role})")
        elif args.action == "token":
            print(accounts.token(args.email))
        elif args.action == "disable":
            accounts.disable(args.email)
            print(f"disabled {args.email.strip().lower()}: it can no longer sign in, and its tokens are revoked")
        else:
            rows = accounts.listing()
            if args.json:
                print(json.dumps(rows, indent=2))
            elif not rows:
                print("No accounts yet. Add one with: mnr users add EMAIL --role ROLE --password-stdin")
            else:
                from rich.table import Table

                t = Table()
                for col in ("email", "role", "countries", "language", "active", "tokens", "last sign-in"):
                    t.add_column(col)
                for r in rows:
                    t.add_row(r["email"], r["role"], " ".join(r["countries"]), r["language"],
                              "yes" if r["active"] else "no", str(r["tokens"]), r["last_sign_in"] or "never")
                _console().print(t)
    except accounts.AccountError as e:
        raise UsageError(str(e)) from e
    return 0


# ---------------------------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="mnr", description="MNR Data Hub: harmonised, quality-gated OCSEA statistics.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("submit", help="archive a country's file and print its submission id")
    s.add_argument("file")
    s.add_argument("--country", help="ISO 3166-1 alpha-3 code, e.g. KEN (with --split: one the file must hold)")
    s.add_argument("--split", action="store_true",
                   help="a file holding several countries: one submission per country, each with its own id and report")
    s.set_defaults(func=cmd_submit)
    s = sub.add_parser("run", help="process pending submissions end to end")
    s.add_argument("--country", help="only this country (ISO3)")
    s.set_defaults(func=cmd_run)
    s = sub.add_parser("status", help="list submissions and their verdicts")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)
    s = sub.add_parser("feedback", help="the feedback report of a submission")
    s.add_argument("submission_id")
    s.add_argument("--json", action="store_true", help="print the findings document")
    s.set_defaults(func=cmd_feedback)
    s = sub.add_parser("query", help="read-only SQL over the published tables")
    s.add_argument("sql")
    s.add_argument("--restricted", action="store_true",
                   help="operators: read the restricted layers (raw, staging, marts, quality) of the warehouse")
    s.add_argument("--format", choices=("table", "csv", "json"), default="table")
    s.set_defaults(func=cmd_query)
    s = sub.add_parser("release", help="cut an immutable release in MNR_HOME/releases/<release_id>/")
    s.add_argument("--tag", help="name the release <tag>-<content hash> (default: today's date)")
    s.set_defaults(func=cmd_release)
    s = sub.add_parser("template", help="write the Excel submission template with drop-down lists")
    s.add_argument("--country", help="pre-fill ref_area with this country (ISO3)")
    s.add_argument("--out", required=True, help="the .xlsx file to write")
    s.set_defaults(func=cmd_template)
    s = sub.add_parser("map", help="draft a mapping for a file the hub cannot fully read")
    s.add_argument("file")
    s.add_argument("--country", required=True, help="ISO 3166-1 alpha-3 code of the country whose file it is")
    s.add_argument("--out", help="write the draft to this file (default: print it)")
    s.set_defaults(func=cmd_map)
    s = sub.add_parser("demo", help="submit the bundled samples and run everything")
    s.set_defaults(func=cmd_demo)
    s = sub.add_parser("serve", help="keep the pipeline loaded: `mnr run`, `release` and `demo` then start at once")
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("portal", help="serve the web portal and the SDMX REST API")
    s.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_portal)
    s = sub.add_parser("users", help="the portal's accounts: add, token, list, disable")
    users = s.add_subparsers(dest="action", required=True, metavar="ACTION")
    u = users.add_parser("add", help="add an account (the password is read from standard input)")
    u.add_argument("email")
    u.add_argument("--role", required=True, choices=("submitter", "statistician", "operator"))
    u.add_argument("--country", action="append", metavar="ISO3", help="a submitter's country (repeat for more)")
    u.add_argument("--language", default="en", choices=("en", "fr", "es", "pt", "ar"),
                   help="the language of its reports and notices (default en)")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u = users.add_parser("token", help="print a new API token for an account (shown once, stored hashed)")
    u.add_argument("email")
    u = users.add_parser("list", help="list the accounts")
    u.add_argument("--json", action="store_true")
    u = users.add_parser("disable", help="disable an account: no sign-in, its tokens revoked")
    u.add_argument("email")
    s.set_defaults(func=cmd_users)
    s = sub.add_parser("ui", help="start the Dagster UI on this project (operators only)")
    s.add_argument("--host", default="127.0.0.1", help="a loopback address to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=3000)
    s.add_argument("--socket", help="serve on this Unix socket instead (0660, group mnr-operators): for shared "
                                    "servers, alone or behind an authenticating proxy (docs/deployment.md)")
    s.add_argument("--read-only", action="store_true",
                   help="with --socket: a UI that shows runs and assets but launches and changes nothing")
    s.add_argument("--no-daemon", action="store_true",
                   help="with --socket: the webserver only (the daemon runs as a service of its own)")
    s.set_defaults(func=cmd_ui)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        served = delegate(argv, paths().home) if args.command in SERVED else None
        return served if served is not None else args.func(args)
    except UsageError as e:
        print(f"mnr {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # an internal failure: say what and where to look, exit 1
        print(f"mnr {args.command}: internal error: {e}", file=sys.stderr)
        if os.environ.get("MNR_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
