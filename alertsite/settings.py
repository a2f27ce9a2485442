"""Settings for alertsite.

Everything comes from the environment, optionally from a `.env` file in the
project directory (not the current directory, so a cron-launched command sees
the same configuration as the server). See the README's configuration table.
"""

import os
import shlex
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
ENV_FILE = Path(env.str("ALERTSITE_ENV_FILE", default=str(BASE_DIR / ".env")))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        # One clear sentence instead of a traceback: this is the first thing a
        # new operator meets when the environment is incomplete.
        sys.exit(
            "alertsite: SECRET_KEY is not set; set it in the environment or in "
            f"{ENV_FILE.name} (it is required when DEBUG is off)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_crontab",
    "assets",
    "maintenance",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "alertsite.urls"
WSGI_APPLICATION = "alertsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "alertsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: an SQLite file by default, PostgreSQL (psycopg 3) through DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Take the write lock when a transaction starts, so two writers
            # queue instead of failing half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # A new PostgreSQL connection per request cost about two thirds of an
    # endpoint's throughput on a 2-core machine: keep connections open.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's ModelBackend, with permissions in one query per request (alertsite/backends.py).
AUTHENTICATION_BACKENDS = ["alertsite.backends.SingleQueryModelBackend"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve static files straight from the apps when collectstatic has not run
# (tests, the development server).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

# Security: sane production defaults, relaxed only by DEBUG or explicit settings.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and probes call /healthz over plain HTTP, inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Alerts: thresholds of the rules and the schedule (DESIGN §3, §6).
ALERTS = {
    "DUE_SOON_DAYS": env.int("ALERTS_DUE_SOON_DAYS", default=7),
    "DUE_URGENT_DAYS": env.int("ALERTS_DUE_URGENT_DAYS", default=1),
    "OVERDUE_CRITICAL_DAYS": env.int("ALERTS_OVERDUE_CRITICAL_DAYS", default=7),
    "SCHEDULE": env.str("ALERTS_SCHEDULE", default="*/5 * * * *"),
    "STALE_AFTER_INTERVALS": 3,
    "LOG_FILE": env.str("ALERTS_LOG_FILE", default=str(BASE_DIR / "logs" / "generate_alerts.log")),
}

# Scheduling with system cron (django-crontab, DESIGN §6; alerts/scheduling.py,
# README "Scheduling"). The job goes through call_command so the run is recorded
# with trigger CRON; django-crontab's `crontab run` swallows exceptions and exits
# 0, so failures show as FAILED runs, ERROR lines in the log and a stale status.
# ALERTS_CRON_ENABLED=false pauses it: `crontab add` / `ensure_crontab` then remove the entry.
CRONJOBS = (
    [(ALERTS["SCHEDULE"], "django.core.management.call_command", ["generate_alerts"], {"trigger": "cron"})]
    if env.bool("ALERTS_CRON_ENABLED", default=True)
    else []
)
# Project-specific, so two checkouts under one user keep separate entries.
CRONTAB_COMMENT = f"alertsite alert generation ({BASE_DIR})"
CRONTAB_EXECUTABLE = shutil.which("crontab") or "crontab"
CRONTAB_DJANGO_MANAGE_PATH = str(BASE_DIR / "manage.py")
CRONTAB_DJANGO_SETTINGS_MODULE = os.environ.get("DJANGO_SETTINGS_MODULE", "alertsite.settings")
# Cron's environment is almost empty: run from the project directory (relative
# paths in .env mean the same as for the server), make sure the log directory
# exists, and carry the env file's path, never its contents (no secret lands in
# the crontab), when it is not the default one.
_cron_log = BASE_DIR / ALERTS["LOG_FILE"]
CRONTAB_COMMAND_PREFIX = " ".join(
    [
        f"cd {shlex.quote(str(BASE_DIR))} && mkdir -p {shlex.quote(str(_cron_log.parent))} &&",
        *(
            [f"ALERTSITE_ENV_FILE={shlex.quote(str(ENV_FILE.absolute()))}"]
            if "ALERTSITE_ENV_FILE" in os.environ
            else []
        ),
    ]
)
CRONTAB_COMMAND_SUFFIX = f">> {shlex.quote(str(_cron_log))} 2>&1"

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "timestamped": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "timestamped",
        },
    },
    "root": {"handlers": ["stdout"], "level": "WARNING"},
    "loggers": {
        "alerts": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "django": {
            "handlers": ["stdout"],
            "level": env.str("DJANGO_LOG_LEVEL", default="INFO").upper(),
            "propagate": False,
        },
    },
}

JWT_ACCESS_MINUTES = env.int("JWT_ACCESS_MINUTES", default=30)
JWT_REFRESH_DAYS = env.int("JWT_REFRESH_DAYS", default=1)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
}

# Public address of the site, for links that leave it (calendar feed, notices).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Operations (DESIGN §15): GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`
# and answers 404 while it is unset; a dead man's switch pinged after every
# successful full generation.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
ALERTS_HEARTBEAT_URL = env.str("ALERTS_HEARTBEAT_URL", default="")

# The dashboard at / reloads its data this often, in seconds (at least 1).
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=30)

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Only the API answers cross-origin requests (a dashboard served elsewhere).
CORS_URLS_REGEX = r"^/api/.*$"

# REST API (DESIGN §5): JWT only, authenticated by default, errors as JSON.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["alertsite.api.renderers.ORJSONRenderer"],
    # JSON in as well as out: a form post is a 415, not a second dialect whose
    # empty fields quietly mean null.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "alertsite.api.pagination.OptionalLimitOffsetPagination",
    "DEFAULT_SCHEMA_CLASS": "alertsite.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "alertsite.api.exceptions.exception_handler",
    # Slows password guessing on the token endpoint (per client address).
    "DEFAULT_THROTTLE_RATES": {"auth-token": env.str("TOKEN_THROTTLE_RATE", default="10/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "alertsite API",
    "DESCRIPTION": (
        "Maintenance alerts for a fleet of assets. Authenticate with `POST /api/auth/token/` and send "
        "`Authorization: Bearer <access>`. Trailing slashes are optional. Lists are JSON arrays; "
        "`limit`/`offset` switch to a page `{count, next, previous, results}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AssetStatusEnum": "assets.choices.AssetStatus",
        "MaintenanceStatusEnum": "maintenance.choices.MaintenanceStatus",
        "RunStatusEnum": "alerts.choices.RunStatus",
        # Alert priority and asset criticality share one scale.
        "LevelEnum": "alerts.choices.Priority",
    },
}
