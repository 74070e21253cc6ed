"""Benchmark of the SDMX REST API against `mnr query` of the same rows, on the same machine.

    .venv/bin/python bench/sdmx.py [--countries 200 --years 15 --runs 3 --work DIR]

The published data are those of the benchmark data set (bench/generate.py, --countries x --years, about 1.33
million published cells at 200 x 15), published by bench/floor.py (the hand-written DuckDB floor, which publishes
the same rows as the pipeline: bench/RESULTS.md, rebuild parity) and copied into a fresh MNR_HOME's
published.observations in country order, as the pipeline's publication leaves it. Then, with `mnr portal` running
on a loopback port:

  - one country: GET /sdmx/rest/data/DF_MNR_OCSEA/<ISO3>.... (SDMX-ML structure-specific, the default; and
    SDMX-CSV) against `mnr query "select * from published.observations where ref_area = '<ISO3>'" --format csv`;
  - the whole data set: GET /sdmx/rest/data/DF_MNR_OCSEA/all against `mnr query "select * from
    published.observations" --format csv`;
  - CPU seconds of each side (the web server's processes for the API, `mnr query`'s own), steadier than wall
    time on a shared machine;
  - memory: the peak RSS of the web server's process tree (gunicorn's master and its worker; `mnr portal`'s own
    process is the pipeline worker, which serves no request) while it answers, above its RSS before the request
    (the answer is streamed, so this should not grow with the answer), and the peak RSS of `mnr query`.

Each timing is the median of --runs runs; the client reads the answer to the end and counts its bytes. Writes
bench/sdmx_results.json and the SDMX section of bench/RESULTS.md (between its own markers).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "tests"))

import generate  # noqa: E402
from floor import run_floor  # noqa: E402
from portal_support import Portal  # noqa: E402

MARK_BEGIN, MARK_END = "<!-- bench-sdmx:begin (written by bench/sdmx.py) -->", "<!-- bench-sdmx:end -->"
TARGET_RATIO = 2.0


def tree_cpu(proc: psutil.Process) -> float:
    """CPU seconds (user + system) of a process tree so far: on a shared machine, steadier than wall time."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Sampler:
    """Peak RSS of a process tree, sampled every 20 ms while it runs."""

    def __init__(self, proc: psutil.Process):
        self.proc, self.peak, self._done = proc, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._done.is_set():
            try:
                self.peak = max(self.peak, tree_rss(self.proc))
            except psutil.NoSuchProcess:
                return
            self._done.wait(0.02)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._t.join()


def web_server(portal: psutil.Process) -> psutil.Process:
    """The gunicorn master under `mnr portal` (whose own process is the pipeline worker, measured apart)."""
    for _ in range(100):
        for p in portal.children(recursive=True):
            if "pipelines.portal.server" in " ".join(p.cmdline()):
                return p
        time.sleep(0.1)
    raise RuntimeError("no web server process under mnr portal")


def http_get(url: str, accept: str | None, server: psutil.Process) -> dict:
    """Seconds to the last byte, bytes, and the server tree's RSS before and at its peak during the answer."""
    before, cpu = tree_rss(server), tree_cpu(server)
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with Sampler(server) as s:
        start = time.perf_counter()
        n = 0
        with urllib.request.urlopen(req, timeout=3600) as r:
            assert r.status == 200, r.status
            while chunk := r.read(1 << 20):
                n += len(chunk)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": tree_cpu(server) - cpu, "bytes": n, "rss_before": before,
            "rss_peak": max(s.peak, before), "rss_growth": max(s.peak - before, 0)}


def mnr_query(home: Path, sql: str, out: Path) -> dict:
    start = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "wb") as f:
        proc = subprocess.Popen([str(BIN / "mnr"), "query", sql, "--format", "csv"], stdout=f,
                                env={**os.environ, "MNR_HOME": str(home)})
        with Sampler(psutil.Process(proc.pid)) as s:
            rc = proc.wait()
    if rc:
        raise RuntimeError(f"mnr query exited with {rc}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return {"seconds": time.perf_counter() - start, "cpu_seconds": cpu, "bytes": out.stat().st_size,
            "rss_peak": s.peak}


