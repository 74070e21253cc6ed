"""The benchmarks of `make bench`: each case against a floor measured in the same run, as medians of several runs.

  a. feedback latency: one new submission for one country on a warm MNR_HOME already holding --warm countries,
     from `mnr submit` to its report on disk; floor: `dbt build` of the same dbt project alone (same models,
     same countries var) on the same warehouse;
  b. full rebuild: --countries x --years x the whole catalogue with breakdowns, every file submitted and
     `mnr run` on a fresh MNR_HOME; floor: bench/floor.sql (hand-written DuckDB) on the same files;
  c. no-op: `mnr run` with nothing pending;
  d. peak memory (RSS) of each, summed over the whole process tree (dbt runs in a subprocess).

    .venv/bin/python bench/run.py [--countries 200 --years 15 --warm 50 --runs 3 --rebuild-runs 3]
    .venv/bin/python bench/run.py --countries 20 --years 5 --warm 10 --runs 2     # a quick look

Writes bench/results.json and the results section of bench/RESULTS.md (text outside its markers is kept).
Every case runs the real commands (.venv/bin/mnr, .venv/bin/dbt) as subprocesses, like a user would.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402

from pipelines.runserver import code_fingerprint  # noqa: E402

TARGETS = {   # DESIGN: issue "Benchmarks" (ratios to the floor, seconds, bytes)
    "latency": {"ratio": 2.0},
    "rebuild": {"ratio": 3.0, "rss": 2 * 1024**3},
    "noop": {"seconds": 5.0},
}
MARK_BEGIN, MARK_END = "<!-- bench:begin (written by bench/run.py) -->", "<!-- bench:end -->"


# ------------------------------------------------------------------------------------------ measuring
def measure(cmd: list[str], env: dict | None = None, cwd: Path | None = None, log: Path | None = None,
            also: tuple[int, ...] = ()) -> dict:
    """Run a command; its wall time and the peak RSS of its whole process tree (sampled every 50 ms), plus the
    trees of the processes `also` (a run server doing the command's work in a child of its own). RSS is summed
    over processes, so pages a forked child shares with its server count twice: an upper bound."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        others = [psutil.Process(pid) for pid in also]
        while not done.is_set():
            total = 0
            try:
                for top in [root, *others]:
                    for p in [top, *top.children(recursive=True)]:
                        try:
                            total += p.memory_info().rss
                        except psutil.NoSuchProcess:
                            pass
            except psutil.NoSuchProcess:
                break
            peak = max(peak, total)
            done.wait(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    rc = proc.wait()
    seconds = time.perf_counter() - start
    done.set()
    t.join()
    if log:
        out.close()
    if rc != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited with {rc}" + (f"; see {log}" if log else ""))
    return {"seconds": seconds, "rss": peak}


def mnr(*args) -> list[str]:
    return [str(BIN / "mnr"), *map(str, args)]


SUBMIT_ALL = """
import json, sys
from pathlib import Path
from pipelines.ingest.archive import submit
from pipelines.settings import prepare_environment
p = prepare_environment()
data = Path(sys.argv[1])
for e in json.loads((data / "manifest.json").read_text())["files"]:
    submit(p, data / e["file"], e["country"])
"""


def submit_all(home: Path, data: Path, log: Path) -> dict:
    """Archive every generated file (one process; `mnr submit` per file would measure Python start-up 200 times)."""
    return measure([sys.executable, "-c", SUBMIT_ALL, str(data)], env={"MNR_HOME": str(home)}, log=log)


def dbt_build(home: Path, countries: list[str], log: Path) -> dict:
    """The floor of the feedback latency: the dbt build the standardise step runs, alone."""
    return measure(
        [str(BIN / "dbt"), "build", "--select", "resource_type:model", "--exclude", "tag:release", "tag:reference",
         "--exclude-resource-type", "unit_test", "--vars", json.dumps({"countries": countries}),
         "--project-dir", str(REPO / "dbt_project"), "--profiles-dir", str(REPO / "dbt_project")],
        env={"MNR_DUCKDB_PATH": str(home / "warehouse.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        cwd=REPO / "dbt_project", log=log,
    )


def published(home: Path) -> dict:
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select count(*) from published.observations").fetchone()[0]
        rejected = [r[0] for r in con.execute(
            "select country from quality.verdicts where verdict = 'rejected' order by 1").fetchall()]
    return {"published_rows": rows, "rejected": rejected}


# ------------------------------------------------------------------------------------------ cases
def warm_home(work: Path, args, log: Path) -> tuple[Path, Path, str, Path]:
    """The warm MNR_HOME of --warm countries (built once per code version, kept in work/warm-home), its data,
    the country of the latency case and that country's revised file: (warm, data, country, revised)."""
    data = work / "warm-data"
    if not (data / "manifest.json").exists():
        generate.generate(data, args.warm, args.years, seed=args.seed, defective_share=0.0)
    # Every run starts from the same warm MNR_HOME, restored from a copy at the path where it was built: a home
    # stays where it is between a country's submissions, and dbt's parse cache is only valid for the warehouse
    # path it was made with (a moved home makes the pipeline and the floor parse the project again).
    warm = work / "warm-home"   # the copy (the no-op case runs on it)
    home = work / "latency"
    # A warm home is rebuilt when the code changed since it was built: its dbt parse cache (and tables) must be
    # what the current code would have left.
    stamp = code_fingerprint()
    if (warm / "bench-code").is_file() and (warm / "bench-code").read_text() != stamp:
        shutil.rmtree(warm)
    if not (warm / "warehouse.duckdb").exists():
        print(f"  building the warm MNR_HOME ({args.warm} countries)", flush=True)
        shutil.rmtree(home, ignore_errors=True)
        submit_all(home, data, log)
        measure(mnr("run"), env={"MNR_HOME": str(home)}, log=log)
        shutil.copytree(home, warm)
        (warm / "bench-code").write_text(stamp)
    country = json.loads((data / "manifest.json").read_text())["files"][0]["country"]
    revised = generate.revision(work / "revision", country, args.years, args.seed)
    return warm, data, country, revised


def case_latency(work: Path, args, log: Path) -> dict:
    warm, data, country, revised = warm_home(work, args, log)
    home = work / "latency"
    # The pipeline keeps dbt's parse cache in its home (the warm build made it); the floor's is in the dbt project's
    # target folder: one unmeasured floor run makes it, so that both are measured warm.
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(warm, home)
    dbt_build(home, [country], log)
    env = {"MNR_HOME": str(home)}

    def one(server: bool) -> dict:
        """submit + run on a fresh copy of the warm home: with a run server already started for it (the
        deployment's way: `mnr serve` keeps the pipeline loaded), or without (every import paid by the run)."""
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(warm, home)
        with run_server(home, log) if server else contextlib.nullcontext() as pid:
            also = (pid,) if pid else ()
            s = measure(mnr("submit", revised, "--country", country), env=env, log=log)
            r = measure(mnr("run", "--country", country), env=env, log=log, also=also)
        if len(list((home / "feedback" / country).glob("*/report.html"))) < 2:
            raise RuntimeError(f"no report for the new {country} submission in {home}")
        return {"seconds": s["seconds"] + r["seconds"], "rss": max(s["rss"], r["rss"]), "submit_seconds": s["seconds"]}

    runs, cold, floors = [], [], []
    for i in range(args.runs):
        runs.append(one(server=True))
        cold.append(one(server=False))
        floors.append(dbt_build(home, [country], log))
        print(f"  latency run {i + 1}: {runs[-1]['seconds']:.1f} s with the run server, {cold[-1]['seconds']:.1f} s "
              f"without; floor {floors[-1]['seconds']:.1f} s", flush=True)
    return summarise("latency", runs, floors, {
        "warm_countries": args.warm, "country": country, "cells": generate_cells(data, country),
        "without_server": cold, "without_server_median_seconds": statistics.median(c["seconds"] for c in cold),
        "without_server_peak_rss": max(c["rss"] for c in cold)})


@contextlib.contextmanager
def run_server(home: Path, log: Path):
    """`mnr serve` for this home, started (and ready) before the clock starts; its pid."""
    proc = subprocess.Popen(mnr("serve"), env={**os.environ, "MNR_HOME": str(home)}, stdout=subprocess.PIPE,
                            stderr=open(log, "ab"), text=True)
    try:
        line = proc.stdout.readline()
        if "ready" not in line:
            raise RuntimeError(f"mnr serve did not start: {line!r}; see {log}")
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def generate_cells(data: Path, country: str) -> int:
    return next(e["cells"] for e in json.loads((data / "manifest.json").read_text())["files"] if e["country"] == country)


def case_rebuild(work: Path, args, log: Path) -> dict:
    data = work / "rebuild-data"
    if not (data / "manifest.json").exists():
        print(f"  generating {args.countries} countries x {args.years} years", flush=True)
        generate.generate(data, args.countries, args.years, seed=args.seed)
    manifest = json.loads((data / "manifest.json").read_text())
    runs, floors, parity = [], [], {}
    for i in range(args.rebuild_runs):
        home = work / f"rebuild-{i}"
        shutil.rmtree(home, ignore_errors=True)
        s = submit_all(home, data, log)
        cmd = mnr("run")
        if args.profile and i == 0:
            cmd = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(work / "rebuild-profile.txt"),
                   str(BIN / "mnr"), "run"]
        r = measure(cmd, env={"MNR_HOME": str(home)}, log=log)
        runs.append({"seconds": s["seconds"] + r["seconds"], "rss": max(s["rss"], r["rss"]),
                     "submit_seconds": s["seconds"]})
        parity["pipeline"] = published(home)
        db = work / f"floor-{i}.duckdb"
        db.unlink(missing_ok=True)
        f = measure([sys.executable, str(BENCH / "floor.py"), str(data), str(db)], log=log)
        floors.append(f)
        print(f"  rebuild run {i + 1}: {runs[-1]['seconds']:.1f} s, floor {f['seconds']:.1f} s", flush=True)
        shutil.rmtree(home, ignore_errors=True)
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        parity["floor"] = {
            "published_rows": con.execute("select count(*) from published.observations").fetchone()[0],
            "rejected": [r[0] for r in con.execute(
                "select country from verdicts where verdict = 'rejected' order by 1").fetchall()]}
    planted = sorted(e["country"] for e in manifest["files"] if e["defects"])
    return summarise("rebuild", runs, floors, {"countries": args.countries, "years": args.years,
                                               "cells": manifest["cells"], "planted_defects_in": planted,
                                               "parity": parity})


def case_noop(work: Path, args, log: Path) -> dict:
    warm = work / "warm-home"
    runs = [measure(mnr("run"), env={"MNR_HOME": str(warm)}, log=log) for _ in range(args.runs)]
    return summarise("noop", runs, None, {"home": "the warm MNR_HOME of the latency case"})


def summarise(name: str, runs: list[dict], floors: list[dict] | None, extra: dict) -> dict:
    med = statistics.median(r["seconds"] for r in runs)
    out = {"case": name, "runs": runs, "median_seconds": med,
           "peak_rss": max(r["rss"] for r in runs), **extra}
    if floors:
        fmed = statistics.median(f["seconds"] for f in floors)
        out.update(floors=floors, floor_median_seconds=fmed, ratio=med / fmed,
                   floor_peak_rss=max(f["rss"] for f in floors))
    t = TARGETS[name]
    ok = True
    if "ratio" in t:
        ok &= out["ratio"] <= t["ratio"]
    if "rss" in t:
        ok &= out["peak_rss"] <= t["rss"]
    if "seconds" in t:
        ok &= med <= t["seconds"]
    out["target"], out["passed"] = t, bool(ok)
    return out


# ------------------------------------------------------------------------------------------ report
def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = {}
    for pkg in ("duckdb", "dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "great-expectations", "pandas"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_bytes": psutil.virtual_memory().total,
            "os": platform.platform(), "python": platform.python_version(), "versions": versions,
            "load_average_at_start": os.getloadavg()}


def gib(n: int) -> str:
    return f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [
        MARK_BEGIN,
        f"Last run: {res['finished_at']} ({res['settings']['runs']} runs per case, "
        f"{res['settings']['rebuild_runs']} for the rebuild; medians).",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {gib(m['ram_bytes'])} RAM, {m['os']}; Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        f"Load average when the run started: {', '.join(f'{x:.1f}' for x in m['load_average_at_start'])}. "
        "The machine is shared (other processes run beside the benchmark), so single timings are noisy; compare "
        "ratios measured in the same run rather than seconds across runs.",
        "",
        "| case | scale | median | floor (median) | ratio | peak RSS (tree) | target | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in res["cases"]:
        scale = {"latency": lambda: f"1 submission ({c['cells']} cells) on {c['warm_countries']} countries",
                 "rebuild": lambda: f"{c['countries']} countries x {c['years']} years, {c['cells']:,} cells",
                 "noop": lambda: "nothing pending"}[c["case"]]()
        t = c["target"]
        target = ", ".join(filter(None, [
            f"ratio <= {t['ratio']:g}" if "ratio" in t else "", f"<= {t['seconds']:g} s" if "seconds" in t else "",
            f"RSS <= {gib(t['rss'])}" if "rss" in t else ""]))
        lines.append(
            f"| {c['case']} | {scale} | {c['median_seconds']:.1f} s | "
            + (f"{c['floor_median_seconds']:.1f} s ({gib(c['floor_peak_rss'])})" if "ratio" in c else "-") + " | "
            + (f"{c['ratio']:.1f}x" if "ratio" in c else "-")
            + f" | {gib(c['peak_rss'])} | {target} | {'pass' if c['passed'] else '**miss**'} |")
    for c in res["cases"]:
        if c.get("floors") and len(c["floors"]) > 1:
            lines += ["", f"{c['case'].capitalize()}, each run against the floor measured after it: "
                          + ", ".join(f"{r['seconds']:.1f} s / {f['seconds']:.1f} s = {r['seconds'] / f['seconds']:.2f}x"
                                      for r, f in zip(c["runs"], c["floors"])) + "."]
        if c["case"] == "latency":
            lines += ["", f"Latency is measured with `mnr serve` running for the home (started before the clock, as "
                          f"on a deployment); without it, every run pays the imports itself: "
                          f"{c['without_server_median_seconds']:.1f} s "
                          f"({c['without_server_median_seconds'] / c['floor_median_seconds']:.1f}x the floor), "
                          f"peak {gib(c['without_server_peak_rss'])}. Peak RSS with the server sums the server, "
                          "its child and the caller (shared pages counted twice)."]
        if c["case"] == "rebuild":
            p = c["parity"]
            lines += ["", f"Rebuild parity: pipeline published {p['pipeline']['published_rows']:,} rows and rejected "
                          f"{', '.join(p['pipeline']['rejected']) or 'none'}; the floor published "
                          f"{p['floor']['published_rows']:,} rows and rejected {', '.join(p['floor']['rejected']) or 'none'}"
                          f" (defects were planted in {', '.join(c['planted_defects_in']) or 'none'})."]
    lines.append(MARK_END)
    return "\n".join(lines)


def write_results(res: dict) -> None:
    (BENCH / "results.json").write_text(json.dumps(res, indent=1) + "\n")
    path = BENCH / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n\n" + MARK_BEGIN + "\n" + MARK_END + "\n"
    if MARK_BEGIN in text and MARK_END in text:
        head, rest = text.split(MARK_BEGIN, 1)
        tail = rest.split(MARK_END, 1)[1]
        text = head + markdown(res) + tail
    else:
        text += "\n" + markdown(res) + "\n"
    path.write_text(text)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--warm", type=int, default=50, help="countries already in the warm MNR_HOME (latency case)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rebuild-runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--cases", default="latency,noop,rebuild")
    ap.add_argument("--work", type=Path, help="working folder (kept); default a temporary one (removed)")
    ap.add_argument("--profile", action="store_true", help="profile the first rebuild's `mnr run` (pyinstrument)")
    a = ap.parse_args(argv)
    work = a.work or Path(tempfile.mkdtemp(prefix="mnr-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    res = {"settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(a).items()},
           "machine": machine(), "cases": []}
    try:
        for name in a.cases.split(","):
            print(f"{name}:", flush=True)
            res["cases"].append({"latency": case_latency, "rebuild": case_rebuild, "noop": case_noop}[name](work, a, log))
    finally:
        res["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        if res["cases"]:
            write_results(res)
        if a.work is None:
            shutil.rmtree(work, ignore_errors=True)
    for c in res["cases"]:
        print(f"{c['case']}: {c['median_seconds']:.1f} s" + (f", {c['ratio']:.1f}x floor" if "ratio" in c else "")
              + f", peak {gib(c['peak_rss'])}, {'pass' if c['passed'] else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
