"""Starting the real portal (`mnr portal`, gunicorn) on a free loopback port for the portal's tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

MNR = str(Path(sys.executable).parent / "mnr")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Portal:
    def __init__(self, home: Path, env: dict | None = None):
        self.home = Path(home)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "MNR_HOME": str(self.home), "MNR_DEBUG": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = self.home.parent / f"portal-{self.port}.log"

    def start(self, timeout: float = 60) -> "Portal":
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen([MNR, "portal", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the portal exited with {self.proc.returncode}:\n{self.log.read_text()}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            time.sleep(0.2)
        raise RuntimeError(f"the portal did not answer within {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> int:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def get(url: str, headers: dict | None = None):
    """(status, headers, body) of a GET, without raising on 4xx/5xx."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def add_user(home: Path, email: str, role: str, countries=(), password: str = "correct horse battery staple",
             language: str = "en") -> None:
    cmd = [MNR, "users", "add", email, "--role", role, "--password-stdin", "--language", language]
    for c in countries:
        cmd += ["--country", c]
    out = subprocess.run(cmd, input=password + "\n", text=True, capture_output=True,
                         env={**os.environ, "MNR_HOME": str(home)})
    assert out.returncode == 0, out.stderr


def new_token(home: Path, email: str) -> str:
    out = subprocess.run([MNR, "users", "token", email], text=True, capture_output=True,
                         env={**os.environ, "MNR_HOME": str(home)})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def csrf_of(html: str) -> str:
    import re

    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def sign_in(session, url: str, email: str, password: str = "correct horse battery staple", next_url: str = ""):
    """A requests.Session signed in through the sign-in form; returns the answer to the form's POST."""
    page = session.get(url + "/signin")
    return session.post(url + "/signin", data={"csrfmiddlewaretoken": csrf_of(page.text), "email": email,
                                               "password": password, "next": next_url},
                        allow_redirects=False)


def upload(session, url: str, path: Path, country: str, check_only: bool = False):
    page = session.get(url + "/upload")
    data = {"csrfmiddlewaretoken": csrf_of(page.text), "country": country}
    if check_only:
        data["check_only"] = "1"
    with open(path, "rb") as f:
        return session.post(url + "/upload", data=data, files={"file": (path.name, f)}, allow_redirects=False)
