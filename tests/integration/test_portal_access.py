"""Every access decision of the portal, tried against the real server (gunicorn on loopback) as each role:
a country never sees, downloads or submits another's (404 for what it may not see, 403 for what it may not do),
a statistician never sees unpublished feedback, nothing works without a session or a token; sign-in is
rate-limited, redirects only within the portal, and everything that matters is in the audit log."""

import sqlite3
from pathlib import Path

import pytest
import requests

from pipelines.feedback.report import findings_document, write_feedback
from pipelines.ingest.archive import submit
from pipelines.settings import Paths
from portal_support import Portal, add_user, csrf_of, new_token, sign_in, upload

HEADER = "indicator,time_period,sex,age,offence,value,unit,obs_status,comment\n"


HOSTILE = "<img src=x onerror=alert(1)><script>alert(2)</script>"


def _archive(home: Paths, tmp: Path, country: str, value: int, published: bool) -> str:
    """A submission as the pipeline leaves it: archived, with its findings document (a warning whose sheet,
    value and message carry markup, as a hostile file's cells would)."""
    f = tmp / f"{country}_{value}.csv"
    f.write_text(HEADER + f"CJ_REPORTS_RECEIVED,2021,,,,{value},NUMBER,A,\n")
    receipt, _ = submit(home, f, country)
    findings = [{"rule_id": "YOY_CHANGE", "level": 3, "severity": "warning", "message": f"check {HOSTILE}",
                 "sheet": HOSTILE, "row": 2, "column": "value", "value": HOSTILE, "expected": None,
                 "indicator_code": "CJ_REPORTS_RECEIVED", "time_period": 2021}]
    if not published:
        findings.append({"rule_id": "NEGATIVE_VALUE", "level": 1, "severity": "error", "message": "negative",
                         "sheet": None, "row": 2, "column": "value", "value": "-1", "expected": ">= 0",
                         "indicator_code": "CJ_REPORTS_RECEIVED", "time_period": 2021})
    doc = findings_document(receipt, findings, 1 if published else 0)
    write_feedback(home.feedback_dir(country, receipt.submission_id), doc)
    return receipt.submission_id


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("portal_access")
    home = Paths(tmp / "home")
    home.home.mkdir()
    for country in ("KEN", "UGA"):   # a mapping of each country's own layout
        (home.home / "mappings" / country).mkdir(parents=True)
        (home.home / "mappings" / country / f"{country.lower()}_police.yaml").write_text(
            f"id: {country.lower()}_police\ntitle: {country} police <b>export</b>\n")
    ids = {
        "ken_published": _archive(home, tmp, "KEN", 100, True),
        "ken_rejected": _archive(home, tmp, "KEN", 101, False),
        "uga_published": _archive(home, tmp, "UGA", 102, True),
        "uga_rejected": _archive(home, tmp, "UGA", 103, False),
    }
    add_user(home.home, "ken@example.org", "submitter", ["KEN"])
    add_user(home.home, "uga@example.org", "submitter", ["UGA"])
    add_user(home.home, "stat@example.org", "statistician")
    add_user(home.home, "op@example.org", "operator")
    add_user(home.home, "gone@example.org", "submitter", ["KEN"])
    p = Portal(home.home, env={"MNR_PORTAL_INSECURE_COOKIES": "1", "MNR_MAX_FILE_MB": "0.05"}).start()
    p.ids = ids
    p.paths = home
    yield p
    p.stop()


def session_of(portal, email) -> requests.Session:
    s = requests.Session()
    r = sign_in(s, portal.url, email)
    assert r.status_code == 302, r.text
    return s


def _audit(portal) -> list[tuple]:
    with sqlite3.connect(portal.home / "portal" / "portal.sqlite3") as db:
        return db.execute("select actor, action, subject from portal_auditevent order by id").fetchall()


def _pages(ids):
    sid = ids["ken_published"]
    return ["/", "/upload", "/template.xlsx", "/releases", "/mappings", f"/submissions/{sid}", f"/submissions/{sid}/report",
            f"/submissions/{sid}/findings.csv", f"/submissions/{sid}/findings.json", "/checks/1", "/profiles/KEN"]


def test_nothing_without_a_session_or_a_token(portal):
    for page in _pages(portal.ids):
        r = requests.get(portal.url + page, allow_redirects=False)
        assert r.status_code == 302 and r.headers["Location"].startswith("/signin"), page
    sid = portal.ids["ken_published"]
    for api in ("/api/submissions", f"/api/submissions/{sid}", f"/api/submissions/{sid}/findings"):
        r = requests.get(portal.url + api)
        assert r.status_code == 401 and "error" in r.json(), api
    r = requests.post(portal.url + "/api/submissions", files={"file": ("a.csv", b"x")}, data={"country": "KEN"})
    assert r.status_code == 401
    # A wrong token is a 401 too, never an anonymous answer.
    r = requests.get(portal.url + "/api/submissions", headers={"Authorization": "Bearer mnr_not-a-token"})
    assert r.status_code == 401


