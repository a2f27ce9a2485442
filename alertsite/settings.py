"""Settings for alertsite.

Everything comes from the environment, optionally from a `.env` file in the
project directory (not the current directory, so a cron-launched command sees
the same configuration as the server). See the README's configuration table.
"""

import hashlib
import hmac
import os
import shlex
import shutil
import sys
import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from csp import constants as csp_constants

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
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "django_crontab",
    "assets",
    "maintenance",
    "alerts",
    # Last: its post_migrate (role groups) runs once every app has its permissions.
    "alertsite",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out admin login into its lock-out page.
    "axes.middleware.AxesMiddleware",
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

# django-axes refuses locked-out admin logins first; then Django's ModelBackend,
# with permissions in one query per request (alertsite/backends.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "alertsite.backends.SingleQueryModelBackend",
]

# Caches shared by every process (the throttles count there): Django's database
# cache by default, created by `createcachetable`; CACHE_URL for Redis
# (`redis://127.0.0.1:6379/0`).
CACHES = {"default": env.cache_url("CACHE_URL", default="dbcache://alertsite_cache")}

# Failed admin logins (django-axes): an account, or a client address, is locked
# after AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES. The API's token
# endpoint has its own throttle (TOKEN_THROTTLE_RATE).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_ONLY_ADMIN_SITE = True
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# The client address as the API throttles see it (TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "alertsite.clients.client_address"

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
try:
    # Django lets an empty name through (and reports others with a traceback);
    # every generation would then fail on "ZoneInfo keys must be normalized".
    zoneinfo.ZoneInfo(TIME_ZONE)
except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
    sys.exit(
        f"alertsite: TIME_ZONE={TIME_ZONE!r} is not a time zone name; use one such as UTC or Europe/Paris."
    )
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names after collectstatic, plain names (served from the apps) before.
        "BACKEND": "alertsite.staticfiles.ManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve static files straight from the apps when collectstatic has not run
# (tests, the development server).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

# Security: sane production defaults, relaxed only by DEBUG or explicit settings.
# Behind a TLS-terminating proxy only: trusted unconditionally, the header
# would let any client (scripts/start binds 0.0.0.0) claim HTTPS.
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=False)
if TRUST_X_FORWARDED_PROTO:
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

# Content-Security-Policy on every response (django-csp, SECURITY.md): scripts,
# styles and everything else from the site itself only, no plugins, no framing.
# No inline script or style anywhere: the dashboard's configuration is a JSON
# script element, and the Swagger page loads its script as a file. Images may
# be data: URIs (Swagger UI's and the admin's icons).
_csp_report_uri = env.str("CSP_REPORT_URI", default="")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp_constants.SELF],
        "img-src": [csp_constants.SELF, "data:"],
        "object-src": [csp_constants.NONE],
        "frame-ancestors": [csp_constants.NONE],
        "base-uri": [csp_constants.SELF],
        "form-action": [csp_constants.SELF],
        **({"report-uri": [_csp_report_uri]} if _csp_report_uri else {}),
    },
}

# Alerts: thresholds of the rules, the schedule and the people on alerts (DESIGN §3, §6, §11).
ALERTS = {
    "DUE_SOON_DAYS": env.int("ALERTS_DUE_SOON_DAYS", default=7),
    "DUE_URGENT_DAYS": env.int("ALERTS_DUE_URGENT_DAYS", default=1),
    "OVERDUE_CRITICAL_DAYS": env.int("ALERTS_OVERDUE_CRITICAL_DAYS", default=7),
    # Meter side (DESIGN §14): due soon within this % of the interval before the due value;
    # critical once the overrun reaches this % of the interval.
    "METER_DUE_SOON_PERCENT": env.int("ALERTS_METER_DUE_SOON_PERCENT", default=10),
    "METER_OVERDUE_CRITICAL_PERCENT": env.int("ALERTS_METER_OVERDUE_CRITICAL_PERCENT", default=10),
    "SCHEDULE": env.str("ALERTS_SCHEDULE", default="*/5 * * * *"),
    "STALE_AFTER_INTERVALS": 3,
    # prune_history deletes alerts resolved, and runs started, longer ago than this.
    "HISTORY_DAYS": env.int("ALERTS_HISTORY_DAYS", default=400),
    "LOG_FILE": env.str("ALERTS_LOG_FILE", default=str(BASE_DIR / "logs" / "generate_alerts.log")),
    # People on alerts (DESIGN §11): an acknowledgement lapses after this many
    # hours (0 = never); a snooze reaches at most this many days ahead.
    "ACK_TIMEOUT_HOURS": env.int("ALERTS_ACK_TIMEOUT_HOURS", default=24),
    "MAX_SNOOZE_DAYS": env.int("ALERTS_MAX_SNOOZE_DAYS", default=30),
    # Delivery of the notifications' outbox (DESIGN §12).
    "NOTIFY_SCHEDULE": env.str("ALERTS_NOTIFY_SCHEDULE", default="* * * * *"),
}

