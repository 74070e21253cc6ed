"""The portal in a real browser (Playwright driving Debian's chromium) against the real server, on a warm home:
a country team signs in, sends a file with defects, watches it being checked, reads the verdict and a finding,
acknowledges a warning, downloads the template and signs out; the same in Arabic, right to left. The e-mail
notice goes through a real SMTP server on loopback (aiosmtpd); the JSON API and a "check only" upload are
processed by the same worker with no operator. Screenshots are kept in test-artifacts/portal/."""

import json
import subprocess
import time

import pytest
import requests
from aiosmtpd.controller import Controller

from conftest import ARTIFACTS, REPO, warm_copy
from portal_support import MNR, Portal, add_user, free_port, new_token, sign_in, upload

SHOTS = ARTIFACTS / "portal"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PROCESSING_S = 300

# A Kenyan file with a negative count (an error) and a tenfold jump in prosecutions (a warning).
KEN_DEFECTS = """indicator,time_period,sex,age,offence,value,unit,obs_status,comment
CJ_REPORTS_RECEIVED,2021,,,,14250,NUMBER,A,
CJ_PROSECUTIONS,2021,,,,97,PERSONS,A,
CJ_CONVICTIONS,2021,,,,41,PERSONS,A,
CJ_REPORTS_RECEIVED,2022,,,,18933,NUMBER,A,
CJ_PROSECUTIONS,2022,,,,980,PERSONS,A,
CJ_CONVICTIONS,2022,,,,-5,PERSONS,A,
"""
# The same defects in a Jordanian file with Arabic headers.
JOR_DEFECTS = """المؤشر,السنة,الجنس,العمر,القيمة,الوحدة,ملاحظات
CJ_REPORTS_RECEIVED,2022,,,1200,NUMBER,
CJ_PROSECUTIONS,2022,,,40,PERSONS,
CJ_CONVICTIONS,2022,,,22,PERSONS,
CJ_REPORTS_RECEIVED,2023,,,1350,NUMBER,
CJ_PROSECUTIONS,2023,,,410,PERSONS,
CJ_CONVICTIONS,2023,,,-3,PERSONS,
"""


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"to": envelope.rcpt_tos, "data": envelope.content.decode("utf-8", "replace")})
        return "250 OK"


