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