# Notifications (DESIGN §12): email through Django's mail API, webhooks signed
# per Standard Webhooks. The console backend by default, so a new site shows
# its notices in the server's output without any mail server.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="alertsite@localhost")
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=10)
# Webhook URLs must resolve to public addresses unless this is on (a receiver on the same network).
NOTIFY_ALLOW_PRIVATE_WEBHOOKS = env.bool("NOTIFY_ALLOW_PRIVATE_WEBHOOKS", default=False)

# Scheduling with system cron (django-crontab, DESIGN §6; alerts/scheduling.py,
# README "Scheduling"). The job goes through call_command so the run is recorded
# with trigger CRON; django-crontab's `crontab run` swallows exceptions and exits
# 0, so failures show as FAILED runs, ERROR lines in the log and a stale status.
# ALERTS_CRON_ENABLED=false pauses it: `crontab add` / `ensure_crontab` then remove the entry.
# The history is pruned daily at 03:17 (a quiet minute), next to the generation.
CRONJOBS = (
    [
        (ALERTS["SCHEDULE"], "django.core.management.call_command", ["generate_alerts"], {"trigger": "cron"}),
        ("17 3 * * *", "django.core.management.call_command", ["prune_history"]),
        (ALERTS["NOTIFY_SCHEDULE"], "django.core.management.call_command", ["send_notifications"]),
    ]
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
# Its own key, so that rotating one of SECRET_KEY and JWT_SIGNING_KEY need not
# rotate the other; by default derived from SECRET_KEY (never SECRET_KEY itself).
JWT_SIGNING_KEY = (
    env.str("JWT_SIGNING_KEY", default="")
    or hmac.new(SECRET_KEY.encode(), b"alertsite.jwt-signing-key", hashlib.sha256).hexdigest()
)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    # A refresh token works once: refreshing returns a new one and blacklists
    # the old; `POST /api/auth/logout` blacklists it (token_blacklist app).
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Tokens carry a hash of the password: changing it revokes every token issued before.
    "CHECK_REVOKE_TOKEN": True,
    "TOKEN_REFRESH_SERIALIZER": "alertsite.api.authentication.TokenRefreshSerializer",
    "TOKEN_BLACKLIST_SERIALIZER": "alertsite.api.authentication.TokenBlacklistSerializer",
}

# A list without `limit`/`offset` holds at most this many rows (beyond: a 400 asking for `limit`).
API_MAX_LIST = env.int("API_MAX_LIST", default=10_000)

# Public address of the site, for links that leave it (calendar feed, notices).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Operations (DESIGN §15): GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`
# and answers 404 while it is unset; a dead man's switch pinged after every
# successful full generation.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
ALERTS_HEARTBEAT_URL = env.str("ALERTS_HEARTBEAT_URL", default="")

# The dashboard at / reloads its data this often, in seconds (at least 1).
DASHBOARD_REFRESH_SECONDS = env.int("DASHBOARD_REFRESH_SECONDS", default=10)

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
# Only the API answers cross-origin requests (a dashboard served elsewhere).
CORS_URLS_REGEX = r"^/api/.*$"

# REST API (DESIGN §5): JWT only, authenticated by default, errors as JSON.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["alertsite.api.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["alertsite.api.renderers.ORJSONRenderer"],
    # JSON in as well as out: a form post is a 415, not a second dialect whose
    # empty fields quietly mean null.
    "DEFAULT_PARSER_CLASSES": ["alertsite.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "alertsite.api.pagination.OptionalLimitOffsetPagination",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "alertsite.api.negotiation.ContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "alertsite.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "alertsite.api.exceptions.exception_handler",
    # Slows password guessing on the token endpoint (per client address).
    "DEFAULT_THROTTLE_RATES": {"auth-token": env.str("TOKEN_THROTTLE_RATE", default="10/min")},
    # Reverse proxies in front of the site: the client address is the one the
    # last of them saw (X-Forwarded-For); 0 uses the socket address and ignores the header.
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
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
        # Maintenances and their plans share the kinds.
        "MaintenanceKindEnum": "maintenance.choices.MaintenanceKind",
        "RunStatusEnum": "alerts.choices.RunStatus",
        # Alert priority and asset criticality share one scale.
        "LevelEnum": "alerts.choices.Priority",
        "AlertKindEnum": "alerts.choices.AlertKind",
        "NotificationKindEnum": "alerts.choices.NotificationKind",
        "NotificationStatusEnum": "alerts.choices.NotificationStatus",
    },
}