@pytest.fixture(scope="module")
def hub(reference_home, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("portal_browser")
    home = warm_copy(reference_home, tmp / "home")
    add_user(home, "ken@example.org", "submitter", ["KEN"])
    # The Jordanian account reads French; its file is in Arabic, and the report follows the file.
    add_user(home, "jor@example.org", "submitter", ["JOR"], language="fr")
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    portal = Portal(home, env={"MNR_PORTAL_INSECURE_COOKIES": "1", "MNR_SMTP_HOST": "127.0.0.1",
                               "MNR_SMTP_PORT": str(smtp.port), "MNR_MAIL_FROM": "hub@example.org"}).start()
    portal.mailbox = mailbox
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in [*SHOTS.glob("*.png"), *SHOTS.glob("*.html")]:
        old.unlink()
    (tmp / "ken_defects.csv").write_text(KEN_DEFECTS)
    (tmp / "jor_defects.csv").write_text(JOR_DEFECTS, encoding="utf-8")
    portal.files = tmp
    yield portal
    portal.stop()
    smtp.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def shot(page, name: str) -> None:
    """A screenshot of the page and its HTML beside it."""
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    path.with_suffix(".html").write_text(page.content(), encoding="utf-8")
    assert path.stat().st_size > 5000, path


def _flow(hub, browser, email, country, file_name, prefix, verdict, rule_name, comment):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(hub.url + "/")
    assert page.url.startswith(hub.url + "/signin")
    page.fill("#email", email)
    page.fill("#password", "correct horse battery staple")
    shot(page, f"{prefix}-1-sign-in")
    page.click("#signin")
    page.wait_for_url(hub.url + "/")
    page.click("header a[href='/upload']")
    page.select_option("#country", country)
    page.set_input_files("#file", str(hub.files / file_name))
    page.click("#send")
    page.wait_for_url(f"{hub.url}/submissions/{country}-*")
    if page.locator("#progress").count():   # the page shows its progress while the file is checked
        shot(page, f"{prefix}-2-being-checked")
    page.wait_for_selector("#verdict, #failed", timeout=PROCESSING_S * 1000)
    assert page.locator("#failed").count() == 0, page.locator("#failed").inner_text() + hub.log.read_text()[-5000:]
    assert page.locator("#verdict").inner_text().startswith(verdict)
    finding = page.locator("tr.finding", has_text=rule_name)
    assert finding.count() >= 1 and "NEGATIVE_VALUE" in finding.first.inner_text()
    shot(page, f"{prefix}-3-verdict")
    # Acknowledge the warning with a comment.
    warning = page.locator("tr.finding", has=page.locator("code", has_text="YOY_CHANGE")).first
    warning.locator("summary").click()
    warning.locator("textarea").fill(comment)
    warning.locator("button").click()
    page.wait_for_selector(".ack")
    assert comment in page.locator("tr.finding", has=page.locator(".ack")).first.inner_text()
    shot(page, f"{prefix}-4-acknowledged")
    # The full report, in the same language, with the acknowledgement.
    page.click("#full-report")
    report_html = page.content()
    assert comment in report_html
    shot(page, f"{prefix}-5-report")
    page.go_back()
    # The Excel template.
    with page.expect_download() as dl:
        page.click("#template-link")
    data = open(dl.value.path(), "rb").read()
    assert data[:2] == b"PK" and dl.value.suggested_filename == f"MNR_template_{country}.xlsx"
    # Sign out: the pages are closed again.
    page.click("#signout")
    page.wait_for_url(hub.url + "/signin")
    page.goto(f"{hub.url}/submissions/{country}-000000000000")
    assert page.url.startswith(hub.url + "/signin")
    shot(page, f"{prefix}-6-signed-out")
    page.close()
    return report_html


def test_a_country_team_sends_a_file_reads_its_feedback_and_signs_out(hub, browser):
    html = _flow(hub, browser, "ken@example.org", "KEN", "ken_defects.csv", "en", "Rejected.",
                 "A count is negative", "The new cybercrime unit started in 2022")
    assert '<html lang="en" dir="ltr">' in html
    # The notice reached the sender through the SMTP server, with the link to the page (not the findings).
    deadline = time.time() + 30
    while time.time() < deadline and not hub.mailbox.messages:
        time.sleep(0.5)
    (mail,) = [m for m in hub.mailbox.messages if m["to"] == ["ken@example.org"]]
    assert "Subject: Feedback ready for ken_defects.csv: Rejected" in mail["data"]
    assert "/submissions/KEN-" in mail["data"] and "NEGATIVE_VALUE" not in mail["data"]


def test_the_same_in_arabic_right_to_left(hub, browser):
    html = _flow(hub, browser, "jor@example.org", "JOR", "jor_defects.csv", "ar", "مرفوض.",
                 "عدد سالب", "بدأت وحدة الجرائم الإلكترونية عملها في 2023")
    assert '<html lang="ar" dir="rtl">' in html and "مرفوض" in html
    # The shared report.html, written by the pipeline, is in the file's language too.
    (shared,) = (hub.home / "feedback" / "JOR").glob("*/report.html")
    assert '<html lang="ar" dir="rtl">' in shared.read_text()


def test_the_api_takes_a_file_and_its_findings_follow_with_no_operator(hub):
    token = new_token(hub.home, "ken@example.org")
    bearer = {"Authorization": f"Bearer {token}"}
    f = hub.files / "ken_api.csv"
    f.write_text(KEN_DEFECTS.replace("14250", "14251"))
    with open(f, "rb") as fh:
        r = requests.post(hub.url + "/api/submissions", headers=bearer, files={"file": (f.name, fh)},
                          data={"country": "KEN"})
    assert r.status_code == 201, r.text
    sid = r.json()["submission_id"]
    assert r.json() == {"submission_id": sid, "country": "KEN", "state": "pending"}
    deadline = time.time() + PROCESSING_S
    while time.time() < deadline:
        row = requests.get(f"{hub.url}/api/submissions/{sid}", headers=bearer).json()
        if row["state"] != "pending":
            break
        time.sleep(1)
    assert row["verdict"] == "rejected" and row["errors"] >= 1
    doc = requests.get(f"{hub.url}/api/submissions/{sid}/findings", headers=bearer).json()
    assert doc["submission_id"] == sid and any(x["rule_id"] == "NEGATIVE_VALUE" for x in doc["findings"])
    # The same bytes again are the same submission, already processed: nothing is queued or run again.
    with open(f, "rb") as fh:
        again = requests.post(hub.url + "/api/submissions", headers=bearer, files={"file": (f.name, fh)},
                              data={"country": "KEN"})
    assert (again.status_code, again.json()) == (201, {"submission_id": sid, "country": "KEN", "state": "processed"})
    # The same answer as `mnr status --json` gives for it.
    out = subprocess.run([MNR, "status", "--json"], capture_output=True, text=True, env={**hub.env})
    assert [x for x in json.loads(out.stdout) if x["submission_id"] == sid] == [row]


def test_a_check_runs_every_check_and_publishes_nothing(hub):
    s = requests.Session()
    assert sign_in(s, hub.url, "ken@example.org").status_code == 302
    good = hub.files / "ken_check.csv"
    good.write_text((REPO / "samples" / "KEN_police_and_courts_2021-2023.csv").read_text().replace("14250", "14350"))
    published_before = _published_count(hub)
    r = upload(s, hub.url, good, "KEN", check_only=True)
    assert r.status_code == 302 and r.headers["Location"].startswith("/checks/")
    page_url = hub.url + r.headers["Location"]
    deadline = time.time() + PROCESSING_S
    while time.time() < deadline and 'id="verdict"' not in (text := s.get(page_url).text):
        time.sleep(1)
    assert 'id="verdict"' in text and "nothing from this file was published" in text
    report = s.get(page_url + "/report").text
    assert 'id="check-only"' in report and "would be published" in report
    # Nothing reached the published data, the archive or the submissions list.
    assert _published_count(hub) == published_before
    assert all(r["file_name"] != "ken_check.csv" for r in s.get(hub.url + "/api/submissions").json())


def _published_count(hub) -> int:
    out = subprocess.run([MNR, "query", "select count(*) as n from published.observations", "--format", "json"],
                         capture_output=True, text=True, env={**hub.env})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)[0]["n"]
