"""The one settings module: everything that varies comes from environment variables.

DATABASE_URL        default sqlite:///$KOKYAKU_DATA_DIR/kokyaku.sqlite3
KOKYAKU_DATA_DIR    default ./var
SECRET_KEY          mandatory when DEBUG is off
DEBUG               default off
ALLOWED_HOSTS       comma-separated, default localhost,127.0.0.1
KOKYAKU_UPLOAD_MAX_MB   largest import upload, default 200
KOKYAKU_REJECTS_KEEP_DAYS   how long the rows an import set aside stay downloadable, default 90
KOKYAKU_IMPORT_MAX_UNPACKED_MB   what a gzipped import file may unpack to, default 4096

Production behind a TLS proxy (docs/security.md; `kokyaku check --deploy` is clean with these):
CSRF_TRUSTED_ORIGINS    comma-separated origins the browser posts from, e.g. https://kokyaku.example.com
KOKYAKU_TLS_PROXY       1: trust the proxy's X-Forwarded-Proto: https (SECURE_PROXY_SSL_HEADER), default 0
SECURE_SSL_REDIRECT     1: redirect http:// to https://, default 0
SECURE_HSTS_SECONDS     Strict-Transport-Security max-age, default 0 (off); 31536000 in production
SECURE_HSTS_INCLUDE_SUBDOMAINS / SECURE_HSTS_PRELOAD    default 0
SESSION_COOKIE_SECURE   1: session and CSRF cookies only over HTTPS, default 0
KOKYAKU_LOGIN_FAILURES  wrong passwords before a lockout (per account and per address), default 5
KOKYAKU_LOCKOUT_MINUTES how long a lockout lasts, default 15 (an admin can lift it sooner)
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kokyaku.lib.env import envbool, envint, envlist, envstr, envzone

django_stubs_ext.monkeypatch()  # lets admin.ModelAdmin[Model] and friends be subscripted at run time

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(envstr("KOKYAKU_DATA_DIR", "var")).resolve()

DEBUG = envbool("DEBUG", "0")
SECRET_KEY = envstr("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (e.g. SECRET_KEY=$(openssl rand -hex 32))")
    SECRET_KEY = "insecure-local-development-key"  # noqa: S105 - only with DEBUG on
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",  # login throttling: AccessAttempt in Django admin, `kokyaku axes_reset`
    "django_htmx",
    "ninja",  # serves Swagger UI from its own static files: /api/docs works offline
    "kokyaku.users",
    "kokyaku.crm",
    "kokyaku.demo",
    "kokyaku.imports",
    "kokyaku.portfolio",
    "kokyaku.prediction",
    "kokyaku.retention",
    "kokyaku.followups",
    "kokyaku.assignment",
    "kokyaku.buyers",
    "kokyaku.jobs",
    "kokyaku.web",
    "kokyaku.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kokyaku.lib.middleware.NoStoreMiddleware",  # Cache-Control: no-store for logged-in users and tokens
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kokyaku.web.middleware.DatabaseUnavailableMiddleware",  # a 503, not a 500, when the database goes away
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "kokyaku.urls"
WSGI_APPLICATION = "kokyaku.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kokyaku.web.context.navigation",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    default_url = f"sqlite:///{DATA_DIR / 'kokyaku.sqlite3'}"
    url = envstr("DATABASE_URL", default_url) or default_url
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL I understand ({exc}): {url!r}") from None
    engine = str(config.get("ENGINE", ""))
    if engine.endswith("sqlite3"):
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            # WAL lets the web app read while a recompute or import writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
        name = Path(str(config["NAME"]))
        if str(name) != ":memory:":
            name.parent.mkdir(parents=True, exist_ok=True)
    elif not engine.endswith("postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL must be sqlite:// or postgres://; got {url!r}")
    config["TEST"] = {"NAME": envstr("KOKYAKU_TEST_DB_NAME", "") or None}
    return config


DATABASES = {"default": _database()}
# crm.Deal's covering indexes INCLUDE columns for PostgreSQL's index-only scans; SQLite builds them without
# those columns, which is all it can use, and Django's models.W040 said so at every `migrate` (`make run`).
SILENCED_SYSTEM_CHECKS = ["models.W040"] if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3") else []
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every password set through Kokyaku (`kokyaku createuser`, Django admin, password change) passes these:
# at least 12 characters, not a common password, not like the username or e-mail, not only digits (issue 15).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): after KOKYAKU_LOGIN_FAILURES wrong passwords for one username, or from one
# address, further logins are refused with the lockout page (429) for KOKYAKU_LOCKOUT_MINUTES; a successful
# login resets the count. An admin lifts a lockout in Django admin (Axes > Access attempts) or with
# `kokyaku axes_reset_username NAME` / `axes_reset_ip ADDRESS`.
AUTHENTICATION_BACKENDS = [
    "kokyaku.users.backends.ThrottledBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("KOKYAKU_LOGIN_FAILURES", "5", minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("KOKYAKU_LOCKOUT_MINUTES", "15", minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: by account and by address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kokyaku.web.views.locked_out"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = envzone("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise warns "No directory at: .../static" at every start until collectstatic has filled it (tests,
# runserver); the finders serve the files meanwhile (WHITENOISE_USE_FINDERS), so an empty directory is all it
# needs. A read-only data directory is fine: collectstatic (run by `kokyaku serve`) then reports the problem.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Production: collectstatic (`kokyaku serve` runs it at start when a source file changed) writes each file under a name with its
# content hash (plotly.min.fc03e19a095d.js) plus a .gz, and a manifest; {% static %} links the hashed name,
# which WhiteNoise serves gzipped with a one-year, immutable Cache-Control. A new version gets a new name, so
# browsers never re-validate the 4.8 MB plotly bundle. Without collectstatic, {% static %} fails in production
# (no manifest); DEBUG uses the plain storage (unhashed names, WhiteNoise's finders, no collectstatic needed).
# Tests (DEBUG off, no collectstatic) swap in CompressedStaticFilesStorage: tests/conftest.py.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "kokyaku.portfolio.finders.PlotlyFinder",  # plotly.min.js from the plotly wheel, served locally
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

UPLOAD_MAX_MB = envint("KOKYAKU_UPLOAD_MAX_MB", "200", minimum=1)
REJECTS_KEEP_DAYS = envint("KOKYAKU_REJECTS_KEEP_DAYS", "90", minimum=1)
IMPORT_MAX_UNPACKED_MB = envint("KOKYAKU_IMPORT_MAX_UNPACKED_MB", "4096", minimum=1)
# Background jobs (docs/jobs.md): without a broker they run in a worker thread of the web process;
# KOKYAKU_BROKER_URL (redis://127.0.0.1:6379/0) sends them to Celery workers, scheduled by Celery beat.
BROKER_URL = envstr("KOKYAKU_BROKER_URL", "")
JOB_STALE_SECONDS = envint("KOKYAKU_JOB_STALE_SECONDS", "120", minimum=5)  # a running job silent this long has lost its worker
EXPORT_SYNC_ACCOUNTS = envint("KOKYAKU_EXPORT_SYNC_ACCOUNTS", "50000", minimum=0)  # larger accounts exports run as jobs
JOB_NIGHTLY_HOUR = envint("KOKYAKU_NIGHTLY_HOUR", "2", minimum=0, maximum=23)  # Celery beat: snapshot then train, local time
# The scheduled import (docs/jobs.md#the-scheduled-import): new files of a folder, or the file at an http(s) URL,
# imported each night half an hour before the training (Celery beat) or by `kokyaku import-source` from cron.
IMPORT_SOURCE = envstr("KOKYAKU_IMPORT_SOURCE", "")  # a folder path or an http(s):// URL; empty: no scheduled import
IMPORT_KINDS = ("accounts", "reps", "deals", "activities", "purchases", "contacts")  # = kokyaku.imports.plans.PLANS
IMPORT_SOURCE_KIND = envstr("KOKYAKU_IMPORT_KIND", "deals")  # what its files hold
if IMPORT_SOURCE_KIND not in IMPORT_KINDS:  # checked here: a night of files refused for it would be remembered as refused
    raise ImproperlyConfigured(f"KOKYAKU_IMPORT_KIND must be one of {', '.join(IMPORT_KINDS)}; got {IMPORT_SOURCE_KIND!r}")
IMPORT_SOURCE_MAPPING = envstr("KOKYAKU_IMPORT_MAPPING", "generic")  # a built-in or saved mapping's name, or a TOML path
IMPORT_SOURCE_TIMEOUT = envint("KOKYAKU_IMPORT_TIMEOUT", "300", minimum=1)  # seconds a URL's download may take
IMPORT_SOURCE_MAX_MB = envint("KOKYAKU_IMPORT_MAX_MB", "2048", minimum=1)  # largest file taken from a URL
IMPORT_SOURCE_SETTLE_SECONDS = envint("KOKYAKU_IMPORT_SETTLE_SECONDS", "60", minimum=0)  # newer files may still be written
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", "0")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0", minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "0")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "0")
# Content-Security-Policy (django-csp): scripts only from this site or an inline block carrying the page's nonce
# ({{ request.csp_nonce }}: the six chart start-ups); no inline event handlers (data-autosubmit in kokyaku.js).
# Styles allow 'unsafe-inline': Plotly draws with style attributes and injected <style> blocks.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if envbool("KOKYAKU_TLS_PROXY", "0"):
    # Only behind a proxy that sets X-Forwarded-Proto itself (and strips a client's): otherwise anyone could claim https.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

if envbool("KOKYAKU_FAST_HASHER", "0"):
    # Tests only: MD5 keeps logins fast; never set in production.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOG_LEVEL = envstr("LOG_LEVEL", "WARNING").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got {envstr('LOG_LEVEL', '')!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
