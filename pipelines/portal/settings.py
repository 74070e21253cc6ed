"""Django settings of the portal, from MNR_HOME and the environment; nothing secret is in the repository.

- state: MNR_HOME/portal/portal.sqlite3, or the shared deployment's Postgres (MNR_PORTAL_DB=postgres, reached with
  MNR_PG_*, tables in the schema `portal`);
- SECRET_KEY: MNR_PORTAL_SECRET_KEY, else a key generated on first use into MNR_HOME/portal/secret_key (0600);
- MNR_PORTAL_ALLOWED_HOSTS (comma-separated; default loopback names), MNR_PORTAL_ORIGIN (the https origin behind a
  proxy), MNR_PORTAL_BEHIND_TLS_PROXY=1 (trust X-Forwarded-Proto from it), MNR_PORTAL_INSECURE_COOKIES=1 (plain
  http on loopback only: cookies without the Secure flag).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pipelines.settings import paths

HOME = paths().home
STATE = STATE_DIR = HOME / "portal"


def _secret_key() -> str:
    key = os.environ.get("MNR_PORTAL_SECRET_KEY", "").strip()
    if key:
        return key
    STATE.mkdir(parents=True, exist_ok=True)
    f = STATE / "secret_key"
    try:
        # O_EXCL: of two processes starting at once, one writes the key and the other reads it.
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):
            text = f.read_text().strip()
            if text:
                return text
            import time

            time.sleep(0.02)
        raise RuntimeError(f"{f} is empty: delete it and start the portal again") from None
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _databases() -> dict:
    if os.environ.get("MNR_PORTAL_DB", "sqlite").strip().lower() == "postgres":
        from pipelines.warehouse import postgres_settings

        pg = postgres_settings()
        return {"default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": pg["dbname"], "USER": pg["user"], "PASSWORD": pg["password"],
            "HOST": pg["host"], "PORT": pg["port"],
            "OPTIONS": {"sslmode": pg["sslmode"], "options": "-c search_path=portal"},
        }}
    STATE.mkdir(parents=True, exist_ok=True)
    return {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": STATE / "portal.sqlite3",
        # Web threads and the pipeline worker write the same file: wait for the lock rather than fail.
        "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                    "init_command": "pragma journal_mode=wal; pragma synchronous=normal"},
    }}


SECRET_KEY = _secret_key()
DEBUG = False
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("MNR_PORTAL_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
                 if h.strip()]
ORIGIN = os.environ.get("MNR_PORTAL_ORIGIN", "").strip()
CSRF_TRUSTED_ORIGINS = [ORIGIN] if ORIGIN else []
if _flag("MNR_PORTAL_BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]   # the proxy's health probe over plain http on loopback
    SECURE_HSTS_SECONDS = 31536000

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "pipelines.portal",
]
MIDDLEWARE = [
    "pipelines.portal.headers.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pipelines.portal.auth.BearerTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "pipelines.portal.urls"
WSGI_APPLICATION = "pipelines.portal.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "signin"

# Argon2id first: new passwords are hashed with it (argon2-cffi's RFC 9106 low-memory profile).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Cookies: HttpOnly, SameSite=Lax (the session) / Strict (CSRF), Secure unless plain-http loopback development.
_secure = not _flag("MNR_PORTAL_INSECURE_COOKIES")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _secure
SESSION_COOKIE_NAME = "__Host-mnr-session" if _secure else "mnr-session"
CSRF_COOKIE_NAME = "__Host-mnr-csrf" if _secure else "mnr-csrf"
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_AGE = 8 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Uploads: streamed to a temporary file from the first byte (never held in memory), in MNR_HOME.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_TEMP_DIR = str(STATE / "incoming")
FILE_UPLOAD_PERMISSIONS = 0o600
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)

# The notice that feedback is ready (pipelines/portal/notify.py).
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("MNR_SMTP_HOST", "").strip() or "localhost"
EMAIL_PORT = int(os.environ.get("MNR_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("MNR_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MNR_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _flag("MNR_SMTP_STARTTLS")
EMAIL_USE_SSL = _flag("MNR_SMTP_SSL")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("MNR_MAIL_FROM", "MNR Data Hub <noreply@localhost>")

LANGUAGE_CODE = "en"
USE_I18N = False
USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
}
