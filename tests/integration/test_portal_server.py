"""`mnr portal` serves the portal and the SDMX API's URL space from a real gunicorn server on loopback."""

import os
import stat

from portal_support import Portal, get


def test_mnr_portal_serves_on_a_loopback_port_with_a_private_generated_secret_key(mnr_home):
    with Portal(mnr_home.home) as portal:
        status, headers, body = get(portal.url + "/healthz")
        assert status == 200 and body == b"ok\n"
        assert headers["X-Content-Type-Options"] == "nosniff"
        # The SDMX REST API's prefix is routed to its own URL configuration (tests/e2e/test_sdmx_api.py).
        status, headers, _ = get(portal.url + "/sdmx/rest/dataflow/MNR/DF_MNR_OCSEA/1.0.0")
        assert status == 200 and headers["Content-Type"] == "application/vnd.sdmx.structure+xml;version=2.1"
        key = mnr_home.home / "portal" / "secret_key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) >= 50
        first = key.read_text()
    assert portal.proc.returncode == 0, portal.log.read_text()
    # The key is kept: a second start signs sessions with the same key (signed-in users stay signed in).
    with Portal(mnr_home.home):
        assert key.read_text() == first


def test_the_secret_key_can_come_from_the_environment_and_is_then_not_written(mnr_home):
    with Portal(mnr_home.home, env={"MNR_PORTAL_SECRET_KEY": "k" * 60}) as portal:
        assert get(portal.url + "/healthz")[0] == 200
    assert not (mnr_home.home / "portal" / "secret_key").exists()
    assert os.environ.get("MNR_PORTAL_SECRET_KEY") is None


def test_cookies_are_secure_httponly_samesite_and_the_session_is_renewed_at_sign_in(mnr_home):
    import re
    import urllib.parse
    import urllib.request

    from portal_support import add_user

    add_user(mnr_home.home, "ken@example.org", "submitter", ["KEN"])
    with Portal(mnr_home.home) as portal:   # the default: cookies only over TLS
        _, headers, body = get(portal.url + "/signin")
        (csrf_cookie,) = headers.get_all("Set-Cookie")
        assert csrf_cookie.startswith("__Host-mnr-csrf=")
        for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
            assert flag in csrf_cookie, csrf_cookie
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        cookie = csrf_cookie.split(";")[0]
        fixed = "__Host-mnr-session=attackerchosensessionid"   # a session id planted before sign-in
        req = urllib.request.Request(portal.url + "/signin", method="POST", headers={
            "Cookie": f"{cookie}; {fixed}", "Content-Type": "application/x-www-form-urlencoded",
            "Referer": portal.url + "/signin"},
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": "ken@example.org",
                                         "password": "correct horse battery staple"}).encode())

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(req)
            raise AssertionError("sign-in did not redirect")
        except urllib.error.HTTPError as e:
            assert e.code == 302, e.read()
            cookies = e.headers.get_all("Set-Cookie")
        (session,) = [c for c in cookies if c.startswith("__Host-mnr-session=")]
        for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
            assert flag in session, session
        assert "attackerchosensessionid" not in session


def test_the_dagster_ui_and_anything_else_is_not_reachable_through_the_portal(mnr_home):
    with Portal(mnr_home.home) as portal:
        for path in ("/graphql", "/dagit", "/runs", "/admin/", "/static/", "/server_info", "/../warehouse.duckdb"):
            assert get(portal.url + path)[0] in (302, 404), path


def test_behind_the_tls_proxy_http_is_redirected_and_the_sign_in_limit_counts_the_real_client(mnr_home):
    import re
    import sqlite3
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    with Portal(mnr_home.home, env={"MNR_PORTAL_BEHIND_TLS_PROXY": "1"}) as portal:
        try:   # plain http reached the portal: sent to https
            urllib.request.build_opener(NoRedirect).open(portal.url + "/signin")
            raise AssertionError("not redirected")
        except urllib.error.HTTPError as e:
            assert e.code == 301 and e.headers["Location"].startswith("https://")
        https = {"X-Forwarded-Proto": "https"}
        _, headers, body = get(portal.url + "/signin", headers=https)
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        cookie = headers["Set-Cookie"].split(";")[0]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        host = portal.url.removeprefix("http://")
        # The client wrote its own X-Forwarded-For; the proxy appended the address it saw.
        req = urllib.request.Request(portal.url + "/signin", method="POST", headers={
            **https, "Cookie": cookie, "Referer": f"https://{host}/signin",
            "X-Forwarded-For": "198.51.100.66, 203.0.113.5", "Content-Type": "application/x-www-form-urlencoded"},
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": "nobody@example.org",
                                         "password": "wrong"}).encode())
        try:
            urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.read()
    with sqlite3.connect(mnr_home.home / "portal" / "portal.sqlite3") as db:
        assert db.execute("select ip from portal_auditevent where action = 'sign_in_refused'").fetchall() == [
            ("203.0.113.5",)]
