"""The portal's state in the shared deployment's Postgres (MNR_PORTAL_DB=postgres): accounts, sessions, tokens,
the sign-in limit and the audit log live in the schema `portal` of a real server, nothing in MNR_HOME.

Needs a Postgres server: MNR_PG_* (.ci/run starts one with .ci/postgres.sh); the test works in a database of
its own, created and dropped here.
"""

import hashlib
import os
import uuid

import psycopg
import pytest
import requests

from pipelines.feedback.report import findings_document, write_feedback
from pipelines.ingest.archive import submit
from pipelines.settings import Paths
from pipelines.warehouse import postgres_settings
from portal_support import Portal, add_user, new_token, sign_in

pytestmark = pytest.mark.skipif(
    not os.environ.get("MNR_PG_HOST"),
    reason="no Postgres server: set MNR_PG_HOST, MNR_PG_PORT, MNR_PG_USER, MNR_PG_PASSWORD, MNR_PG_DATABASE "
           "(.ci/run starts one with .ci/postgres.sh)",
)


@pytest.fixture
def pg_database():
    name = f"mnr_portal_{uuid.uuid4().hex[:10]}"
    settings = postgres_settings()
    with psycopg.connect(**settings, autocommit=True) as con:
        con.execute(f'create database "{name}"')
    yield name
    with psycopg.connect(**settings, autocommit=True) as con:
        con.execute(f'drop database if exists "{name}" with (force)')


def test_accounts_sessions_tokens_and_the_audit_log_live_in_postgres(tmp_path, pg_database, monkeypatch):
    monkeypatch.setenv("MNR_PORTAL_DB", "postgres")
    monkeypatch.setenv("MNR_PG_DATABASE", pg_database)
    home = Paths(tmp_path / "home")
    home.home.mkdir()
    ids = {}
    for country, value in (("KEN", 1), ("UGA", 2)):
        f = tmp_path / f"{country}.csv"
        f.write_text(f"indicator,time_period,value\nCJ_REPORTS_RECEIVED,2021,{value}\n")
        receipt, _ = submit(home, f, country)
        write_feedback(home.feedback_dir(country, receipt.submission_id), findings_document(receipt, [], 1))
        ids[country] = receipt.submission_id
    add_user(home.home, "ken@example.org", "submitter", ["KEN"])
    token = new_token(home.home, "ken@example.org")
    with Portal(home.home, env={"MNR_PORTAL_INSECURE_COOKIES": "1"}) as portal:
        s = requests.Session()
        assert sign_in(s, portal.url, "ken@example.org").status_code == 302
        assert [r["submission_id"] for r in s.get(portal.url + "/api/submissions").json()] == [ids["KEN"]]
        assert s.get(f"{portal.url}/api/submissions/{ids['UGA']}").status_code == 404
        bearer = {"Authorization": f"Bearer {token}"}
        assert requests.get(portal.url + "/api/submissions", headers=bearer).status_code == 200
        for _ in range(5):
            sign_in(requests.Session(), portal.url, "ken@example.org", password="not the password")
        assert sign_in(requests.Session(), portal.url, "ken@example.org").status_code == 429
    assert not (home.home / "portal" / "portal.sqlite3").exists()
    with psycopg.connect(**{**postgres_settings(), "dbname": pg_database}) as con:
        tables = {t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'portal'")}
        assert {"portal_user", "portal_apitoken", "portal_auditevent", "django_session"} <= tables
        (hashed,) = con.execute("select password from portal.portal_user where username = 'ken@example.org'").fetchone()
        assert hashed.startswith("argon2$argon2id$")
        assert con.execute("select count(*) from portal.portal_apitoken where digest = %s",
                           [hashlib.sha256(token.encode()).hexdigest()]).fetchone()[0] == 1
        actions = [a for (a,) in con.execute("select action from portal.portal_auditevent order by id")]
        assert actions[:3] == ["account_added", "token_issued", "sign_in"]
        assert actions.count("sign_in_refused") == 5 and actions[-1] == "sign_in_blocked"
        assert con.execute("select count(*) from portal.django_session").fetchone()[0] >= 1