def build_home(work: Path, countries: int, years: int, seed: int) -> tuple[Path, int]:
    home = work / "home"
    if (home / "warehouse.duckdb").exists():
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            return home, con.execute("select count(*) from published.observations").fetchone()[0]
    data = work / "data"
    if not (data / "manifest.json").exists():
        print(f"  generating {countries} countries x {years} years", flush=True)
        generate.generate(data, countries, years, seed=seed)
    floor_db = work / "floor.duckdb"
    floor_db.unlink(missing_ok=True)
    print("  publishing with bench/floor.py", flush=True)
    print("  ", run_floor(data, floor_db), flush=True)
    env = {**os.environ, "MNR_HOME": str(home)}
    subprocess.run([sys.executable, "-c", "from pipelines.settings import prepare_environment; prepare_environment()"],
                   env=env, check=True)
    from pipelines.publish.publish import COLUMNS, DDL

    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(DDL)
        con.execute(f"attach '{floor_db}' as floor (read_only)")
        cols = ", ".join(COLUMNS)
        con.execute(f"insert into published.observations select {cols} from floor.published.observations "
                    "order by ref_area, indicator_code, sex, age, offence, time_period")
        n = con.execute("select count(*) from published.observations").fetchone()[0]
    return home, n


def memory_by_size(home: Path, sizes=(1, 25, 100, 200)) -> list[dict]:
    """The web server's RSS growth while it answers the first n countries, each in a server of its own (so that
    nothing an earlier answer left in memory counts): streamed, it should level off, not grow with n."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        areas = [r[0] for r in con.execute(
            "select distinct ref_area from published.observations order by 1").fetchall()]
    out = []
    for n in sizes:
        with Portal(home, env={"MNR_PORTAL_WORKERS": "1"}) as portal:
            server = web_server(psutil.Process(portal.proc.pid))
            base = portal.url + "/sdmx/rest/data/DF_MNR_OCSEA/"
            http_get(base + areas[-1] + "....", None, server)      # the worker loaded, as a running one is
            key = "+".join(areas[:n]) + "...." if n < len(areas) else "all"
            r = http_get(base + key, None, server)
            out.append({"countries": min(n, len(areas)), **r})
            print(f"  memory, {n} countries: {r['bytes'] / 1e6:.0f} MB answered, RSS +{mib(r['rss_growth'])}",
                  flush=True)
    return out


def median_of(runs: list[dict], key: str = "seconds") -> float:
    return statistics.median(r[key] for r in runs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--years", type=int, default=15)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--work", type=Path, help="working folder (kept, and reused if it holds a home)")
    a = ap.parse_args(argv)
    work = a.work or Path(tempfile.mkdtemp(prefix="mnr-bench-sdmx-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        home, rows = build_home(work, a.countries, a.years, a.seed)
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            country, country_rows = con.execute(
                "select ref_area, count(*) from published.observations group by 1 order by 2 desc, 1 limit 1"
            ).fetchone()
        print(f"  {rows:,} published cells; one country: {country} ({country_rows:,} cells)", flush=True)
        res = {"settings": {"countries": a.countries, "years": a.years, "runs": a.runs}, "rows": rows,
               "country": country, "country_rows": country_rows, "load_average_at_start": os.getloadavg(),
               "cases": {}}
        with Portal(home, env={"MNR_PORTAL_WORKERS": "1"}) as portal:
            server = web_server(psutil.Process(portal.proc.pid))
            base = portal.url + "/sdmx/rest/data/DF_MNR_OCSEA"
            http_get(f"{base}/{country}....", None, server)          # warm: imports, code lists, file cache
            cases = {
                "country_query": lambda: mnr_query(
                    home, f"select * from published.observations where ref_area = '{country}'", work / "q1.csv"),
                "country_sdmx_xml": lambda: http_get(f"{base}/{country}....", None, server),
                "country_sdmx_csv": lambda: http_get(f"{base}/{country}....", "text/csv", server),
                "all_query": lambda: mnr_query(home, "select * from published.observations", work / "qall.csv"),
                "all_sdmx_xml": lambda: http_get(f"{base}/all", None, server),
                "all_sdmx_csv": lambda: http_get(f"{base}/all", "text/csv", server),
                "all_sdmx_generic": lambda: http_get(f"{base}/all", "application/vnd.sdmx.genericdata+xml;version=2.1",
                                                     server),
            }
            for name, fn in cases.items():
                runs = [fn() for _ in range(a.runs)]
                res["cases"][name] = {"runs": runs, "median_seconds": median_of(runs),
                                      "median_cpu_seconds": median_of(runs, "cpu_seconds"),
                                      "bytes": runs[0]["bytes"],
                                      "peak_rss": max(r["rss_peak"] for r in runs),
                                      "rss_growth": max(r.get("rss_growth", 0) for r in runs)}
                print(f"  {name}: {median_of(runs):.2f} s, {runs[0]['bytes'] / 1e6:.1f} MB", flush=True)
        res["memory_by_size"] = memory_by_size(home)
        res["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        write_results(res)
    finally:
        if a.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def mib(n: int) -> str:
    return f"{n / 1024**2:.0f} MiB"


def markdown(res: dict) -> str:
    c = res["cases"]
    lines = [MARK_BEGIN,
             f"Last run: {res['finished_at']} ({res['settings']['runs']} runs per case, medians); "
             f"{res['rows']:,} published cells ({res['settings']['countries']} countries x "
             f"{res['settings']['years']} years); one country: {res['country']} ({res['country_rows']:,} cells). "
             f"Load average at the start: {', '.join(f'{x:.1f}' for x in res['load_average_at_start'])}.",
             "",
             "| rows | `mnr query ... --format csv` | SDMX-ML structure-specific | ratio | SDMX-CSV 1.0 | ratio | "
             "SDMX-ML generic | target | result |",
             "|---|---|---|---|---|---|---|---|---|"]
    for scope, label in (("country", f"one country ({res['country_rows']:,})"), ("all", f"all ({res['rows']:,})")):
        q, x, v = c[f"{scope}_query"], c[f"{scope}_sdmx_xml"], c[f"{scope}_sdmx_csv"]
        g = c.get(f"{scope}_sdmx_generic")
        rx, rv = x["median_seconds"] / q["median_seconds"], v["median_seconds"] / q["median_seconds"]
        ok = rx <= TARGET_RATIO and rv <= TARGET_RATIO
        lines.append(
            f"| {label} | {q['median_seconds']:.2f} s ({q['bytes'] / 1e6:.1f} MB) | "
            f"{x['median_seconds']:.2f} s ({x['bytes'] / 1e6:.1f} MB) | {rx:.2f}x | "
            f"{v['median_seconds']:.2f} s ({v['bytes'] / 1e6:.1f} MB) | {rv:.2f}x | "
            + (f"{g['median_seconds']:.2f} s ({g['bytes'] / 1e6:.1f} MB)" if g else "-")
            + f" | <= {TARGET_RATIO:g}x | {'pass' if ok else '**miss**'} |")
    lines += ["", "CPU seconds (user + system, medians; the web server's processes for the API, the whole `mnr query` "
              "process, start-up included): " + "; ".join(
                  f"{label}: `mnr query` {c[f'{scope}_query']['median_cpu_seconds']:.2f}, SDMX-ML "
                  f"{c[f'{scope}_sdmx_xml']['median_cpu_seconds']:.2f}, SDMX-CSV "
                  f"{c[f'{scope}_sdmx_csv']['median_cpu_seconds']:.2f}"
                  for scope, label in (("country", "one country"), ("all", "all"))) + "."]
    lines += ["", "Memory (RSS): the web server's process tree (gunicorn master and one worker) grew by at most "
              f"{mib(c['country_sdmx_xml']['rss_growth'])} while answering one country and "
              f"{mib(max(c['all_sdmx_xml']['rss_growth'], c['all_sdmx_csv']['rss_growth']))} while answering "
              f"the whole data set (peak {mib(c['all_sdmx_xml']['peak_rss'])}); `mnr query`, which fetches "
              f"every row before printing, peaked at {mib(c['country_query']['peak_rss'])} for one country and "
              f"{mib(c['all_query']['peak_rss'])} for all.", ""]
    if res.get("memory_by_size"):
        lines += ["The web server's RSS growth by the size of the answer (SDMX-ML, each in a server of its own): "
                  + ", ".join(f"{m['countries']} countries ({m['bytes'] / 1e6:.0f} MB) +{mib(m['rss_growth'])}"
                              for m in res["memory_by_size"])
                  + ". What grows is DuckDB's buffer pool holding the table's blocks as the answer reads them, up "
                  "to MNR_SDMX_DUCKDB_MEMORY (256MB); the answer itself is never held whole."]
    lines.append(MARK_END)
    return "\n".join(lines)


def write_results(res: dict) -> None:
    (BENCH / "sdmx_results.json").write_text(json.dumps(res, indent=1) + "\n")
    path = BENCH / "RESULTS.md"
    text = path.read_text()
    if MARK_BEGIN in text and MARK_END in text:
        head, rest = text.split(MARK_BEGIN, 1)
        text = head + markdown(res) + rest.split(MARK_END, 1)[1]
    else:
        text += "\n## SDMX REST API (issue on the SDMX API)\n\n" + markdown(res) + "\n"
    path.write_text(text)


if __name__ == "__main__":
    raise SystemExit(main())