def test_a_submitter_sees_its_own_countries_only_404_for_another_countrys(portal):
    s = session_of(portal, "ken@example.org")
    ids = portal.ids
    listed = {r["submission_id"] for r in s.get(portal.url + "/api/submissions").json()}
    assert listed == {ids["ken_published"], ids["ken_rejected"]}
    home = s.get(portal.url + "/").text
    assert ids["ken_rejected"] in home and ids["uga_published"] not in home
    for own in ("ken_published", "ken_rejected"):
        assert s.get(f"{portal.url}/submissions/{ids[own]}").status_code == 200
        assert s.get(f"{portal.url}/api/submissions/{ids[own]}/findings").json()["submission_id"] == ids[own]
    # Another country's submission is exactly like one that does not exist: 404, same answer.
    missing = s.get(f"{portal.url}/api/submissions/UGA-000000000000")
    for other in ("uga_published", "uga_rejected"):
        sid = ids[other]
        for path in (f"/submissions/{sid}", f"/submissions/{sid}/report", f"/submissions/{sid}/findings.csv",
                     f"/submissions/{sid}/findings.json"):
            assert s.get(portal.url + path).status_code == 404, path
        for path in (f"/api/submissions/{sid}", f"/api/submissions/{sid}/findings"):
            r = s.get(portal.url + path)
            assert (r.status_code, r.json()) == (missing.status_code, missing.json()) == (404, {"error": "no such submission"})


def test_a_country_reviews_its_own_mappings_only(portal):
    page = session_of(portal, "ken@example.org").get(portal.url + "/mappings").text
    assert "ken_police.yaml" in page and "uga_police.yaml" not in page
    assert "KEN police &lt;b&gt;export&lt;/b&gt;" in page
    assert "uga_police.yaml" not in session_of(portal, "stat@example.org").get(portal.url + "/mappings").text
    assert "uga_police.yaml" in session_of(portal, "op@example.org").get(portal.url + "/mappings").text


def test_a_submitter_may_not_submit_or_acknowledge_for_another_country_403(portal):
    s = session_of(portal, "ken@example.org")
    tok = new_token(portal.home, "ken@example.org")
    f = portal.home.parent / "other.csv"
    f.write_text(HEADER + "CJ_REPORTS_RECEIVED,2022,,,,5,NUMBER,A,\n")
    before = sorted(p.name for p in (portal.paths.landing / "UGA").iterdir())
    assert upload(s, portal.url, f, "UGA").status_code == 403
    with open(f, "rb") as fh:
        r = requests.post(portal.url + "/api/submissions", headers={"Authorization": f"Bearer {tok}"},
                          files={"file": (f.name, fh)}, data={"country": "UGA"})
    assert r.status_code == 403
    assert sorted(p.name for p in (portal.paths.landing / "UGA").iterdir()) == before
    # Acknowledging another country's warning: it cannot even be seen (404).
    page = s.get(portal.url + "/upload").text
    r = s.post(f"{portal.url}/submissions/{portal.ids['uga_published']}/acknowledge",
               data={"csrfmiddlewaretoken": csrf_of(page), "finding": "0", "rule_id": "X", "comment": "c"})
    assert r.status_code == 404
    # A statistician submits nothing.
    st = session_of(portal, "stat@example.org")
    assert st.get(portal.url + "/upload").status_code == 403
    with open(f, "rb") as fh:
        r = requests.post(portal.url + "/api/submissions", files={"file": (f.name, fh)}, data={"country": "KEN"},
                          headers={"Authorization": f"Bearer {new_token(portal.home, 'stat@example.org')}"})
    assert r.status_code == 403


def test_a_statistician_sees_published_feedback_only(portal):
    s = session_of(portal, "stat@example.org")
    ids = portal.ids
    listed = {r["submission_id"] for r in s.get(portal.url + "/api/submissions").json()}
    assert listed == {ids["ken_published"], ids["uga_published"]}
    for sid in (ids["ken_published"], ids["uga_published"]):
        assert s.get(f"{portal.url}/submissions/{sid}").status_code == 200
    for sid in (ids["ken_rejected"], ids["uga_rejected"]):
        for path in (f"/submissions/{sid}", f"/submissions/{sid}/report", f"/submissions/{sid}/findings.json",
                     f"/api/submissions/{sid}", f"/api/submissions/{sid}/findings"):
            assert s.get(portal.url + path).status_code == 404, path


