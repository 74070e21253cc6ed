"""`mnr portal`: the portal's WSGI application served by gunicorn.

Gunicorn rather than uvicorn under ASGI: Django's views and ORM are synchronous, and under ASGI Django runs every
synchronous view on one shared thread and consumes a synchronous streaming response whole before sending it;
gunicorn's threaded workers run views side by side and send a streamed response (the SDMX data messages, the
findings downloads) chunk by chunk as its generator yields. docs/portal.md says what was weighed.
"""

from __future__ import annotations

import os
import sys

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


def serve(host: str, port: int, announce=print) -> int:
    setup_django()
    migrate()
    options = {
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
        "when_ready": lambda _server: announce(f"portal listening on http://{host}:{port}/ (Ctrl-C stops it)"),
    }
    PortalServer(options).run()
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1], int(sys.argv[2])))
