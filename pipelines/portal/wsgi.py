"""The portal's WSGI application (served by gunicorn: pipelines/portal/server.py)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pipelines.portal.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