def test_an_operator_sees_everything(portal):
    s = session_of(portal, "op@example.org")
    listed = {r["submission_id"] for r in s.get(portal.url + "/api/submissions").json()}
    assert listed == set(portal.ids.values())
    r = s.get(f"{portal.url}/api/submissions/{portal.ids['uga_rejected']}")
    assert r.status_code == 200 and r.json()["verdict"] == "rejected"


def test_tokens_work_until_the_account_is_disabled_and_so_do_sessions(portal):
    tok = new_token(portal.home, "gone@example.org")
    s = session_of(portal, "gone@example.org")
    bearer = {"Authorization": f"Bearer {tok}"}
    assert requests.get(portal.url + "/api/submissions", headers=bearer).status_code == 200
    assert s.get(portal.url + "/api/submissions").status_code == 200
    # Stored hashed: the token itself is nowhere in the database.
    assert tok.encode() not in (portal.home / "portal" / "portal.sqlite3").read_bytes()
    import subprocess

    from portal_support import MNR

    out = subprocess.run([MNR, "users", "disable", "gone@example.org"], capture_output=True, text=True,
                         env={"MNR_HOME": str(portal.home), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert requests.get(portal.url + "/api/submissions", headers=bearer).status_code == 401
    assert s.get(portal.url + "/api/submissions").status_code == 401
    assert sign_in(requests.Session(), portal.url, "gone@example.org").status_code == 401
    assert [a for a in _audit(portal) if a[1] == "account_disabled"][0][0].startswith("cli:")


def test_csrf_is_checked_on_every_form_of_a_signed_in_browser(portal):
    s = session_of(portal, "ken@example.org")
    f = portal.home.parent / "csrf.csv"
    f.write_text(HEADER + "CJ_REPORTS_RECEIVED,2023,,,,7,NUMBER,A,\n")
    with open(f, "rb") as fh:   # the session cookie alone (a forged cross-site form): refused
        assert s.post(portal.url + "/upload", data={"country": "KEN"}, files={"file": (f.name, fh)},
                      allow_redirects=False).status_code == 403
    with open(f, "rb") as fh:
        assert s.post(portal.url + "/api/submissions", data={"country": "KEN"},
                      files={"file": (f.name, fh)}).status_code == 403
    assert s.post(portal.url + "/signout").status_code == 403
    assert s.post(f"{portal.url}/submissions/{portal.ids['ken_published']}/acknowledge",
                  data={"finding": "0", "comment": "x"}).status_code == 403
    assert requests.post(portal.url + "/signin", data={"email": "ken@example.org",
                                                       "password": "correct horse battery staple"}).status_code == 403
    assert not (portal.paths.landing / "KEN" / "x").exists()


def test_sign_in_is_rate_limited_and_redirects_only_within_the_portal(portal):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        r = sign_in(requests.Session(), portal.url, "uga@example.org", next_url=target)
        assert r.status_code == 302 and r.headers["Location"] == "/", target
    r = sign_in(requests.Session(), portal.url, "uga@example.org", next_url="/releases")
    assert r.headers["Location"] == "/releases"
    for _ in range(5):
        assert sign_in(requests.Session(), portal.url, "op@example.org", password="wrong password!").status_code == 401
    # Then even the right password waits: a guesser learns nothing more for 15 minutes.
    r = sign_in(requests.Session(), portal.url, "op@example.org")
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    # Another account is not locked by it.
    assert sign_in(requests.Session(), portal.url, "stat@example.org").status_code == 302
    actions = [a[1] for a in _audit(portal) if a[0] == "op@example.org"]
    assert actions.count("sign_in_refused") >= 5 and "sign_in_blocked" in actions


def test_passwords_are_argon2id_and_the_audit_log_records_what_matters(portal):
    with sqlite3.connect(portal.home / "portal" / "portal.sqlite3") as db:
        hashes = [h for (h,) in db.execute("select password from portal_user")]
    assert hashes and all(h.startswith("argon2$argon2id$") for h in hashes)
    s = session_of(portal, "ken@example.org")
    s.get(f"{portal.url}/submissions/{portal.ids['ken_rejected']}/findings.csv")
    s.post(portal.url + "/signout", data={"csrfmiddlewaretoken": csrf_of(s.get(portal.url + "/upload").text)})
    events = _audit(portal)
    kinds = {a[1] for a in events}
    assert {"account_added", "token_issued", "sign_in", "sign_out", "download", "sign_in_refused"} <= kinds
    assert ("ken@example.org", "download", portal.ids["ken_rejected"]) in events


def test_an_upload_over_the_limit_is_refused_while_it_is_read_and_nothing_is_kept(portal):
    s = session_of(portal, "ken@example.org")
    big = portal.home.parent / "big.csv"
    big.write_text(HEADER + "CJ_REPORTS_RECEIVED,2021,,,,1,NUMBER,A,\n" * 3000)   # ~120 KB > 0.05 MB
    before = sorted(p.name for p in (portal.paths.landing / "KEN").iterdir())
    r = upload(s, portal.url, big, "KEN")
    assert r.status_code == 413 and "limit" in r.text
    # Sent without a declared length (chunked), nothing is stored either (Django reads no body it cannot size).
    tok = new_token(portal.home, "ken@example.org")

    def chunks():
        boundary = b"--b\r\n"
        yield boundary + b'Content-Disposition: form-data; name="country"\r\n\r\nKEN\r\n'
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(200):
            yield b"x" * 4096
        yield b"\r\n--b--\r\n"

    try:
        r = requests.post(portal.url + "/api/submissions", data=chunks(),
                          headers={"Authorization": f"Bearer {tok}", "Content-Type": "multipart/form-data; boundary=b"})
        assert r.status_code in (400, 413)
    except requests.ConnectionError:
        pass   # the server may close the connection before the client has sent everything
    assert sorted(p.name for p in (portal.paths.landing / "KEN").iterdir()) == before
    incoming = portal.home / "portal" / "incoming"
    assert not [p for p in incoming.rglob("*") if p.is_file()]


def test_every_answer_carries_the_security_headers_and_downloads_are_never_pages(portal):
    s = session_of(portal, "ken@example.org")
    sid = portal.ids["ken_rejected"]
    for path in ("/signin", "/", f"/submissions/{sid}", f"/submissions/{sid}/report", "/api/submissions"):
        h = s.get(portal.url + path).headers
        csp = h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script" not in csp.replace(
            "script-src 'none'", ""), (path, csp)
        assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
    for path, kind in ((f"/submissions/{sid}/findings.csv", "text/csv"),
                       (f"/submissions/{sid}/findings.json", "application/json"),
                       ("/template.xlsx", "application/vnd.openxmlformats")):
        r = s.get(portal.url + path)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith(kind), path
        assert r.headers["Content-Disposition"].startswith("attachment;"), path
        assert r.headers["Cache-Control"] == "no-store"
    # Markup from a file's cells is text on every page: nothing of it runs or loads.
    for path in (f"/submissions/{sid}", f"/submissions/{sid}/report"):
        html = s.get(portal.url + path).text
        assert "<img src=x" not in html and "<script>alert" not in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path


def test_acknowledging_a_warning_from_the_portal(portal):
    s = session_of(portal, "ken@example.org")
    sid = portal.ids["ken_published"]
    page = s.get(f"{portal.url}/submissions/{sid}").text
    form = {"csrfmiddlewaretoken": csrf_of(page), "finding": "0", "rule_id": "YOY_CHANGE",
            "comment": "The new cybercrime unit opened in 2021"}
    r = s.post(f"{portal.url}/submissions/{sid}/acknowledge", data=form, allow_redirects=False)
    assert r.status_code == 302
    doc = s.get(f"{portal.url}/api/submissions/{sid}/findings").json()
    assert doc["findings"][0]["acknowledged"] is True and doc["acknowledged"] == 1
    assert doc["findings"][0]["acknowledgement"].startswith("The new cybercrime unit opened in 2021 (ken@example.org")
    assert doc["verdict"] == "accepted_with_warnings"   # still a warning: the verdict rule is the contract
    # A stale or forged form cannot acknowledge an error, or a finding that is not the one it names.
    rejected = portal.ids["ken_rejected"]
    for finding, rule in (("1", "NEGATIVE_VALUE"), ("0", "NEGATIVE_VALUE"), ("99", "YOY_CHANGE")):
        r = s.post(f"{portal.url}/submissions/{rejected}/acknowledge",
                   data={**form, "finding": finding, "rule_id": rule})
        assert r.status_code in (400, 404), (finding, rule)
    # A statistician reads, and acknowledges nothing.
    st = session_of(portal, "stat@example.org")
    r = st.post(f"{portal.url}/submissions/{sid}/acknowledge",
                data={**form, "csrfmiddlewaretoken": csrf_of(st.get(portal.url + "/").text)})
    assert r.status_code == 403
    assert ("ken@example.org", "acknowledge", sid) in _audit(portal)
