"""`mnr portal`: the web server (gunicorn, in a child process) and the pipeline worker (this process).

Gunicorn rather than uvicorn under ASGI: Django's views and ORM are synchronous, and under ASGI Django runs every
synchronous view on one shared thread and consumes a synchronous streaming response whole before sending it;
gunicorn's threaded workers run views side by side and send a streamed response (the SDMX data messages)
chunk by chunk as its generator yields. docs/portal.md says what was weighed.

The web server is a child because gunicorn's master reaps every child of its process; the pipeline worker
(pipelines/portal/worker.py) forks its runs and waits for them itself. Ctrl-C or SIGTERM stops both: the web
server finishes its requests, a run in progress is interrupted (and publishes nothing half-way).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from gunicorn.app.base import BaseApplication

# Two worker processes of eight threads each: a slow download or upload never holds up sign-in; the master
# restarts a worker that dies. MNR_PORTAL_WORKERS / MNR_PORTAL_THREADS override them.
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 8


def setup_django():
    """Point Django at the portal's settings and load it (MNR_HOME prepared first: the settings read it)."""
    from pipelines.settings import prepare_environment

    prepare_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipelines.portal.settings")
    import django

    django.setup()


def migrate() -> None:
    """Bring the portal's tables up to date (on first use and after an upgrade)."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("create schema if not exists portal")
    call_command("migrate", interactive=False, verbosity=0)


class PortalServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from pipelines.portal.wsgi import application

        return application


def web(host: str, port: int) -> int:
    """The web server alone (the child process of `mnr portal`)."""
    setup_django()
    PortalServer({
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "worker_class": "gthread",
        "workers": int(os.environ.get("MNR_PORTAL_WORKERS", DEFAULT_WORKERS)),
        "threads": int(os.environ.get("MNR_PORTAL_THREADS", DEFAULT_THREADS)),
        "timeout": 120,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "mnr-portal",
        "when_ready": lambda _server: print(f"portal listening on http://{host}:{port}/ (Ctrl-C stops it)",
                                            flush=True),
    }).run()
    return 0


def serve(host: str, port: int, announce=print) -> int:
    """`mnr portal`: migrate, start the web server, then process uploads here until stopped."""
    from pipelines.portal import worker

    setup_django()
    migrate()
    server = subprocess.Popen([sys.executable, "-m", "pipelines.portal.server", host, str(port)])
    # Signals stop the worker (and its run); the web server gets its own SIGTERM below.
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)

    def watch():   # the web server gone (a port in use, a crash): the portal stops rather than half-runs
        server.wait()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()
    try:
        worker.run_forever(ready=lambda: announce("pipeline worker ready: files sent through the portal are "
                                                  "processed at once"))
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = server.wait()
    return 0 if code in (0, -signal.SIGTERM) else 1


if __name__ == "__main__":
    sys.exit(web(sys.argv[1], int(sys.argv[2])))
